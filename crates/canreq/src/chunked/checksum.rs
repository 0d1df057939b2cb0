//! Flexible checksums sent as aws-chunked trailers (`x-amz-checksum-*`).
//!
//! The value on the wire is the base64 of the checksum's big-endian bytes, as S3 writes it.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, shown};

/// A checksum algorithm S3 accepts in a trailer.
///
/// ```
/// use canreq::chunked::ChecksumAlgorithm;
///
/// let alg: ChecksumAlgorithm = "crc32c".parse()?;
/// assert_eq!(alg.header_name(), "x-amz-checksum-crc32c");
/// let mut sum = alg.start();
/// sum.update(b"hello world");
/// assert_eq!(sum.finish_base64(), "yZRlqg==");
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as zlib).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3 lists them.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The lowercase name: `crc32`, `crc32c`, `crc64nvme`, `sha1`, `sha256`.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "crc32",
            ChecksumAlgorithm::Crc32c => "crc32c",
            ChecksumAlgorithm::Crc64Nvme => "crc64nvme",
            ChecksumAlgorithm::Sha1 => "sha1",
            ChecksumAlgorithm::Sha256 => "sha256",
        }
    }

    /// The trailer's header name, e.g. `x-amz-checksum-crc32`.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm a trailer header name stands for, ignoring case.
    pub fn from_header_name(name: &str) -> Option<Self> {
        let rest = name
            .get(..15)
            .filter(|p| p.eq_ignore_ascii_case("x-amz-checksum-"))
            .and_then(|_| name.get(15..))?;
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(rest))
    }

    /// Length of the base64 value on the wire.
    pub fn encoded_len(self) -> usize {
        let raw: usize = match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        };
        raw.div_ceil(3) * 4
    }

    /// A running checksum of this kind.
    pub fn start(self) -> Checksum {
        let state = match self {
            ChecksumAlgorithm::Crc32 => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32IsoHdlc))
            }
            ChecksumAlgorithm::Crc32c => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi))
            }
            ChecksumAlgorithm::Crc64Nvme => {
                State::Crc(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme))
            }
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Checksum {
            algorithm: self,
            state,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = Error;

    /// Parses `crc32`, `crc32c`, `crc64nvme`, `sha1` or `sha256`, ignoring case.
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::InvalidChecksumAlgorithm { value: shown(s) })
    }
}

/// A checksum being computed: [`ChecksumAlgorithm::start`], then data in pieces of any size.
///
/// ```
/// use canreq::chunked::ChecksumAlgorithm;
///
/// let mut sum = ChecksumAlgorithm::Crc32.start();
/// sum.update(b"hello ");
/// sum.update(b"world");
/// assert_eq!(sum.algorithm(), ChecksumAlgorithm::Crc32);
/// assert_eq!(sum.finish_base64(), "DUoRhQ==");
/// ```
#[derive(Clone)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    state: State,
}

#[derive(Clone)]
enum State {
    Crc(crc_fast::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Checksum {
    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Adds data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc(d) => d.update(data),
            State::Sha1(d) => d.update(data),
            State::Sha256(d) => d.update(data),
        }
    }

    /// The checksum in base64, as a trailer value.
    pub fn finish_base64(self) -> String {
        let crc = |d: crc_fast::Digest, width: usize| {
            let value = d.finalize().to_be_bytes();
            STANDARD.encode(&value[8 - width..])
        };
        match self.state {
            State::Crc(d) if self.algorithm == ChecksumAlgorithm::Crc64Nvme => crc(d, 8),
            State::Crc(d) => crc(d, 4),
            State::Sha1(d) => STANDARD.encode(d.finalize()),
            State::Sha256(d) => STANDARD.encode(d.finalize()),
        }
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(alg: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut sum = alg.start();
        // In two pieces: a checksum must not depend on how the data was cut.
        let (a, b) = data.split_at(data.len() / 2);
        sum.update(a);
        sum.update(b);
        sum.finish_base64()
    }

    #[test]
    fn known_values() {
        // "123456789" is the CRC catalogue's check input; the check values are
        // CRC-32 cbf43926, CRC-32C e3069283, CRC-64/NVME ae8b14860a799888.
        let check = b"123456789";
        assert_eq!(
            of(ChecksumAlgorithm::Crc32, check),
            STANDARD.encode([0xcb, 0xf4, 0x39, 0x26])
        );
        assert_eq!(
            of(ChecksumAlgorithm::Crc32c, check),
            STANDARD.encode([0xe3, 0x06, 0x92, 0x83])
        );
        assert_eq!(
            of(ChecksumAlgorithm::Crc64Nvme, check),
            STANDARD.encode(0xae8b14860a799888u64.to_be_bytes())
        );
        // S3's documented checksum of the empty object for SHA-256, and SHA-1 of "abc" (FIPS 180).
        assert_eq!(
            of(ChecksumAlgorithm::Sha256, b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            of(ChecksumAlgorithm::Sha1, b"abc"),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(of(alg, b"x").len(), alg.encoded_len(), "{alg}");
        }
    }

    #[test]
    fn names() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(alg.name().parse::<ChecksumAlgorithm>().unwrap(), alg);
            assert_eq!(
                ChecksumAlgorithm::from_header_name(&alg.header_name().to_uppercase()),
                Some(alg)
            );
        }
        assert!("md5".parse::<ChecksumAlgorithm>().is_err());
        assert_eq!(
            ChecksumAlgorithm::from_header_name("x-amz-checksum-md5"),
            None
        );
        assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-check"), None);
    }
}

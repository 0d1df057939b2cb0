//! The signing algorithm: the seam every stage that depends on it goes through.
//!
//! SigV4 (`AWS4-HMAC-SHA256`) and SigV4a (`AWS4-ECDSA-P256-SHA256`) share the canonical request;
//! they differ in the credential scope (SigV4a's has no region; `X-Amz-Region-Set` names the
//! regions), the key (an HMAC chain, or a P-256 key derived from the secret), the string to sign's
//! first line and the chunk signatures' names. Each stage asks its [`Algorithm`] rather than
//! writing a name down, so that a second algorithm is an addition to this module and to the
//! stages' `match`es, not a search through the crate.

use std::fmt;

use crate::error::{Error, Result};

/// A SigV4 signing algorithm: SigV4 ([`Algorithm::HmacSha256`]) and SigV4a
/// ([`Algorithm::EcdsaP256Sha256`]) both sign and verify. An algorithm known but not
/// implemented would be refused by name ([`Error::UnsupportedAlgorithm`] when signing,
/// `NotImplemented` when verifying), never mistaken for a malformed request; so would one whose
/// aws-chunked chunk signatures were not implemented ([`Algorithm::signs_chunks`]).
///
/// ```
/// use canreq::Algorithm;
///
/// assert_eq!(Algorithm::HmacSha256.name(), "AWS4-HMAC-SHA256");
/// assert_eq!(Algorithm::from_name("AWS4-ECDSA-P256-SHA256"), Some(Algorithm::EcdsaP256Sha256));
/// assert_eq!(Algorithm::from_name("AWS4-HMAC-SHA1"), None);
/// assert!(Algorithm::ALL.iter().all(|a| a.is_supported()));
/// assert!(Algorithm::ALL.iter().all(|a| a.signs_chunks()));
/// assert_eq!(Algorithm::HmacSha256.chunk_name(), "AWS4-HMAC-SHA256-PAYLOAD");
/// assert_eq!(Algorithm::EcdsaP256Sha256.chunk_signature_width(), 144);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// SigV4: `AWS4-HMAC-SHA256`, one region in the scope, an HMAC-SHA256 key chain.
    #[default]
    HmacSha256,
    /// SigV4a: `AWS4-ECDSA-P256-SHA256`, a region set, an ECDSA P-256 key derived from the
    /// secret.
    EcdsaP256Sha256,
}

impl Algorithm {
    /// Every algorithm this crate knows by name, supported or not.
    pub const ALL: [Algorithm; 2] = [Algorithm::HmacSha256, Algorithm::EcdsaP256Sha256];

    /// The name as it stands in `Authorization`, `X-Amz-Algorithm` and the string to sign.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "AWS4-HMAC-SHA256",
            Algorithm::EcdsaP256Sha256 => "AWS4-ECDSA-P256-SHA256",
        }
    }

    /// The algorithm called `name` (exact, as AWS compares it), if this crate knows it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The name with the signature version people know it by, e.g. `SigV4a
    /// (AWS4-ECDSA-P256-SHA256)`, for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "SigV4 (AWS4-HMAC-SHA256)",
            Algorithm::EcdsaP256Sha256 => "SigV4a (AWS4-ECDSA-P256-SHA256)",
        }
    }

    /// The `x-amz-content-sha256` marker of an aws-chunked body whose chunks are signed with
    /// this algorithm, without or with a signed trailer.
    pub const fn signed_streaming_marker(self, with_trailer: bool) -> &'static str {
        match (self, with_trailer) {
            (Algorithm::HmacSha256, false) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            (Algorithm::HmacSha256, true) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            (Algorithm::EcdsaP256Sha256, false) => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            (Algorithm::EcdsaP256Sha256, true) => {
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
            }
        }
    }

    /// The algorithm whose signed aws-chunked marker `value` is, if any.
    pub fn of_signed_streaming_marker(value: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| {
            value == a.signed_streaming_marker(false) || value == a.signed_streaming_marker(true)
        })
    }

    /// Whether this crate can sign and verify with it.
    pub const fn is_supported(self) -> bool {
        matches!(self, Algorithm::HmacSha256 | Algorithm::EcdsaP256Sha256)
    }

    /// `Ok` for a supported algorithm, else the error that names it.
    ///
    /// ```
    /// use canreq::Algorithm;
    ///
    /// assert!(Algorithm::EcdsaP256Sha256.require_supported().is_ok());
    /// ```
    pub fn require_supported(self) -> Result<()> {
        if self.is_supported() {
            Ok(())
        } else {
            Err(Error::UnsupportedAlgorithm { name: self.name() })
        }
    }

    /// Whether this crate signs and verifies aws-chunked chunk signatures with it
    /// (`STREAMING-…-PAYLOAD`): both SigV4's and SigV4a's.
    pub const fn signs_chunks(self) -> bool {
        matches!(self, Algorithm::HmacSha256 | Algorithm::EcdsaP256Sha256)
    }

    /// `Ok` when this crate signs chunks with it, else [`Error::UnsupportedChunkSigning`].
    ///
    /// ```
    /// use canreq::Algorithm;
    ///
    /// assert!(Algorithm::ALL.iter().all(|a| a.require_chunk_signing().is_ok()));
    /// ```
    pub fn require_chunk_signing(self) -> Result<()> {
        self.require_supported()?;
        if self.signs_chunks() {
            Ok(())
        } else {
            Err(Error::UnsupportedChunkSigning { name: self.name() })
        }
    }

    /// The first line of a chunk's string to sign in aws-chunked uploads.
    pub const fn chunk_name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "AWS4-HMAC-SHA256-PAYLOAD",
            Algorithm::EcdsaP256Sha256 => "AWS4-ECDSA-P256-SHA256-PAYLOAD",
        }
    }

    /// The first line of the trailer's string to sign in aws-chunked uploads.
    pub const fn trailer_name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "AWS4-HMAC-SHA256-TRAILER",
            Algorithm::EcdsaP256Sha256 => "AWS4-ECDSA-P256-SHA256-TRAILER",
        }
    }

    /// How many characters a chunk or trailer signature takes in an aws-chunked body (after
    /// `;chunk-signature=` and `x-amz-trailer-signature:`): SigV4's 64 hex digits; SigV4a's
    /// DER signature in hex (at most 144 digits for P-256, usually 140 to 144) padded with `*` to
    /// 144, so
    /// that the encoded length is known before signing (see [`crate::chunked`]).
    pub const fn chunk_signature_width(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 64,
            Algorithm::EcdsaP256Sha256 => 2 * crate::crypto::ecdsa::MAX_DER_LEN,
        }
    }

    /// Whether the credential scope names one region (SigV4) or none, the regions being a set
    /// sent in `X-Amz-Region-Set` (SigV4a).
    pub const fn uses_region_set(self) -> bool {
        matches!(self, Algorithm::EcdsaP256Sha256)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_name_their_chunk_lines() {
        for algorithm in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(algorithm.name()), Some(algorithm));
            assert!(algorithm.chunk_name().starts_with(algorithm.name()));
            assert!(algorithm.trailer_name().starts_with(algorithm.name()));
        }
        assert_eq!(
            Algorithm::HmacSha256.signed_streaming_marker(false),
            crate::STREAMING_SIGNED
        );
        assert_eq!(
            Algorithm::HmacSha256.signed_streaming_marker(true),
            crate::STREAMING_SIGNED_TRAILER
        );
        for algorithm in Algorithm::ALL {
            for trailer in [false, true] {
                let marker = algorithm.signed_streaming_marker(trailer);
                assert_eq!(
                    Algorithm::of_signed_streaming_marker(marker),
                    Some(algorithm)
                );
            }
        }
        // Compared exactly, as AWS does.
        assert_eq!(Algorithm::from_name("aws4-hmac-sha256"), None);
    }
}

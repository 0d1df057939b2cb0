//! The server side: reads an aws-chunked body, checking before it releases anything.
//!
//! Data of a signed chunk is held until the whole chunk is in and its signature checked, then
//! handed to the caller; the trailer is checked (signature, then checksum) before
//! [`ChunkedDecoder::finish`] reports success. Every line is read against a fixed bound and
//! chunk sizes against a limit, so memory stays at one chunk whatever the client sends.

use std::fmt;

use sha2::{Digest, Sha256};

mod outcome;
mod trailer;

pub use outcome::{DecodeLimits, DecodedBody};

use super::chain::SignatureChain;
use super::checksum::{Checksum, ChecksumAlgorithm};
use super::{SIGNATURE_EXTENSION, StreamingMode};
use crate::canonical::trim_blanks;
use crate::encode;
use crate::error::shown;
use crate::key::constant_time_eq;
use crate::request::Request;
use crate::verify::{AuthError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeLine,
    Data,
    /// The CRLF after a chunk's data: how many of its two bytes have been seen.
    DataEnd(u8),
    TrailerLine,
    Done,
}

/// Decodes and verifies an aws-chunked body fed in pieces of any size.
///
/// A verifying server gets one from [`Pending::into_chunked`](crate::verify::Pending::into_chunked);
/// see the [module documentation](super) for a round trip.
///
/// ```
/// use std::sync::Arc;
/// use canreq::chunked::{ChunkedDecoder, DecodeLimits, SignatureChain, StreamingMode};
/// use canreq::verify::ErrorCode;
/// use canreq::{SigningKey, SigningTime};
///
/// // The Amazon S3 documentation's chunked upload: 66,560 bytes of `a`, in chunks of
/// // 64 KiB and 1 KiB, chained from the request's signature.
/// let chain = || -> canreq::Result<SignatureChain> {
///     let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
///     SignatureChain::new(
///         Arc::new(key),
///         SigningTime::parse("20130524T000000Z")?,
///         "20130524/us-east-1/s3/aws4_request",
///         "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
///     )
/// };
/// let mut wire = Vec::new();
/// wire.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
/// wire.extend_from_slice(&[b'a'; 65536]);
/// wire.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
/// wire.extend_from_slice(&[b'a'; 1024]);
/// wire.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
///
/// let mut decoder = ChunkedDecoder::new(StreamingMode::Signed, chain()?, 66_560, "", DecodeLimits::default())?;
/// let mut data = Vec::new();
/// for piece in wire.chunks(1000) {
///     decoder.decode(piece, |verified| data.extend_from_slice(verified))?;
/// }
/// assert_eq!(decoder.finish()?.chunks(), 2);
/// assert_eq!(data, vec![b'a'; 66_560]);
///
/// // One byte of the second chunk changed: only the first chunk is ever released.
/// let at = wire.len() - 100;
/// wire[at] = b'b';
/// let mut decoder = ChunkedDecoder::new(StreamingMode::Signed, chain()?, 66_560, "", DecodeLimits::default())?;
/// let mut released = 0;
/// let err = decoder.decode(&wire, |verified| released += verified.len()).unwrap_err();
/// assert_eq!((err.code(), released), (ErrorCode::SignatureDoesNotMatch, 65_536));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkedDecoder {
    mode: StreamingMode,
    chain: SignatureChain,
    limits: DecodeLimits,
    declared_length: u64,
    /// `x-amz-trailer`'s names, lowercased.
    declared_trailers: Vec<String>,
    checksum: Option<Checksum>,
    state: State,
    /// The line being read (size line or trailer line).
    line: Vec<u8>,
    /// The current chunk's data, when it arrived in more than one piece.
    held: Vec<u8>,
    hasher: Sha256,
    /// The signature the current chunk claims.
    claimed: [u8; 32],
    remaining: u64,
    current_size: u64,
    decoded: u64,
    chunks: u64,
    short_chunk_seen: bool,
    final_seen: bool,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<[u8; 32]>,
    failed: Option<AuthError>,
}

impl ChunkedDecoder {
    /// A decoder for a body whose head was signed with signature chain `chain`.
    ///
    /// `decoded_length` is `x-amz-decoded-content-length`; `declared_trailers` is the value of
    /// `x-amz-trailer` (empty when absent).
    pub fn new(
        mode: StreamingMode,
        chain: SignatureChain,
        decoded_length: u64,
        declared_trailers: &str,
        limits: DecodeLimits,
    ) -> Result<Self, AuthError> {
        let mut names: Vec<String> = Vec::new();
        let mut checksum = None;
        for name in declared_trailers.split(',').map(trim_blanks) {
            if name.is_empty() {
                continue;
            }
            if !name.bytes().all(crate::canonical::is_tchar) {
                return Err(invalid(format!(
                    "x-amz-trailer names '{}', which is not a header name.",
                    shown(name)
                )));
            }
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-amz-checksum-") {
                let alg = ChecksumAlgorithm::from_header_name(&lower).ok_or_else(|| {
                    invalid(format!(
                        "x-amz-trailer names an unknown checksum '{}'.",
                        shown(name)
                    ))
                })?;
                if checksum.replace(alg.start()).is_some() {
                    return Err(invalid("x-amz-trailer may name only one checksum."));
                }
            }
            if names.contains(&lower) || names.len() == limits.max_trailers {
                return Err(invalid(
                    "x-amz-trailer names a header twice, or too many headers.",
                ));
            }
            names.push(lower);
        }
        if !mode.has_trailer() && !names.is_empty() {
            return Err(invalid(format!(
                "x-amz-trailer is set, but {} has no trailer.",
                mode.marker()
            )));
        }
        Ok(ChunkedDecoder {
            mode,
            chain,
            limits,
            declared_length: decoded_length,
            declared_trailers: names,
            checksum,
            state: State::SizeLine,
            line: Vec::new(),
            held: Vec::new(),
            hasher: Sha256::new(),
            claimed: [0; 32],
            remaining: 0,
            current_size: 0,
            decoded: 0,
            chunks: 0,
            short_chunk_seen: false,
            final_seen: false,
            trailers: Vec::new(),
            trailer_signature: None,
            failed: None,
        })
    }

    /// A decoder reading `x-amz-decoded-content-length` and `x-amz-trailer` from `request`.
    pub(crate) fn from_request(
        mode: StreamingMode,
        chain: SignatureChain,
        request: &Request<'_>,
        limits: DecodeLimits,
    ) -> Result<Self, AuthError> {
        let one = |name: &str| {
            let mut values = request.header_values(name);
            let first = values.next().map(trim_blanks);
            match values.next() {
                Some(_) => Err(AuthError::new(
                    ErrorCode::InvalidArgument,
                    format!("Only one {name} header is allowed."),
                )),
                None => Ok(first),
            }
        };
        let length = one("x-amz-decoded-content-length")?.ok_or_else(|| {
            AuthError::new(
                ErrorCode::MissingContentLength,
                "An aws-chunked upload needs the x-amz-decoded-content-length header.",
            )
        })?;
        let length = parse_decimal(length).ok_or_else(|| {
            AuthError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "x-amz-decoded-content-length '{}' is not a number of bytes.",
                    shown(length)
                ),
            )
        })?;
        let trailers = one("x-amz-trailer")?.unwrap_or("");
        Self::new(mode, chain, length, trailers, limits)
    }

    /// A decoder for the body of a request this process signed itself (for tests and proxies):
    /// the chain starts from `signed`'s signature, lengths and trailers come from `request`.
    pub fn for_signed_request(
        signed: &crate::SignedRequest,
        request: &Request<'_>,
    ) -> Result<Self, AuthError> {
        let steps = signed.steps();
        let marker = steps.canonical_request().payload_hash();
        let mode = StreamingMode::from_marker(marker).ok_or_else(|| {
            invalid(format!(
                "the request was signed with payload '{}', not a STREAMING-* mode.",
                shown(marker)
            ))
        })?;
        let chain = SignatureChain::from_steps(steps);
        Self::from_request(mode, chain, request, DecodeLimits::default())
    }

    /// The streaming mode.
    pub fn mode(&self) -> StreamingMode {
        self.mode
    }

    /// Data bytes released so far.
    pub fn decoded_so_far(&self) -> u64 {
        self.decoded
    }

    /// Reads the next piece of the encoded body, calling `release` with data that has been
    /// verified (in signed modes, whole chunks after their signature matched; in
    /// [`StreamingMode::UnsignedWithTrailer`], data as it arrives, which only
    /// [`finish`](Self::finish) vouches for, through the checksum).
    ///
    /// After an error the decoder refuses everything with the same error.
    pub fn decode(
        &mut self,
        input: &[u8],
        mut release: impl FnMut(&[u8]),
    ) -> Result<(), AuthError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.decode_inner(input, &mut release);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Ends the body: it must have reached its end, with every check passed.
    pub fn finish(self) -> Result<DecodedBody, AuthError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.state != State::Done {
            return Err(AuthError::new(
                ErrorCode::IncompleteBody,
                format!(
                    "The aws-chunked body ended early ({} of {} data bytes, {}).",
                    self.decoded,
                    self.declared_length,
                    if self.final_seen {
                        "in the trailer"
                    } else {
                        "before the final chunk"
                    }
                ),
            ));
        }
        let checksum = self.checksum.map(|c| c.algorithm()).and_then(|alg| {
            self.trailers
                .iter()
                .find(|(n, _)| n == alg.header_name())
                .map(|(_, v)| (alg, v.clone()))
        });
        Ok(DecodedBody {
            mode: self.mode,
            decoded_length: self.decoded,
            chunks: self.chunks,
            trailers: self.trailers,
            checksum,
        })
    }

    fn decode_inner(
        &mut self,
        mut input: &[u8],
        release: &mut impl FnMut(&[u8]),
    ) -> Result<(), AuthError> {
        while !input.is_empty() {
            match self.state {
                State::SizeLine => {
                    if let Some(len) = self.read_line(&mut input, self.limits.max_size_line)? {
                        self.on_size_line(len)?;
                    }
                }
                State::TrailerLine => {
                    if let Some(len) = self.read_line(&mut input, self.limits.max_trailer_line)? {
                        self.on_trailer_line(len)?;
                    }
                }
                State::Data => {
                    let take = usize::try_from(self.remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let (piece, rest) = input.split_at(take);
                    input = rest;
                    self.remaining -= take as u64;
                    self.on_data(piece, release)?;
                }
                State::DataEnd(seen) => {
                    let want = b"\r\n"[usize::from(seen)];
                    if input[0] != want {
                        return Err(invalid(format!(
                            "chunk {} is not followed by CRLF (its data is longer than its size {}).",
                            self.chunks, self.current_size
                        )));
                    }
                    input = &input[1..];
                    self.state = match (seen, self.final_seen) {
                        (0, _) => State::DataEnd(1),
                        (_, true) => State::Done,
                        (_, false) => State::SizeLine,
                    };
                }
                State::Done => {
                    return Err(invalid(
                        "there are bytes after the end of the aws-chunked body.",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Collects a CRLF-terminated line into `self.line`; returns its length without CRLF once
    /// complete.
    fn read_line(&mut self, input: &mut &[u8], bound: usize) -> Result<Option<usize>, AuthError> {
        let newline = input.iter().position(|&b| b == b'\n');
        let take = newline.map_or(input.len(), |p| p + 1);
        if self.line.len() + take > bound {
            return Err(invalid(format!(
                "a line of the aws-chunked body is longer than {bound} bytes."
            )));
        }
        self.line.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if newline.is_none() {
            return Ok(None);
        }
        if !self.line.ends_with(b"\r\n") {
            return Err(invalid(
                "a line of the aws-chunked body does not end in CRLF.",
            ));
        }
        Ok(Some(self.line.len() - 2))
    }

    fn on_size_line(&mut self, len: usize) -> Result<(), AuthError> {
        let line = std::mem::take(&mut self.line);
        let result = self.parse_size_line(&line[..len]);
        self.line = line;
        self.line.clear();
        result
    }

    fn parse_size_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let index = self.chunks;
        let (size_text, extension) = match line.iter().position(|&b| b == b';') {
            Some(p) => (&line[..p], Some(&line[p..])),
            None => (line, None),
        };
        let size = parse_hex_size(size_text).ok_or_else(|| {
            invalid(format!(
                "chunk {index} has a malformed size '{}'.",
                shown(&String::from_utf8_lossy(size_text))
            ))
        })?;
        if self.mode.signs_chunks() {
            let claimed = extension
                .and_then(|e| e.strip_prefix(SIGNATURE_EXTENSION.as_bytes()))
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .filter(|hex| encode::parse_lower_hex(hex, &mut self.claimed));
            if claimed.is_none() {
                return Err(AuthError::new(
                    ErrorCode::SignatureDoesNotMatch,
                    format!(
                        "chunk {index} has no well-formed chunk-signature (64 lowercase hex digits)."
                    ),
                ));
            }
        } else if extension.is_some() {
            return Err(invalid(format!(
                "chunk {index} has an extension, but {} chunks carry none.",
                self.mode.marker()
            )));
        }
        // Only a signed chunk is held (until its signature is checked); an unsigned one is
        // released as it arrives, whatever its size.
        if self.mode.signs_chunks() && size > self.limits.max_chunk_size as u64 {
            return Err(AuthError::new(
                ErrorCode::InvalidChunkSizeError,
                format!(
                    "chunk {index} is {size} bytes; this endpoint accepts chunks of at most {} bytes.",
                    self.limits.max_chunk_size
                ),
            ));
        }
        if size > 0 && self.short_chunk_seen {
            return Err(AuthError::new(
                ErrorCode::InvalidChunkSizeError,
                format!(
                    "Only the last chunk is allowed to have a size less than {} bytes.",
                    self.limits.min_chunk_size
                ),
            ));
        }
        if size > self.declared_length - self.decoded {
            return Err(AuthError::new(
                ErrorCode::IncompleteBody,
                format!(
                    "chunk {index} goes past x-amz-decoded-content-length ({} bytes).",
                    self.declared_length
                ),
            ));
        }
        self.current_size = size;
        self.remaining = size;
        if size > 0 {
            self.state = State::Data;
            return Ok(());
        }
        // The final chunk.
        self.final_seen = true;
        if self.decoded != self.declared_length {
            return Err(AuthError::new(
                ErrorCode::IncompleteBody,
                format!(
                    "The aws-chunked body has {} data bytes; x-amz-decoded-content-length says {}.",
                    self.decoded, self.declared_length
                ),
            ));
        }
        if self.mode.signs_chunks() {
            self.check_chunk_signature()?;
        }
        self.state = if self.mode.has_trailer() {
            State::TrailerLine
        } else {
            State::DataEnd(0)
        };
        Ok(())
    }

    fn on_data(&mut self, piece: &[u8], release: &mut impl FnMut(&[u8])) -> Result<(), AuthError> {
        if let Some(sum) = &mut self.checksum {
            sum.update(piece);
        }
        if !self.mode.signs_chunks() {
            self.decoded += piece.len() as u64;
            release(piece);
            if self.remaining == 0 {
                self.end_chunk();
            }
            return Ok(());
        }
        self.hasher.update(piece);
        if self.remaining > 0 {
            self.held.extend_from_slice(piece);
            return Ok(());
        }
        self.check_chunk_signature()?;
        self.decoded += self.current_size;
        if self.held.is_empty() {
            // The whole chunk came in one piece: released from the input, never copied.
            release(piece);
        } else {
            self.held.extend_from_slice(piece);
            release(&self.held);
            self.held.clear();
        }
        self.end_chunk();
        Ok(())
    }

    fn end_chunk(&mut self) {
        self.chunks += 1;
        if self.mode.signs_chunks() && self.current_size < self.limits.min_chunk_size as u64 {
            self.short_chunk_seen = true;
        }
        self.state = State::DataEnd(0);
    }

    /// Checks the claimed signature of the chunk just read (its data hashed in `hasher`).
    fn check_chunk_signature(&mut self) -> Result<(), AuthError> {
        let digest: [u8; 32] = self.hasher.finalize_reset().into();
        let expected = self.chain.sign_chunk_hash(&digest);
        if constant_time_eq(expected.as_bytes(), &self.claimed) {
            return Ok(());
        }
        Err(AuthError::new(
            ErrorCode::SignatureDoesNotMatch,
            format!(
                "The chunk signature we calculated for chunk {} does not match the one provided \
                 (changed, reordered, dropped or replayed data).",
                self.chunks
            ),
        )
        .with_detail("ChunkIndex", self.chunks.to_string()))
    }
}

impl fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("mode", &self.mode)
            .field("state", &self.state)
            .field("decoded", &self.decoded)
            .field("declared_length", &self.declared_length)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> AuthError {
    AuthError::new(ErrorCode::InvalidRequest, message)
}

/// 1 to 16 hex digits without leading zeros (a `u64` cannot overflow), in either case: HTTP's
/// chunk-size is case-insensitive, the AWS SDK for Rust writes sizes in upper case (`A`,
/// `86A0`) and the other encoders in lower case. No signature covers the size (a chunk's covers
/// its data), so its case changes nothing that is verified.
fn parse_hex_size(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u64::from(digit))
    })
}

/// 1 to 19 decimal digits, nothing else.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

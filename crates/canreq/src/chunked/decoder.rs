//! The server side: reads an aws-chunked body, checking before it releases anything.
//!
//! Data of a signed chunk is held until the whole chunk is in and its signature checked, then
//! handed to the caller; the trailer is checked (signature, then checksum) before
//! [`ChunkedDecoder::finish`] reports success. Every line is read against a fixed bound and
//! chunk sizes against a limit, so memory stays at one chunk whatever the client sends.

use std::fmt;

use sha2::Sha256;

mod chunk;
mod limits;
mod trailer;

pub use limits::{DecodeLimits, DecodedBody};

use super::StreamingMode;
use super::chain::{ChunkSignature, SignatureChain};
use super::checksum::{Checksum, ChecksumAlgorithm};
use crate::canonical::trim_blanks;
use crate::error::shown;
use crate::refusal::{AuthError, ErrorCode};
use crate::request::Request;

/// Where the decoder stands in the body, with what it holds there.
enum State {
    /// Reading a chunk's size line (into the decoder's buffer).
    SizeLine,
    /// Reading a chunk's data.
    Data(Chunk),
    /// The CRLF after a chunk's data, or after the final chunk's line when no trailer follows:
    /// how many of its two bytes have been seen, whether the body ends with it, and the size of
    /// the chunk before it (for the message when it is not there).
    DataEnd { seen: u8, last: bool, size: u64 },
    /// Reading the trailer's lines (into the decoder's buffer).
    Trailer(Trailer),
    /// The body ended, every check passed.
    Done(Vec<(String, String)>),
    /// A check failed: every later call gets the same refusal.
    Failed(AuthError),
}

/// The chunk being read.
struct Chunk {
    size: u64,
    remaining: u64,
    /// The signature it claims, in signed modes.
    claimed: Option<ChunkSignature>,
    /// Its data so far, in signed modes (the signature covers its SHA-256).
    hasher: Sha256,
}

/// The trailer being read: the fields so far, and `x-amz-trailer-signature` once seen.
#[derive(Default)]
struct Trailer {
    fields: Vec<(String, String)>,
    signature: Option<ChunkSignature>,
}

/// What the decoder checks the body against: fixed when it is made.
struct Plan {
    mode: StreamingMode,
    limits: DecodeLimits,
    /// `x-amz-decoded-content-length`.
    declared_length: u64,
    /// `x-amz-trailer`'s names, lowercased.
    declared_trailers: Vec<String>,
}

/// What the chunks so far add up to.
#[derive(Default)]
struct Progress {
    decoded: u64,
    chunks: u64,
    /// A signed chunk smaller than the minimum was seen: only the final one may follow.
    short_chunk_seen: bool,
}

/// Decodes and verifies an aws-chunked body fed in pieces of any size.
///
/// A verifying server gets one inside [`Begun::Chunked`](crate::verify::Begun::Chunked);
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
    plan: Plan,
    /// The chain the chunks are signed with; `None` only for a mode whose chunks are unsigned.
    chain: Option<SignatureChain>,
    /// The running checksum `x-amz-trailer` asked for, over the data.
    checksum: Option<Checksum>,
    progress: Progress,
    state: State,
    /// Whether chunk and trailer signatures are checked (always, but for a re-signing proxy's
    /// [`without_signature_checks`](Self::without_signature_checks)).
    check_signatures: bool,
    /// The line being read, or a signed chunk's data when it arrives in more than one piece;
    /// reused, so that a body costs one buffer whatever its length.
    buffer: Vec<u8>,
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
        Self::with_chain(mode, Some(chain), decoded_length, declared_trailers, limits)
    }

    /// [`new`](Self::new), without a chain for a mode whose chunks are unsigned.
    fn with_chain(
        mode: StreamingMode,
        chain: Option<SignatureChain>,
        decoded_length: u64,
        declared_trailers: &str,
        limits: DecodeLimits,
    ) -> Result<Self, AuthError> {
        let chain_algorithm = chain.as_ref().map(SignatureChain::algorithm);
        if mode.signs_chunks() && chain_algorithm != mode.chunk_algorithm() {
            return Err(invalid(format!(
                "{} chunks need a {} signature chain, not {}.",
                mode.marker(),
                mode.chunk_algorithm().map_or("", |a| a.describe()),
                chain_algorithm.map_or("none", |a| a.describe()),
            )));
        }
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
            plan: Plan {
                mode,
                limits,
                declared_length: decoded_length,
                declared_trailers: names,
            },
            chain,
            checksum,
            progress: Progress::default(),
            state: State::SizeLine,
            check_signatures: true,
            buffer: Vec::new(),
        })
    }

    /// A decoder that reads a body's framing and checks its length, trailer and checksum, but
    /// not its chunk or trailer signatures: for a proxy that re-signs a body whose client
    /// signed with keys the proxy does not hold. Signatures must still be well formed, and
    /// data is released as it arrives (nothing vouches for it until the checksum, if any, is
    /// checked by [`finish`](Self::finish)).
    ///
    /// ```
    /// use canreq::chunked::{ChunkedDecoder, DecodeLimits, StreamingMode};
    ///
    /// let zeros = "0".repeat(64);
    /// let wire = format!("5;chunk-signature={zeros}\r\nhello\r\n0;chunk-signature={zeros}\r\n\r\n");
    /// let mut decoder = ChunkedDecoder::without_signature_checks(
    ///     StreamingMode::Signed, 5, "", DecodeLimits::default())?;
    /// let mut data = Vec::new();
    /// decoder.decode(wire.as_bytes(), |piece| data.extend_from_slice(piece))?;
    /// assert_eq!((decoder.finish()?.chunks(), data.as_slice()), (1, &b"hello"[..]));
    /// # Ok::<(), canreq::verify::AuthError>(())
    /// ```
    pub fn without_signature_checks(
        mode: StreamingMode,
        decoded_length: u64,
        declared_trailers: &str,
        limits: DecodeLimits,
    ) -> Result<Self, AuthError> {
        let mut decoder = Self::with_chain(
            StreamingMode::UnsignedWithTrailer,
            None,
            decoded_length,
            declared_trailers,
            limits,
        )?;
        if !mode.has_trailer() && !decoder.plan.declared_trailers.is_empty() {
            return Err(invalid(format!(
                "x-amz-trailer is set, but {} has no trailer.",
                mode.marker()
            )));
        }
        decoder.plan.mode = mode;
        decoder.check_signatures = false;
        Ok(decoder)
    }

    /// A decoder reading `x-amz-decoded-content-length` and `x-amz-trailer` from `request`.
    pub(crate) fn from_request(
        mode: StreamingMode,
        chain: Option<SignatureChain>,
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
        Self::with_chain(mode, chain, length, trailers, limits)
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
        let chain = mode
            .signs_chunks()
            .then(|| SignatureChain::from_steps(steps))
            .transpose()
            .map_err(|e| AuthError::new(ErrorCode::NotImplemented, e.to_string()))?;
        Self::from_request(mode, chain, request, DecodeLimits::default())
    }

    /// The streaming mode.
    pub fn mode(&self) -> StreamingMode {
        self.plan.mode
    }

    /// Data bytes released so far.
    pub fn decoded_so_far(&self) -> u64 {
        self.progress.decoded
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
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        let result = self.decode_pieces(input, &mut release);
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    /// Ends the body: it must have reached its end, with every check passed.
    pub fn finish(self) -> Result<DecodedBody, AuthError> {
        let in_trailer = match self.state {
            State::Done(trailers) => {
                let checksum = self.checksum.map(|c| c.algorithm()).and_then(|alg| {
                    trailers
                        .iter()
                        .find(|(n, _)| n == alg.header_name())
                        .map(|(_, v)| (alg, v.clone()))
                });
                return Ok(DecodedBody {
                    mode: self.plan.mode,
                    decoded_length: self.progress.decoded,
                    chunks: self.progress.chunks,
                    trailers,
                    checksum,
                });
            }
            State::Failed(e) => return Err(e),
            State::Trailer(_) | State::DataEnd { last: true, .. } => true,
            State::SizeLine | State::Data(_) | State::DataEnd { last: false, .. } => false,
        };
        Err(AuthError::new(
            ErrorCode::IncompleteBody,
            format!(
                "The aws-chunked body ended early ({} of {} data bytes, {}).",
                self.progress.decoded,
                self.plan.declared_length,
                if in_trailer {
                    "in the trailer"
                } else {
                    "before the final chunk"
                }
            ),
        ))
    }

    fn decode_pieces(
        &mut self,
        mut input: &[u8],
        release: &mut impl FnMut(&[u8]),
    ) -> Result<(), AuthError> {
        while !input.is_empty() {
            match &mut self.state {
                State::SizeLine => {
                    if let Some(len) = self.read_line(&mut input, self.plan.limits.max_size_line)? {
                        let line = std::mem::take(&mut self.buffer);
                        let result = self.on_size_line(&line[..len]);
                        self.buffer = line;
                        self.buffer.clear();
                        result?;
                    }
                }
                State::Trailer(_) => {
                    if let Some(len) =
                        self.read_line(&mut input, self.plan.limits.max_trailer_line)?
                    {
                        let line = std::mem::take(&mut self.buffer);
                        let result = self.on_trailer_line(&line[..len]);
                        self.buffer = line;
                        self.buffer.clear();
                        result?;
                    }
                }
                State::Data(chunk) => {
                    let take = usize::try_from(chunk.remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let (piece, rest) = input.split_at(take);
                    input = rest;
                    chunk.remaining -= take as u64;
                    self.on_data(piece, release)?;
                }
                State::DataEnd { seen, last, size } => {
                    let (seen, last, size) = (*seen, *last, *size);
                    if input[0] != b"\r\n"[usize::from(seen)] {
                        return Err(invalid(format!(
                            "chunk {} is not followed by CRLF (its data is longer than its size {size}).",
                            self.progress.chunks
                        )));
                    }
                    input = &input[1..];
                    self.state = match (seen, last) {
                        (0, _) => State::DataEnd {
                            seen: 1,
                            last,
                            size,
                        },
                        (_, true) => State::Done(Vec::new()),
                        (_, false) => State::SizeLine,
                    };
                }
                State::Done(_) => {
                    return Err(invalid(
                        "there are bytes after the end of the aws-chunked body.",
                    ));
                }
                State::Failed(e) => return Err(e.clone()),
            }
        }
        Ok(())
    }

    /// Collects a CRLF-terminated line into the buffer; returns its length without CRLF once
    /// complete.
    fn read_line(&mut self, input: &mut &[u8], bound: usize) -> Result<Option<usize>, AuthError> {
        let newline = input.iter().position(|&b| b == b'\n');
        let take = newline.map_or(input.len(), |p| p + 1);
        if self.buffer.len() + take > bound {
            return Err(invalid(format!(
                "a line of the aws-chunked body is longer than {bound} bytes."
            )));
        }
        self.buffer.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if newline.is_none() {
            return Ok(None);
        }
        if !self.buffer.ends_with(b"\r\n") {
            return Err(invalid(
                "a line of the aws-chunked body does not end in CRLF.",
            ));
        }
        Ok(Some(self.buffer.len() - 2))
    }
}

impl fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::SizeLine => "size line",
            State::Data(_) => "data",
            State::DataEnd { .. } => "data end",
            State::Trailer(_) => "trailer",
            State::Done(_) => "done",
            State::Failed(_) => "failed",
        };
        f.debug_struct("ChunkedDecoder")
            .field("mode", &self.plan.mode)
            .field("state", &state)
            .field("decoded", &self.progress.decoded)
            .field("declared_length", &self.plan.declared_length)
            .field("chunks", &self.progress.chunks)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> AuthError {
    AuthError::new(ErrorCode::InvalidRequest, message)
}

/// 1 to 19 decimal digits, nothing else.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

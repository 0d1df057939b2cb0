//! aws-chunked streaming uploads: signed chunks and trailers, both directions, in bounded memory.
//!
//! S3 accepts large uploads as `Content-Encoding: aws-chunked`: the body is cut into chunks,
//! each framed as `<hex size>;chunk-signature=<signature>\r\n<data>\r\n`, every signature chained
//! to the one before it, starting from the request's own signature (the *seed*). A final empty
//! chunk ends the data; trailing headers (usually one `x-amz-checksum-*`) may follow, signed by
//! `x-amz-trailer-signature`. Five modes exist, named by `x-amz-content-sha256`:
//!
//! | mode | chunk signatures | trailer |
//! |---|---|---|
//! | [`StreamingMode::Signed`] (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) | SigV4 | none |
//! | [`StreamingMode::SignedWithTrailer`] (`…-PAYLOAD-TRAILER`) | SigV4 | signed |
//! | [`StreamingMode::SignedV4a`] (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`) | SigV4a | none |
//! | [`StreamingMode::SignedV4aWithTrailer`] (`…-PAYLOAD-TRAILER`) | SigV4a | signed |
//! | [`StreamingMode::UnsignedWithTrailer`] (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) | no | unsigned |
//!
//! SigV4a's chunk and trailer signatures are DER-encoded ECDSA signatures padded with `*` to
//! 144 characters, as aws-c-auth writes them; [`SignatureChain`]'s documentation says how that
//! format was established.
//!
//! - [`StreamingUpload`] plans an upload: the headers to sign (`Content-Length`,
//!   `x-amz-decoded-content-length`, `x-amz-trailer`, …) and the payload marker;
//! - [`ChunkedEncoder`] frames the body after signing, chunk by chunk, with no copy of the data
//!   ([`ChunkedEncoder::frame`]) or from writes of any size ([`ChunkedEncoder::push`]);
//! - [`ChunkedDecoder`] is the server side: it checks each chunk's signature before releasing the
//!   chunk's bytes, and the trailer's signature and checksum before reporting success;
//! - [`SignatureChain`] is the one implementation of the chain both use.
//!
//! # Example
//!
//! ```
//! use canreq::chunked::{ChecksumAlgorithm, ChunkedDecoder, StreamingMode, StreamingUpload};
//! use canreq::{Credentials, Request, Scope, Signer, SigningTime};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20240101T000000Z")?);
//! let body = vec![7u8; 100_000];
//!
//! let upload = StreamingUpload::new(StreamingMode::SignedWithTrailer, 64 * 1024)?
//!     .with_checksum(ChecksumAlgorithm::Crc32c);
//! let headers = upload.headers(body.len() as u64);
//! let mut request = Request::new("PUT", "/bucket/object").header("Host", "s3.amazonaws.com");
//! for (name, value) in &headers {
//!     request.push_header(name, value);
//! }
//! let signed = signer.sign(&request, upload.payload())?;
//!
//! let mut encoder = upload.encoder(&signed)?;
//! let mut wire = Vec::new();
//! encoder.push(&body, &mut wire);
//! encoder.finish(&mut wire);
//! assert_eq!(wire.len() as u64, upload.encoded_length(body.len() as u64));
//!
//! // The server side, from what the verifier learned about the request.
//! let mut decoder = ChunkedDecoder::for_signed_request(&signed, &request)?;
//! let mut received = Vec::new();
//! decoder.decode(&wire, |data| received.extend_from_slice(data))?;
//! let summary = decoder.finish()?;
//! assert_eq!(received, body);
//! assert_eq!(summary.checksum().unwrap().0, ChecksumAlgorithm::Crc32c);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chain;
mod checksum;
mod decoder;
mod encoder;
mod parallel;

use std::fmt;

pub use chain::{ChunkSignature, SignatureChain};
pub use checksum::{Checksum, ChecksumAlgorithm};
pub use decoder::{ChunkedDecoder, DecodeLimits, DecodedBody};
pub use encoder::{ChunkedEncoder, FrameHeader};
pub use parallel::hash_chunks_parallel;

use crate::algorithm::Algorithm;
use crate::error::{Error, Result};
use crate::settings::{Payload, STREAMING_UNSIGNED_TRAILER};

/// The smallest chunk size S3 accepts for every chunk but the last.
///
/// ```
/// use canreq::chunked::{MIN_CHUNK_SIZE, StreamingMode, StreamingUpload};
///
/// assert!(StreamingUpload::new(StreamingMode::Signed, MIN_CHUNK_SIZE).is_ok());
/// assert!(StreamingUpload::new(StreamingMode::Signed, MIN_CHUNK_SIZE - 1).is_err());
/// ```
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;
/// The largest chunk size this crate encodes or (by default) decodes.
///
/// ```
/// use canreq::chunked::{DecodeLimits, MAX_CHUNK_SIZE, StreamingMode, StreamingUpload};
///
/// assert!(StreamingUpload::new(StreamingMode::Signed, MAX_CHUNK_SIZE + 1).is_err());
/// assert_eq!(DecodeLimits::default().max_chunk_size, MAX_CHUNK_SIZE);
/// ```
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;
/// The chunk size the AWS SDKs use.
///
/// ```
/// use canreq::chunked::{DEFAULT_CHUNK_SIZE, StreamingMode, StreamingUpload};
///
/// let upload = StreamingUpload::new(StreamingMode::Signed, DEFAULT_CHUNK_SIZE)?;
/// // The Amazon S3 documentation's example: 66,560 bytes sent as 66,824 (chunks of 64 KiB
/// // and 1 KiB, then the final empty one, each with its size line and signature).
/// assert_eq!(upload.encoded_length(66_560), 66_824);
/// # Ok::<(), canreq::Error>(())
/// ```
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// `;chunk-signature=`, between a chunk's size and its signature.
const SIGNATURE_EXTENSION: &str = ";chunk-signature=";
/// The trailer header carrying the trailer's signature.
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// Which aws-chunked variant a request uses, named by its `x-amz-content-sha256` marker: how
/// chunks are signed (by SigV4, SigV4a, or not at all) and whether a trailer follows.
///
/// ```
/// use canreq::Algorithm;
/// use canreq::chunked::StreamingMode;
///
/// let mode = StreamingMode::from_marker("STREAMING-UNSIGNED-PAYLOAD-TRAILER").unwrap();
/// assert_eq!(mode, StreamingMode::UnsignedWithTrailer);
/// assert!(!mode.signs_chunks() && mode.has_trailer());
/// assert_eq!(StreamingMode::from_marker("UNSIGNED-PAYLOAD"), None);
///
/// let v4a = StreamingMode::signed(Algorithm::EcdsaP256Sha256, true);
/// assert_eq!(v4a.marker(), "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER");
/// assert_eq!(v4a.chunk_algorithm(), Some(Algorithm::EcdsaP256Sha256));
/// assert!(StreamingMode::ALL.iter().all(|m| StreamingMode::from_marker(m.marker()) == Some(*m)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamingMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: SigV4-signed chunks, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: SigV4-signed chunks and a signed trailer.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks and an unsigned trailer; the data is
    /// protected only by the trailer's checksum.
    UnsignedWithTrailer,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`: SigV4a-signed chunks, no trailer.
    SignedV4a,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER`: SigV4a-signed chunks and a signed
    /// trailer.
    SignedV4aWithTrailer,
}

impl StreamingMode {
    /// Every mode.
    pub const ALL: [StreamingMode; 5] = [
        StreamingMode::Signed,
        StreamingMode::SignedWithTrailer,
        StreamingMode::UnsignedWithTrailer,
        StreamingMode::SignedV4a,
        StreamingMode::SignedV4aWithTrailer,
    ];

    /// The mode whose chunks `algorithm` signs, with or without a signed trailer.
    pub const fn signed(algorithm: Algorithm, with_trailer: bool) -> Self {
        match (algorithm, with_trailer) {
            (Algorithm::HmacSha256, false) => StreamingMode::Signed,
            (Algorithm::HmacSha256, true) => StreamingMode::SignedWithTrailer,
            (Algorithm::EcdsaP256Sha256, false) => StreamingMode::SignedV4a,
            (Algorithm::EcdsaP256Sha256, true) => StreamingMode::SignedV4aWithTrailer,
        }
    }

    /// The algorithm that signs the chunks (and trailer), `None` when they are unsigned.
    pub const fn chunk_algorithm(self) -> Option<Algorithm> {
        match self {
            StreamingMode::Signed | StreamingMode::SignedWithTrailer => Some(Algorithm::HmacSha256),
            StreamingMode::SignedV4a | StreamingMode::SignedV4aWithTrailer => {
                Some(Algorithm::EcdsaP256Sha256)
            }
            StreamingMode::UnsignedWithTrailer => None,
        }
    }

    /// The `x-amz-content-sha256` value.
    pub fn marker(self) -> &'static str {
        match self.chunk_algorithm() {
            Some(algorithm) => algorithm.signed_streaming_marker(self.has_trailer()),
            None => STREAMING_UNSIGNED_TRAILER,
        }
    }

    /// The mode an `x-amz-content-sha256` value names, if any.
    pub fn from_marker(value: &str) -> Option<Self> {
        StreamingMode::ALL.into_iter().find(|m| m.marker() == value)
    }

    /// The payload to sign the request head with. The signed modes' payloads stand for the
    /// signer's algorithm's marker, so a SigV4a signer writes this mode's marker.
    pub fn payload(self) -> Payload<'static> {
        match (self.signs_chunks(), self.has_trailer()) {
            (true, false) => Payload::StreamingSigned,
            (true, true) => Payload::StreamingSignedTrailer,
            (false, _) => Payload::StreamingUnsignedTrailer,
        }
    }

    /// Whether chunks carry signatures.
    pub fn signs_chunks(self) -> bool {
        self.chunk_algorithm().is_some()
    }

    /// Whether a trailer section follows the final chunk.
    pub fn has_trailer(self) -> bool {
        !matches!(self, StreamingMode::Signed | StreamingMode::SignedV4a)
    }
}

impl fmt::Display for StreamingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.marker())
    }
}

/// The plan of one aws-chunked upload: mode, chunk size and trailing checksum.
///
/// See the [module documentation](self) for a whole upload.
///
/// ```
/// use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
///
/// let upload = StreamingUpload::new(StreamingMode::Signed, 64 * 1024)?.with_checksum(ChecksumAlgorithm::Sha256);
/// assert_eq!(upload.mode(), StreamingMode::SignedWithTrailer);
/// assert_eq!(upload.payload().hash()?, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
/// let headers = upload.headers(1_000_000);
/// assert_eq!(headers[0], ("Content-Encoding", "aws-chunked".to_string()));
/// assert_eq!(headers[2], ("x-amz-decoded-content-length", "1000000".to_string()));
/// assert_eq!(headers[3], ("x-amz-trailer", "x-amz-checksum-sha256".to_string()));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamingUpload {
    mode: StreamingMode,
    chunk_size: usize,
    checksum: Option<ChecksumAlgorithm>,
}

impl StreamingUpload {
    /// A plan; `chunk_size` must be within `8 KiB..=16 MiB` (the last chunk may be smaller).
    pub fn new(mode: StreamingMode, chunk_size: usize) -> Result<Self> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(Error::ChunkSizeOutOfRange { value: chunk_size });
        }
        Ok(StreamingUpload {
            mode,
            chunk_size,
            checksum: None,
        })
    }

    /// Adds a trailing checksum. [`StreamingMode::Signed`] has no trailer, so a checksum turns
    /// it into [`StreamingMode::SignedWithTrailer`] (and SigV4a's likewise).
    pub fn with_checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        if let Some(signer) = self.mode.chunk_algorithm() {
            self.mode = StreamingMode::signed(signer, true);
        }
        self.checksum = Some(algorithm);
        self
    }

    /// The mode.
    pub fn mode(&self) -> StreamingMode {
        self.mode
    }

    /// The chunk size.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The trailing checksum, if any.
    pub fn checksum(&self) -> Option<ChecksumAlgorithm> {
        self.checksum
    }

    /// The payload to sign the request head with.
    pub fn payload(&self) -> Payload<'static> {
        self.mode.payload()
    }

    /// The headers to add before signing, for a body of `decoded_length` bytes:
    /// `Content-Encoding`, `Content-Length` (of the encoded body), `x-amz-decoded-content-length`
    /// and, with a checksum, `x-amz-trailer`.
    pub fn headers(&self, decoded_length: u64) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Encoding", "aws-chunked".to_owned()),
            (
                "Content-Length",
                self.encoded_length(decoded_length).to_string(),
            ),
            ("x-amz-decoded-content-length", decoded_length.to_string()),
        ];
        if let Some(alg) = self.checksum {
            headers.push(("x-amz-trailer", alg.header_name().to_owned()));
        }
        headers
    }

    /// The length of the encoded body for `decoded_length` bytes of data. It is known before
    /// signing because every signature on the wire has its algorithm's fixed width
    /// ([`Algorithm::chunk_signature_width`]: SigV4a's are padded).
    ///
    /// A length so close to `u64::MAX` that its encoding would not fit in a `u64` (no body can
    /// be that long) gives `u64::MAX` rather than a wrapped or panicking sum.
    pub fn encoded_length(&self, decoded_length: u64) -> u64 {
        let size = self.chunk_size as u64;
        let full = decoded_length / size;
        let rest = decoded_length % size;
        let mut total = full.saturating_mul(self.frame_length(size));
        if rest > 0 {
            total = total.saturating_add(self.frame_length(rest));
        }
        total.saturating_add(self.end_length())
    }

    /// One data chunk: size line, data, CRLF.
    fn frame_length(&self, size: u64) -> u64 {
        let hex_digits = u64::from((64 - size.leading_zeros()).div_ceil(4).max(1));
        let signature = self
            .signature_width()
            .map_or(0, |width| (SIGNATURE_EXTENSION.len() + width) as u64);
        hex_digits + signature + 2 + size + 2
    }

    /// The final chunk and what follows it.
    fn end_length(&self) -> u64 {
        let mut total = self.frame_length(0) - 2;
        if self.mode.has_trailer() {
            if let Some(alg) = self.checksum {
                total += (alg.header_name().len() + 1 + alg.encoded_len() + 2) as u64;
            }
            if let Some(width) = self.signature_width() {
                total += (TRAILER_SIGNATURE.len() + 1 + width + 2) as u64;
            }
        }
        total + 2
    }

    /// The width of each signature on the wire, `None` when chunks are unsigned.
    fn signature_width(&self) -> Option<usize> {
        self.mode
            .chunk_algorithm()
            .map(Algorithm::chunk_signature_width)
    }

    /// An encoder for the body of `signed`, which must have been signed with
    /// [`payload`](Self::payload).
    pub fn encoder(&self, signed: &crate::SignedRequest) -> Result<ChunkedEncoder> {
        self.encoder_from_steps(signed.steps())
    }

    /// As [`encoder`](Self::encoder), from the signature's [`Steps`](crate::Steps).
    pub fn encoder_from_steps(&self, steps: &crate::Steps) -> Result<ChunkedEncoder> {
        let line = steps.canonical_request().payload_hash();
        if line != self.mode.marker() {
            return Err(Error::PayloadMismatch {
                expected: self.mode.marker(),
                found: crate::error::shown(line),
            });
        }
        // Unsigned chunks need no chain. The marker matched, so the head's algorithm is the
        // chunks'.
        let chain = self
            .mode
            .signs_chunks()
            .then(|| SignatureChain::from_steps(steps))
            .transpose()?;
        Ok(ChunkedEncoder::new(*self, chain))
    }
}

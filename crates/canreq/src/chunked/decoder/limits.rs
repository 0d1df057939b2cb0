//! What a decoder is bounded by, and what it reports about a body it decoded whole.

use crate::chunked::{ChecksumAlgorithm, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, StreamingMode};

/// Bounds on what a decoder accepts.
///
/// ```
/// use canreq::chunked::DecodeLimits;
/// use canreq::verify::Verifier;
///
/// // A server that holds at most 1 MiB of one chunk in memory.
/// let limits = DecodeLimits { max_chunk_size: 1024 * 1024, ..DecodeLimits::default() };
/// let verifier = Verifier::new(|_: &str| None::<canreq::Credentials>).chunk_limits(limits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// In signed modes, the largest chunk (and so the most data held at once). Default 16 MiB.
    /// Unsigned chunks are not held, and any size is accepted.
    pub max_chunk_size: usize,
    /// In signed modes, the smallest chunk but the last (S3's rule). Default 8 KiB.
    pub min_chunk_size: usize,
    /// The longest chunk-size line, CRLF included. Default 256 bytes.
    pub max_size_line: usize,
    /// The longest trailer line, CRLF included. Default 1 KiB.
    pub max_trailer_line: usize,
    /// The most trailing headers (the signature not counted). Default 8.
    pub max_trailers: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_chunk_size: MAX_CHUNK_SIZE,
            min_chunk_size: MIN_CHUNK_SIZE,
            max_size_line: 256,
            max_trailer_line: 1024,
            max_trailers: 8,
        }
    }
}

/// What a completely and correctly decoded body was: [`ChunkedDecoder::finish`](crate::chunked::ChunkedDecoder::finish)'s answer. The
/// [module documentation](crate::chunked) shows one with a trailing checksum.
///
/// ```
/// # use canreq::chunked::{ChunkedDecoder, StreamingMode, StreamingUpload};
/// # use canreq::{Credentials, Request, Scope, Signer, SigningTime};
/// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// # let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20240101T000000Z")?);
/// let upload = StreamingUpload::new(StreamingMode::Signed, 8192)?;
/// let headers = upload.headers(20_000);
/// let mut request = Request::new("PUT", "/b/k").header("Host", "s3.amazonaws.com");
/// for (name, value) in &headers {
///     request.push_header(name, value);
/// }
/// let signed = signer.sign(&request, upload.payload())?;
/// let mut wire = Vec::new();
/// let mut encoder = upload.encoder(&signed)?;
/// encoder.push(&[1u8; 20_000], &mut wire);
/// encoder.finish(&mut wire);
///
/// let mut decoder = ChunkedDecoder::for_signed_request(&signed, &request)?;
/// decoder.decode(&wire, |_| {})?;
/// let body = decoder.finish()?;
/// assert_eq!((body.mode(), body.decoded_length(), body.chunks()), (StreamingMode::Signed, 20_000, 3));
/// assert!(body.trailers().is_empty() && body.checksum().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBody {
    pub(super) mode: StreamingMode,
    pub(super) decoded_length: u64,
    pub(super) chunks: u64,
    pub(super) trailers: Vec<(String, String)>,
    pub(super) checksum: Option<(ChecksumAlgorithm, String)>,
}

impl DecodedBody {
    /// The streaming mode.
    pub fn mode(&self) -> StreamingMode {
        self.mode
    }
    /// Bytes of data (equal to `x-amz-decoded-content-length`).
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }
    /// Data chunks, the final empty chunk not counted.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }
    /// The trailing headers, names lowercased, in the order received.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }
    /// The trailing checksum, checked against the data: algorithm and base64 value.
    pub fn checksum(&self) -> Option<(ChecksumAlgorithm, &str)> {
        self.checksum.as_ref().map(|(a, v)| (*a, v.as_str()))
    }
}

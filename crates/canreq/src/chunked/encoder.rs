//! The client side: frames a body as aws-chunked after the request head has been signed.

use std::fmt;

use super::chain::{ChunkSignature, SignatureChain};
use super::checksum::Checksum;
use super::{SIGNATURE_EXTENSION, StreamingUpload, TRAILER_SIGNATURE};
use crate::algorithm::Algorithm;
use crate::canonical::{HeaderRef, canonical_trailers};
use crate::error::{Error, Result};

/// The longest size line: 16 hex digits, the extension, the widest signature, CRLF.
const MAX_SIZE_LINE: usize =
    16 + SIGNATURE_EXTENSION.len() + Algorithm::EcdsaP256Sha256.chunk_signature_width() + 2;

/// Frames a body chunk by chunk. Made by [`StreamingUpload::encoder`].
///
/// Two ways to feed it: [`frame`](Self::frame) for chunks the caller already holds (it returns
/// only the size line, so the data is never copied: send the line, the chunk, then `\r\n`),
/// or [`push`](Self::push) for writes of any size (it buffers up to one chunk). Either way,
/// [`finish`](Self::finish) writes the final chunk and the trailer. Memory use is one chunk at
/// most, whatever the body size.
///
/// ```
/// # use canreq::chunked::{StreamingMode, StreamingUpload};
/// # use canreq::{Credentials, Request, Scope, Signer, SigningTime};
/// # let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// # let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20240101T000000Z")?);
/// let upload = StreamingUpload::new(StreamingMode::Signed, 8192)?;
/// let headers = upload.headers(10_000);
/// let mut request = Request::new("PUT", "/b/k").header("Host", "s3.amazonaws.com");
/// for (name, value) in &headers {
///     request.push_header(name, value);
/// }
/// let signed = signer.sign(&request, upload.payload())?;
/// let mut encoder = upload.encoder(&signed)?;
///
/// let body = vec![0u8; 10_000];
/// let mut wire = Vec::new();
/// for chunk in body.chunks(8192) {
///     let line = encoder.frame(chunk)?;
///     wire.extend_from_slice(line.as_bytes()); // "2000;chunk-signature=…\r\n"
///     wire.extend_from_slice(chunk);
///     wire.extend_from_slice(b"\r\n");
/// }
/// encoder.finish(&mut wire);
/// assert_eq!(wire.len() as u64, upload.encoded_length(10_000));
/// # Ok::<(), canreq::Error>(())
/// ```
pub struct ChunkedEncoder {
    plan: StreamingUpload,
    /// The chain the chunks are signed with; `None` only for a mode whose chunks are unsigned.
    chain: Option<SignatureChain>,
    checksum: Option<Checksum>,
    /// Data pushed but not yet framed (less than one chunk).
    pending: Vec<u8>,
    /// Set once a chunk shorter than the chunk size was framed: only the end may follow.
    short_chunk_seen: bool,
}

/// The size line of one chunk, e.g. `10000;chunk-signature=ad80…\r\n`, on the stack (SigV4a's
/// signature padded to 144 characters).
///
/// ```
/// # use canreq::chunked::{StreamingMode, StreamingUpload};
/// # use canreq::{Credentials, Request, Scope, Signer, SigningTime};
/// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// # let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20240101T000000Z")?);
/// # let upload = StreamingUpload::new(StreamingMode::Signed, 8192)?;
/// # let headers = upload.headers(8192);
/// # let mut request = Request::new("PUT", "/b/k").header("Host", "s3.amazonaws.com");
/// # for (name, value) in &headers { request.push_header(name, value); }
/// # let signed = signer.sign(&request, upload.payload())?;
/// let mut encoder = upload.encoder(&signed)?;
/// let line = encoder.frame(&[0u8; 8192])?;
/// assert!(line.as_bytes().starts_with(b"2000;chunk-signature="));
/// assert!(line.as_bytes().ends_with(b"\r\n"));
/// assert_eq!(line.as_bytes().len(), 4 + 17 + 64 + 2);
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct FrameHeader {
    bytes: [u8; MAX_SIZE_LINE],
    len: u8,
}

impl FrameHeader {
    /// The line, CRLF included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for FrameHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl ChunkedEncoder {
    pub(super) fn new(plan: StreamingUpload, chain: Option<SignatureChain>) -> Self {
        ChunkedEncoder {
            checksum: plan.checksum().map(|a| a.start()),
            plan,
            chain,
            pending: Vec::new(),
            short_chunk_seen: false,
        }
    }

    /// The upload's plan (mode, chunk size, checksum).
    pub fn plan(&self) -> StreamingUpload {
        self.plan
    }

    /// Frames one chunk of 1 to `chunk_size` bytes; only the last chunk may be shorter.
    /// Returns the size line: send it, then `chunk`, then `\r\n`.
    pub fn frame(&mut self, chunk: &[u8]) -> Result<FrameHeader> {
        self.check_chunk(chunk.len())?;
        let hash = self
            .plan
            .mode()
            .signs_chunks()
            .then(|| crate::crypto::sha256(chunk));
        Ok(self.frame_inner(chunk, hash.as_ref()))
    }

    /// As [`frame`](Self::frame), with the chunk's SHA-256 computed by the caller (see
    /// [`hash_chunks_parallel`](super::hash_chunks_parallel)).
    pub fn frame_hashed(&mut self, chunk: &[u8], sha256: &[u8; 32]) -> Result<FrameHeader> {
        self.check_chunk(chunk.len())?;
        Ok(self.frame_inner(chunk, Some(sha256)))
    }

    fn check_chunk(&mut self, len: usize) -> Result<()> {
        if len == 0 || len > self.plan.chunk_size() || self.short_chunk_seen {
            return Err(Error::ChunkSizeOutOfRange { value: len });
        }
        self.short_chunk_seen = len < self.plan.chunk_size();
        Ok(())
    }

    fn frame_inner(&mut self, chunk: &[u8], sha256: Option<&[u8; 32]>) -> FrameHeader {
        if let Some(sum) = &mut self.checksum {
            sum.update(chunk);
        }
        let chain = self
            .chain
            .as_mut()
            .filter(|_| self.plan.mode().signs_chunks());
        let signature = match (chain, sha256) {
            (Some(chain), Some(hash)) => Some(chain.sign_chunk_hash(hash)),
            (Some(chain), None) => Some(chain.sign_chunk(chunk)),
            (None, _) => None,
        };
        let mut line = String::with_capacity(MAX_SIZE_LINE);
        push_size_line(&mut line, chunk.len(), signature.as_ref());
        let mut header = FrameHeader {
            bytes: [0; MAX_SIZE_LINE],
            len: line.len() as u8,
        };
        header.bytes[..line.len()].copy_from_slice(line.as_bytes());
        header
    }

    /// Frames data of any length, appending whole chunks to `out`; less than a chunk stays
    /// buffered until more data or [`finish`](Self::finish).
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        let size = self.plan.chunk_size();
        if !self.pending.is_empty() {
            let take = (size - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < size {
                return;
            }
            let chunk = std::mem::take(&mut self.pending);
            self.emit(&chunk, out);
            self.pending = chunk;
            self.pending.clear();
        }
        while data.len() >= size {
            let (chunk, rest) = data.split_at(size);
            self.emit(chunk, out);
            data = rest;
        }
        self.pending.extend_from_slice(data);
    }

    fn emit(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        // Cannot fail: `push` only frames whole chunks, and `finish` the one short chunk.
        if let Ok(line) = self.frame(chunk) {
            out.reserve(line.as_bytes().len() + chunk.len() + 2);
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes what is still buffered, the final chunk and the trailer.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if !self.pending.is_empty() {
            let chunk = std::mem::take(&mut self.pending);
            self.emit(&chunk, out);
        }
        let mode = self.plan.mode();
        let mut end = String::with_capacity(512);
        let final_signature = self
            .chain
            .as_mut()
            .filter(|_| mode.signs_chunks())
            .map(|chain| chain.sign_chunk_hash(&crate::crypto::sha256(b"")));
        push_size_line(&mut end, 0, final_signature.as_ref());
        if !mode.has_trailer() {
            end.push_str("\r\n");
            out.extend_from_slice(end.as_bytes());
            return;
        }
        let checksum = self
            .checksum
            .take()
            .map(|sum| (sum.algorithm().header_name(), sum.finish_base64()));
        if let Some((name, value)) = &checksum {
            end.push_str(name);
            end.push(':');
            end.push_str(value);
            end.push_str("\r\n");
        }
        if let Some(chain) = self.chain.as_mut().filter(|_| mode.signs_chunks()) {
            let headers: Vec<HeaderRef<'_>> = checksum
                .iter()
                .map(|(name, value)| HeaderRef { name, value })
                .collect();
            // Our own names and base64 values: always valid header lines.
            let canonical = canonical_trailers(&headers).unwrap_or_default();
            let signature = chain.sign_trailer(&canonical);
            end.push_str(TRAILER_SIGNATURE);
            end.push(':');
            signature.write_wire(&mut end);
            end.push_str("\r\n");
        }
        end.push_str("\r\n");
        out.extend_from_slice(end.as_bytes());
    }
}

/// `<hex size>[;chunk-signature=<signature as sent>]\r\n`
fn push_size_line(out: &mut String, size: usize, signature: Option<&ChunkSignature>) {
    use std::fmt::Write;
    let _ = write!(out, "{size:x}");
    if let Some(signature) = signature {
        out.push_str(SIGNATURE_EXTENSION);
        signature.write_wire(out);
    }
    out.push_str("\r\n");
}

impl fmt::Debug for ChunkedEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedEncoder")
            .field("plan", &self.plan)
            .field("buffered", &self.pending.len())
            .finish_non_exhaustive()
    }
}

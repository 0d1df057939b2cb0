//! The outcome of verification: a pending body check, then the verified request.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::canonical::CanonicalRequest;
use crate::chunked::{ChunkedDecoder, StreamingMode};
use crate::encode::{self, Hex64};
use crate::key::{SigningKey, constant_time_eq};
use crate::sign::write_string_to_sign;
use crate::time::SigningTime;

use super::claim::{AuthLocation, CredentialShape};
use super::error::{AuthError, ErrorCode};

/// SHA-256 of the empty string (`EMPTY_SHA256`'s bytes): most API calls have no body.
const EMPTY_BODY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// How the payload of a verified request was covered by the signature.
///
/// ```
/// use canreq::verify::PayloadMode;
///
/// // What `canreq serve` reports, and what a server would log.
/// assert_eq!(PayloadMode::DeclaredSha256.as_str(), "sha256");
/// assert_eq!(PayloadMode::Unsigned.as_str(), "unsigned");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadMode {
    /// `x-amz-content-sha256` declared a hash; the body was checked against it.
    DeclaredSha256,
    /// No declaration: the body's hash was part of the canonical request.
    BodyHash,
    /// `UNSIGNED-PAYLOAD`: the body is not covered.
    Unsigned,
    /// aws-chunked: the body is checked chunk by chunk by a [`ChunkedDecoder`]
    /// (see [`Pending::into_chunked`]).
    Streaming(StreamingMode),
}

impl PayloadMode {
    /// A short name for logs and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadMode::DeclaredSha256 => "sha256",
            PayloadMode::BodyHash => "body-hash",
            PayloadMode::Unsigned => "unsigned",
            PayloadMode::Streaming(mode) => mode.marker(),
        }
    }
}

/// A request whose head has been checked; the body is still to come. Made by
/// [`Verifier::begin`](super::Verifier::begin), which also shows a whole upload.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// use canreq::verify::{PayloadMode, Verifier};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let now = SigningTime::parse("20150830T123600Z")?;
/// let req = Request::new("POST", "/").header("Host", "sqs.us-east-1.amazonaws.com");
/// let body = b"Action=ListQueues&Version=2012-11-05";
/// // No x-amz-content-sha256: the payload hash is known only once the body has been read.
/// let signed = Signer::new(&creds, Scope::new("us-east-1", "sqs")?, now).sign(&req, Payload::Bytes(body))?;
/// let mut received = req.clone();
/// for (name, value) in signed.headers() {
///     received.push_header(name, value);
/// }
///
/// let verifier = Verifier::new(|_: &str| Some(creds.clone()));
/// let mut pending = verifier.begin(&received, now).unwrap();
/// assert!(pending.needs_body_hash() && !pending.is_chunked());
/// pending.update(&body[..10]);
/// pending.update(&body[10..]);
/// let verified = pending.finish().unwrap();
/// assert_eq!(verified.payload(), PayloadMode::BodyHash);
/// # Ok::<(), canreq::Error>(())
/// ```
pub struct Pending<D> {
    pub(super) head: Head<D>,
    pub(super) hasher: Sha256,
}

/// What the head of a request decided: the verified parts, the key and the signature to
/// check. [`Verifier::verify`](super::Verifier::verify) finishes it with the whole body;
/// [`Pending`] wraps it for a body that streams.
pub(super) struct Head<D> {
    pub verified: Verified<D>,
    /// The hash `x-amz-content-sha256` declared, which the body must match.
    pub declared: Option<[u8; 32]>,
    pub key: Arc<SigningKey>,
    /// The signature as sent, when it has the 64 bytes of one and its check waits for the
    /// body's hash.
    pub provided: Option<[u8; 64]>,
    /// Whether the signature has been checked already (payload hash known from the head).
    pub checked: bool,
    /// For an aws-chunked body, the decoder that must read it (boxed: it is large, and most
    /// requests have none).
    pub chunked: Option<Box<ChunkedDecoder>>,
}

impl<D> Pending<D> {
    /// Feeds the next piece of the body. Memory use does not grow with the body.
    pub fn update(&mut self, chunk: &[u8]) {
        if self.needs_body_hash() {
            self.hasher.update(chunk);
        }
        self.head.verified.body_length += chunk.len() as u64;
    }

    /// Whether the body must be hashed at all (`UNSIGNED-PAYLOAD` needs no hash).
    pub fn needs_body_hash(&self) -> bool {
        self.head.needs_body_hash()
    }

    /// What has been verified so far (the signature, unless the payload hash comes from the body).
    pub fn verified_so_far(&self) -> &Verified<D> {
        &self.head.verified
    }

    /// Whether the body is aws-chunked, to be read through [`into_chunked`](Self::into_chunked).
    pub fn is_chunked(&self) -> bool {
        self.head.chunked.is_some()
    }

    /// For an aws-chunked body: the verified head and the decoder that checks the body chunk by
    /// chunk. Only data the decoder releases is verified, and only its `finish` vouches for
    /// the whole body.
    ///
    /// ```
    /// use canreq::verify::{Pending, PayloadMode};
    ///
    /// fn read_body<D>(pending: Pending<D>, body: &[u8]) -> Result<Vec<u8>, canreq::verify::AuthError> {
    ///     if !pending.is_chunked() {
    ///         let mut pending = pending;
    ///         pending.update(body);
    ///         pending.finish()?;
    ///         return Ok(body.to_vec());
    ///     }
    ///     let (verified, mut decoder) = pending.into_chunked()?;
    ///     assert!(matches!(verified.payload(), PayloadMode::Streaming(_)));
    ///     let mut data = Vec::new();
    ///     decoder.decode(body, |piece| data.extend_from_slice(piece))?;
    ///     decoder.finish()?;
    ///     Ok(data)
    /// }
    /// ```
    pub fn into_chunked(mut self) -> Result<(Verified<D>, ChunkedDecoder), AuthError> {
        match self.head.chunked.take() {
            Some(decoder) => Ok((self.head.verified, *decoder)),
            None => Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "The request body is not aws-chunked.",
            )),
        }
    }

    /// Ends the body: checks it against the declared hash, or computes the payload hash and
    /// checks the signature. An aws-chunked body is refused here: it must go through
    /// [`into_chunked`](Self::into_chunked), so that no unchecked chunk passes as verified.
    pub fn finish(self) -> Result<Verified<D>, AuthError> {
        let digest: [u8; 32] = self.hasher.finalize().into();
        self.head.finish_with(digest)
    }
}

impl<D> Head<D> {
    fn needs_body_hash(&self) -> bool {
        self.declared.is_some() || !self.checked
    }

    /// [`Verifier::verify`](super::Verifier::verify)'s ending: the whole body at hand, hashed
    /// in one call (cheaper than the streaming hasher for the small bodies of API calls).
    pub fn finish_whole(&mut self, body: &[u8]) -> Result<(), AuthError> {
        self.verified.body_length = body.len() as u64;
        let digest = match (self.needs_body_hash(), body.is_empty()) {
            (false, _) => [0; 32],
            (true, true) => EMPTY_BODY_SHA256,
            (true, false) => crate::key::sha256(body),
        };
        self.check_body(digest)
    }

    fn finish_with(mut self, digest: [u8; 32]) -> Result<Verified<D>, AuthError> {
        self.check_body(digest)?;
        Ok(self.verified)
    }

    /// Checks the body's digest: against the declared hash, or as the payload hash the
    /// signature is then checked with. In place, so that the verified result is moved once.
    fn check_body(&mut self, digest: [u8; 32]) -> Result<(), AuthError> {
        if self.chunked.is_some() {
            return Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "An aws-chunked body must be read through Pending::into_chunked.",
            ));
        }
        if let Some(declared) = self.declared
            && !constant_time_eq(&digest, &declared)
        {
            return Err(AuthError::new(
                ErrorCode::XAmzContentSHA256Mismatch,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
            .with_detail("ClientComputedContentSHA256", encode::hex(&declared))
            .with_detail("S3ComputedContentSHA256", encode::hex(&digest)));
        }
        if !self.checked {
            self.verified
                .canonical_request
                .replace_payload_hash(encode::Hex64::new(&digest).as_str());
            let provided = self.provided.take();
            self.check_signature(provided.as_ref().map_or(&[], |p| p.as_slice()), None)?;
        }
        Ok(())
    }

    /// Checks the signature `provided` (as sent) against the one the key gives. `scope` is
    /// the credential's scope when the caller still has it at hand (the claim's): copied from
    /// there, not from the buffer it is written into.
    pub fn check_signature(
        &mut self,
        provided: &[u8],
        scope: Option<&str>,
    ) -> Result<(), AuthError> {
        let v = &mut self.verified;
        let digest = v.canonical_request.digest();
        let (time, credential) = (v.time, v.credential);
        // After the credential, in the same buffer: the string to sign.
        v.canonical_request
            .rewrite_tail(credential.len(), |out, tail| {
                let write_scope = |out: &mut String| match scope {
                    Some(scope) => out.push_str(scope),
                    None => {
                        let range = credential.scope_range();
                        out.extend_from_within(tail + range.start..tail + range.end);
                    }
                };
                write_string_to_sign(out, time.amz_date(), write_scope, &digest);
            });
        let expected = Hex64::new(&self.key.sign(v.string_to_sign().as_bytes()));
        self.checked = true;
        // Lowercase hex only: an uppercase signature differs from `expected` here.
        if constant_time_eq(expected.digits(), provided) {
            return Ok(());
        }
        Err(AuthError::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method.",
        )
        .with_detail("AWSAccessKeyId", v.access_key_id().to_owned())
        .with_detail("StringToSign", v.string_to_sign().to_owned())
        .with_detail(
            "CanonicalRequest",
            v.canonical_request.redacted().into_owned(),
        ))
    }
}

impl<D> fmt::Debug for Pending<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("access_key_id", &self.head.verified.access_key_id())
            .field("signature_checked", &self.head.checked)
            .field("body_length", &self.head.verified.body_length)
            .finish_non_exhaustive()
    }
}

/// A verified request: who signed it and what the signature covers.
///
/// Its `Debug` form redacts the session token in the canonical request.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// use canreq::verify::{AuthLocation, PayloadMode, Verifier};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let now = SigningTime::parse("20150830T123600Z")?;
/// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
/// let signed = Signer::new(&creds, Scope::new("us-east-1", "service")?, now).sign(&req, Payload::Empty)?;
/// let mut received = req.clone();
/// for (name, value) in signed.headers() {
///     received.push_header(name, value);
/// }
///
/// let verified = Verifier::new(|_: &str| Some(creds.clone())).verify(&received, b"", now).unwrap();
/// assert_eq!(verified.access_key_id(), "AKIDEXAMPLE");
/// assert_eq!((verified.region(), verified.service()), ("us-east-1", "service"));
/// assert_eq!(verified.time(), now);
/// assert_eq!(verified.location(), AuthLocation::Header);
/// assert_eq!(verified.signed_headers(), ["host", "x-amz-date"]);
/// assert_eq!(verified.payload(), PayloadMode::BodyHash);
/// assert_eq!(verified.expires(), None);
/// // The server's own steps: the same as the signer's.
/// assert_eq!(verified.canonical_request().as_str(), signed.steps().canonical_request().as_str());
/// assert_eq!(verified.string_to_sign(), signed.steps().string_to_sign());
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct Verified<D> {
    /// The credential's parts in the canonical request's tail, which holds the credential
    /// and then (once checked) the string to sign: one buffer for the three.
    pub(super) credential: CredentialShape,
    pub(super) data: D,
    pub(super) time: SigningTime,
    pub(super) location: AuthLocation,
    pub(super) payload: PayloadMode,
    pub(super) expires: Option<u32>,
    pub(super) canonical_request: CanonicalRequest,
    pub(super) body_length: u64,
}

impl<D> Verified<D> {
    /// The access key id that signed.
    pub fn access_key_id(&self) -> &str {
        self.credential.access_key_id(self.canonical_request.tail())
    }
    /// The store's data for that key.
    pub fn data(&self) -> &D {
        &self.data
    }
    /// The region of the credential scope.
    pub fn region(&self) -> &str {
        self.credential.region(self.canonical_request.tail())
    }
    /// The service of the credential scope.
    pub fn service(&self) -> &str {
        self.credential.service(self.canonical_request.tail())
    }
    /// The signing time.
    pub fn time(&self) -> SigningTime {
        self.time
    }
    /// Header or query authentication.
    pub fn location(&self) -> AuthLocation {
        self.location
    }
    /// The signed header names, lowercase and sorted: the client's list, which the verifier
    /// checked to be the canonical request's.
    pub fn signed_headers(&self) -> Vec<&str> {
        self.canonical_request.signed_headers().split(';').collect()
    }
    /// How the payload is covered.
    pub fn payload(&self) -> PayloadMode {
        self.payload
    }
    /// For a presigned request, its `X-Amz-Expires`.
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }
    /// The canonical request the server computed.
    pub fn canonical_request(&self) -> &CanonicalRequest {
        &self.canonical_request
    }
    /// The string to sign the server computed.
    pub fn string_to_sign(&self) -> &str {
        self.credential.after(self.canonical_request.tail())
    }
    /// Bytes of body seen.
    pub fn body_length(&self) -> u64 {
        self.body_length
    }
    /// The credential scope, `YYYYMMDD/REGION/SERVICE/aws4_request`.
    pub(super) fn scope(&self) -> &str {
        self.credential.scope(self.canonical_request.tail())
    }
}

impl<D: fmt::Debug> fmt::Debug for Verified<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id())
            .field("data", &self.data)
            .field("region", &self.region())
            .field("service", &self.service())
            .field("time", &self.time)
            .field("location", &self.location)
            .field("signed_headers", &self.canonical_request.signed_headers())
            .field("payload", &self.payload)
            .field("expires", &self.expires)
            .field("canonical_request", &self.canonical_request.redacted())
            .field("body_length", &self.body_length)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn empty_body_digest_is_the_empty_sha256() {
        assert_eq!(
            crate::encode::hex(&super::EMPTY_BODY_SHA256),
            crate::EMPTY_SHA256
        );
    }
}

//! What the head of a request leaves to check: [`Begun`] says which body rule applies, and each
//! of its states offers only the calls that make sense in it.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::chunked::{ChunkedDecoder, DecodedBody};
use crate::crypto::constant_time_eq;
use crate::encode::{self, Hex64};
use crate::refusal::{AuthError, ErrorCode};
use crate::sign::{KeyUsed, write_string_to_sign};

use super::verified::Verified;

/// SHA-256 of the empty string (`EMPTY_SHA256`'s bytes): most API calls have no body.
const EMPTY_BODY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The longest signature kept while the body is read: SigV4a's DER-encoded ECDSA signature in
/// hex. A longer one cannot match, and is not kept.
const MAX_SIGNATURE_LEN: usize = 2 * crate::crypto::ecdsa::MAX_DER_LEN;

/// A signature as sent, kept while the body is read: SigV4's 64 digits in place, any other of
/// a length that could match (SigV4a's) on the heap.
pub(super) enum KeptSignature {
    Hex64([u8; 64]),
    Other(Box<[u8]>),
}

impl KeptSignature {
    pub fn of(sent: &str) -> Self {
        match <[u8; 64]>::try_from(sent.as_bytes()) {
            Ok(digits) => KeptSignature::Hex64(digits),
            Err(_) if sent.len() <= MAX_SIGNATURE_LEN => {
                KeptSignature::Other(sent.as_bytes().into())
            }
            Err(_) => KeptSignature::Other(Box::default()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            KeptSignature::Hex64(digits) => digits,
            KeptSignature::Other(bytes) => bytes,
        }
    }
}

/// A request whose head passed [`Verifier::begin`](super::Verifier::begin), by what its body
/// still needs. Nothing of a body is trusted until the state that reads it says so.
///
/// ```
/// use canreq::verify::{AuthError, Begun, PayloadMode};
///
/// /// Reads a whole body through whatever the head requires; returns the verified data.
/// fn read_body<D>(begun: Begun<D>, body: &[u8]) -> Result<Vec<u8>, AuthError> {
///     match begun {
///         Begun::Done(_verified) => Ok(body.to_vec()), // UNSIGNED-PAYLOAD: not covered
///         Begun::Whole(mut pending) => {
///             pending.update(body);
///             pending.finish()?;
///             Ok(body.to_vec())
///         }
///         Begun::Chunked(mut pending) => {
///             let mut data = Vec::new();
///             pending.decode(body, |piece| data.extend_from_slice(piece))?;
///             let (verified, _summary) = pending.finish()?;
///             assert!(matches!(verified.payload(), PayloadMode::Streaming(_)));
///             Ok(data)
///         }
///     }
/// }
/// ```
#[derive(Debug)]
pub enum Begun<D> {
    /// The body must be read through [`Pending`], which checks it against the declared hash,
    /// or hashes it to check the signature.
    Whole(Pending<D>),
    /// An aws-chunked body: read through [`PendingChunks`], which checks every chunk's
    /// signature before releasing its data.
    Chunked(PendingChunks<D>),
    /// Nothing more to check: the signature matched and does not cover the body
    /// (`UNSIGNED-PAYLOAD`).
    Done(Verified<D>),
}

impl<D> Begun<D> {
    /// The access key id the request claims (its signature may not be checked yet), for logs.
    pub fn access_key_id(&self) -> &str {
        match self {
            Begun::Whole(pending) => pending.access_key_id(),
            Begun::Chunked(pending) => pending.head().access_key_id(),
            Begun::Done(verified) => verified.access_key_id(),
        }
    }
}

/// A body still to be read whole: streamed through [`update`](Self::update), judged by
/// [`finish`](Self::finish). Made by [`Verifier::begin`](super::Verifier::begin), which shows
/// a whole upload.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// use canreq::verify::{Begun, PayloadMode, Verifier};
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
/// let Begun::Whole(mut pending) = verifier.begin(&received, now).unwrap() else { unreachable!() };
/// assert!(!pending.signature_checked());
/// assert!(pending.checked_head().is_none()); // not until the body is hashed
/// pending.update(&body[..10]);
/// pending.update(&body[10..]);
/// assert_eq!(pending.body_length(), body.len() as u64);
/// let verified = pending.finish().unwrap();
/// assert_eq!(verified.payload(), PayloadMode::BodyHash);
/// # Ok::<(), canreq::Error>(())
/// ```
pub struct Pending<D> {
    head: Head<D>,
    hasher: Sha256,
    body_length: u64,
}

impl<D> Pending<D> {
    pub(super) fn new(head: Head<D>) -> Self {
        Pending {
            head,
            hasher: Sha256::new(),
            body_length: 0,
        }
    }

    /// Feeds the next piece of the body. Memory use does not grow with the body.
    pub fn update(&mut self, piece: &[u8]) {
        self.hasher.update(piece);
        self.body_length += piece.len() as u64;
    }

    /// Bytes of body fed so far.
    pub fn body_length(&self) -> u64 {
        self.body_length
    }

    /// Whether the signature was checked from the head already (a declared
    /// `x-amz-content-sha256`), so that only the body's hash is left to compare; `false` when
    /// the signature itself waits for the body's hash.
    pub fn signature_checked(&self) -> bool {
        matches!(self.head.body, BodyRule::HashTo(_))
    }

    /// The request's head when its signature has been checked already
    /// ([`signature_checked`](Self::signature_checked)): who signed it, for what scope, so a
    /// server can apply its own policy before the body is read. `None` while the signature
    /// waits for the body. The body itself is vouched for only by [`finish`](Self::finish).
    pub fn checked_head(&self) -> Option<&Verified<D>> {
        self.signature_checked().then_some(&self.head.verified)
    }

    /// The access key id the request claims (checked only once [`finish`](Self::finish) is
    /// `Ok`, unless [`signature_checked`](Self::signature_checked)), for logs.
    pub fn access_key_id(&self) -> &str {
        self.head.verified.access_key_id()
    }

    /// Ends the body: checks it against the declared hash, or computes the payload hash and
    /// checks the signature.
    pub fn finish(self) -> Result<Verified<D>, AuthError> {
        let digest: [u8; 32] = self.hasher.finalize().into();
        let mut head = self.head;
        head.check_body(&digest)?;
        Ok(head.verified)
    }
}

impl<D> fmt::Debug for Pending<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("access_key_id", &self.access_key_id())
            .field("signature_checked", &self.signature_checked())
            .field("body_length", &self.body_length)
            .finish_non_exhaustive()
    }
}

/// An aws-chunked body still to be read. The head's signature matched (it seeds the chunk
/// chain); each chunk's data is released only after its own signature matched, and only
/// [`finish`](Self::finish) vouches for the whole body (final chunk, trailer, checksum).
pub struct PendingChunks<D> {
    head: Verified<D>,
    // Boxed: a decoder is large, and most requests are not aws-chunked.
    decoder: Box<ChunkedDecoder>,
}

impl<D> PendingChunks<D> {
    pub(super) fn new(head: Verified<D>, decoder: Box<ChunkedDecoder>) -> Self {
        PendingChunks { head, decoder }
    }

    /// The verified head. The body is not verified by it.
    pub fn head(&self) -> &Verified<D> {
        &self.head
    }

    /// Reads the next piece of the encoded body, calling `release` with data that has been
    /// verified; see [`ChunkedDecoder::decode`].
    pub fn decode(&mut self, input: &[u8], release: impl FnMut(&[u8])) -> Result<(), AuthError> {
        self.decoder.decode(input, release)
    }

    /// Data bytes released so far.
    pub fn decoded_so_far(&self) -> u64 {
        self.decoder.decoded_so_far()
    }

    /// Ends the body: the final chunk, the trailer's signature and checksum. Only now is the
    /// request verified.
    pub fn finish(self) -> Result<(Verified<D>, DecodedBody), AuthError> {
        let summary = self.decoder.finish()?;
        Ok((self.head, summary))
    }
}

impl<D> fmt::Debug for PendingChunks<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingChunks")
            .field("access_key_id", &self.head.access_key_id())
            .field("decoded_so_far", &self.decoded_so_far())
            .finish_non_exhaustive()
    }
}

/// What the head decided: the request's verified parts (its signature checked unless the rule
/// says it waits), the key, and what the body still needs.
pub(super) struct Head<D> {
    pub verified: Verified<D>,
    pub key: KeyUsed,
    pub body: BodyRule,
}

/// What a body needs once the head is checked.
pub(super) enum BodyRule {
    /// Nothing: the signature matched and covers no body, or covered the body given with the head.
    Nothing,
    /// The signature matched; the body must hash to this declared `x-amz-content-sha256`.
    HashTo([u8; 32]),
    /// The body's hash is the canonical request's last line: the signature, as sent, is checked
    /// once the hash is known.
    SignatureAwaits(KeptSignature),
    /// aws-chunked: the head's signature matched and seeds this decoder's chain.
    Chunked(Box<ChunkedDecoder>),
}

impl<D> Head<D> {
    /// The state [`Verifier::begin`](super::Verifier::begin) hands out.
    pub fn into_begun(self) -> Begun<D> {
        match self.body {
            BodyRule::Nothing => Begun::Done(self.verified),
            BodyRule::Chunked(decoder) => {
                Begun::Chunked(PendingChunks::new(self.verified, decoder))
            }
            BodyRule::HashTo(_) | BodyRule::SignatureAwaits(_) => Begun::Whole(Pending::new(self)),
        }
    }

    /// [`Verifier::verify`](super::Verifier::verify)'s ending: the whole body at hand.
    pub fn finish_whole(mut self, body: &[u8]) -> Result<Verified<D>, AuthError> {
        if let BodyRule::Chunked(_) = self.body {
            return Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "An aws-chunked body must be read through Verifier::begin and its decoder.",
            ));
        }
        if let BodyRule::HashTo(_) | BodyRule::SignatureAwaits(_) = self.body {
            let digest = if body.is_empty() {
                EMPTY_BODY_SHA256
            } else {
                crate::crypto::sha256(body)
            };
            self.check_body(&digest)?;
        }
        Ok(self.verified)
    }

    /// Checks the body's digest: against the declared hash, or as the payload hash the
    /// signature is then checked with.
    fn check_body(&mut self, digest: &[u8; 32]) -> Result<(), AuthError> {
        match std::mem::replace(&mut self.body, BodyRule::Nothing) {
            BodyRule::HashTo(declared) if !constant_time_eq(digest, &declared) => {
                Err(AuthError::new(
                    ErrorCode::XAmzContentSHA256Mismatch,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
                .with_detail("ClientComputedContentSHA256", encode::hex(&declared))
                .with_detail("S3ComputedContentSHA256", encode::hex(digest)))
            }
            BodyRule::SignatureAwaits(provided) => {
                self.verified
                    .canonical_request
                    .replace_payload_hash(Hex64::new(digest).as_str());
                check_signature(&mut self.verified, &self.key, provided.as_bytes())
            }
            _ => Ok(()),
        }
    }
}

/// Writes the string to sign of `verified`'s canonical request and checks the signature
/// `provided` (as sent): compared with the one SigV4's key gives, or verified with SigV4a's
/// public key.
pub(super) fn check_signature<D>(
    verified: &mut Verified<D>,
    key: &KeyUsed,
    provided: &[u8],
) -> Result<(), AuthError> {
    let digest = verified.canonical_request.digest();
    let scope = verified.shape.scope(&verified.credential);
    let mut string_to_sign = String::with_capacity(crate::sign::string_to_sign_len(
        verified.algorithm,
        scope.len(),
    ));
    write_string_to_sign(
        &mut string_to_sign,
        verified.algorithm,
        verified.time.amz_date(),
        |out| out.push_str(scope),
        &digest,
    );
    verified.string_to_sign = string_to_sign;
    let string_to_sign = verified.string_to_sign.as_bytes();
    // Lowercase hex only: an uppercase signature differs from `expected` here, and SigV4a's
    // public key reads lowercase hex only.
    let matched = match key {
        KeyUsed::Hmac(key) => {
            let expected = Hex64::new(&key.sign(string_to_sign));
            constant_time_eq(expected.digits(), provided)
        }
        KeyUsed::Ecdsa(key) => std::str::from_utf8(provided)
            .is_ok_and(|signature| key.public_key().verify(string_to_sign, signature)),
    };
    if matched {
        return Ok(());
    }
    Err(AuthError::new(
        ErrorCode::SignatureDoesNotMatch,
        "The request signature we calculated does not match the signature you provided. \
         Check your key and signing method.",
    )
    .with_detail("AWSAccessKeyId", verified.access_key_id().to_owned())
    .with_detail("StringToSign", verified.string_to_sign.clone())
    .with_detail(
        "CanonicalRequest",
        verified.canonical_request.redacted().into_owned(),
    ))
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

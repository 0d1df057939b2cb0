//! The signature chain of a signed aws-chunked body.
//!
//! Each chunk's signature signs the previous signature (the request's for the first chunk)
//! and the chunk's SHA-256, so chunks cannot be changed, dropped, reordered or taken from
//! another upload without breaking every later link. The trailer's signature continues the
//! chain from the final (empty) chunk. Encoder and decoder both go through this one type, for
//! both algorithms: only the key and the width of a signature on the wire differ.

use std::fmt;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::crypto::ecdsa::MAX_DER_LEN;
use crate::crypto::{constant_time_eq, sha256};
use crate::encode;
use crate::error::{Error, Result, shown};
use crate::key::{EcdsaKey, SigningKey};
use crate::settings::EMPTY_SHA256;
use crate::sign::KeyUsed;
use crate::time::SigningTime;

/// What pads a SigV4a chunk or trailer signature to its fixed width on the wire.
const PADDING: u8 = b'*';

/// The running signature chain: signing key, time, scope and the previous signature.
///
/// # SigV4a chunks, as aws-c-auth signs them
///
/// No public AWS document describes SigV4a's chunk signatures, and no open-source peer signs
/// them but the AWS Common Runtime, so this follows aws-c-auth: `source/aws_signing.c` (the
/// string-to-sign builders and `s_add_signature_property_to_result_set`, which pads), its tests
/// `sigv4a_chunked_signing_test` and `sigv4a_trailing_headers_signing_test` in
/// `tests/test_chunked_signing.c` (which spell out the expected strings to sign), and the SDKs'
/// CRT-based SigV4a chunk signers (the Java SDK's `AwsS3V4aChunkSigner`):
///
/// - A chunk's string to sign has SigV4's shape with SigV4a's names:
///   `AWS4-ECDSA-P256-SHA256-PAYLOAD`, the `X-Amz-Date`, the credential scope *without a
///   region* (`20130524/s3/aws4_request`), the previous signature in hex, the SHA-256 of the
///   empty string, then the chunk's SHA-256 (the final, empty chunk's is the empty string's
///   again). The trailer's is
///   `AWS4-ECDSA-P256-SHA256-TRAILER`, date, scope, previous signature, then the SHA-256 of the
///   canonical trailers (`name:value\n` each), as for SigV4.
/// - Each is signed like the request head: ECDSA P-256 over the string's SHA-256 with the key
///   derived from the credentials, DER-encoded, in lowercase hex.
/// - On the wire (`;chunk-signature=`, `x-amz-trailer-signature:`) aws-c-auth pads that hex on
///   the right with `*` to 144 characters (`MAX_ECDSA_P256_SIGNATURE_AS_HEX_LENGTH`, twice the
///   72-byte longest DER signature; the padding byte is `AWS_SIGV4A_SIGNATURE_PADDING_BYTE`). The
///   request's own signature (the seed) is not padded.
/// - When a signature becomes the next link's "previous signature", the padding is trimmed
///   (`aws_trim_padded_sigv4a_signature`, in the chunk, trailer and event string-to-sign
///   builders): the chain carries bare hex.
/// - With every signature 144 characters wide, the encoded length is known before anything is
///   signed: the SDKs' CRT-based SigV4a chunk signers compute `Content-Length` with a fixed
///   signature length of 144 (SigV4's 64), exactly as for SigV4 otherwise.
///
/// ECDSA signatures need not be deterministic (AWS's signers randomize them; this crate's use
/// RFC 6979 nonces), so a verifier cannot recompute one: it checks the claimed signature over
/// the string to sign with the public key, then chains from the claimed one.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use canreq::chunked::SignatureChain;
/// use canreq::{SigningKey, SigningTime};
///
/// // The Amazon S3 documentation's chunked upload example.
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
/// let mut chain = SignatureChain::new(
///     Arc::new(key),
///     SigningTime::parse("20130524T000000Z")?,
///     "20130524/us-east-1/s3/aws4_request",
///     "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
/// )?;
/// let first = chain.sign_chunk(&[b'a'; 65536]);
/// assert_eq!(first.as_str(), "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct SignatureChain {
    key: KeyUsed,
    /// `X-Amz-Date`, newline, credential scope, newline: the middle of every string to sign.
    time_and_scope: String,
    previous: ChunkSignature,
    /// The string to sign being built; kept to avoid an allocation per chunk.
    scratch: String,
}

impl SignatureChain {
    /// A SigV4 chain starting from the request's (seed) signature, given as 64 lowercase hex
    /// digits.
    pub fn new(
        key: Arc<SigningKey>,
        time: SigningTime,
        credential_scope: &str,
        seed_signature: &str,
    ) -> Result<Self> {
        Self::parsed(KeyUsed::Hmac(key), time, credential_scope, seed_signature)
    }

    /// A SigV4a chain starting from the request's (seed) signature, its DER in lowercase hex
    /// (as in `Authorization`); `credential_scope` is SigV4a's, without a region.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use canreq::chunked::SignatureChain;
    /// use canreq::{Algorithm, EcdsaKey, SigningTime};
    ///
    /// let key = Arc::new(EcdsaKey::derive("AKIDEXAMPLE", "secret")?);
    /// let seed = key.sign(b"the request's string to sign");
    /// let time = SigningTime::parse("20130524T000000Z")?;
    /// let mut signer = SignatureChain::sigv4a(Arc::clone(&key), time, "20130524/s3/aws4_request", &seed)?;
    /// let mut checker = signer.clone();
    /// let signature = signer.sign_chunk(b"data");
    /// assert_eq!(signature.algorithm(), Algorithm::EcdsaP256Sha256);
    /// assert_eq!(signature.to_wire().len(), 144);
    /// assert!(signature.to_wire().starts_with(&signature.as_str()));
    /// // A verifier checks the signature rather than making it again.
    /// assert!(!checker.check_chunk(b"datA", &signature));
    /// assert!(checker.check_chunk(b"data", &signature));
    /// assert_eq!(checker.previous(), signature);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn sigv4a(
        key: Arc<EcdsaKey>,
        time: SigningTime,
        credential_scope: &str,
        seed_signature: &str,
    ) -> Result<Self> {
        Self::parsed(KeyUsed::Ecdsa(key), time, credential_scope, seed_signature)
    }

    fn parsed(
        key: KeyUsed,
        time: SigningTime,
        credential_scope: &str,
        seed_signature: &str,
    ) -> Result<Self> {
        let seed =
            ChunkSignature::from_hex(algorithm_of(&key), seed_signature).ok_or_else(|| {
                Error::InvalidPayloadHash {
                    value: shown(seed_signature),
                }
            })?;
        Ok(Self::from_seed(key, time, credential_scope, seed))
    }

    /// A chain from a checked seed of the key's algorithm.
    pub(crate) fn from_seed(
        key: KeyUsed,
        time: SigningTime,
        credential_scope: &str,
        seed: ChunkSignature,
    ) -> Self {
        let time_and_scope = format!("{}\n{credential_scope}\n", time.amz_date());
        let algorithm = algorithm_of(&key);
        SignatureChain {
            scratch: String::with_capacity(
                algorithm.trailer_name().len()
                    + 1
                    + time_and_scope.len()
                    + 2 * MAX_DER_LEN
                    + 2 * 64
                    + 3,
            ),
            key,
            time_and_scope,
            previous: seed,
        }
    }

    /// The chain of a request this process signed: its key, time, scope and signature.
    pub(crate) fn from_steps(steps: &crate::Steps) -> Result<Self> {
        steps.algorithm().require_chunk_signing()?;
        Self::parsed(
            steps.key_used(),
            steps.time(),
            steps.credential_scope(),
            steps.signature(),
        )
    }

    /// Signs the next chunk and makes its signature the previous one.
    pub fn sign_chunk(&mut self, data: &[u8]) -> ChunkSignature {
        self.sign_chunk_hash(&sha256(data))
    }

    /// Signs the next chunk given its SHA-256 (computed elsewhere, e.g. on another thread).
    pub fn sign_chunk_hash(&mut self, data_sha256: &[u8; 32]) -> ChunkSignature {
        self.write_chunk_string(data_sha256);
        self.sign_scratch()
    }

    /// Signs the trailer, given its canonical form (`name:value\n` per header, sorted).
    pub fn sign_trailer(&mut self, canonical_trailers: &str) -> ChunkSignature {
        self.write_trailer_string(canonical_trailers);
        self.sign_scratch()
    }

    /// Whether `claimed` is the next chunk's signature for `data`; if so it becomes the
    /// previous one, else the chain stays where it was.
    pub fn check_chunk(&mut self, data: &[u8], claimed: &ChunkSignature) -> bool {
        self.check_chunk_hash(&sha256(data), claimed)
    }

    /// [`check_chunk`](Self::check_chunk) given the chunk's SHA-256.
    pub fn check_chunk_hash(&mut self, data_sha256: &[u8; 32], claimed: &ChunkSignature) -> bool {
        self.write_chunk_string(data_sha256);
        self.check_scratch(claimed)
    }

    /// Whether `claimed` is the trailer's signature for `canonical_trailers`.
    pub fn check_trailer(&mut self, canonical_trailers: &str, claimed: &ChunkSignature) -> bool {
        self.write_trailer_string(canonical_trailers);
        self.check_scratch(claimed)
    }

    /// The last signature of the chain (the seed before any chunk).
    pub fn previous(&self) -> ChunkSignature {
        self.previous
    }

    /// The chain's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        algorithm_of(&self.key)
    }

    fn write_chunk_string(&mut self, data_sha256: &[u8; 32]) {
        self.write_link(self.algorithm().chunk_name(), |s| {
            s.push_str(EMPTY_SHA256);
            s.push('\n');
            encode::hex_into(s, data_sha256);
        });
    }

    fn write_trailer_string(&mut self, canonical_trailers: &str) {
        let digest = sha256(canonical_trailers.as_bytes());
        self.write_link(self.algorithm().trailer_name(), |s| {
            encode::hex_into(s, &digest)
        });
    }

    /// The string to sign of the next link, into `scratch`: its first line, time and scope,
    /// the previous signature (bare hex, never padded), then `tail`.
    fn write_link(&mut self, first_line: &str, tail: impl FnOnce(&mut String)) {
        let s = &mut self.scratch;
        s.clear();
        s.push_str(first_line);
        s.push('\n');
        s.push_str(&self.time_and_scope);
        encode::hex_into(s, self.previous.as_bytes());
        s.push('\n');
        tail(s);
    }

    fn sign_scratch(&mut self) -> ChunkSignature {
        let message = self.scratch.as_bytes();
        self.previous = match &self.key {
            KeyUsed::Hmac(key) => ChunkSignature(Raw::Hmac(key.sign(message))),
            KeyUsed::Ecdsa(key) => ChunkSignature::from_der(key.sign_der(message).as_bytes()),
        };
        self.previous
    }

    fn check_scratch(&mut self, claimed: &ChunkSignature) -> bool {
        let message = self.scratch.as_bytes();
        let matches = match (&self.key, &claimed.0) {
            (KeyUsed::Hmac(key), Raw::Hmac(claimed)) => {
                constant_time_eq(&key.sign(message), claimed)
            }
            (KeyUsed::Ecdsa(key), Raw::Ecdsa { .. }) => {
                key.public_key().verify_der(message, claimed.as_bytes())
            }
            _ => false,
        };
        if matches {
            self.previous = *claimed;
        }
        matches
    }
}

fn algorithm_of(key: &KeyUsed) -> Algorithm {
    match key {
        KeyUsed::Hmac(_) => Algorithm::HmacSha256,
        KeyUsed::Ecdsa(_) => Algorithm::EcdsaP256Sha256,
    }
}

impl fmt::Debug for SignatureChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureChain")
            .field("algorithm", &self.algorithm())
            .field("time_and_scope", &self.time_and_scope)
            .field("previous", &self.previous())
            .finish_non_exhaustive()
    }
}

/// One signature of the chain: SigV4's 32-byte HMAC or SigV4a's DER-encoded ECDSA signature,
/// held inline (no allocation per chunk).
///
/// ```
/// use std::sync::Arc;
/// use canreq::chunked::SignatureChain;
/// use canreq::{SigningKey, SigningTime};
///
/// let key = Arc::new(SigningKey::derive("secret", "20130524", "us-east-1", "s3"));
/// let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
/// let mut chain = SignatureChain::new(key, SigningTime::parse("20130524T000000Z")?, "20130524/us-east-1/s3/aws4_request", seed)?;
/// assert_eq!(chain.previous().as_str(), seed);
/// let next = chain.sign_chunk(b"data");
/// assert_eq!(next, chain.previous());
/// assert_eq!(next.to_string(), next.as_str());
/// assert_eq!(next.to_wire(), next.as_str());
/// assert_eq!(next.as_bytes().len(), 32);
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkSignature(Raw);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Raw {
    Hmac([u8; 32]),
    /// The DER bytes, then zeros (so that the derived equality compares the signature only).
    Ecdsa {
        der: [u8; MAX_DER_LEN],
        len: u8,
    },
}

impl ChunkSignature {
    /// The algorithm that made it.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            Raw::Hmac(_) => Algorithm::HmacSha256,
            Raw::Ecdsa { .. } => Algorithm::EcdsaP256Sha256,
        }
    }

    /// The raw bytes: SigV4's 32-byte HMAC, SigV4a's DER encoding.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Raw::Hmac(bytes) => bytes,
            Raw::Ecdsa { der, len } => &der[..usize::from(*len)],
        }
    }

    /// Lowercase hex, as it stands in the next link's string to sign.
    pub fn as_str(&self) -> String {
        encode::hex(self.as_bytes())
    }

    /// As sent in `;chunk-signature=` and `x-amz-trailer-signature`: the hex, padded to
    /// [`Algorithm::chunk_signature_width`] with `*` for SigV4a.
    pub fn to_wire(&self) -> String {
        let mut out = String::with_capacity(self.algorithm().chunk_signature_width());
        self.write_wire(&mut out);
        out
    }

    pub(crate) fn write_wire(&self, out: &mut String) {
        let start = out.len();
        encode::hex_into(out, self.as_bytes());
        let width = self.algorithm().chunk_signature_width();
        for _ in out.len() - start..width {
            out.push(char::from(PADDING));
        }
    }

    /// A signature of `algorithm` from its bare lowercase hex (a request's signature, the seed):
    /// SigV4's 64 digits, SigV4a's DER of 1 to 72 bytes.
    pub(crate) fn from_hex(algorithm: Algorithm, hex: &str) -> Option<Self> {
        match algorithm {
            Algorithm::HmacSha256 => {
                let mut bytes = [0u8; 32];
                encode::parse_lower_hex(hex, &mut bytes).then_some(ChunkSignature(Raw::Hmac(bytes)))
            }
            Algorithm::EcdsaP256Sha256 => {
                let mut der = [0u8; MAX_DER_LEN];
                let len = hex.len() / 2;
                let bytes = der.get_mut(..len).filter(|_| len > 0)?;
                encode::parse_lower_hex(hex, bytes).then_some(ChunkSignature(Raw::Ecdsa {
                    der,
                    len: len as u8,
                }))
            }
        }
    }

    /// A signature of `algorithm` as sent on the wire, exactly [`to_wire`](Self::to_wire)'s
    /// form: one encoding per signature, so that no changed byte goes unnoticed.
    pub(crate) fn from_wire(algorithm: Algorithm, text: &[u8]) -> Option<Self> {
        if text.len() != algorithm.chunk_signature_width() {
            return None;
        }
        let hex_len = text
            .iter()
            .position(|&b| b == PADDING)
            .unwrap_or(text.len());
        let (hex, padding) = text.split_at(hex_len);
        if !padding.iter().all(|&b| b == PADDING) {
            return None;
        }
        Self::from_hex(algorithm, std::str::from_utf8(hex).ok()?)
    }

    /// What [`from_wire`](Self::from_wire) accepts, for messages.
    pub(crate) fn wire_form(algorithm: Algorithm) -> &'static str {
        match algorithm {
            Algorithm::HmacSha256 => "64 lowercase hex digits",
            Algorithm::EcdsaP256Sha256 => {
                "a DER signature in lowercase hex, padded with '*' to 144 characters"
            }
        }
    }

    fn from_der(bytes: &[u8]) -> Self {
        let mut der = [0u8; MAX_DER_LEN];
        // p256's DER signatures are at most MAX_DER_LEN bytes long.
        let len = bytes.len().min(MAX_DER_LEN);
        der[..len].copy_from_slice(&bytes[..len]);
        ChunkSignature(Raw::Ecdsa {
            der,
            len: len as u8,
        })
    }
}

impl fmt::Debug for ChunkSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl fmt::Display for ChunkSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sigv4a_signature_has_one_wire_form() {
        let signature = ChunkSignature::from_der(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
        let wire = signature.to_wire();
        assert_eq!(wire.len(), 144);
        assert_eq!(&wire[..16], "3006020101020102");
        assert!(wire[16..].bytes().all(|b| b == b'*'));
        let parse =
            |text: &str| ChunkSignature::from_wire(Algorithm::EcdsaP256Sha256, text.as_bytes());
        assert_eq!(parse(&wire), Some(signature));
        assert_eq!(parse(&wire[..143]), None, "too short");
        assert_eq!(parse(&format!("{wire}*")), None, "too long");
        assert_eq!(
            parse(&wire.replacen("30", "3", 1).replacen('*', "**", 1)),
            None,
            "odd hex"
        );
        assert_eq!(parse(&wire.replace('3', "A")), None, "upper-case hex");
        let mut gap = wire.clone().into_bytes();
        gap[20] = b'0';
        assert_eq!(
            parse(std::str::from_utf8(&gap).unwrap()),
            None,
            "hex after the padding"
        );
        assert_eq!(parse(&"*".repeat(144)), None, "no signature at all");
        // SigV4's wire form is its hex, and the two never parse as each other.
        let hmac = ChunkSignature(Raw::Hmac([7; 32]));
        assert_eq!(hmac.to_wire(), hmac.as_str());
        assert_eq!(
            ChunkSignature::from_wire(Algorithm::HmacSha256, hmac.to_wire().as_bytes()),
            Some(hmac)
        );
        assert_eq!(
            ChunkSignature::from_wire(Algorithm::HmacSha256, wire.as_bytes()),
            None
        );
    }
}

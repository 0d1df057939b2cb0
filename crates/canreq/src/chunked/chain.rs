//! The signature chain of a signed aws-chunked body.
//!
//! Each chunk's signature signs the previous signature (the request's for the first chunk)
//! and the chunk's SHA-256, so chunks cannot be changed, dropped, reordered or taken from
//! another upload without breaking every later link. The trailer's signature continues the
//! chain from the final (empty) chunk. Encoder and decoder both go through this one type.

use std::fmt;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::crypto::sha256;
use crate::encode;
use crate::error::{Error, Result, shown};
use crate::key::SigningKey;
use crate::settings::EMPTY_SHA256;
use crate::time::SigningTime;

/// The running signature chain: signing key, time, scope and the previous signature.
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
    algorithm: Algorithm,
    key: Arc<SigningKey>,
    /// `X-Amz-Date`, newline, credential scope, newline: the middle of every string to sign.
    time_and_scope: String,
    previous: [u8; 32],
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
        Self::for_algorithm(
            Algorithm::HmacSha256,
            key,
            time,
            credential_scope,
            seed_signature,
        )
    }

    /// [`new`](Self::new) for the chunk signatures of `algorithm`; one whose chunk signing this
    /// crate does not implement (SigV4a's, for now) is refused by name.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use canreq::chunked::SignatureChain;
    /// use canreq::{Algorithm, Error, SigningKey, SigningTime};
    ///
    /// let key = Arc::new(SigningKey::derive("secret", "20130524", "us-east-1", "s3"));
    /// let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    /// let time = SigningTime::parse("20130524T000000Z")?;
    /// let err = SignatureChain::for_algorithm(Algorithm::EcdsaP256Sha256, key, time, "20130524/s3/aws4_request", seed)
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::UnsupportedChunkSigning { .. }));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn for_algorithm(
        algorithm: Algorithm,
        key: Arc<SigningKey>,
        time: SigningTime,
        credential_scope: &str,
        seed_signature: &str,
    ) -> Result<Self> {
        algorithm.require_chunk_signing()?;
        let mut seed = [0u8; 32];
        if !encode::parse_lower_hex(seed_signature, &mut seed) {
            return Err(Error::InvalidPayloadHash {
                value: shown(seed_signature),
            });
        }
        Ok(Self::from_seed(
            key,
            algorithm,
            time,
            credential_scope,
            seed,
        ))
    }

    /// A chain from a checked seed; `algorithm` is one the caller has checked is supported.
    pub(crate) fn from_seed(
        key: Arc<SigningKey>,
        algorithm: Algorithm,
        time: SigningTime,
        credential_scope: &str,
        seed: [u8; 32],
    ) -> Self {
        let time_and_scope = format!("{}\n{credential_scope}\n", time.amz_date());
        SignatureChain {
            scratch: String::with_capacity(
                algorithm.trailer_name().len() + 1 + time_and_scope.len() + 200,
            ),
            algorithm,
            key,
            time_and_scope,
            previous: seed,
        }
    }

    /// The chain of a request this process signed: its key, time, scope and signature.
    pub(crate) fn from_steps(steps: &crate::Steps) -> Result<Self> {
        steps.algorithm().require_chunk_signing()?;
        let key = steps
            .signing_key_shared()
            .ok_or(Error::UnsupportedChunkSigning {
                name: steps.algorithm().name(),
            })?;
        Ok(Self::from_seed(
            key,
            steps.algorithm(),
            steps.time(),
            steps.credential_scope(),
            steps.signature_bytes(),
        ))
    }

    /// Signs the next chunk and makes its signature the previous one.
    pub fn sign_chunk(&mut self, data: &[u8]) -> ChunkSignature {
        self.sign_chunk_hash(&sha256(data))
    }

    /// Signs the next chunk given its SHA-256 (computed elsewhere, e.g. on another thread).
    pub fn sign_chunk_hash(&mut self, data_sha256: &[u8; 32]) -> ChunkSignature {
        self.link(self.algorithm.chunk_name(), |s| {
            s.push_str(EMPTY_SHA256);
            s.push('\n');
            encode::hex_into(s, data_sha256);
        })
    }

    /// Signs the trailer, given its canonical form (`name:value\n` per header, sorted).
    pub fn sign_trailer(&mut self, canonical_trailers: &str) -> ChunkSignature {
        let digest = sha256(canonical_trailers.as_bytes());
        self.link(self.algorithm.trailer_name(), |s| {
            encode::hex_into(s, &digest)
        })
    }

    /// The last signature of the chain (the seed before any chunk).
    pub fn previous(&self) -> ChunkSignature {
        ChunkSignature(self.previous)
    }

    /// The chain's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn link(&mut self, first_line: &str, tail: impl FnOnce(&mut String)) -> ChunkSignature {
        let s = &mut self.scratch;
        s.clear();
        s.push_str(first_line);
        s.push('\n');
        s.push_str(&self.time_and_scope);
        encode::hex_into(s, &self.previous);
        s.push('\n');
        tail(s);
        self.previous = self.key.sign(s.as_bytes());
        ChunkSignature(self.previous)
    }
}

impl fmt::Debug for SignatureChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureChain")
            .field("time_and_scope", &self.time_and_scope)
            .field("previous", &self.previous())
            .finish_non_exhaustive()
    }
}

/// One signature of the chain.
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
/// assert_eq!(next.as_bytes().len(), 32);
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkSignature(pub(crate) [u8; 32]);

impl ChunkSignature {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn as_str(&self) -> String {
        encode::hex(&self.0)
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

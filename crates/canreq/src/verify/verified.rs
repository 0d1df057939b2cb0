//! A verified request: who signed it, and what the signature covers.

use std::fmt;

use crate::algorithm::Algorithm;
use crate::canonical::CanonicalRequest;
use crate::chunked::StreamingMode;
use crate::time::SigningTime;

use super::claim::{AuthLocation, CredentialShape};

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
    /// aws-chunked: the body is checked chunk by chunk (see
    /// [`Begun::Chunked`](super::Begun::Chunked)).
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

/// A verified request: who signed it and what the signature covers. Only the verifier makes
/// one, and only once everything it covers has been checked.
///
/// Its `Debug` form redacts secrets in the canonical request.
///
/// ```
/// use canreq::{Algorithm, Credentials, Payload, Request, Scope, Signer, SigningTime};
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
/// assert_eq!(verified.algorithm(), Algorithm::HmacSha256);
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
    pub(super) algorithm: Algorithm,
    /// SigV4a's `X-Amz-Region-Set`, as sent.
    pub(super) region_set: Option<String>,
    /// `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`, as the claim sent it.
    pub(super) credential: String,
    pub(super) shape: CredentialShape,
    pub(super) data: D,
    pub(super) time: SigningTime,
    pub(super) location: AuthLocation,
    pub(super) payload: PayloadMode,
    pub(super) expires: Option<u32>,
    pub(super) canonical_request: CanonicalRequest,
    pub(super) string_to_sign: String,
}

impl<D> Verified<D> {
    /// The access key id that signed.
    pub fn access_key_id(&self) -> &str {
        self.shape.access_key_id(&self.credential)
    }
    /// The store's data for that key.
    pub fn data(&self) -> &D {
        &self.data
    }
    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The region of the credential scope; empty for SigV4a, whose regions are its
    /// [`region_set`](Self::region_set).
    pub fn region(&self) -> &str {
        self.shape.region(&self.credential)
    }
    /// SigV4a's region set (`X-Amz-Region-Set`, e.g. `us-east-1,us-west-2` or `*`) as sent;
    /// `None` for SigV4.
    pub fn region_set(&self) -> Option<&str> {
        self.region_set.as_deref()
    }
    /// The service of the credential scope.
    pub fn service(&self) -> &str {
        self.shape.service(&self.credential)
    }
    /// The credential scope, `YYYYMMDD/REGION/SERVICE/aws4_request` (SigV4a's without the
    /// region).
    pub fn credential_scope(&self) -> &str {
        self.shape.scope(&self.credential)
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
        &self.string_to_sign
    }
}

impl<D: fmt::Debug> fmt::Debug for Verified<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("access_key_id", &self.access_key_id())
            .field("data", &self.data)
            .field("algorithm", &self.algorithm)
            .field("credential_scope", &self.credential_scope())
            .field("region_set", &self.region_set)
            .field("time", &self.time)
            .field("location", &self.location)
            .field("payload", &self.payload)
            .field("expires", &self.expires)
            .field("canonical_request", &self.canonical_request)
            .finish()
    }
}

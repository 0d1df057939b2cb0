//! What signing hands back: the headers or presigned target, and every intermediate step.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::canonical::CanonicalRequest;
use crate::encode::Hex64;
use crate::key::{EcdsaKey, SigningKey};
use crate::time::SigningTime;

/// Every intermediate value of one signature, for display and debugging.
///
/// `Debug` shows everything but the signing key and the session token (a SigV4a key shows its
/// public key only); the accessors give them on request.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, SigningTime::parse("20150830T123600Z")?);
/// let signed = signer.sign(&Request::new("GET", "/").header("Host", "example.amazonaws.com"), Payload::Empty)?;
/// let steps = signed.steps();
/// assert_eq!(steps.time().amz_date(), "20150830T123600Z");
/// assert_eq!(steps.credential_scope(), "20150830/us-east-1/service/aws4_request");
/// assert_eq!(
///     steps.string_to_sign(),
///     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
///      bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
/// );
/// assert_eq!(steps.signature(), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// assert!(!format!("{steps:?}").contains(&steps.signing_key().unwrap().to_hex()));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct Steps {
    pub(super) algorithm: Algorithm,
    pub(super) time: SigningTime,
    /// The credential scope's place in `string_to_sign`.
    pub(super) credential_scope: Range<usize>,
    pub(super) canonical_request: CanonicalRequest,
    pub(super) string_to_sign: String,
    pub(super) key: KeyUsed,
    pub(super) signature: SignatureText,
}

/// The key a signature was made with.
#[derive(Clone)]
pub(crate) enum KeyUsed {
    /// SigV4's HMAC key for the day, region and service.
    Hmac(Arc<SigningKey>),
    /// SigV4a's P-256 key for the credentials.
    Ecdsa(Arc<EcdsaKey>),
}

/// A signature as sent: SigV4's 64 hex digits, or SigV4a's DER in hex (up to 144 digits).
#[derive(Clone)]
pub(crate) enum SignatureText {
    Hmac(Hex64),
    Der(String),
}

impl SignatureText {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            SignatureText::Hmac(hex) => hex.as_str(),
            SignatureText::Der(hex) => hex,
        }
    }
}

impl Steps {
    /// The signing algorithm (the string to sign's first line).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The signing time (`X-Amz-Date` and the scope's date).
    pub fn time(&self) -> SigningTime {
        self.time
    }

    /// `DATE/REGION/SERVICE/aws4_request` (SigV4a's `DATE/SERVICE/aws4_request`).
    pub fn credential_scope(&self) -> &str {
        &self.string_to_sign[self.credential_scope.clone()]
    }

    /// The canonical request.
    pub fn canonical_request(&self) -> &CanonicalRequest {
        &self.canonical_request
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// SigV4's signing key (a secret for its day, region and service); `None` for SigV4a.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        match &self.key {
            KeyUsed::Hmac(key) => Some(key),
            KeyUsed::Ecdsa(_) => None,
        }
    }

    /// SigV4a's key (its [`public_key`](EcdsaKey::public_key) is what a verifier checks the
    /// signature with); `None` for SigV4.
    pub fn ecdsa_key(&self) -> Option<&EcdsaKey> {
        match &self.key {
            KeyUsed::Ecdsa(key) => Some(key),
            KeyUsed::Hmac(_) => None,
        }
    }

    /// The signature: SigV4's 64 lowercase hex digits, SigV4a's DER-encoded ECDSA signature
    /// in lowercase hex.
    pub fn signature(&self) -> &str {
        self.signature.as_str()
    }

    /// The key, shared (for the aws-chunked signature chain).
    pub(crate) fn key_used(&self) -> KeyUsed {
        self.key.clone()
    }
}

impl fmt::Debug for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field("time", &self.time)
            .field("credential_scope", &self.credential_scope())
            .field("canonical_request", &self.canonical_request.redacted())
            .field("string_to_sign", &self.string_to_sign)
            .field("signing_key", &self.signing_key())
            .field("ecdsa_key", &self.ecdsa_key())
            .field("signature", &self.signature())
            .finish()
    }
}

/// The outcome of [`Signer::sign`](crate::Signer::sign): the headers to set and the steps.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20150830T123600Z")?);
/// let signed = signer.sign(&Request::new("GET", "/key").header("Host", "bucket.s3.amazonaws.com"), Payload::Unsigned)?;
/// let names: Vec<&str> = signed.headers().iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["X-Amz-Date", "x-amz-content-sha256", "Authorization"]);
/// assert!(signed.authorization().ends_with(signed.signature()));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct SignedRequest {
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) steps: Steps,
}

impl SignedRequest {
    /// The headers to set, in order: `X-Amz-Security-Token` (with temporary credentials),
    /// `X-Amz-Date`, `x-amz-content-sha256` (when sent), `Authorization`.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        self.headers.last().map_or("", |(_, v)| v)
    }

    /// The signature.
    pub fn signature(&self) -> &str {
        self.steps.signature()
    }

    /// Every intermediate value.
    pub fn steps(&self) -> &Steps {
        &self.steps
    }

    /// Sets the signature headers on a header list: each replaces the first header of the same
    /// name (any case) in place and removes the others; a stale `Authorization`, `X-Amz-Date` or
    /// `X-Amz-Security-Token` that this signature does not set is removed.
    ///
    /// ```
    /// # use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// # let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, SigningTime::parse("20150830T123600Z")?);
    /// let mut headers = vec![
    ///     ("Host".to_string(), "example.amazonaws.com".to_string()),
    ///     ("authorization".to_string(), "stale".to_string()),
    ///     ("X-Amz-Security-Token".to_string(), "stale".to_string()),
    /// ];
    /// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    /// signer.sign(&req, Payload::Empty)?.apply(&mut headers);
    /// let names: Vec<_> = headers.iter().map(|(n, _)| n.as_str()).collect();
    /// assert_eq!(names, ["Host", "authorization", "X-Amz-Date"]);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn apply(&self, headers: &mut Vec<(String, String)>) {
        for stale in ["authorization", "x-amz-date", "x-amz-security-token"] {
            if !self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(stale))
            {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(stale));
            }
        }
        for (name, value) in &self.headers {
            match headers
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(first) => {
                    headers[first].1.clone_from(value);
                    let mut i = 0;
                    headers.retain(|(n, _)| {
                        i += 1;
                        i - 1 == first || !n.eq_ignore_ascii_case(name)
                    });
                }
                None => headers.push(((*name).to_owned(), value.clone())),
            }
        }
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<_> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if n.eq_ignore_ascii_case("x-amz-security-token") {
                    "<redacted>"
                } else {
                    v
                };
                (n, shown)
            })
            .collect();
        f.debug_struct("SignedRequest")
            .field("headers", &headers)
            .field("steps", &self.steps)
            .finish()
    }
}

/// The outcome of [`Signer::presign`](crate::Signer::presign): the request target with the presign parameters, and the
/// steps.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20150830T123600Z")?);
/// let req = Request::new("GET", "/photo.jpg").header("Host", "bucket.s3.amazonaws.com");
/// let presigned = signer.presign(&req, Payload::Unsigned, 3600)?;
/// let url = format!("https://bucket.s3.amazonaws.com{}", presigned.target());
/// assert!(url.starts_with("https://bucket.s3.amazonaws.com/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
/// assert!(url.ends_with(&format!("&X-Amz-Signature={}", presigned.signature())));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct PresignedRequest {
    pub(super) target: String,
    /// Where the presign parameters begin in `target`.
    pub(super) params_start: usize,
    pub(super) steps: Steps,
}

impl PresignedRequest {
    /// Path and query, with the presign parameters appended after the caller's own.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The presign parameters (`X-Amz-Algorithm` … `X-Amz-Signature`) in the order they were
    /// appended, as name and value, the value encoded as in the URL.
    ///
    /// ```
    /// # use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// # let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20150830T123600Z")?);
    /// let req = Request::new("GET", "/key?versionId=3").header("Host", "bucket.s3.amazonaws.com");
    /// let presigned = signer.presign(&req, Payload::Unsigned, 60)?;
    /// let names: Vec<&str> = presigned.params().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires", "X-Amz-Signature"]);
    /// assert_eq!(presigned.params().nth(1).unwrap().1, "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request");
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.target
            .get(self.params_start..)
            .unwrap_or_default()
            .split('&')
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }

    /// The signature.
    pub fn signature(&self) -> &str {
        self.steps.signature()
    }

    /// Every intermediate value.
    pub fn steps(&self) -> &Steps {
        &self.steps
    }
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The target carries the session token: show only the path.
        let path = self
            .target
            .split_once('?')
            .map_or(&*self.target, |(p, _)| p);
        f.debug_struct("PresignedRequest")
            .field("path", &path)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

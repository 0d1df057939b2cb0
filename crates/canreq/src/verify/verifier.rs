//! The verifier: checks a received request against the signature it claims. This module holds
//! its settings and entry points; `head` the checks of a request's head, `rules` the checks
//! that need no settings.

mod head;
mod rules;

use std::fmt;

use crate::canonical::UriEncoding;
use crate::chunked::DecodeLimits;
use crate::key::KeyCache;
use crate::refusal::AuthError;
use crate::request::Request;
use crate::settings::{SigningSettings, path_rules};
use crate::time::SigningTime;

use super::pending::Begun;
use super::policy::{Accept, CredentialStore, PresignedPayload};
use super::verified::Verified;

/// Checks SigV4 signatures of received requests.
///
/// A verifier holds the credential store, what it accepts (regions, services, clock skew,
/// unsigned payloads) and its own signing-key cache, and is shared by every connection of a
/// server. [`verify`](Self::verify) checks a request whose body is at hand;
/// [`begin`](Self::begin) one whose body streams.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// use canreq::verify::{Accept, AuthLocation, ErrorCode, Verifier};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signed_at = SigningTime::parse("20150830T123600Z")?;
/// let req = Request::new("GET", "/photos/cat.jpg").header("Host", "bucket.s3.amazonaws.com");
/// let url = Signer::new(&creds, Scope::new("us-east-1", "s3")?, signed_at)
///     .presign(&req, Payload::Unsigned, 300)?;
///
/// let verifier = Verifier::new(|akid: &str| (akid == "AKIDEXAMPLE").then(|| creds.clone()))
///     .regions(Accept::one("us-east-1"))
///     .services(Accept::one("s3"))
///     .clock_skew_seconds(5 * 60);
/// // What the server receives: the presigned target and the Host header.
/// let received = Request::new("GET", url.target()).header("Host", "bucket.s3.amazonaws.com");
///
/// let a_minute_later = SigningTime::from_unix_seconds(signed_at.unix_seconds() + 60)?;
/// let verified = verifier.verify(&received, b"", a_minute_later).unwrap();
/// assert_eq!(verified.location(), AuthLocation::Query);
/// assert_eq!(verified.expires(), Some(300));
///
/// // Ten minutes after signing, the five-minute URL has expired.
/// let later = SigningTime::from_unix_seconds(signed_at.unix_seconds() + 600)?;
/// let err = verifier.verify(&received, b"", later).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::AccessDenied);
/// assert_eq!(err.message(), "Request has expired");
/// # Ok::<(), canreq::Error>(())
/// ```
pub struct Verifier<S> {
    store: S,
    regions: Accept,
    services: Accept,
    skew_seconds: i64,
    allow_unsigned_payload: bool,
    presigned_payload: PresignedPayload,
    chunk_limits: DecodeLimits,
    /// Path rules that differ from the service's defaults, by service.
    path_overrides: Vec<(Box<str>, UriEncoding, bool)>,
    /// Path rules for every other service outside the S3 family, when not the defaults.
    other_services_path: Option<(UriEncoding, bool)>,
    cache: KeyCache,
}

impl<S: CredentialStore> Verifier<S> {
    /// A verifier accepting any region and service, 15 minutes of clock skew, unsigned
    /// payloads allowed, presigned URLs read as the AWS SDKs sign them
    /// ([`PresignedPayload::ByService`]).
    pub fn new(store: S) -> Self {
        Verifier {
            store,
            regions: Accept::Any,
            services: Accept::Any,
            skew_seconds: 15 * 60,
            allow_unsigned_payload: true,
            presigned_payload: PresignedPayload::ByService,
            chunk_limits: DecodeLimits::default(),
            path_overrides: Vec::new(),
            other_services_path: None,
            cache: KeyCache::default(),
        }
    }

    /// Verifies requests for `service` with the path rules of `settings` (its URI encoding and
    /// path normalization), for clients that sign that service with other than its defaults
    /// (e.g. `canreq sign --no-normalize-path`). The rest of a request is checked as signed:
    /// the signed header list is the client's, the payload mode is the request's.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningSettings, SigningTime};
    /// use canreq::verify::{ErrorCode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let mut settings = SigningSettings::for_service("execute-api");
    /// settings.normalize_path = false;
    /// let req = Request::new("GET", "/stage/./a//b").header("Host", "api.example.com");
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "execute-api")?, now)
    ///     .with_settings(settings.clone())
    ///     .sign(&req, Payload::Empty)?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    ///
    /// let by_default = Verifier::new(|_: &str| Some(creds.clone()));
    /// let err = by_default.verify(&received, b"", now).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    ///
    /// let told = Verifier::new(|_: &str| Some(creds.clone())).service_settings("execute-api", &settings);
    /// assert!(told.verify(&received, b"", now).is_ok());
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn service_settings(mut self, service: &str, settings: &SigningSettings) -> Self {
        // (One list for both: the most recent word on a service wins.)
        self.path_overrides.retain(|(s, ..)| **s != *service);
        self.path_overrides.push((
            service.into(),
            settings.uri_encoding,
            settings.normalize_path,
        ));
        self
    }

    /// [`service_settings`](Self::service_settings) for every service outside the S3 family
    /// that is not named there: what a verifier for clients that all sign with, say,
    /// `--no-normalize-path` is told. The S3 family keeps its rules (its path is the object
    /// key, encoded once and never normalized), unless named.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningSettings, SigningTime, UriEncoding};
    /// use canreq::verify::Verifier;
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let mut settings = SigningSettings::default();
    /// settings.uri_encoding = UriEncoding::Single;
    /// let req = Request::new("GET", "/a%20b").header("Host", "lambda.us-east-1.amazonaws.com");
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "lambda")?, now)
    ///     .with_settings(settings.clone())
    ///     .sign(&req, Payload::Empty)?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone())).other_services_settings(&settings);
    /// assert!(verifier.verify(&received, b"", now).is_ok());
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn other_services_settings(mut self, settings: &SigningSettings) -> Self {
        self.other_services_path = Some((settings.uri_encoding, settings.normalize_path));
        self
    }

    /// Accepted regions. A request scoped to another region is refused as malformed, and the
    /// error names the first accepted region, as AWS names the bucket's.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{Accept, ErrorCode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let req = Request::new("GET", "/").header("Host", "sts.amazonaws.com");
    /// let signed = Signer::new(&creds, Scope::new("eu-west-1", "sts")?, now).sign(&req, Payload::Empty)?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    ///
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone()))
    ///     .regions(Accept::Only(vec!["us-east-1".into(), "us-west-2".into()]));
    /// let err = verifier.verify(&received, b"", now).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed);
    /// assert_eq!(err.detail("Region"), Some("us-east-1"));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn regions(mut self, regions: Accept) -> Self {
        self.regions = regions;
        self
    }

    /// Accepted services.
    pub fn services(mut self, services: Accept) -> Self {
        self.services = services;
        self
    }

    /// Allowed difference between the request's time and `now`, in seconds (15 minutes unless
    /// set). A presigned URL may not start more than this far in the future either.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{ErrorCode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let signed_at = SigningTime::parse("20150830T123600Z")?;
    /// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "service")?, signed_at)
    ///     .sign(&req, Payload::Empty)?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone())).clock_skew_seconds(60);
    ///
    /// let two_minutes_later = SigningTime::from_unix_seconds(signed_at.unix_seconds() + 120)?;
    /// let err = verifier.verify(&received, b"", two_minutes_later).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::RequestTimeTooSkewed);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn clock_skew_seconds(mut self, seconds: u32) -> Self {
        self.skew_seconds = seconds.into();
        self
    }

    /// Whether `UNSIGNED-PAYLOAD` is accepted (presigned URLs included). Refused, it is
    /// `AccessDenied`.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{ErrorCode, PayloadMode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let req = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "s3")?, now).sign(&req, Payload::Unsigned)?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    ///
    /// let lenient = Verifier::new(|_: &str| Some(creds.clone()));
    /// let verified = lenient.verify(&received, b"any body at all", now).unwrap();
    /// assert_eq!(verified.payload(), PayloadMode::Unsigned);
    ///
    /// let strict = Verifier::new(|_: &str| Some(creds.clone())).allow_unsigned_payload(false);
    /// let err = strict.verify(&received, b"any body at all", now).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::AccessDenied);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    /// What presigned requests without `x-amz-content-sha256` sign as payload hash
    /// ([`PresignedPayload::ByService`] unless set: `UNSIGNED-PAYLOAD` for S3, the body's
    /// hash for other services, as the AWS SDKs presign).
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{ErrorCode, PayloadMode, PresignedPayload, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let sts = Signer::new(&creds, Scope::new("us-east-1", "sts")?, now);
    /// let req = Request::new("GET", "/?Action=GetCallerIdentity&Version=2011-06-15")
    ///     .header("Host", "sts.amazonaws.com");
    ///
    /// // STS presigned as botocore does (the EKS token): the empty body's hash is signed.
    /// let by_sdk = sts.presign(&req, Payload::Empty, 60)?;
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone()));
    /// let request = Request::new("GET", by_sdk.target()).header("Host", "sts.amazonaws.com");
    /// assert_eq!(verifier.verify(&request, b"", now).unwrap().payload(), PayloadMode::BodyHash);
    ///
    /// // Signed UNSIGNED-PAYLOAD instead: another canonical request, so refused by default…
    /// let unsigned = sts.presign(&req, Payload::Unsigned, 60)?;
    /// let request = Request::new("GET", unsigned.target()).header("Host", "sts.amazonaws.com");
    /// let err = verifier.verify(&request, b"", now).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    /// // …and accepted by a verifier told that its clients sign it.
    /// let verifier = verifier.presigned_payload(PresignedPayload::Unsigned);
    /// assert_eq!(verifier.verify(&request, b"", now).unwrap().payload(), PayloadMode::Unsigned);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn presigned_payload(mut self, mode: PresignedPayload) -> Self {
        self.presigned_payload = mode;
        self
    }

    /// The credential store, for a server that consults it beyond verifying (e.g. to name the
    /// mistake behind a refused signature with [`crate::diagnose`]).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Bounds for aws-chunked bodies (chunk size, line lengths).
    pub fn chunk_limits(mut self, limits: DecodeLimits) -> Self {
        self.chunk_limits = limits;
        self
    }

    /// Verifies a request whose whole body is at hand: the head, then the body against the
    /// signed payload hash. See the [module documentation](super) for a header-signed request
    /// and [`Verifier`] for a presigned one.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{ErrorCode, PayloadMode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let body = br#"{"TableName":"pets"}"#;
    /// let req = Request::new("POST", "/")
    ///     .header("Host", "dynamodb.us-east-1.amazonaws.com")
    ///     .header("X-Amz-Target", "DynamoDB_20120810.DescribeTable");
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "dynamodb")?, now)
    ///     .sign(&req, Payload::Bytes(body))?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone()));
    ///
    /// let verified = verifier.verify(&received, body, now).unwrap();
    /// assert_eq!(verified.payload(), PayloadMode::BodyHash);
    /// assert_eq!(verified.signed_headers(), ["host", "x-amz-date", "x-amz-target"]);
    ///
    /// // The body's hash is part of the canonical request: another body, another signature.
    /// let err = verifier.verify(&received, br#"{"TableName":"cats"}"#, now).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn verify(
        &self,
        request: &Request<'_>,
        body: &[u8],
        now: SigningTime,
    ) -> Result<Verified<S::Data>, AuthError> {
        self.head(request, now, Some(body))?.finish_whole(body)
    }

    /// Checks everything the head of the request decides; see the module documentation. What
    /// the body still needs is the state returned: nothing of a body is verified until that
    /// state's `finish` returns `Ok`.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{Begun, ErrorCode, PayloadMode, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// let body = vec![b'x'; 100_000];
    /// let req = Request::new("PUT", "/bucket/big").header("Host", "s3.amazonaws.com");
    /// // S3 signs the body's hash in x-amz-content-sha256.
    /// let signed = Signer::new(&creds, Scope::new("us-east-1", "s3")?, now)
    ///     .sign(&req, Payload::Bytes(&body))?;
    /// let mut received = req.clone();
    /// for (name, value) in signed.headers() {
    ///     received.push_header(name, value);
    /// }
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone()));
    ///
    /// let Begun::Whole(mut pending) = verifier.begin(&received, now).unwrap() else { unreachable!() };
    /// assert!(pending.signature_checked()); // from the declared hash, before any body byte
    /// assert_eq!(pending.checked_head().map(|head| head.service()), Some("s3"));
    /// for piece in body.chunks(16 * 1024) {
    ///     pending.update(piece);
    /// }
    /// assert_eq!(pending.body_length(), 100_000);
    /// let verified = pending.finish().unwrap();
    /// assert_eq!(verified.payload(), PayloadMode::DeclaredSha256);
    ///
    /// // The head is signed, but the body is not the one it declared.
    /// let Begun::Whole(mut pending) = verifier.begin(&received, now).unwrap() else { unreachable!() };
    /// pending.update(&body[..99_999]);
    /// let err = pending.finish().unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::XAmzContentSHA256Mismatch);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn begin(
        &self,
        request: &Request<'_>,
        now: SigningTime,
    ) -> Result<Begun<S::Data>, AuthError> {
        Ok(self.head(request, now, None)?.into_begun())
    }

    /// The path rules for `service`: its own, those of the other services, or its defaults.
    fn path_rules(&self, service: &str, s3_family: bool) -> (UriEncoding, bool) {
        if let Some(&(_, encoding, normalize)) =
            self.path_overrides.iter().find(|(s, ..)| **s == *service)
        {
            return (encoding, normalize);
        }
        match self.other_services_path {
            Some(rules) if !s3_family => rules,
            _ => path_rules(s3_family),
        }
    }
}

impl<S> fmt::Debug for Verifier<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("regions", &self.regions)
            .field("services", &self.services)
            .field("skew_seconds", &self.skew_seconds)
            .field("allow_unsigned_payload", &self.allow_unsigned_payload)
            .field("presigned_payload", &self.presigned_payload)
            .finish_non_exhaustive()
    }
}

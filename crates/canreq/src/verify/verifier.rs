//! The verifier: checks a received request against the signature it claims.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::canonical::{self, HeaderRef, Parts, StackList, trim_blanks};
use crate::chunked::{ChunkedDecoder, DecodeLimits, SignatureChain, StreamingMode};
use crate::credentials::Credentials;
use crate::encode::{self, Hex64};
use crate::key::{KeyCache, constant_time_eq};
use crate::request::Request;
use crate::settings::{
    EMPTY_SHA256, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
    SigningSettings, UNSIGNED_PAYLOAD, is_s3_family,
};
use crate::time::SigningTime;

use super::claim::{AuthLocation, Claim, KnownHeaders, eq_lowercase, read_claim};
use super::error::{AuthError, ErrorCode};
use super::outcome::{Head, PayloadMode, Pending, Verified};
use super::policy::{Accept, CredentialStore, PresignedPayload};

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
    cache: KeyCache,
}

impl<S: CredentialStore> Verifier<S> {
    /// A verifier accepting any region and service, 15 minutes of clock skew, unsigned
    /// payloads allowed, presigned URLs signing `UNSIGNED-PAYLOAD`.
    pub fn new(store: S) -> Self {
        Verifier {
            store,
            regions: Accept::Any,
            services: Accept::Any,
            skew_seconds: 15 * 60,
            allow_unsigned_payload: true,
            presigned_payload: PresignedPayload::Unsigned,
            chunk_limits: DecodeLimits::default(),
            cache: KeyCache::default(),
        }
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
    /// ([`PresignedPayload::Unsigned`] unless set).
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{PayloadMode, PresignedPayload, Verifier};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
    /// let now = SigningTime::parse("20150830T123600Z")?;
    /// // The AWS test suite's query form signs the body's hash, not UNSIGNED-PAYLOAD.
    /// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    /// let url = Signer::new(&creds, Scope::new("us-east-1", "service")?, now).presign(&req, Payload::Empty, 60)?;
    /// let received = Request::new("GET", url.target()).header("Host", "example.amazonaws.com");
    ///
    /// let verifier = Verifier::new(|_: &str| Some(creds.clone()))
    ///     .presigned_payload(PresignedPayload::BodyHash);
    /// let verified = verifier.verify(&received, b"", now).unwrap();
    /// assert_eq!(verified.payload(), PayloadMode::BodyHash);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn presigned_payload(mut self, mode: PresignedPayload) -> Self {
        self.presigned_payload = mode;
        self
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

    /// Checks everything the head of the request decides; see the module documentation. The
    /// body then streams through [`Pending::update`], and nothing of it is verified until
    /// [`Pending::finish`] returns `Ok`.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    /// use canreq::verify::{ErrorCode, PayloadMode, Verifier};
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
    /// let mut pending = verifier.begin(&received, now).unwrap();
    /// for piece in body.chunks(16 * 1024) {
    ///     pending.update(piece);
    /// }
    /// let verified = pending.finish().unwrap();
    /// assert_eq!(verified.payload(), PayloadMode::DeclaredSha256);
    /// assert_eq!(verified.body_length(), 100_000);
    ///
    /// // The head is signed, but the body is not the one it declared.
    /// let mut pending = verifier.begin(&received, now).unwrap();
    /// pending.update(&body[..99_999]);
    /// let err = pending.finish().unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::XAmzContentSHA256Mismatch);
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn begin(
        &self,
        request: &Request<'_>,
        now: SigningTime,
    ) -> Result<Pending<S::Data>, AuthError> {
        Ok(Pending {
            head: self.head(request, now, None)?,
            hasher: Sha256::new(),
        })
    }

    /// [`begin`](Self::begin), given the body when it is at hand: a payload hash that comes
    /// from the body is then computed first, so the canonical request is built once, whole.
    /// An aws-chunked body also gets its decoder.
    fn head(
        &self,
        request: &Request<'_>,
        now: SigningTime,
        body: Option<&[u8]>,
    ) -> Result<Head<S::Data>, AuthError> {
        let known = KnownHeaders::scan(request);
        let claim = read_claim(request, &known)?;
        let time = parse_time(&claim)?;
        self.check_scope(&claim, &time)?;
        self.check_skew(&claim, &time, now)?;
        let expires = claim
            .expires
            .as_ref()
            .map(|_| self.expires(&claim, &time, now))
            .transpose()?;
        // One pass picks the signed headers out, notes which listed names it met, and notices
        // any x-amz-* header left unsigned.
        // Declared before `headers`, which borrows from it, so that it is dropped after it (the
        // list's destructor could see the names; clippy's suggestion does not compile).
        #[allow(clippy::needless_late_init)]
        let not_sent: Option<Vec<String>>;
        let mut headers: StackList<HeaderRef<'_>, 24> = StackList::new();
        let mut unsigned_amz = false;
        let mut seen = 0;
        for &(name, value) in request.headers() {
            if let Some(bit) = claim.signed_bit(name) {
                seen |= bit;
                headers.push(HeaderRef { name, value });
            } else {
                unsigned_amz |= name
                    .as_bytes()
                    .get(..6)
                    .is_some_and(|p| eq_lowercase(p, b"x-amz-"));
            }
        }
        if unsigned_amz || !claim.signs_host() {
            return Err(unsigned_headers_error(&claim, request));
        }
        // A name listed but not sent is signed with an empty value, as AWS does (libs3 lists a
        // `transfer-encoding` it never sends). Not `host`: a signature must bind the host.
        not_sent = (!claim.sent_all(seen)).then(|| claim.names_not_sent(request));
        for name in not_sent.iter().flatten() {
            if name == "host" {
                return Err(AuthError::new(
                    ErrorCode::InvalidRequest,
                    "The request has no Host header: host must be sent, and signed.",
                ));
            }
            headers.push(HeaderRef { name, value: "" });
        }
        let found = self
            .store
            .lookup(claim.credential.access_key_id())
            .ok_or_else(|| {
                AuthError::new(
                    ErrorCode::InvalidAccessKeyId,
                    "The AWS Access Key Id you provided does not exist in our records.",
                )
                .with_detail(
                    "AWSAccessKeyId",
                    claim.credential.access_key_id().to_owned(),
                )
            })?;
        check_token(&claim, &known, &found.credentials)?;
        let PayloadClaim {
            mode: payload,
            line: declared_line,
            declared,
        } = self.payload(&claim, &known)?;
        // Without a declared hash the body's own hash is signed: with the body at hand, hash it
        // now, so the canonical request is built whole, once.
        let body_hash;
        let payload_hash = match (declared_line, body) {
            (Some(line), _) => Some(line),
            (None, Some([])) => Some(EMPTY_SHA256),
            (None, Some(body)) => {
                body_hash = Hex64::new(&crate::key::sha256(body));
                Some(body_hash.as_str())
            }
            (None, None) => None,
        };

        let settings = SigningSettings::for_service(claim.credential.service());
        let drop_signature =
            |key: &[u8]| claim.location == AuthLocation::Query && key == b"X-Amz-Signature";
        let (path, query) = request.path_and_query();
        let canonical = canonical::build(&Parts {
            method: request.method(),
            path,
            encoding: settings.uri_encoding,
            normalize: settings.normalize_path,
            query,
            drop_query_key: &drop_signature,
            extra_query: &[],
            headers: headers.as_slice(),
            payload_hash: payload_hash.unwrap_or(""),
        })
        .map_err(|e| AuthError::new(ErrorCode::InvalidArgument, e.to_string()))?;
        // The claim's list must be the canonical request's, so that what it says is signed is
        // what was signed.
        if canonical.signed_headers() != claim.signed_headers {
            return Err(signed_list_error(&claim, canonical.signed_headers()));
        }

        let key = self.cache.get_for(
            &found.credentials,
            claim.credential.date(),
            claim.credential.region(),
            claim.credential.service(),
        );
        let mut provided = [0u8; 32];
        let provided_ok = encode::parse_lower_hex(&claim.signature, &mut provided);
        let mut head = Head {
            verified: Verified {
                credential: claim.credential.to_owned(),
                data: found.data,
                time,
                location: claim.location,
                payload,
                expires,
                canonical_request: canonical,
                string_to_sign: String::new(),
                body_length: 0,
            },
            declared,
            key,
            provided,
            provided_ok,
            checked: false,
            chunked: None,
        };
        if payload_hash.is_some() {
            head.check_signature()?;
        }
        if let PayloadMode::Streaming(mode) = payload {
            let v = &head.verified;
            let chain = SignatureChain::from_seed(
                Arc::clone(&head.key),
                v.time,
                v.credential.scope(),
                head.provided,
            );
            head.chunked = Some(Box::new(ChunkedDecoder::from_request(
                mode,
                chain,
                request,
                self.chunk_limits,
            )?));
        }
        Ok(head)
    }

    /// Header authentication: the request time must be within the allowed skew of `now`.
    fn check_skew(
        &self,
        claim: &Claim<'_>,
        time: &SigningTime,
        now: SigningTime,
    ) -> Result<(), AuthError> {
        if claim.location == AuthLocation::Header
            && (time.unix_seconds() - now.unix_seconds()).abs() > self.skew_seconds
        {
            return Err(AuthError::new(
                ErrorCode::RequestTimeTooSkewed,
                "The difference between the request time and the current time is too large.",
            )
            .with_detail("RequestTime", time.amz_date())
            .with_detail("ServerTime", now.amz_date())
            .with_detail(
                "MaxAllowedSkewMilliseconds",
                (self.skew_seconds * 1000).to_string(),
            ));
        }
        Ok(())
    }

    fn check_scope(&self, claim: &Claim<'_>, time: &SigningTime) -> Result<(), AuthError> {
        if claim.credential.date() != time.date() {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "Invalid credential date '{}': it is not the date of X-Amz-Date ({}).",
                    crate::error::shown(claim.credential.date()),
                    time.date()
                ),
            ));
        }
        if !self.regions.allows(claim.credential.region()) {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "The authorization header is malformed; the region '{}' is wrong; expecting '{}'",
                    crate::error::shown(claim.credential.region()),
                    self.regions.expected()
                ),
            )
            .with_detail("Region", self.regions.expected()));
        }
        if !self.services.allows(claim.credential.service()) {
            return Err(AuthError::new(
                claim.malformed(),
                format!(
                    "Credential should be scoped to a valid service: '{}' is wrong; expecting '{}'.",
                    crate::error::shown(claim.credential.service()),
                    self.services.expected()
                ),
            ));
        }
        Ok(())
    }

    fn expires(
        &self,
        claim: &Claim<'_>,
        time: &SigningTime,
        now: SigningTime,
    ) -> Result<u32, AuthError> {
        let raw = claim.expires.as_deref().unwrap_or_default();
        let seconds: u32 = match raw.parse::<u32>() {
            Ok(s) if raw.bytes().all(|b| b.is_ascii_digit()) => s,
            _ => {
                return Err(AuthError::new(
                    ErrorCode::AuthorizationQueryParametersError,
                    format!(
                        "X-Amz-Expires should be a number of seconds, not '{}'.",
                        crate::error::shown(raw)
                    ),
                ));
            }
        };
        if !(1..=crate::sign::MAX_EXPIRES_SECONDS).contains(&seconds) {
            return Err(AuthError::new(
                ErrorCode::AuthorizationQueryParametersError,
                format!(
                    "X-Amz-Expires must be between 1 and 604800 seconds (7 days), not {seconds}."
                ),
            ));
        }
        if time.unix_seconds() - now.unix_seconds() > self.skew_seconds {
            return Err(
                AuthError::new(ErrorCode::AccessDenied, "Request is not valid yet")
                    .with_detail("X-Amz-Date", time.amz_date())
                    .with_detail("ServerTime", now.amz_date()),
            );
        }
        if now.unix_seconds() > time.unix_seconds() + i64::from(seconds) {
            return Err(
                AuthError::new(ErrorCode::AccessDenied, "Request has expired")
                    .with_detail("X-Amz-Expires", seconds.to_string())
                    .with_detail("ServerTime", now.amz_date()),
            );
        }
        Ok(seconds)
    }

    /// How the payload is covered, read from `x-amz-content-sha256` and the policy.
    fn payload<'r>(
        &self,
        claim: &Claim<'_>,
        known: &KnownHeaders<'r>,
    ) -> Result<PayloadClaim<'r>, AuthError> {
        let declared = known.content_sha256.first.map(trim_blanks);
        if known.content_sha256.repeated {
            return Err(AuthError::new(
                ErrorCode::InvalidArgument,
                "Only one x-amz-content-sha256 header is allowed.",
            ));
        }
        let unsigned = || {
            if self.allow_unsigned_payload {
                Ok(PayloadClaim::marked(
                    PayloadMode::Unsigned,
                    UNSIGNED_PAYLOAD,
                ))
            } else {
                Err(AuthError::new(
                    ErrorCode::AccessDenied,
                    "Unsigned payloads (UNSIGNED-PAYLOAD) are not accepted here.",
                ))
            }
        };
        let body_hash = PayloadClaim {
            mode: PayloadMode::BodyHash,
            line: None,
            declared: None,
        };
        match declared {
            None if claim.location == AuthLocation::Query => match self.presigned_payload {
                PresignedPayload::Unsigned => unsigned(),
                PresignedPayload::BodyHash => Ok(body_hash),
            },
            None if is_s3_family(claim.credential.service()) => Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "Missing required header for this request: x-amz-content-sha256",
            )),
            None => Ok(body_hash),
            Some(UNSIGNED_PAYLOAD) => unsigned(),
            Some(marker @ (STREAMING_SIGNED | STREAMING_SIGNED_TRAILER)) => {
                Ok(PayloadClaim::marked(
                    PayloadMode::Streaming(
                        StreamingMode::from_marker(marker).unwrap_or(StreamingMode::Signed),
                    ),
                    marker,
                ))
            }
            Some(STREAMING_UNSIGNED_TRAILER) if self.allow_unsigned_payload => {
                Ok(PayloadClaim::marked(
                    PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer),
                    STREAMING_UNSIGNED_TRAILER,
                ))
            }
            Some(STREAMING_UNSIGNED_TRAILER) => Err(AuthError::new(
                ErrorCode::AccessDenied,
                "Unsigned payloads (STREAMING-UNSIGNED-PAYLOAD-TRAILER) are not accepted here.",
            )),
            Some(line) => {
                // Decoded once, here: the body is checked against these bytes.
                let mut digest = [0u8; 32];
                if !encode::parse_lower_hex(line, &mut digest) {
                    return Err(AuthError::new(
                        ErrorCode::InvalidArgument,
                        format!(
                            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* marker or 64 lowercase hex digits, not '{}'.",
                            crate::error::shown(line)
                        ),
                    ));
                }
                Ok(PayloadClaim {
                    mode: PayloadMode::DeclaredSha256,
                    line: Some(line),
                    declared: Some(digest),
                })
            }
        }
    }
}

/// What the head says about the payload: its mode, the payload-hash line of the canonical
/// request when the head decides it, and a declared body hash to check the body against.
struct PayloadClaim<'r> {
    mode: PayloadMode,
    line: Option<&'r str>,
    declared: Option<[u8; 32]>,
}

impl<'r> PayloadClaim<'r> {
    /// A mode whose payload-hash line is a fixed marker (nothing to check the body against).
    fn marked(mode: PayloadMode, marker: &'r str) -> Self {
        PayloadClaim {
            mode,
            line: Some(marker),
            declared: None,
        }
    }
}

/// `X-Amz-Date` (header or parameter), strictly `YYYYMMDDTHHMMSSZ`.
fn parse_time(claim: &Claim<'_>) -> Result<SigningTime, AuthError> {
    let raw = claim.amz_date.as_deref().ok_or_else(|| {
        AuthError::new(
            ErrorCode::AccessDenied,
            "AWS authentication requires a valid X-Amz-Date header.",
        )
    })?;
    let shaped = raw.len() == 16 && raw.as_bytes()[8] == b'T' && raw.ends_with('Z');
    shaped
        .then(|| SigningTime::parse(raw).ok())
        .flatten()
        .ok_or_else(|| {
            let code = match claim.location {
                AuthLocation::Header => ErrorCode::AccessDenied,
                AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
            };
            AuthError::new(
                code,
                format!(
                    "X-Amz-Date '{}' is not of the form YYYYMMDDTHHMMSSZ.",
                    crate::error::shown(raw)
                ),
            )
        })
}

/// The error for a request where `host` or an `x-amz-*` header present is not signed, naming
/// each of them.
fn unsigned_headers_error(claim: &Claim<'_>, request: &Request<'_>) -> AuthError {
    // Sorted and deduplicated once: a request may carry thousands of unsigned names, and this
    // runs before any key lookup (a search of the list for each name was quadratic).
    let mut unsigned: Vec<String> = request
        .headers()
        .iter()
        .filter(|&&(name, _)| {
            let amz = name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
            amz && !claim.signs(name)
        })
        // Lowercased only when reported: the check itself runs for every header of every request.
        .map(|&(name, _)| name.to_ascii_lowercase())
        .collect();
    unsigned.sort_unstable();
    unsigned.dedup();
    if !claim.signs_host() {
        unsigned.insert(0, "host".into());
    }
    // The message shows the start of the list, escaped (the names are not checked yet); the
    // detail lists them all, as AWS's does, escaped when the answer is rendered.
    let unsigned = unsigned.join(", ");
    AuthError::new(
        ErrorCode::AccessDenied,
        format!(
            "There were headers present in the request which were not signed: {}",
            crate::error::shown(&unsigned)
        ),
    )
    .with_detail("HeadersNotSigned", unsigned)
}

/// The error for a `SignedHeaders` list that is not the canonical list of the names it holds
/// (lowercase, sorted, each once).
fn signed_list_error(claim: &Claim<'_>, canonical: &str) -> AuthError {
    AuthError::new(
        claim.malformed(),
        format!(
            "SignedHeaders '{}' must list the signed header names lowercase, sorted and each once: '{}'.",
            crate::error::shown(&claim.signed_headers),
            crate::error::shown(canonical)
        ),
    )
}

/// The request's session token must be the stored one, and present exactly when one is stored.
fn check_token(
    claim: &Claim,
    known: &KnownHeaders<'_>,
    credentials: &Credentials,
) -> Result<(), AuthError> {
    let header_token = known.security_token.first;
    if known.security_token.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Security-Token is allowed.",
        ));
    }
    // Wherever it is sent, a token is checked; sent twice, one copy would go unchecked.
    let sent = match (header_token, claim.query_token.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AuthError::new(
                ErrorCode::InvalidArgument,
                "Only one X-Amz-Security-Token is allowed: it was sent both as a header and as a query parameter.",
            ));
        }
        (header, query) => header.or(query),
    };
    let stored = credentials.session_token().map(|t| t.expose());
    let ok = match (sent, stored) {
        (None, None) => true,
        (Some(sent), Some(stored)) => constant_time_eq(sent.as_bytes(), stored.as_bytes()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError::new(
            ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ))
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

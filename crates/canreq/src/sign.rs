//! Signing: the `Authorization` header form and the presigned-URL (query) form.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::canonical::{self, CanonicalRequest, HeaderRef, Input, StackList};
use crate::credentials::SCOPE_TERMINATOR;
use crate::credentials::{Credentials, Scope};
use crate::encode::{self, Hex64};
use crate::error::{Error, Result};
use crate::key::{EcdsaKey, KeyCache, SigningKey};
use crate::request::Request;
use crate::settings::{EMPTY_SHA256, Payload, SessionTokenMode, SigningSettings, UNSIGNED_PAYLOAD};
use crate::time::SigningTime;

mod output;
mod string_to_sign;
pub(crate) use output::{KeyUsed, SignatureText};
pub use output::{PresignedRequest, SignedRequest, Steps};
pub use string_to_sign::string_to_sign_for;
pub(crate) use string_to_sign::{
    string_to_sign_in_scope, string_to_sign_len, write_string_to_sign,
};

/// The SigV4 algorithm name ([`Algorithm::HmacSha256`]'s).
///
/// ```
/// # use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// # let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, SigningTime::parse("20150830T123600Z")?);
/// let signed = signer.sign(&Request::new("GET", "/").header("Host", "example.com"), Payload::Empty)?;
/// assert!(signed.authorization().starts_with(canreq::ALGORITHM));
/// # Ok::<(), canreq::Error>(())
/// ```
pub const ALGORITHM: &str = Algorithm::HmacSha256.name();

/// Longest lifetime of a presigned URL: seven days.
///
/// ```
/// # use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// # let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// # let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20150830T123600Z")?);
/// let req = Request::new("GET", "/key").header("Host", "bucket.s3.amazonaws.com");
/// assert!(signer.presign(&req, Payload::Unsigned, canreq::MAX_EXPIRES_SECONDS).is_ok());
/// assert!(signer.presign(&req, Payload::Unsigned, canreq::MAX_EXPIRES_SECONDS + 1).is_err());
/// # Ok::<(), canreq::Error>(())
/// ```
pub const MAX_EXPIRES_SECONDS: u32 = 604_800;

/// SigV4a's header and query parameter naming the regions a signature is valid in.
pub(crate) const REGION_SET: &str = "X-Amz-Region-Set";

/// Query parameters that carry a presigned signature; the signer owns them (and, signing with
/// SigV4a, `X-Amz-Region-Set`). A re-signing proxy removes them from what it forwards.
///
/// ```
/// assert!(canreq::PRESIGN_PARAMS.contains(&"X-Amz-Signature"));
/// ```
pub const PRESIGN_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// Signs requests for one set of credentials, scope and time.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, time);
///
/// // The AWS test suite's get-vanilla case.
/// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
/// let signed = signer.sign(&req, Payload::Empty)?;
/// assert_eq!(
///     signed.authorization(),
///     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
///      SignedHeaders=host;x-amz-date, \
///      Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
/// );
/// assert_eq!(signed.headers()[0], ("X-Amz-Date", "20150830T123600Z".to_string()));
///
/// // The same request as a presigned URL, valid for an hour.
/// let presigned = signer.presign(&req, Payload::Empty, 3600)?;
/// assert!(presigned.target().ends_with("&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Signer<'c> {
    credentials: &'c Credentials,
    scope: Scope,
    time: SigningTime,
    settings: SigningSettings,
    cache: Option<&'c KeyCache>,
    algorithm: Algorithm,
}

impl<'c> Signer<'c> {
    /// A signer with the settings of the scope's service ([`SigningSettings::for_service`]).
    pub fn new(credentials: &'c Credentials, scope: Scope, time: SigningTime) -> Self {
        let settings = SigningSettings::for_service(scope.service());
        Signer {
            credentials,
            scope,
            time,
            settings,
            cache: None,
            algorithm: Algorithm::HmacSha256,
        }
    }

    /// Signs with `algorithm` (SigV4's [`Algorithm::HmacSha256`] unless set). SigV4a
    /// ([`Algorithm::EcdsaP256Sha256`]) sends the scope's region set in `X-Amz-Region-Set` (a
    /// one-region scope's region, as the AWS SDKs do), leaves the region out of the credential
    /// scope and signs with the P-256 key derived from the credentials; [`Steps`] shows its
    /// public key. A region-set scope with SigV4 is refused with an error that names it.
    ///
    /// ```
    /// use canreq::{Algorithm, Credentials, Error, Payload, Request, Scope, Signer, SigningTime};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let time = SigningTime::parse("20150830T123600Z")?;
    /// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    /// let sigv4a = Signer::new(&creds, Scope::for_region_set(["us-east-1", "us-west-2"], "s3")?, time)
    ///     .with_algorithm(Algorithm::EcdsaP256Sha256);
    /// let signed = sigv4a.sign(&req, Payload::Empty)?;
    /// assert!(signed.authorization().starts_with(
    ///     "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/s3/aws4_request, \
    ///      SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set, Signature=30"));
    /// assert!(signed.headers().contains(&("X-Amz-Region-Set", "us-east-1,us-west-2".to_string())));
    /// let public_key = signed.steps().ecdsa_key().unwrap().public_key();
    /// assert!(public_key.verify(signed.steps().string_to_sign().as_bytes(), signed.signature()));
    ///
    /// let set = Signer::new(&creds, Scope::for_region_set(["*"], "s3")?, time);
    /// assert!(matches!(set.sign(&req, Payload::Empty), Err(Error::RegionSetNeedsSigV4a { .. })));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Takes signing keys from `cache` instead of deriving one per signature.
    pub fn with_key_cache(mut self, cache: &'c KeyCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Changes the signing time (the rest stays).
    pub fn set_time(&mut self, time: SigningTime) {
        self.time = time;
    }

    /// The settings in use.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// The scope in use.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The signing time.
    pub fn time(&self) -> SigningTime {
        self.time
    }

    /// The signing key for this signer's secret, date and scope (cached when a cache is set).
    pub fn signing_key(&self) -> Arc<SigningKey> {
        self.key_for(self.time.date())
    }

    /// The SigV4a key of this signer's credentials (cached when a cache is set).
    pub fn ecdsa_key(&self) -> Result<Arc<EcdsaKey>> {
        match self.cache {
            Some(cache) => cache.ecdsa_key(self.credentials),
            None => Ok(Arc::new(EcdsaKey::derive(
                self.credentials.access_key_id(),
                self.credentials.secret_access_key().expose(),
            )?)),
        }
    }

    /// Whether this signer sends `X-Amz-Region-Set` (SigV4a).
    fn sends_region_set(&self) -> bool {
        self.algorithm.uses_region_set()
    }

    /// `Ok` unless `payload` is aws-chunked with signed chunks, which this algorithm would not
    /// sign (unsigned chunks with a trailer need no chunk signatures).
    fn check_payload(&self, payload: Payload<'_>) -> Result<()> {
        match payload {
            Payload::StreamingSigned | Payload::StreamingSignedTrailer => {
                self.algorithm.require_chunk_signing()
            }
            _ => Ok(()),
        }
    }

    /// The signing key for `date`, this signer's `YYYYMMDD`.
    fn key_for(&self, date: &str) -> Arc<SigningKey> {
        match self.cache {
            Some(cache) => cache.get(self.credentials, date, &self.scope),
            None => Arc::new(SigningKey::derive(
                self.credentials.secret_access_key().expose(),
                date,
                self.scope.region(),
                self.scope.service(),
            )),
        }
    }

    /// Signs `request` in the `Authorization` header form.
    ///
    /// The result lists the headers to set; an existing `Authorization`, `X-Amz-Date`,
    /// `X-Amz-Security-Token` (and `x-amz-content-sha256` when it is sent) in `request` is not
    /// signed and is to be replaced, never duplicated ([`SignedRequest::apply`]).
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, SigningTime::parse("20150830T123600Z")?);
    /// // The AWS test suite's post-x-www-form-urlencoded case: the body's hash is signed.
    /// let req = Request::new("POST", "/")
    ///     .header("Content-Type", "application/x-www-form-urlencoded")
    ///     .header("Host", "example.amazonaws.com");
    /// let signed = signer.sign(&req, Payload::Bytes(b"Param1=value1"))?;
    /// assert_eq!(signed.steps().canonical_request().signed_headers(), "content-type;host;x-amz-date");
    /// assert_eq!(signed.signature(), "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn sign(&self, request: &Request<'_>, payload: Payload<'_>) -> Result<SignedRequest> {
        self.scope.check_algorithm(self.algorithm)?;
        self.check_payload(payload)?;
        let mut scratch = Hex64::new(&[]);
        let payload_hash = payload_line(payload, self.algorithm, &mut scratch)?;
        let amz_date = self.time.amz_date();
        let token = self.credentials.session_token().map(|t| t.expose());
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;
        let send_sha = self.settings.content_sha256_header;

        let mut headers = HeaderList::new();
        self.headers_to_sign(request, send_sha, &mut headers)?;
        headers.push(HeaderRef {
            name: "X-Amz-Date",
            value: amz_date,
        });
        let region_set = self
            .sends_region_set()
            .then(|| self.scope.region_set_value());
        if let Some(value) = region_set {
            headers.push(HeaderRef {
                name: REGION_SET,
                value,
            });
        }
        if let (Some(token), true) = (token, sign_token) {
            headers.push(HeaderRef {
                name: "X-Amz-Security-Token",
                value: token,
            });
        }
        if send_sha {
            headers.push(HeaderRef {
                name: "x-amz-content-sha256",
                value: &payload_hash,
            });
        }
        let (path, query) = request.path_and_query();
        let canonical = canonical::build(&Input {
            method: request.method(),
            path,
            encoding: self.settings.uri_encoding,
            normalize: self.settings.normalize_path,
            query,
            drop_query_key: &|_| false,
            extra_query: &[],
            headers: headers.as_slice(),
            payload_hash: &payload_hash,
        })?;
        // The list borrows `payload_hash`, which the output below takes.
        drop(headers);
        let steps = self.finish(canonical, amz_date)?;

        let mut authorization = String::with_capacity(
            self.algorithm.name().len()
                + self.credentials.access_key_id().len()
                + steps.credential_scope().len()
                + steps.canonical_request.signed_headers().len()
                + steps.signature().len()
                + " Credential=/, SignedHeaders=, Signature=".len(),
        );
        authorization.push_str(self.algorithm.name());
        authorization.push_str(" Credential=");
        authorization.push_str(self.credentials.access_key_id());
        authorization.push('/');
        authorization.push_str(steps.credential_scope());
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(steps.canonical_request.signed_headers());
        authorization.push_str(", Signature=");
        authorization.push_str(steps.signature.as_str());

        let mut out = Vec::with_capacity(5);
        if let Some(token) = token {
            out.push(("X-Amz-Security-Token", token.to_owned()));
        }
        out.push(("X-Amz-Date", amz_date.to_owned()));
        if let Some(value) = region_set {
            out.push((REGION_SET, value.to_owned()));
        }
        if send_sha {
            out.push(("x-amz-content-sha256", payload_hash.into_owned()));
        }
        out.push(("Authorization", authorization));
        Ok(SignedRequest {
            headers: out,
            steps,
        })
    }

    /// Signs `request` in the query form: a presigned URL valid for `expires_seconds`
    /// (1 to 604800).
    ///
    /// Existing `X-Amz-*` presign parameters in the query are dropped and replaced. S3 expects
    /// [`Payload::Unsigned`] here; the AWS test suite signs the body hash.
    ///
    /// ```
    /// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?.with_session_token("token/with+chars")?;
    /// let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20150830T123600Z")?);
    /// let req = Request::new("GET", "/key?X-Amz-Signature=stale").header("Host", "bucket.s3.amazonaws.com");
    /// let presigned = signer.presign(&req, Payload::Unsigned, 900)?;
    /// // The stale parameter is gone; the token is encoded and signed.
    /// assert_eq!(presigned.target().matches("X-Amz-Signature=").count(), 1);
    /// assert!(presigned.target().contains("&X-Amz-Security-Token=token%2Fwith%2Bchars&"));
    /// assert!(signer.presign(&req, Payload::Unsigned, 0).is_err());
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn presign(
        &self,
        request: &Request<'_>,
        payload: Payload<'_>,
        expires_seconds: u32,
    ) -> Result<PresignedRequest> {
        self.scope.check_algorithm(self.algorithm)?;
        self.check_payload(payload)?;
        if !(1..=MAX_EXPIRES_SECONDS).contains(&expires_seconds) {
            return Err(Error::ExpiresOutOfRange {
                value: expires_seconds.into(),
            });
        }
        let mut scratch = Hex64::new(&[]);
        let payload_hash = payload_line(payload, self.algorithm, &mut scratch)?;
        let mut headers = HeaderList::new();
        self.headers_to_sign(request, false, &mut headers)?;
        let signed_names = canonical::signed_header_names(headers.as_slice());
        let token = self.credentials.session_token().map(|t| t.expose());
        let amz_date = self.time.amz_date();
        let (path, query) = request.path_and_query();
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;

        // The target is written once: the caller's path and parameters as sent (less any stale
        // presign parameters), then the presign parameters in the order AWS's own signers
        // write them, SigV4-encoded. The canonical query takes their values from there, so
        // the output needs no other copy of them.
        // Room for everything written below, encoded parts at their longest (3 bytes each).
        let encoded = self.credentials.access_key_id().len()
            + self.scope.region().len()
            + self.scope.service().len()
            + signed_names.len()
            + token.map_or(0, str::len)
            + if self.sends_region_set() {
                REGION_SET.len() + 2 + self.scope.region_set_value().len()
            } else {
                0
            };
        let mut target = String::with_capacity(request.target().len() + 260 + 3 * encoded);
        target.push_str(path);
        target.push('?');
        let owned_param = |key: &[u8]| {
            is_presign_param(key) || (self.sends_region_set() && key == REGION_SET.as_bytes())
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let dropped = encode::percent_decode(key).is_ok_and(|k| owned_param(&k));
            if !dropped {
                target.push_str(pair);
                target.push('&');
            }
        }
        let params_start = target.len();
        target.push_str("X-Amz-Algorithm=");
        target.push_str(self.algorithm.name());
        // `AKID/DATE/REGION/SERVICE/aws4_request` (SigV4a's without the region), each part
        // encoded, the slashes as `%2F`.
        target.push_str("&X-Amz-Credential=");
        let credential_start = target.len();
        let region = (!self.sends_region_set()).then(|| self.scope.region());
        let parts = [
            Some(self.credentials.access_key_id()),
            amz_date.get(..8),
            region,
            Some(self.scope.service()),
        ];
        for part in parts.into_iter().flatten() {
            encode::uri_encode_str_into(&mut target, part, false);
            target.push_str("%2F");
        }
        target.push_str(SCOPE_TERMINATOR);
        let credential = credential_start..target.len();
        target.push_str("&X-Amz-Date=");
        target.push_str(amz_date);
        target.push_str("&X-Amz-SignedHeaders=");
        let names_start = target.len();
        encode::uri_encode_str_into(&mut target, &signed_names, false);
        let names = names_start..target.len();
        target.push_str("&X-Amz-Expires=");
        let expires_start = target.len();
        push_decimal(&mut target, expires_seconds);
        let expires = expires_start..target.len();
        // The token (signed or not) and SigV4a's region set follow, as aws-c-auth writes them.
        let token_range = token.map(|token| {
            target.push_str("&X-Amz-Security-Token=");
            let start = target.len();
            encode::uri_encode_str_into(&mut target, token, false);
            start..target.len()
        });
        let signed_token = token_range.filter(|_| sign_token);
        let region_set = self.sends_region_set().then(|| {
            target.push('&');
            target.push_str(REGION_SET);
            target.push('=');
            let start = target.len();
            encode::uri_encode_str_into(&mut target, self.scope.region_set_value(), false);
            start..target.len()
        });
        let written = |range: Range<usize>| target.get(range).unwrap_or_default();
        let mut extra = [
            ("X-Amz-Algorithm", self.algorithm.name()),
            ("X-Amz-Credential", written(credential)),
            ("X-Amz-Date", amz_date),
            ("X-Amz-SignedHeaders", written(names)),
            ("X-Amz-Expires", written(expires)),
            ("", ""),
            ("", ""),
        ];
        let mut extra_len = 5;
        for (name, range) in [
            ("X-Amz-Security-Token", signed_token),
            (REGION_SET, region_set),
        ] {
            if let Some(range) = range {
                extra[extra_len] = (name, written(range));
                extra_len += 1;
            }
        }
        let drop_key = |key: &[u8]| owned_param(key);
        let canonical = canonical::build(&Input {
            method: request.method(),
            path,
            encoding: self.settings.uri_encoding,
            normalize: self.settings.normalize_path,
            query,
            drop_query_key: &drop_key,
            extra_query: &extra[..extra_len],
            headers: headers.as_slice(),
            payload_hash: &payload_hash,
        })?;
        let steps = self.finish(canonical, amz_date)?;
        target.push_str("&X-Amz-Signature=");
        target.push_str(steps.signature());
        Ok(PresignedRequest {
            target,
            params_start,
            steps,
        })
    }

    /// The request's headers that are signed, less those the signer owns.
    fn headers_to_sign<'r>(
        &self,
        request: &'r Request<'_>,
        replacing_sha: bool,
        headers: &mut HeaderList<'r>,
    ) -> Result<()> {
        let mut has_host = false;
        for &(name, value) in request.headers() {
            let owned = name.eq_ignore_ascii_case("x-amz-date")
                || name.eq_ignore_ascii_case("x-amz-security-token")
                || name.eq_ignore_ascii_case("authorization")
                || (replacing_sha && name.eq_ignore_ascii_case("x-amz-content-sha256"))
                || (self.sends_region_set() && name.eq_ignore_ascii_case(REGION_SET));
            if owned || !self.settings.is_signed(name) {
                continue;
            }
            has_host |= name.eq_ignore_ascii_case("host");
            headers.push(HeaderRef { name, value });
        }
        if !has_host {
            return Err(Error::MissingHost);
        }
        Ok(())
    }

    /// Canonical request → string to sign → signature. `amz_date` is this signer's time.
    fn finish(&self, canonical_request: CanonicalRequest, amz_date: &str) -> Result<Steps> {
        let (string_to_sign, credential_scope) = string_to_sign_in_scope(
            self.algorithm,
            amz_date,
            &self.scope,
            &canonical_request.digest(),
        );
        let (key, signature) = match self.algorithm {
            Algorithm::HmacSha256 => {
                let key = self.key_for(amz_date.get(..8).unwrap_or_default());
                let signature = Hex64::new(&key.sign(string_to_sign.as_bytes()));
                (KeyUsed::Hmac(key), SignatureText::Hmac(signature))
            }
            Algorithm::EcdsaP256Sha256 => {
                let key = self.ecdsa_key()?;
                let signature = key.sign(string_to_sign.as_bytes());
                (KeyUsed::Ecdsa(key), SignatureText::Der(signature))
            }
        };
        Ok(Steps {
            algorithm: self.algorithm,
            time: self.time,
            credential_scope,
            canonical_request,
            string_to_sign,
            key,
            signature,
        })
    }
}

/// Appends `value` in decimal (without the formatting machinery, which showed in presigning).
fn push_decimal(out: &mut String, mut value: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

/// Up to this many headers to sign are listed on the stack.
const STACK_HEADERS: usize = 24;

/// The headers to sign.
type HeaderList<'a> = StackList<HeaderRef<'a>, STACK_HEADERS>;

/// The payload hash line. A hash computed here goes to `scratch` and the markers are constants,
/// so the common payloads cost no allocation. Signed chunks are signed by the head's
/// `algorithm`, which their marker names.
fn payload_line<'p>(
    payload: Payload<'p>,
    algorithm: Algorithm,
    scratch: &'p mut Hex64,
) -> Result<Cow<'p, str>> {
    Ok(match payload {
        Payload::Empty => Cow::Borrowed(EMPTY_SHA256),
        Payload::Unsigned => Cow::Borrowed(UNSIGNED_PAYLOAD),
        Payload::StreamingSigned => Cow::Borrowed(algorithm.signed_streaming_marker(false)),
        Payload::StreamingSignedTrailer => Cow::Borrowed(algorithm.signed_streaming_marker(true)),
        Payload::Bytes(body) => {
            *scratch = Hex64::new(&crate::crypto::sha256(body));
            Cow::Borrowed(scratch.as_str())
        }
        other => Cow::Owned(other.hash()?),
    })
}

fn is_presign_param(key: &[u8]) -> bool {
    PRESIGN_PARAMS.iter().any(|p| p.as_bytes() == key)
}

//! Signing: the `Authorization` header form and the presigned-URL (query) form.

use std::fmt;
use std::sync::Arc;

use crate::canonical::{self, CanonicalRequest, HeaderRef, Parts};
use crate::credentials::{Credentials, Scope};
use crate::encode;
use crate::error::{Error, Result};
use crate::key::{KeyCache, SigningKey};
use crate::request::Request;
use crate::settings::{Payload, SessionTokenMode, SigningSettings};
use crate::time::SigningTime;

/// The SigV4 algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Longest lifetime of a presigned URL: seven days.
pub const MAX_EXPIRES_SECONDS: u32 = 604_800;

/// Query parameters that carry a presigned signature; the signer owns them.
pub(crate) const PRESIGN_PARAMS: [&str; 7] = [
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
        }
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
        match self.cache {
            Some(cache) => cache.get(self.credentials, self.time.date(), &self.scope),
            None => Arc::new(SigningKey::derive(
                self.credentials.secret_access_key().expose(),
                self.time.date(),
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
    pub fn sign(&self, request: &Request<'_>, payload: Payload<'_>) -> Result<SignedRequest> {
        let payload_hash = payload.hash()?;
        let amz_date = self.time.amz_date();
        let token = self.credentials.session_token().map(|t| t.expose());
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;
        let send_sha = self.settings.content_sha256_header;

        let mut headers = self.headers_to_sign(request, send_sha)?;
        headers.push(HeaderRef {
            name: "X-Amz-Date",
            value: amz_date,
        });
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
        let canonical = canonical::build(&Parts {
            method: request.method(),
            path: request.path(),
            encoding: self.settings.uri_encoding,
            normalize: self.settings.normalize_path,
            query: request.query(),
            drop_query_key: &|_| false,
            extra_query: &[],
            headers: &headers,
            payload_hash: &payload_hash,
        })?;
        let steps = self.finish(canonical);

        let mut authorization = String::with_capacity(160);
        authorization.push_str(ALGORITHM);
        authorization.push_str(" Credential=");
        authorization.push_str(self.credentials.access_key_id());
        authorization.push('/');
        authorization.push_str(&steps.credential_scope);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(steps.canonical_request.signed_headers());
        authorization.push_str(", Signature=");
        authorization.push_str(&steps.signature);

        let mut out = Vec::with_capacity(4);
        if let Some(token) = token {
            out.push(("X-Amz-Security-Token", token.to_owned()));
        }
        out.push(("X-Amz-Date", amz_date.to_owned()));
        if send_sha {
            out.push(("x-amz-content-sha256", payload_hash));
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
    pub fn presign(
        &self,
        request: &Request<'_>,
        payload: Payload<'_>,
        expires_seconds: u32,
    ) -> Result<PresignedRequest> {
        if !(1..=MAX_EXPIRES_SECONDS).contains(&expires_seconds) {
            return Err(Error::ExpiresOutOfRange {
                value: expires_seconds.into(),
            });
        }
        let payload_hash = payload.hash()?;
        let headers = self.headers_to_sign(request, false)?;
        let credential_scope = self.scope.credential_scope(self.time.date());
        let mut credential = String::with_capacity(credential_scope.len() + 32);
        encode::uri_encode_into(
            &mut credential,
            self.credentials.access_key_id().as_bytes(),
            false,
        );
        credential.push_str("%2F");
        encode::uri_encode_into(&mut credential, credential_scope.as_bytes(), false);
        let signed_names = signed_header_names(&headers);
        let signed_names_encoded = encode::uri_encode(&signed_names);
        let expires = expires_seconds.to_string();
        let token = self
            .credentials
            .session_token()
            .map(|t| encode::uri_encode(t.expose()));
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;

        let mut params: Vec<(&'static str, &str)> = vec![
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", &credential),
            ("X-Amz-Date", self.time.amz_date()),
            ("X-Amz-SignedHeaders", &signed_names_encoded),
            ("X-Amz-Expires", &expires),
        ];
        if let (Some(token), true) = (&token, sign_token) {
            params.push(("X-Amz-Security-Token", token));
        }
        let drop_key = |key: &[u8]| is_presign_param(key);
        let canonical = canonical::build(&Parts {
            method: request.method(),
            path: request.path(),
            encoding: self.settings.uri_encoding,
            normalize: self.settings.normalize_path,
            query: request.query(),
            drop_query_key: &drop_key,
            extra_query: &params,
            headers: &headers,
            payload_hash: &payload_hash,
        })?;
        let steps = self.finish(canonical);
        if let (Some(token), false) = (&token, sign_token) {
            params.push(("X-Amz-Security-Token", token));
        }

        // The URL keeps the caller's path and parameters as sent, then the presign parameters
        // in the order AWS's own signers write them.
        let mut target = String::with_capacity(request.target().len() + 512);
        target.push_str(request.path());
        target.push('?');
        for pair in request.query().split('&').filter(|p| !p.is_empty()) {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let dropped = encode::percent_decode(key).is_ok_and(|k| is_presign_param(&k));
            if !dropped {
                target.push_str(pair);
                target.push('&');
            }
        }
        let mut auth_params: Vec<(&'static str, String)> =
            params.iter().map(|&(n, v)| (n, v.to_owned())).collect();
        auth_params.push(("X-Amz-Signature", steps.signature.clone()));
        for (i, (name, value)) in auth_params.iter().enumerate() {
            if i > 0 {
                target.push('&');
            }
            target.push_str(name);
            target.push('=');
            target.push_str(value);
        }
        Ok(PresignedRequest {
            target,
            params: auth_params,
            steps,
        })
    }

    /// The request's headers that are signed, less those the signer owns.
    fn headers_to_sign<'r>(
        &self,
        request: &'r Request<'_>,
        replacing_sha: bool,
    ) -> Result<Vec<HeaderRef<'r>>> {
        let mut headers = Vec::with_capacity(request.headers().len() + 3);
        let mut has_host = false;
        for &(name, value) in request.headers() {
            let owned = name.eq_ignore_ascii_case("x-amz-date")
                || name.eq_ignore_ascii_case("x-amz-security-token")
                || name.eq_ignore_ascii_case("authorization")
                || (replacing_sha && name.eq_ignore_ascii_case("x-amz-content-sha256"));
            if owned || !self.settings.is_signed(name) {
                continue;
            }
            has_host |= name.eq_ignore_ascii_case("host");
            headers.push(HeaderRef { name, value });
        }
        if !has_host {
            return Err(Error::MissingHost);
        }
        Ok(headers)
    }

    /// Canonical request → string to sign → signature.
    fn finish(&self, canonical_request: CanonicalRequest) -> Steps {
        let credential_scope = self.scope.credential_scope(self.time.date());
        let string_to_sign = string_to_sign(
            self.time.amz_date(),
            &credential_scope,
            &canonical_request.digest(),
        );
        let signing_key = self.signing_key();
        let signature = encode::hex(&signing_key.sign(string_to_sign.as_bytes()));
        Steps {
            time: self.time,
            credential_scope,
            canonical_request,
            string_to_sign,
            signing_key,
            signature,
        }
    }
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of the canonical request>`.
pub(crate) fn string_to_sign(
    amz_date: &str,
    credential_scope: &str,
    canonical_digest: &[u8; 32],
) -> String {
    let mut out =
        String::with_capacity(ALGORITHM.len() + amz_date.len() + credential_scope.len() + 68);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(credential_scope);
    out.push('\n');
    encode::hex_into(&mut out, canonical_digest);
    out
}

/// The string to sign for a canonical request given as text, for example one built by hand.
///
/// ```
/// use canreq::{Scope, SigningKey, SigningTime, string_to_sign_for};
///
/// let creq = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
///             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let scope = Scope::new("us-east-1", "service")?;
/// let sts = string_to_sign_for(creq, time, &scope);
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", time.date(), "us-east-1", "service");
/// let signature: String = key.sign(sts.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
/// assert_eq!(signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// # Ok::<(), canreq::Error>(())
/// ```
pub fn string_to_sign_for(canonical_request: &str, time: SigningTime, scope: &Scope) -> String {
    use sha2::{Digest, Sha256};
    let digest: [u8; 32] = Sha256::digest(canonical_request.as_bytes()).into();
    string_to_sign(
        time.amz_date(),
        &scope.credential_scope(time.date()),
        &digest,
    )
}

fn is_presign_param(key: &[u8]) -> bool {
    PRESIGN_PARAMS.iter().any(|p| p.as_bytes() == key)
}

/// The sorted, lowercase, `;`-joined names, as the canonical request will list them.
fn signed_header_names(headers: &[HeaderRef<'_>]) -> String {
    let mut names: Vec<String> = headers
        .iter()
        .map(|h| h.name.to_ascii_lowercase())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(";")
}

/// Every intermediate value of one signature, for display and debugging.
///
/// `Debug` shows everything but the signing key and the session token; the accessors give
/// them on request.
#[derive(Clone)]
pub struct Steps {
    time: SigningTime,
    credential_scope: String,
    canonical_request: CanonicalRequest,
    string_to_sign: String,
    signing_key: Arc<SigningKey>,
    signature: String,
}

impl Steps {
    /// The signing time (`X-Amz-Date` and the scope's date).
    pub fn time(&self) -> SigningTime {
        self.time
    }

    /// `DATE/REGION/SERVICE/aws4_request`.
    pub fn credential_scope(&self) -> &str {
        &self.credential_scope
    }

    /// The canonical request.
    pub fn canonical_request(&self) -> &CanonicalRequest {
        &self.canonical_request
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The signing key (a secret for its day, region and service).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The signature, 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        &self.signature
    }
}

impl fmt::Debug for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field("time", &self.time)
            .field("credential_scope", &self.credential_scope)
            .field("canonical_request", &self.canonical_request.redacted())
            .field("string_to_sign", &self.string_to_sign)
            .field("signing_key", &self.signing_key)
            .field("signature", &self.signature)
            .finish()
    }
}

/// The outcome of [`Signer::sign`]: the headers to set and the steps.
#[derive(Clone)]
pub struct SignedRequest {
    headers: Vec<(&'static str, String)>,
    steps: Steps,
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

/// The outcome of [`Signer::presign`]: the request target with the presign parameters, and the
/// steps.
#[derive(Clone)]
pub struct PresignedRequest {
    target: String,
    params: Vec<(&'static str, String)>,
    steps: Steps,
}

impl PresignedRequest {
    /// Path and query, with the presign parameters appended after the caller's own.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The presign parameters in the order they were appended, values as encoded in the URL.
    pub fn params(&self) -> &[(&'static str, String)] {
        &self.params
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

//! From parsed arguments to everything a signature needs, worked out once per run: parse →
//! resolve → run. A command builds one [`Resolved`] here and hands it down; nothing after this
//! point asks the AWS chain, reads a profile or infers a scope again.

use canreq::{Algorithm, Credentials, Scope, SessionTokenMode, SigningSettings, SigningTime};

use crate::args::{Addressing, EndpointArgs, RequestArgs, SigningArgs};
use crate::body::Body;
use crate::creds::{self, AwsChain};
use crate::endpoint_config;
use crate::error::CliError;
use crate::infer;
use crate::target::{Scheme, Url};

/// A request and everything needed to sign it.
#[derive(Clone)]
pub struct Resolved {
    /// The request as it will be sent (with `--endpoint-url` applied), minus the signature.
    pub request: Prepared,
    /// Region and service, from the flags, the host or the AWS chain.
    pub scope: Scope,
    /// The service's rules plus the flags.
    pub settings: SigningSettings,
    pub credentials: Credentials,
    pub time: SigningTime,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash.
    pub unsigned_payload: bool,
    /// SigV4 or SigV4a (`--sigv4a`).
    pub algorithm: Algorithm,
}

/// A request addressed: where it goes and the scope it is signed for, no key yet.
pub struct Addressed<'a> {
    pub request: Prepared,
    pub scope: Scope,
    /// The endpoint it goes to instead of the URL's host, and where that was set.
    pub endpoint: Option<(String, String)>,
    chain: AwsChain<'a>,
}

impl Resolved {
    /// Resolves a request given on the command line.
    pub fn from_args(
        request: &RequestArgs,
        endpoint: &EndpointArgs,
        signing: &SigningArgs,
    ) -> Result<Resolved, CliError> {
        Self::completed(request, endpoint, signing, |_, _| Ok(()))
    }

    /// As [`Resolved::from_args`], with `complete` adding what a command derives from the scope
    /// (protocol presets, streaming headers) once the scope is known and before the credentials
    /// are looked for, so that a mistake there is reported without asking the AWS chain.
    pub fn completed(
        request: &RequestArgs,
        endpoint: &EndpointArgs,
        signing: &SigningArgs,
        complete: impl FnOnce(&mut Prepared, &Scope) -> Result<(), CliError>,
    ) -> Result<Resolved, CliError> {
        let mut addressed = address(request, endpoint, signing)?;
        complete(&mut addressed.request, &addressed.scope)?;
        addressed.signed_by(signing)
    }
}

impl Addressed<'_> {
    /// The key and signing rules added.
    pub fn signed_by(mut self, signing: &SigningArgs) -> Result<Resolved, CliError> {
        let settings = settings(signing, self.scope.service())?;
        let credentials =
            creds::resolve(&signing.credentials, self.scope.region(), &mut self.chain)?;
        let time = match &signing.date {
            Some(d) => SigningTime::parse(d)?,
            None => SigningTime::now(),
        };
        let algorithm = signing.algorithm();
        Ok(Resolved {
            request: self.request,
            scope: self.scope,
            settings,
            credentials,
            time,
            unsigned_payload: signing.unsigned_payload,
            algorithm,
        })
    }
}

/// The host of an S3 Multi-Region Access Point, which only SigV4a signs, for every region.
fn is_mrap_host(host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    host.ends_with(".mrap.accesspoint.s3-global.amazonaws.com")
}

/// SigV4a's region set when it is not the one region: `--region-set`, else `*` for an MRAP
/// host. `None` signs the region as the set (and SigV4 signs no set).
fn sigv4a_region_set(signing: &SigningArgs, host: &str) -> Option<String> {
    if !signing.sigv4a {
        return None;
    }
    match &signing.region_set {
        Some(set) => Some(set.clone()),
        None => is_mrap_host(host).then(|| "*".to_owned()),
    }
}

/// The request from the flags, its scope, and the endpoint it goes to: `--endpoint-url`, else
/// the one the environment or profile configures for the service.
pub fn address<'a>(
    request: &RequestArgs,
    endpoint: &EndpointArgs,
    signing: &'a SigningArgs,
) -> Result<Addressed<'a>, CliError> {
    let mut prepared = Prepared::from_args(request)?;
    // The host the scope is inferred from is the URL's, even when sending elsewhere.
    let scope_host = prepared.url.host.clone();
    let mut chain = AwsChain::new(signing.credentials.profile.as_deref());
    let region_set = sigv4a_region_set(signing, &scope_host);
    // A region set needs no region of its own; the chain's credentials are looked up for its
    // first region.
    let first_of_set = region_set.as_deref().and_then(|s| s.split(',').next());
    let mrap_service = is_mrap_host(&scope_host).then_some("s3");
    let mut scope = creds::choose_scope(
        signing.region.as_deref().or(first_of_set),
        signing.service.as_deref().or(mrap_service),
        &scope_host,
        &mut chain,
    )?;
    if let Some(set) = &region_set {
        scope = Scope::for_region_set(set.split(',').map(str::trim), scope.service())?;
    }
    let chosen = match &endpoint.endpoint_url {
        Some(url) => Some((url.clone(), "--endpoint-url".to_owned())),
        None => endpoint_config::configured(scope.service(), &mut chain)?,
    };
    if let Some((url, _)) = &chosen {
        let bucket = canreq::is_s3_family(scope.service())
            .then(|| infer::s3_bucket(&scope_host))
            .flatten();
        prepared.send_to(Url::parse(url)?, bucket.as_deref(), endpoint.addressing);
    }
    Ok(Addressed {
        request: prepared,
        scope,
        endpoint: chosen,
        chain,
    })
}

/// The service's rules plus the flags.
fn settings(signing: &SigningArgs, service: &str) -> Result<SigningSettings, CliError> {
    let mut s = SigningSettings::for_service(service);
    if signing.content_sha256 {
        s.content_sha256_header = true;
    }
    if signing.no_normalize_path {
        s.normalize_path = false;
    }
    if signing.single_encoding {
        s.uri_encoding = canreq::UriEncoding::Single;
    }
    if signing.token_after_signing {
        s.session_token = SessionTokenMode::AddedAfterSigning;
    }
    for name in &signing.sign_header {
        s = s.sign_header(name);
    }
    for name in &signing.unsign_header {
        s = s.unsign_header(name)?;
    }
    Ok(s)
}

/// A request ready to sign: what goes on the wire, minus the signature.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: String,
    pub url: Url,
    /// Headers in order, `Host` first unless the user gave one.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Prepared {
    /// Builds the request from the flags, `Host` from the URL unless given.
    fn from_args(args: &RequestArgs) -> Result<Prepared, CliError> {
        let mut prepared = match &args.request_file {
            Some(path) => from_file(path)?,
            None => {
                let (method, url) = method_and_url(args)?;
                let url = Url::parse(url)?;
                let mut headers = Vec::with_capacity(args.headers.len() + 1);
                for h in &args.headers {
                    headers.push(parse_header(h)?);
                }
                Prepared {
                    method,
                    url,
                    headers,
                    body: body_of(args)?,
                }
            }
        };
        if !prepared.has_header("host") {
            prepared
                .headers
                .insert(0, ("Host".to_owned(), prepared.url.host_header()));
        }
        Ok(prepared)
    }

    /// Sends the request to `endpoint` (its scheme, host and port) instead. A virtual-hosted
    /// S3 `bucket` moves into the path, as the AWS CLI sends it to a custom endpoint, or into
    /// the endpoint's host name with [`Addressing::Virtual`].
    fn send_to(&mut self, endpoint: Url, bucket: Option<&str>, addressing: Addressing) {
        let mut target = self.url.target.clone();
        let mut host = endpoint.host_header();
        match (bucket, addressing) {
            (Some(bucket), Addressing::Path) => target = format!("/{bucket}{target}"),
            (Some(bucket), Addressing::Virtual) => host = format!("{bucket}.{host}"),
            (None, _) => {}
        }
        self.url = Url { target, ..endpoint };
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
        self.headers.insert(0, ("Host".to_owned(), host));
    }

    /// Whether a header of this name is present.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Whether the URL is HTTPS.
    pub fn is_tls(&self) -> bool {
        self.url.scheme == Scheme::Https
    }
}

/// The method and URL from `METHOD URL`, `-X METHOD URL` or `URL` alone (curl's default:
/// GET, PUT with -T, POST with -d).
fn method_and_url(args: &RequestArgs) -> Result<(String, &str), CliError> {
    let (word, url) = match (&args.method, &args.url) {
        (Some(method), Some(url)) => (Some(method.as_str()), url.as_str()),
        // One word is the URL.
        (Some(url), None) => (None, url.as_str()),
        _ => {
            return Err(CliError::usage(
                "give METHOD and URL (e.g. GET \
                 https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08), the URL alone \
                 (GET, or -X METHOD), or --request-file FILE",
            ));
        }
    };
    let method = match (word, args.request_method.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return Err(CliError::usage(format!(
                "two methods: {a} and -X {b}; give one"
            )));
        }
        (Some(m), _) | (None, Some(m)) => m,
        (None, None) if args.upload_file.is_some() => "PUT",
        (None, None) if !args.data.is_empty() => "POST",
        (None, None) => "GET",
    };
    check_method(method)?;
    Ok((method.to_owned(), url))
}

/// A method is a token, and AWS's are upper case: `get` would be sent and refused as
/// unknown (methods are case-sensitive).
fn check_method(method: &str) -> Result<(), CliError> {
    if method.contains("://") {
        return Err(CliError::usage(format!(
            "{method:?} is a URL where the method goes: give METHOD URL, -X METHOD URL or URL"
        )));
    }
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
        return Err(CliError::usage(format!(
            "bad method {method:?}: expected a word such as GET, PUT or POST"
        )));
    }
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err(CliError::usage(format!(
            "method {method:?} is not upper case: methods are case-sensitive and servers refuse \
             {method:?}; did you mean {}?",
            method.to_ascii_uppercase()
        )));
    }
    Ok(())
}

/// The body of `-d` or `-T`.
fn body_of(args: &RequestArgs) -> Result<Body, CliError> {
    if let Some(path) = &args.upload_file {
        let path = path.to_string_lossy();
        return Body::from_data(&[format!("@{path}")]);
    }
    if args.data.iter().any(|d| d == "@") {
        return Err(CliError::usage(
            "-d @ names no file: give -d @FILE, or -d @- to read stdin",
        ));
    }
    Body::from_data(&args.data)
}

fn from_file(path: &std::path::Path) -> Result<Prepared, CliError> {
    let bytes = crate::body::read_all(path)?;
    let raw = canreq::RawRequest::parse(&bytes)?;
    let host = raw
        .headers()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim().to_owned())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{}: the request has no Host header",
                path.display()
            ))
        })?;
    // The target is kept exactly as written: it is what the suite and servers see.
    let mut url = Url::parse(&format!("https://{host}/"))?;
    url.target = raw.target().to_owned();
    Ok(Prepared {
        method: raw.method().to_owned(),
        url,
        headers: raw.headers().to_vec(),
        body: Body::Bytes(raw.body().to_vec()),
    })
}

/// `Name: value` (curl's form; the value is kept as typed after the first `:`).
fn parse_header(text: &str) -> Result<(String, String), CliError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| CliError::usage(format!("bad header {text:?}: expected 'Name: value'")))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CliError::usage(format!("bad header {text:?}: empty name")));
    }
    Ok((name.to_owned(), value.trim_start().to_owned()))
}

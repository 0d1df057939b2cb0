//! Options shared by `sign`, `presign` and `request`, and turning them into a request to sign.

use std::path::PathBuf;

use canreq::{SessionTokenMode, SigningSettings, SigningTime};
use clap::Args;

use crate::body::Body;
use crate::creds::{self, ScopeChoice};
use crate::error::CliError;
use crate::target::{Scheme, Url};

/// Where the key comes from.
#[derive(Debug, Clone, Args)]
pub struct CredentialArgs {
    /// Access key id (else the AWS chain: environment, profile, SSO, metadata…).
    #[arg(long, env = "CANREQ_ACCESS_KEY", help_heading = "Credentials")]
    pub access_key: Option<String>,
    /// Secret access key (prefer the environment variable: command lines are visible to others).
    #[arg(
        long,
        env = "CANREQ_SECRET_KEY",
        hide_env_values = true,
        help_heading = "Credentials"
    )]
    pub secret_key: Option<String>,
    /// Session token of temporary credentials.
    #[arg(
        long,
        env = "CANREQ_SESSION_TOKEN",
        hide_env_values = true,
        help_heading = "Credentials"
    )]
    pub session_token: Option<String>,
    /// Profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else "default").
    #[arg(long, help_heading = "Credentials")]
    pub profile: Option<String>,
}

/// How to sign.
#[derive(Debug, Clone, Args)]
pub struct SigningArgs {
    /// Region to sign for (default: from the host, else AWS_REGION or the profile).
    #[arg(long, help_heading = "Signing")]
    pub region: Option<String>,
    /// Signing name of the service, e.g. s3, iam, execute-api (default: from the host).
    #[arg(long, help_heading = "Signing")]
    pub service: Option<String>,
    /// Signing time, RFC 3339 or 20150830T123600Z (default: now). Fix it for reproducible output.
    #[arg(long, help_heading = "Signing")]
    pub date: Option<String>,
    /// Send and sign x-amz-content-sha256 (always on for S3).
    #[arg(long, help_heading = "Signing")]
    pub content_sha256: bool,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash.
    #[arg(long, help_heading = "Signing")]
    pub unsigned_payload: bool,
    /// Also sign this header although it is unsigned by default (e.g. user-agent). Repeatable.
    #[arg(long, value_name = "NAME", help_heading = "Signing")]
    pub sign_header: Vec<String>,
    /// Leave this header unsigned. Repeatable; host and x-amz-* are always signed.
    #[arg(long, value_name = "NAME", help_heading = "Signing")]
    pub unsign_header: Vec<String>,
    /// Keep `.`/`..` segments and repeated slashes in the path (S3 never normalizes).
    #[arg(long, help_heading = "Signing")]
    pub no_normalize_path: bool,
    /// Use the path as sent instead of encoding it once more (S3's rule, on for S3 anyway).
    #[arg(long, help_heading = "Signing")]
    pub single_encoding: bool,
    /// Add X-Amz-Security-Token after signing instead of signing it (a few older services).
    #[arg(long, help_heading = "Signing")]
    pub token_after_signing: bool,
    /// Show the secret key, session token and signing key instead of redacting them.
    #[arg(long, help_heading = "Output")]
    pub show_secrets: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

/// The request: from METHOD URL and flags, or from a raw HTTP/1.1 file.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// HTTP method, e.g. GET, PUT, POST.
    pub method: Option<String>,
    /// URL, e.g. https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
    pub url: Option<String>,
    /// Header 'Name: value'. Repeatable; repeated names are kept in order.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Body: TEXT, @FILE (streamed) or @- (stdin). Several are joined with '&', as curl does.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Vec<String>,
    /// Read the whole request (request line, headers, body) from a raw HTTP/1.1 file, or - for stdin.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["method", "url", "data"])]
    pub request_file: Option<PathBuf>,
}

/// A request ready to sign: what goes on the wire, minus the signature.
#[derive(Debug)]
pub struct Prepared {
    pub method: String,
    pub url: Url,
    /// Headers in order, `Host` first unless the user gave one.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl RequestArgs {
    /// Builds the request. `endpoint` (from `--endpoint-url`) replaces scheme, host and port.
    pub fn prepare(&self, endpoint: Option<&str>) -> Result<(Prepared, String), CliError> {
        let mut prepared = match &self.request_file {
            Some(path) => from_file(path)?,
            None => {
                let (Some(method), Some(url)) = (&self.method, &self.url) else {
                    return Err(CliError::usage(
                        "give METHOD and URL (e.g. GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08), or --request-file FILE",
                    ));
                };
                let method = method.clone();
                let url = Url::parse(url)?;
                let mut headers = Vec::with_capacity(self.headers.len() + 1);
                for h in &self.headers {
                    headers.push(parse_header(h)?);
                }
                Prepared {
                    method,
                    url,
                    headers,
                    body: Body::from_data(&self.data)?,
                }
            }
        };
        // The host the scope is inferred from is the URL's, even when sending elsewhere.
        let scope_host = prepared.url.host.clone();
        if let Some(endpoint) = endpoint {
            let e = Url::parse(endpoint)?;
            prepared.url = Url {
                target: prepared.url.target.clone(),
                ..e
            };
            prepared
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
        }
        if !prepared
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            prepared
                .headers
                .insert(0, ("Host".to_owned(), prepared.url.host_header()));
        }
        Ok((prepared, scope_host))
    }
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
pub fn parse_header(text: &str) -> Result<(String, String), CliError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| CliError::usage(format!("bad header {text:?}: expected 'Name: value'")))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CliError::usage(format!("bad header {text:?}: empty name")));
    }
    Ok((name.to_owned(), value.trim_start().to_owned()))
}

impl SigningArgs {
    /// The signing time.
    pub fn time(&self) -> Result<SigningTime, CliError> {
        match &self.date {
            Some(d) => Ok(SigningTime::parse(d)?),
            None => Ok(SigningTime::now()),
        }
    }

    /// Region and service for this host.
    pub fn scope(&self, host: &str) -> Result<ScopeChoice, CliError> {
        creds::choose_scope(
            self.region.as_deref(),
            self.service.as_deref(),
            host,
            self.credentials.profile.as_deref(),
        )
    }

    /// The service's rules plus the flags.
    pub fn settings(&self, service: &str) -> Result<SigningSettings, CliError> {
        let mut s = SigningSettings::for_service(service);
        if self.content_sha256 {
            s.content_sha256_header = true;
        }
        if self.no_normalize_path {
            s.normalize_path = false;
        }
        if self.single_encoding {
            s.uri_encoding = canreq::UriEncoding::Single;
        }
        if self.token_after_signing {
            s.session_token = SessionTokenMode::AddedAfterSigning;
        }
        for name in &self.sign_header {
            s = s.sign_header(name);
        }
        for name in &self.unsign_header {
            s = s.unsign_header(name)?;
        }
        Ok(s)
    }
}

impl Prepared {
    /// Whether the URL is HTTPS.
    pub fn is_tls(&self) -> bool {
        self.url.scheme == Scheme::Https
    }
}

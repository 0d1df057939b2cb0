//! `canreq verify`: check a captured request as an AWS service would.

use std::collections::HashMap;
use std::path::PathBuf;

use canreq::chunked::DecodedBody;
use canreq::diagnose::Cause;
use canreq::verify::{Accept, AuthError, Begun, CredentialStore, ErrorCode, Verified, Verifier};
use canreq::{
    Credentials, Framing, Message, RawRequest, SigningSettings, SigningTime, UriEncoding,
};

use crate::args::Format;
use crate::error::CliError;
use crate::out::outln;

/// Options of `canreq verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The raw HTTP/1.1 request (request line, headers, body), or - for stdin.
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub request_file: PathBuf,
    /// Check a presigned URL instead: the request a client sends with it (--method, -H).
    #[arg(long, value_name = "URL", conflicts_with = "request_file")]
    pub url: Option<String>,
    /// The method a presigned URL is used with (for --url).
    #[arg(long, default_value = "GET", requires = "url")]
    pub method: String,
    /// A header sent with the presigned URL, 'Name: value' (for --url). Repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER", requires = "url")]
    pub headers: Vec<String>,
    /// Access key id the request must be signed with.
    #[arg(long, env = "CANREQ_ACCESS_KEY")]
    pub access_key: String,
    /// Its secret (prefer the environment variable).
    #[arg(long, env = "CANREQ_SECRET_KEY", hide_env_values = true)]
    pub secret_key: String,
    /// Session token the request must carry.
    #[arg(long, env = "CANREQ_SESSION_TOKEN", hide_env_values = true)]
    pub session_token: Option<String>,
    /// Accepted region (repeatable; default: any).
    #[arg(long)]
    pub region: Vec<String>,
    /// Accepted service (repeatable; default: any).
    #[arg(long)]
    pub service: Vec<String>,
    /// The verifier's clock, RFC 3339 or 20150830T123600Z (default: now). For an old capture,
    /// give its time; `--date request` uses the request's own X-Amz-Date.
    #[arg(long)]
    pub date: Option<String>,
    /// Allowed clock skew in seconds.
    #[arg(long, default_value_t = 900)]
    pub clock_skew: u32,
    /// Refuse UNSIGNED-PAYLOAD.
    #[arg(long)]
    pub no_unsigned_payload: bool,
    #[command(flatten)]
    pub path_rules: PathRuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: VerifyArgs) -> Result<(), CliError> {
    let bytes = match &args.url {
        Some(url) => presigned_request(url, &args.method, &args.headers)?,
        None => crate::body::read_all(&args.request_file)?,
    };
    // Framed as a server frames it: what a server would not read as this request's body is
    // not vouched for by its signature.
    let message = match RawRequest::read_message(&bytes) {
        Ok(message) => message,
        Err(e @ canreq::Error::InvalidFraming { .. }) => {
            return refuse(
                &AuthError::new(
                    ErrorCode::InvalidRequest,
                    format!("A server would not read this request as sent: {e}."),
                ),
                args.format,
            );
        }
        Err(e) => return Err(e.into()),
    };
    let raw = message.request();
    let request = raw.request();
    let now = match args.date.as_deref() {
        None => SigningTime::now(),
        Some("request") => request_time(raw).ok_or_else(|| {
            CliError::usage("--date request: the request has no X-Amz-Date header or parameter")
        })?,
        Some(d) => SigningTime::parse(d)?,
    };
    let mut creds = Credentials::new(args.access_key.clone(), args.secret_key.clone())?;
    if let Some(token) = &args.session_token {
        creds = creds.with_session_token(token.clone())?;
    }
    let store: HashMap<String, Credentials> = [(args.access_key.clone(), creds.clone())].into();
    let accept = |v: &[String]| {
        if v.is_empty() {
            Accept::Any
        } else {
            Accept::Only(v.to_vec())
        }
    };
    let verifier = Verifier::new(store)
        .regions(accept(&args.region))
        .services(accept(&args.service))
        .clock_skew_seconds(args.clock_skew)
        .allow_unsigned_payload(!args.no_unsigned_payload);
    let verifier = args.path_rules.apply(verifier);
    if let Some(error) = unsigned_framing(&message) {
        return refuse(&error, args.format);
    }
    match check(&verifier, &request, raw.body(), now) {
        Ok((verified, decoded)) => {
            print_valid(&verified, decoded.as_ref(), args.format)?;
            Ok(())
        }
        Err(error) => {
            // A signature that does not match: with the secret at hand, name the mistake.
            let causes = if error.code() == ErrorCode::SignatureDoesNotMatch
                && let Ok(found) = canreq::diagnose::search(&request, raw.body(), &creds)
            {
                found.causes
            } else {
                Vec::new()
            };
            print_invalid(&error, &causes, args.format)?;
            Err(refused(&error))
        }
    }
}

/// The request a client makes with a presigned URL: its target, its host and the given headers.
fn presigned_request(url: &str, method: &str, headers: &[String]) -> Result<Vec<u8>, CliError> {
    let url = crate::target::Url::parse(url)?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\n",
        url.target,
        url.host_header()
    );
    for header in headers {
        if !header.contains(':') {
            return Err(CliError::usage(format!(
                "bad header {header:?}: expected 'Name: value'"
            )));
        }
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    Ok(head.into_bytes())
}

/// Prints the invalid verdict and returns the exit it means.
fn refuse(error: &AuthError, format: Format) -> Result<(), CliError> {
    print_invalid(error, &[], format)?;
    Err(refused(error))
}

fn refused(error: &AuthError) -> CliError {
    CliError::refused(format!(
        "invalid: {} ({})",
        error.code().as_str(),
        error.message()
    ))
}

/// What the capture carries that no signature can cover: HTTP trailer fields that name
/// `x-amz-*` headers (they come after the signed head), and bytes after the message.
fn unsigned_framing(message: &Message) -> Option<AuthError> {
    if let Framing::Chunked { trailers } = message.framing()
        && let Some((name, _)) = trailers
            .iter()
            .find(|(name, _)| name.to_ascii_lowercase().starts_with("x-amz-"))
    {
        return Some(
            AuthError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "The HTTP trailer field {name} cannot be signed: SigV4 signs the head, and a \
                     trailer comes after the body (aws-chunked bodies carry their own signed trailer)."
                ),
            )
            .with_detail("Trailer", name.clone()),
        );
    }
    let after = message.after();
    if after.is_empty() {
        return None;
    }
    let first_line = after.split(|&b| b == b'\n').next().unwrap_or_default();
    Some(
        AuthError::new(
            ErrorCode::InvalidRequest,
            format!(
                "{} bytes follow the message: a second request follows, not covered by this \
                 signature (a server reads the body by its framing, then the next request).",
                after.len()
            ),
        )
        .with_detail(
            "FollowingLine",
            String::from_utf8_lossy(first_line).trim_end().to_owned(),
        ),
    )
}

/// Verifies the head, then the body: hashed whole, or decoded chunk by chunk when it is
/// aws-chunked (every chunk signature, the trailer signature and checksum).
fn check(
    verifier: &Verifier<HashMap<String, Credentials>>,
    request: &canreq::Request<'_>,
    body: &[u8],
    now: SigningTime,
) -> Result<(Verified<()>, Option<DecodedBody>), AuthError> {
    match verifier.begin(request, now)? {
        Begun::Done(verified) => Ok((verified, None)),
        Begun::Whole(mut pending) => {
            pending.update(body);
            Ok((pending.finish()?, None))
        }
        Begun::Chunked(mut pending) => {
            pending.decode(body, |_| ())?;
            let (verified, decoded) = pending.finish()?;
            Ok((verified, Some(decoded)))
        }
    }
}

/// How the clients being verified canonicalize paths, when not as their services do: the
/// same flags as `canreq sign`'s, so that what was signed with them verifies with them.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct PathRuleArgs {
    /// The clients kept `.`/`..` segments and repeated slashes in the path (as `canreq sign
    /// --no-normalize-path`); S3 never normalizes.
    #[arg(long, help_heading = "Path rules")]
    pub no_normalize_path: bool,
    /// The clients signed the path as sent instead of encoding it once more (as `canreq sign
    /// --single-encoding`); S3 always does.
    #[arg(long, help_heading = "Path rules")]
    pub single_encoding: bool,
}

impl PathRuleArgs {
    /// `verifier`, told these rules for every service outside the S3 family.
    pub fn apply<S: CredentialStore>(self, verifier: Verifier<S>) -> Verifier<S> {
        if !self.no_normalize_path && !self.single_encoding {
            return verifier;
        }
        let mut settings = SigningSettings::default();
        settings.normalize_path &= !self.no_normalize_path;
        if self.single_encoding {
            settings.uri_encoding = UriEncoding::Single;
        }
        verifier.other_services_settings(&settings)
    }
}

/// The request's own signing time, from the header or the presign parameter, or else from
/// `Date` (which the verifier also reads when there is no `X-Amz-Date`).
fn request_time(raw: &RawRequest) -> Option<SigningTime> {
    let find = |name: &str| {
        raw.headers()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let header = find("x-amz-date");
    let param = || {
        raw.target()
            .split_once('?')?
            .1
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Date="))
            .map(str::to_owned)
    };
    match header.or_else(param) {
        Some(amz) => SigningTime::parse(&amz).ok(),
        None => SigningTime::parse_http_date(&find("date")?).ok(),
    }
}

fn print_valid(
    v: &Verified<()>,
    decoded: Option<&DecodedBody>,
    format: Format,
) -> Result<(), CliError> {
    match format {
        Format::Text => {
            outln!("Verdict:           valid")?;
            outln!("Access key:        {}", v.access_key_id())?;
            match v.region_set() {
                None => outln!(
                    "Scope:             {}/{}/{}",
                    v.time().date(),
                    v.region(),
                    v.service()
                )?,
                Some(set) => {
                    outln!("Algorithm:         {}", v.algorithm())?;
                    outln!(
                        "Scope:             {}/{} (region set {set})",
                        v.time().date(),
                        v.service()
                    )?;
                }
            }
            outln!("Signed by:         {:?} auth", v.location())?;
            outln!("Signed headers:    {}", v.signed_headers().join(";"))?;
            outln!("Payload:           {}", v.payload().as_str())?;
            if let Some(d) = decoded {
                // Say what actually vouches for the data: an unsigned-trailer body has no
                // signatures, and without a checksum nothing covers it at all.
                let covered = match (d.mode().signs_chunks(), d.checksum()) {
                    (true, _) => "every signature checked",
                    (false, Some(_)) => "chunks unsigned, covered by the trailing checksum only",
                    (false, None) => "chunks unsigned and no checksum: the data is not covered",
                };
                outln!(
                    "Decoded body:      {} bytes in {} chunks, {covered}",
                    d.decoded_length(),
                    d.chunks()
                )?;
                if let Some((alg, value)) = d.checksum() {
                    outln!("Checksum:          {alg} {value} (matches the data)")?;
                }
            }
            if let Some(e) = v.expires() {
                outln!("Expires after:     {e} s")?;
            }
            outln!(
                "\nCanonical request:\n{}\n",
                v.canonical_request().redacted()
            )?;
            outln!("String to sign:\n{}", v.string_to_sign())?;
        }
        Format::Json => {
            let value = serde_json::json!({
                "valid": true,
                "access_key": v.access_key_id(),
                "region": v.region(),
                "algorithm": v.algorithm().name(),
                "region_set": v.region_set(),
                "service": v.service(),
                "signed_headers": v.signed_headers(),
                "payload": v.payload().as_str(),
                "decoded_length": decoded.map(|d| d.decoded_length()),
                "chunks": decoded.map(|d| d.chunks()),
                "checksum": decoded.and_then(|d| d.checksum()).map(|(alg, value)| {
                    serde_json::json!({"algorithm": alg.name(), "value": value})
                }),
                "expires": v.expires(),
                "canonical_request": v.canonical_request().redacted(),
                "string_to_sign": v.string_to_sign(),
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn print_invalid(e: &AuthError, causes: &[Cause], format: Format) -> Result<(), CliError> {
    match format {
        Format::Text => {
            outln!("Verdict:           invalid")?;
            outln!(
                "Code:              {} (HTTP {})",
                e.code().as_str(),
                e.status()
            )?;
            outln!("Message:           {}", e.message())?;
            for cause in causes {
                outln!("Cause:             {} — {}", cause.code, cause.explanation)?;
            }
            for (name, value) in e.details() {
                if value.contains('\n') {
                    outln!("\n{name}:\n{value}")?;
                } else {
                    outln!("{:<19}{value}", format!("{name}:"))?;
                }
            }
        }
        Format::Json => {
            let details: serde_json::Map<String, serde_json::Value> = e
                .details()
                .iter()
                .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(v.as_str())))
                .collect();
            let value = serde_json::json!({
                "valid": false,
                "code": e.code().as_str(),
                "status": e.status(),
                "message": e.message(),
                "details": details,
                "causes": causes
                    .iter()
                    .map(|c| serde_json::json!({"code": c.code.as_str(), "explanation": c.explanation}))
                    .collect::<Vec<_>>(),
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

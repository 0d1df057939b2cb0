//! `canreq sign` and `canreq presign`: offline, every step printed.

use canreq::{Scope, SigningTime};
use clap::Args;

use crate::args::{EndpointArgs, Format, RequestArgs, SigningArgs, parse_expires};
use crate::error::CliError;
use crate::out::{out, outln};
use crate::resolve::Resolved;
use crate::signing::{self, Placement, Signed};
use crate::steps;

/// Options of `canreq sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Sign a canonical request you built yourself (TEXT, @FILE or @-) instead of a request.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["method", "url", "request_file", "data", "headers"])]
    pub canonical_request: Option<String>,
    /// Sign in the query string (presigned URL form) instead of the Authorization header.
    #[arg(long)]
    pub query: bool,
    /// Validity of a query-signed request: seconds or a duration (900, 15m, 1h, 7d), at most 7d.
    #[arg(long, default_value = "3600", value_parser = parse_expires, requires = "query")]
    pub expires: u32,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub signing: SigningArgs,
}

/// Options of `canreq presign`.
#[derive(Debug, Args)]
pub struct PresignArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Validity: seconds or a duration (900, 15m, 1h, 7d), at most 7 days.
    #[arg(long, default_value = "3600", value_parser = parse_expires)]
    pub expires: u32,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Output format: the URL (and, on stderr, what to send with it), or JSON with the steps.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub signing: SigningArgs,
}

pub fn run_sign(args: SignArgs) -> Result<(), CliError> {
    if let Some(text) = &args.canonical_request {
        return sign_canonical(text, &args);
    }
    let placement = if args.query {
        Placement::Query {
            expires: args.expires,
        }
    } else {
        Placement::Header
    };
    let resolved = Resolved::from_args(&args.request, &args.endpoint, &args.signing)?;
    let signed = signing::sign(resolved, placement, None)?;
    print_signed(&signed, args.format, args.signing.show_secrets)?;
    Ok(())
}

pub fn run_presign(args: PresignArgs) -> Result<(), CliError> {
    let resolved = Resolved::from_args(&args.request, &args.endpoint, &args.signing)?;
    let placement = Placement::Query {
        expires: args.expires,
    };
    let signed = signing::sign(resolved, placement, None)?;
    match args.format {
        // The URL is the product: it carries the session token, as it must to be usable.
        Format::Text => {
            let p = &signed.request;
            let url = p.url.with_target(&p.url.target);
            outln!("{url}")?;
            // On stderr, so that `$(canreq presign …)` is the URL alone.
            let show = args.signing.show_secrets;
            let headers = headers_to_send(&signed, show);
            if !headers.is_empty() {
                eprintln!("Send these signed headers with it, exactly:");
                for (name, value) in &headers {
                    eprintln!("  {name}: {value}");
                }
            }
            eprintln!("Example: {}", presigned_curl(&signed, show));
        }
        Format::Json => print_signed(&signed, Format::Json, args.signing.show_secrets)?,
    }
    Ok(())
}

/// The headers a presigned URL was signed with, besides `Host`: a request without them (or
/// with other values) does not match its signature.
fn headers_to_send(signed: &Signed, show_secrets: bool) -> Vec<(&str, &str)> {
    let names = signed.steps.canonical_request().signed_headers();
    let signed_names: Vec<&str> = names.split(';').collect();
    signed
        .request
        .headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("host")
                && signed_names.contains(&n.to_ascii_lowercase().as_str())
        })
        .map(|(n, v)| {
            let v = if canreq::is_secret_header(n) && !show_secrets {
                steps::REDACTED
            } else {
                v.as_str()
            };
            (n.as_str(), v)
        })
        .collect()
}

/// A curl command that uses a presigned URL: its method, its signed headers, and a file to
/// upload when the method sends one.
fn presigned_curl(signed: &Signed, show_secrets: bool) -> String {
    let p = &signed.request;
    let url = p.url.with_target(&p.url.target);
    let mut line = String::from("curl");
    match p.method.as_str() {
        "GET" => {}
        "PUT" => line.push_str(" -T FILE"),
        "HEAD" => line.push_str(" -I"),
        "POST" => line.push_str(" -X POST --data-binary @FILE"),
        other => line.push_str(&format!(" -X {}", steps::shell_quote(other))),
    }
    for (name, value) in headers_to_send(signed, show_secrets) {
        line.push_str(&format!(
            " -H {}",
            steps::shell_quote(&format!("{name}: {value}"))
        ));
    }
    line.push(' ');
    line.push_str(&steps::shell_quote(&url));
    line
}

fn print_signed(signed: &Signed, format: Format, show_secrets: bool) -> Result<(), CliError> {
    let p = &signed.request;
    let url = p.url.with_target(&p.url.target);
    match format {
        Format::Text => {
            out!("{}", steps::signed_text(signed, show_secrets))?;
        }
        Format::Json => {
            let value = serde_json::json!({
                "amz_date": signed.steps.time().amz_date(),
                "credential_scope": signed.steps.credential_scope(),
                "canonical_request": steps::canonical_text(&signed.steps, show_secrets),
                "string_to_sign": signed.steps.string_to_sign(),
                "algorithm": signed.steps.algorithm().name(),
                "region_set": region_set(signed),
                "signing_key": signed.steps.signing_key().map(|key| shown_key(key, show_secrets)),
                "public_key": signed.steps.ecdsa_key().map(|key| key.public_key().to_hex()),
                "signature": signed.steps.signature(),
                "authorization": signed.authorization,
                "method": p.method,
                "headers": steps::headers_json(&p.headers, show_secrets),
                "url": url,
                "headers_to_send": headers_to_send(signed, show_secrets)
                    .iter()
                    .map(|(n, v)| serde_json::json!([n, v]))
                    .collect::<Vec<_>>(),
                "curl": signed
                    .authorization
                    .is_none()
                    .then(|| presigned_curl(signed, show_secrets)),
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// The signing key in hex, or the redaction: it signs anything for its day, region and
/// service, like the secret it comes from.
fn shown_key(key: &canreq::SigningKey, show_secrets: bool) -> String {
    if show_secrets {
        key.to_hex()
    } else {
        steps::REDACTED.to_owned()
    }
}

/// SigV4a's region set as signed: the `X-Amz-Region-Set` header or presign parameter.
fn region_set(signed: &Signed) -> Option<String> {
    if let Some((_, value)) = signed
        .request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-region-set"))
    {
        return Some(value.clone());
    }
    let query = signed.request.url.target.split_once('?')?.1;
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("X-Amz-Region-Set="))?;
    Some(value.replace("%2A", "*").replace("%2C", ","))
}

/// The seeds' `signing` program: a canonical request in, the remaining steps out.
fn sign_canonical(text: &str, args: &SignArgs) -> Result<(), CliError> {
    let creq = read_text_arg(text)?;
    let creq = creq
        .strip_suffix('\n')
        .unwrap_or(&creq)
        .replace("\r\n", "\n");
    let signing = &args.signing;
    let (Some(region), Some(service)) = (&signing.region, &signing.service) else {
        return Err(CliError::usage(
            "--canonical-request needs --region and --service (they are part of the credential scope)",
        ));
    };
    let secret = signing.credentials.secret_key.as_deref().ok_or_else(|| {
        CliError::usage("--canonical-request needs --secret-key (or CANREQ_SECRET_KEY)")
    })?;
    let time = match &signing.date {
        Some(d) => SigningTime::parse(d)?,
        None => date_in_canonical(&creq).unwrap_or_else(SigningTime::now),
    };
    let scope = Scope::new(region.clone(), service.clone())?;
    let string_to_sign = canreq::string_to_sign_for(&creq, time, &scope);
    let key = canreq::SigningKey::derive(secret, time.date(), region, service);
    let signature: String = key
        .sign(string_to_sign.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let credential_scope = scope.credential_scope(time.date());
    match args.format {
        Format::Text => {
            outln!("Amazon timestamp:  {}", time.amz_date())?;
            outln!("Date:              {}", time.date())?;
            outln!("Credential scope:  {credential_scope}")?;
            outln!("\nString to sign:\n{string_to_sign}\n")?;
            outln!(
                "Signing key:       {}",
                shown_key(&key, signing.show_secrets)
            )?;
            outln!("Signature:         {signature}")?;
        }
        Format::Json => {
            let value = serde_json::json!({
                "string_to_sign": string_to_sign,
                "signing_key": shown_key(&key, signing.show_secrets),
                "signature": signature,
                "credential_scope": credential_scope,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// The `x-amz-date` header line of a canonical request, if it has one: signing at that time is
/// what makes a hand-built canonical request's signature match.
fn date_in_canonical(creq: &str) -> Option<SigningTime> {
    creq.lines()
        .find_map(|l| l.strip_prefix("x-amz-date:"))
        .and_then(|d| SigningTime::parse(d.trim()).ok())
}

/// TEXT, @FILE or @- (stdin).
pub fn read_text_arg(text: &str) -> Result<String, CliError> {
    match text.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
            Ok(s)
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read {path}: {e}"))),
        None => Ok(text.to_owned()),
    }
}

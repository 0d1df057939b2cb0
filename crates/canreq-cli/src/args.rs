//! Options shared by several commands, as clap parses them. Nothing here is worked out: that is
//! [`crate::resolve`]'s job, once per run.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Labelled steps for people.
    Text,
    /// One JSON object.
    Json,
}

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
    /// Sign with SigV4a (AWS4-ECDSA-P256-SHA256): a P-256 key derived from the secret, valid in
    /// a set of regions (X-Amz-Region-Set).
    #[arg(long, help_heading = "Signing")]
    pub sigv4a: bool,
    /// SigV4a's region set: regions separated by commas, or `*` (default: the region; `*` for
    /// an S3 Multi-Region Access Point host, *.mrap.accesspoint.s3-global.amazonaws.com).
    #[arg(
        long,
        value_name = "LIST",
        requires = "sigv4a",
        help_heading = "Signing"
    )]
    pub region_set: Option<String>,
    /// Show the secret key, session token and signing key instead of redacting them.
    #[arg(long, help_heading = "Output")]
    pub show_secrets: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

impl SigningArgs {
    /// The signing algorithm the flags choose (`--sigv4a` or SigV4).
    pub fn algorithm(&self) -> canreq::Algorithm {
        if self.sigv4a {
            canreq::Algorithm::EcdsaP256Sha256
        } else {
            canreq::Algorithm::HmacSha256
        }
    }
}

/// The request: from METHOD URL and flags, or from a raw HTTP/1.1 file.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// HTTP method, e.g. GET, PUT, POST; may be left out (see -X).
    #[arg(value_name = "METHOD")]
    pub method: Option<String>,
    /// URL, e.g. https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
    pub url: Option<String>,
    /// The method, as curl's -X; without it and without a METHOD word: GET, PUT with -T, POST
    /// with -d.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub request_method: Option<String>,
    /// Header 'Name: value'. Repeatable; repeated names are kept in order.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Body: TEXT, @FILE (streamed) or @- (stdin), sent as given (curl's --data-binary). Several
    /// are joined with '&', as curl does.
    #[arg(
        short = 'd',
        long = "data",
        visible_alias = "data-binary",
        value_name = "DATA"
    )]
    pub data: Vec<String>,
    /// Upload FILE (or - for stdin) as the body, PUT unless a method is given (curl's -T).
    #[arg(
        short = 'T',
        long = "upload-file",
        value_name = "FILE",
        conflicts_with = "data"
    )]
    pub upload_file: Option<PathBuf>,
    /// Read the whole request (request line, headers, body) from a raw HTTP/1.1 file, or - for stdin.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["method", "url", "data", "upload_file", "request_method"])]
    pub request_file: Option<PathBuf>,
}

/// Where the request goes when not to the URL's host.
#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// Send to this endpoint (e.g. http://127.0.0.1:9000) while signing for the URL's service and
    /// region. Default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the profile's
    /// services section and endpoint_url, as the AWS CLI reads them.
    #[arg(long, value_name = "URL", help_heading = "Endpoint")]
    pub endpoint_url: Option<String>,
    /// How an S3 bucket in a virtual-hosted URL (bucket.s3.REGION.amazonaws.com) reaches another
    /// endpoint: in the path (/bucket/key, the AWS CLI's choice for custom endpoints) or in the
    /// Host header (bucket.ENDPOINT).
    #[arg(
        long,
        value_enum,
        default_value_t = Addressing::Path,
        help_heading = "Endpoint"
    )]
    pub addressing: Addressing,
}

/// Where the bucket goes when a virtual-hosted S3 URL is sent to another endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Addressing {
    /// `/bucket/key` on the endpoint.
    Path,
    /// `Host: bucket.endpoint`, the path unchanged.
    Virtual,
}

/// The validity of a presigned URL: seconds (`900`) or a duration (`15m`, `1h`, `7d`), at
/// most 7 days.
pub fn parse_expires(text: &str) -> Result<u32, String> {
    let seconds = match text.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let span: jiff::Span = text.parse().map_err(|e| {
                format!("{text:?} is not a number of seconds or a duration like 15m, 1h, 7d ({e})")
            })?;
            let total = span
                .total(jiff::SpanTotal::from(jiff::Unit::Second).days_are_24_hours())
                .map_err(|e| format!("{text:?}: {e}"))?;
            if total.fract() != 0.0 || total < 0.0 {
                return Err(format!("{text:?} is not a whole number of seconds"));
            }
            total as u64
        }
    };
    if !(1..=604_800).contains(&seconds) {
        return Err(format!(
            "{text:?} is {seconds} seconds; a presigned URL lives 1 second to 7 days (604800)"
        ));
    }
    Ok(seconds as u32)
}

#[cfg(test)]
mod tests {
    use super::parse_expires;

    #[test]
    fn expires_takes_seconds_and_durations() {
        for (text, seconds) in [
            ("900", 900),
            ("15m", 900),
            ("1h", 3600),
            ("7d", 604_800),
            ("1h30m", 5400),
        ] {
            assert_eq!(parse_expires(text), Ok(seconds), "{text}");
        }
        for bad in ["0", "8d", "soon", "1.5s", "604801"] {
            assert!(parse_expires(bad).is_err(), "{bad}");
        }
    }
}

//! `canreq proxy`: a signing reverse proxy, so that any HTTP client (Grafana, OpenSearch
//! Dashboards, curl, a legacy app) talks to AWS through it without signing anything itself.
//!
//! Every request is signed anew for the upstream with canreq's signer and the proxy's
//! credentials (flags or the AWS chain, refreshed before they expire: `credentials`): `Host`
//! rewritten, hop-by-hop headers dropped, `X-Forwarded-*` added unsigned, and the client's own
//! signature, token and presign parameters removed first (`head`). Bodies stream in constant
//! memory (`forward`: S3 bodies re-chunked as signed aws-chunked on the fly; other services'
//! bodies hashed from memory or a temporary file; an SDK's aws-chunked body decoded and
//! re-signed chunk by chunk). Answers stream back as they come.
//!
//! The connections are the shared [`crate::server`] core's (limits, deadlines, TLS, drain on
//! SIGTERM); this module is its forwarding [`crate::server::Handler`] (`handler`), over the
//! pooled [`crate::upstream`] client. Access lines and metrics are `ops`'.

mod collect;
pub mod credentials;
pub mod forward;
mod handler;
pub mod head;
mod pump;
pub mod source;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Args;

use crate::args::CredentialArgs;
use crate::creds::{self, AwsChain};
use crate::error::CliError;
use crate::ops::{Ops, OpsArgs};
use crate::server::{self, BodyTime, Limits};
use crate::upstream::{Origin, Upstream, UpstreamOptions};

use credentials::{KeySource, Provider};
use forward::{BodyRules, Destination, Forwarder};

use handler::{Proxy, Route};

/// The clock of a body of unknown length runs as for a body this long (S3's largest PUT).
const MAX_UNKNOWN_LENGTH_CLOCK: u64 = 5 << 30;

/// Options of `canreq proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where requests go: http(s)://HOST[:PORT], e.g. https://search-logs.us-east-1.es.amazonaws.com
    #[arg(long, value_name = "URL", required_unless_present = "host_routing")]
    upstream: Option<String>,
    /// Signing name of the service (default: from the upstream's host, or --sign-host).
    #[arg(long)]
    service: Option<String>,
    /// Region to sign for (default: from the upstream's host, else AWS_REGION or the profile).
    #[arg(long)]
    region: Option<String>,
    /// Host to send and sign instead of the upstream's (a load balancer in front of an AWS
    /// endpoint); the service and region are inferred from it.
    #[arg(long, value_name = "HOST")]
    sign_host: Option<String>,
    /// Forward each request to the AWS host its Host header names (HTTPS), signing for that
    /// host's service and region.
    #[arg(long, conflicts_with_all = ["upstream", "sign_host"])]
    host_routing: bool,
    /// Extra PEM CA certificates to trust for the upstream, besides the system's.
    #[arg(long, value_name = "PEM")]
    upstream_ca: Option<PathBuf>,
    /// Longest wait for the upstream: to connect, to take the next piece of a body, and to
    /// answer once the body is sent (e.g. 30s, 2m, 500ms); then 504 GatewayTimeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    upstream_timeout: Duration,
    /// Bytes of a body held in memory while it is hashed before sending (bodies to services
    /// other than S3, and of unknown length); beyond, a temporary file (e.g. 8MiB, 512KiB).
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    buffer: u64,
    /// Largest body forwarded.
    #[arg(long, default_value = "5GiB", value_parser = parse_size)]
    max_body_bytes: u64,
    /// Sign S3 bodies UNSIGNED-PAYLOAD instead of signing their chunks (HTTPS upstreams only).
    #[arg(long)]
    unsigned_payload: bool,
    /// Assume this role (STS AssumeRole) with the credentials found, and sign with its own,
    /// renewed before they expire.
    #[arg(long, value_name = "ARN", help_heading = "Credentials")]
    role_arn: Option<String>,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// PEM certificate chain: listen on HTTPS (clients such as the AWS SDKs send aws-chunked
    /// uploads only over TLS).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most client connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Seconds allowed to send a request head, between two pieces of a body, and for the
    /// client to take each piece of the answer; 1 to 86400.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    #[command(flatten)]
    ops: OpsArgs,
}

/// A duration: `30s`, `2m`, `500ms`, `1h`, or whole seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 30s, 2m or 500ms ({e})"))?;
    let duration = jiff::SignedDuration::try_from(span)
        .ok()
        .and_then(|d| Duration::try_from(d).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a positive duration"))?;
    Ok(duration)
}

/// A size in bytes: `8MiB`, `512KiB`, `1GiB`, `64k`, `10M`, or bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 8MiB, 512KiB or 1048576"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("{text:?}: unknown unit {other:?} (KiB, MiB, GiB)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

pub fn run(args: ProxyArgs) -> Result<(), CliError> {
    // What needs no network is checked before anything starts.
    let route = route(&args)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls_acceptor(cert, key)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args, route, tls))
}

/// The route and, for one upstream, its destination: scope inferred from the signed host.
fn route(args: &ProxyArgs) -> Result<(Route, Option<Origin>), CliError> {
    let Some(url) = &args.upstream else {
        return Ok((
            Route::ByHost {
                region: args.region.clone(),
                service: args.service.clone(),
            },
            None,
        ));
    };
    let origin = Origin::parse(url)?;
    if args.unsigned_payload && !origin.is_tls() {
        return Err(CliError::usage(
            "--unsigned-payload needs an https:// upstream: without TLS nothing would protect \
             the body",
        ));
    }
    let host = args
        .sign_host
        .clone()
        .unwrap_or_else(|| origin.host_header());
    let mut chain = AwsChain::new(args.credentials.profile.as_deref());
    let scope = creds::choose_scope(
        args.region.as_deref(),
        args.service.as_deref(),
        &host,
        &mut chain,
    )?;
    let destination = Destination::new(origin.clone(), host, scope);
    Ok((Route::Fixed(destination), Some(origin)))
}

/// The credentials provider the flags ask for: their key, else the AWS chain (with a role
/// assumed through it for `--role-arn`).
async fn provider(args: &ProxyArgs, region: &str) -> Result<Provider, CliError> {
    let flags = &args.credentials;
    if flags.access_key.is_some() || flags.secret_key.is_some() || flags.session_token.is_some() {
        if args.role_arn.is_some() {
            return Err(CliError::usage(
                "--role-arn assumes a role with the AWS chain's credentials; it does not go \
                 with --access-key",
            ));
        }
        // The flags alone: `creds::resolve` checks them and never reaches the chain.
        let mut chain = AwsChain::new(None);
        let fixed = tokio::task::block_in_place(|| creds::resolve(flags, region, &mut chain))?;
        return Ok(Provider::Fixed(Arc::new(fixed)));
    }
    let chain = creds::default_chain(flags.profile.as_deref(), region).await;
    let Some(role) = &args.role_arn else {
        return Ok(Provider::Chain(SharedCredentialsProvider::new(chain)));
    };
    // The SDK's own configuration (AWS_ENDPOINT_URL_STS and the like apply), over the ring client.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::aws_http::https_client())
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(chain))
        .load()
        .await;
    let assumed = aws_config::sts::AssumeRoleProvider::builder(role)
        .configure(&config)
        .session_name("canreq-proxy")
        .build()
        .await;
    Ok(Provider::Chain(SharedCredentialsProvider::new(assumed)))
}

async fn serve(
    args: ProxyArgs,
    (route, origin): (Route, Option<Origin>),
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), CliError> {
    let ops = Ops::start("proxy", &args.ops).await?;
    let region = match &route {
        Route::Fixed(destination) => destination.scope.region().to_owned(),
        Route::ByHost { region, .. } => region.clone().unwrap_or_else(|| "us-east-1".to_owned()),
    };
    let refreshed = Arc::clone(&ops);
    let keys = KeySource::new(provider(&args, &region).await?)
        .on_refresh(Box::new(move || refreshed.credentials_refreshed()));
    // Credentials that cannot be found are a mistake to report now, not at the first request.
    keys.credentials().await?;
    let described = match &route {
        Route::Fixed(d) => format!(
            "{} as {} (service {}, region {})",
            d.origin,
            d.host,
            d.scope.service(),
            d.scope.region()
        ),
        Route::ByHost { .. } => "the AWS host each request names".to_owned(),
    };
    let upstream = Upstream::new(UpstreamOptions {
        // With --host-routing every request names its own origin; this one is never used.
        origin: match origin {
            Some(origin) => origin,
            None => Origin::parse("https://amazonaws.com")?,
        },
        connect_timeout: args.upstream_timeout.min(Duration::from_secs(10)),
        response_timeout: args.upstream_timeout,
        ca_file: args.upstream_ca.clone(),
    })?;
    let timeout = Duration::from_secs(args.timeout);
    let forwarder = Forwarder::new(
        upstream,
        Arc::new(keys),
        BodyRules {
            buffer: args.buffer,
            max_body: args.max_body_bytes,
            unsigned_payload: args.unsigned_payload,
        },
    );
    let proxy = Proxy {
        forwarder,
        route,
        ops,
        // serve's rules: by length, at least 4 KiB/s after 5 s, no pause over --timeout.
        body_time: BodyTime {
            total: None,
            min_rate: 4096,
            grace: Duration::from_secs(5),
            between_pieces: timeout,
        },
        tls: tls.is_some(),
        next_id: AtomicU64::new(1),
    };
    let max_connections = args.max_connections.max(1);
    let limits = Limits {
        max_connections,
        max_connections_per_address: (max_connections / 4).max(1),
        timeout,
        max_header_bytes: 64 * 1024,
    };
    let (listener, local) = server::bind(args.listen).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("canreq proxy: listening on {scheme}://{local}, forwarding to {described}");
    crate::out::outln!("{scheme}://{local}")?;
    let shutdown = server::Shutdown {
        signal: async {
            server::termination().await;
            eprintln!("canreq proxy: stopping");
        },
        drain: server::DRAIN_DEADLINE,
    };
    let stopped = server::accept_loop(listener, Arc::new(proxy), tls, limits, shutdown).await;
    if stopped.cut_short > 0 {
        eprintln!(
            "canreq proxy: {} connections still open after {} s, closed",
            stopped.cut_short,
            server::DRAIN_DEADLINE.as_secs()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_are_read_as_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["0s", "soon", "-3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "MiB", "8 parsecs", "99999999999GiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

//! `canreq gateway`: a verifying reverse proxy that puts AWS-style keys in front of any HTTP
//! service. Every request is verified as `canreq serve` verifies it (the shared
//! `serve::flow`: SigV4 header, presigned and aws-chunked, the dialect errors, the deadlines and
//! limits), its key's policy applied (`policy`), and only then forwarded (`relay`, `head`):
//! nothing of a refused request reaches the upstream, and a body refused on the way aborts
//! the upstream request. With `--sign-upstream` each verified request is signed anew with the
//! gateway's own credentials by the proxy's forwarder.
//!
//! The keys come from a file (`keys`), reloaded when it changes and on SIGHUP, or from the
//! flags. The gateway keeps no other state: run as many as needed behind a load balancer.

mod handler;
mod head;
mod keys;
mod policy;
mod relay;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Args;
use http::HeaderName;

use crate::creds;
use crate::error::CliError;
use crate::ops::{Ops, OpsArgs};
use crate::proxy::credentials::{KeySource, Provider};
use crate::proxy::forward::{BodyRules, Forwarder};
use crate::serve::config::{self, Policy, PolicyKey};
use crate::serve::{Keys, VerifyArgs, limits};
use crate::server;
use crate::upstream::{Origin, Upstream, UpstreamOptions};

use handler::{Gateway, Signing};
use head::IdentityHeaders;
use keys::{KeyRing, Reloader};

/// Options of `canreq gateway`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Where verified requests go: http(s)://HOST[:PORT].
    #[arg(long, value_name = "URL")]
    upstream: String,
    #[command(flatten)]
    verify: VerifyArgs,
    /// Header that tells the upstream the verified access key id (any the client sent is
    /// removed).
    #[arg(long, default_value = "X-Canreq-Access-Key", value_name = "NAME")]
    access_key_header: String,
    /// Header that tells the upstream the key's principal (from the key file; the access key
    /// id by default).
    #[arg(long, default_value = "X-Canreq-Principal", value_name = "NAME")]
    principal_header: String,
    /// Bytes of a body held in memory while its signature waits for it (a body signed by its
    /// own hash, without x-amz-content-sha256); beyond, a temporary file.
    #[arg(long, default_value_t = 8 * 1024 * 1024, value_name = "BYTES")]
    buffer: u64,
    /// Seconds to wait for the upstream: to connect, to take the next piece of a body, and to
    /// answer once the body is sent; then 504 GatewayTimeout.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    upstream_timeout: u64,
    /// Extra PEM CA certificates to trust for the upstream, besides the system's.
    #[arg(long, value_name = "PEM")]
    upstream_ca: Option<PathBuf>,
    /// Sign each verified request anew for the upstream with the gateway's own credentials
    /// (--upstream-access-key, else the AWS chain): tenant keys in, one real key out.
    #[arg(long, help_heading = "Upstream signing")]
    sign_upstream: bool,
    /// Access key id the gateway signs with (--sign-upstream).
    #[arg(
        long,
        requires = "upstream_secret_key",
        help_heading = "Upstream signing"
    )]
    upstream_access_key: Option<String>,
    /// Its secret (prefer the environment variable).
    #[arg(
        long,
        env = "CANREQ_UPSTREAM_SECRET_KEY",
        hide_env_values = true,
        help_heading = "Upstream signing"
    )]
    upstream_secret_key: Option<String>,
    /// Its session token.
    #[arg(
        long,
        env = "CANREQ_UPSTREAM_SESSION_TOKEN",
        hide_env_values = true,
        help_heading = "Upstream signing"
    )]
    upstream_session_token: Option<String>,
    /// AWS profile of the chain the gateway's credentials come from.
    #[arg(long, help_heading = "Upstream signing")]
    upstream_profile: Option<String>,
    /// Region signed for (default: the one the client signed for).
    #[arg(long, help_heading = "Upstream signing")]
    upstream_region: Option<String>,
    /// Service signed for (default: the one the client signed for).
    #[arg(long, help_heading = "Upstream signing")]
    upstream_service: Option<String>,
    #[command(flatten)]
    ops: OpsArgs,
}

pub fn run(args: GatewayArgs) -> Result<(), CliError> {
    // What needs no network is checked before anything starts.
    let origin = Origin::parse(&args.upstream)?;
    let identity = IdentityHeaders {
        access_key: header_name(&args.access_key_header, "--access-key-header")?,
        principal: header_name(&args.principal_header, "--principal-header")?,
    };
    if args.upstream_access_key.is_some() && !args.sign_upstream {
        return Err(CliError::usage(
            "--upstream-access-key signs for the upstream: it needs --sign-upstream",
        ));
    }
    let (ring, reloader) = match args.verify.keys("gateway")? {
        Keys::File(path) => {
            let ring = KeyRing::new(config::load_with_policies(&path)?);
            let reloader = Reloader::new(ring.clone(), path);
            (ring, Some(reloader))
        }
        Keys::One(akid, credentials) => {
            let policy = Policy {
                principal: akid.clone(),
                ..Policy::default()
            };
            let key = PolicyKey {
                credentials,
                policy,
            };
            (KeyRing::new([(akid, key)].into_iter().collect()), None)
        }
    };
    let tls = args.verify.tls()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args, origin, identity, (ring, reloader), tls))
}

fn header_name(name: &str, flag: &str) -> Result<HeaderName, CliError> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| CliError::usage(format!("{flag} {name:?} is not a header name")))
}

/// The gateway's own credentials for `--sign-upstream`: the flags', else the AWS chain's.
async fn provider(args: &GatewayArgs) -> Result<Provider, CliError> {
    if let (Some(akid), Some(secret)) = (&args.upstream_access_key, &args.upstream_secret_key) {
        let fixed = config::one(
            akid.clone(),
            secret.clone(),
            args.upstream_session_token.clone(),
        )?;
        return Ok(Provider::Fixed(Arc::new(fixed)));
    }
    let region = args.upstream_region.as_deref().unwrap_or("us-east-1");
    let chain = creds::default_chain(args.upstream_profile.as_deref(), region).await;
    Ok(Provider::Chain(SharedCredentialsProvider::new(chain)))
}

async fn serve(
    args: GatewayArgs,
    origin: Origin,
    identity: IdentityHeaders,
    (ring, reloader): (KeyRing, Option<Reloader>),
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), CliError> {
    let ops = Ops::start("gateway", &args.ops).await?;
    let key_count = ring.len();
    if let Some(reloader) = reloader {
        reloader.spawn();
    }
    let timeout = Duration::from_secs(args.upstream_timeout);
    let upstream = Upstream::new(UpstreamOptions {
        origin: origin.clone(),
        connect_timeout: timeout.min(Duration::from_secs(10)),
        response_timeout: timeout,
        ca_file: args.upstream_ca.clone(),
    })?;
    let (limits, bodies) = limits(&args.verify)?;
    let signing = if args.sign_upstream {
        let refreshed = Arc::clone(&ops);
        let keys = KeySource::new(provider(&args).await?)
            .on_refresh(Box::new(move || refreshed.credentials_refreshed()));
        // Credentials that cannot be found are a mistake to report now, not at the first request.
        keys.credentials().await?;
        let rules = BodyRules {
            buffer: args.buffer,
            max_body: bodies.max_body,
            unsigned_payload: false,
        };
        Some(Signing {
            forwarder: Forwarder::new(upstream.clone(), Arc::new(keys), rules),
            region: args.upstream_region.clone(),
            service: args.upstream_service.clone(),
        })
    } else {
        None
    };
    let gateway = Gateway {
        verifier: args.verify.verifier(ring),
        bodies,
        buffer: args.buffer,
        upstream,
        signing,
        identity,
        ops,
        tls: tls.is_some(),
        next_id: AtomicU64::new(1),
    };
    let (listener, local) = server::bind(args.listen).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let signed = if args.sign_upstream {
        ", signed anew"
    } else {
        ""
    };
    eprintln!(
        "canreq gateway: listening on {scheme}://{local} (keys: {key_count}), forwarding verified requests to {origin}{signed}"
    );
    crate::out::outln!("{scheme}://{local}")?;
    let shutdown = server::Shutdown {
        signal: async {
            server::termination().await;
            eprintln!("canreq gateway: stopping");
        },
        drain: server::DRAIN_DEADLINE,
    };
    let stopped = server::accept_loop(listener, Arc::new(gateway), tls, limits, shutdown).await;
    if stopped.cut_short > 0 {
        eprintln!(
            "canreq gateway: {} connections still open after {} s, closed",
            stopped.cut_short,
            server::DRAIN_DEADLINE.as_secs()
        );
    }
    Ok(())
}

//! `canreq serve`: a local endpoint that verifies AWS SigV4 signatures.
//!
//! Every request, any method and path, is verified with `canreq::verify`. A verified request
//! gets `200` and a report of what was verified; a refused one gets the AWS error document
//! with AWS's code and status. Everything is bounded: header size, body size (the body is
//! streamed through the hasher, never held), connections, and time.
//!
//! The connections themselves (accepting, TLS, deadlines, closing) are the shared
//! [`crate::server`] core's; this module is its verifying [`crate::server::Handler`]
//! (`handler`), the answers it gives (`reply`, written by `render`) and the keys it accepts
//! (`config`).

mod claimed;
mod config;
mod dialect;
mod handler;
mod refusal;
mod render;
mod reply;
mod unparsed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canreq::chunked::DecodeLimits;
use canreq::verify::{Accept, Verifier};
use clap::Args;

use crate::error::CliError;
use crate::server::{self, Limits};

pub use handler::State;

/// Options of `canreq serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TOML file with [[keys]] (access_key_id, secret_access_key, optional session_token).
    #[arg(long, conflicts_with = "access_key")]
    credentials: Option<PathBuf>,
    /// Access key id of the one accepted key.
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,
    // No `requires`/`conflicts_with` here: clap counts the variable as given, and an exported
    // CANREQ_SECRET_KEY, meant for `sign`, would refuse `--credentials FILE`; `run` checks.
    /// Its secret (prefer the environment variable: the command line is visible to other users).
    #[arg(long, env = "CANREQ_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Session token the key's requests must carry.
    #[arg(
        long,
        env = "CANREQ_SESSION_TOKEN",
        hide_env_values = true,
        requires = "access_key"
    )]
    session_token: Option<String>,
    /// Accepted region (repeatable; default: any).
    #[arg(long)]
    region: Vec<String>,
    /// Accepted service (repeatable; default: any).
    #[arg(long)]
    service: Vec<String>,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Largest accepted body, in bytes.
    #[arg(long, default_value_t = 5 * 1024 * 1024 * 1024)]
    max_body_bytes: u64,
    /// Largest signed aws-chunked chunk, in bytes: a signed chunk is held until its signature
    /// is checked, so this bounds memory per connection (the AWS SDKs sign 64 KiB to 1 MiB).
    /// Unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER) are not held: any size is accepted.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_chunk_bytes: usize,
    /// Largest accepted request head (request line and headers), in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_header_bytes: usize,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Seconds allowed to send the request head, between two pieces of the body, and for the
    /// client to take each piece of the answer; 1 to 86400.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Allowed clock skew, in seconds.
    #[arg(long, default_value_t = 900)]
    clock_skew: u32,
    /// Refuse UNSIGNED-PAYLOAD requests (presigned URLs included).
    #[arg(long)]
    no_unsigned_payload: bool,
    #[command(flatten)]
    path_rules: crate::verify_cmd::PathRuleArgs,
    /// Print no log line per request.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let keys = match (
        &args.credentials,
        args.access_key.clone(),
        args.secret_key.clone(),
    ) {
        (Some(path), _, secret) => {
            // A secret from the environment is not for the file's keys; one typed is a mistake.
            if secret.is_some() && secret != std::env::var("CANREQ_SECRET_KEY").ok() {
                return Err(CliError::usage(
                    "--credentials FILE and --secret-key cannot be used together: the file holds the secrets",
                ));
            }
            config::load(path)?
        }
        (None, Some(akid), Some(secret)) => {
            let creds = config::one(akid.clone(), secret, args.session_token.clone())?;
            [(akid, creds)].into_iter().collect()
        }
        _ => {
            return Err(CliError::usage(
                "serve needs the keys it accepts: --credentials FILE, or --access-key K with --secret-key S \
                 (or CANREQ_SECRET_KEY)",
            ));
        }
    };
    let accept = |list: &[String]| {
        if list.is_empty() {
            Accept::Any
        } else {
            Accept::Only(list.to_vec())
        }
    };
    let verifier = Verifier::new(keys.clone())
        .regions(accept(&args.region))
        .services(accept(&args.service))
        .clock_skew_seconds(args.clock_skew)
        .allow_unsigned_payload(!args.no_unsigned_payload)
        .chunk_limits(DecodeLimits {
            max_chunk_size: args.max_chunk_bytes,
            ..DecodeLimits::default()
        });
    let verifier = args.path_rules.apply(verifier);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls_acceptor(cert, key)?),
        _ => None,
    };
    if args.max_header_bytes < 8192 {
        return Err(CliError::usage("--max-header-bytes must be at least 8192"));
    }
    let state = Arc::new(State::new(
        verifier,
        args.max_body_bytes,
        Duration::from_secs(args.timeout),
        args.quiet,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args, keys.len(), state, tls))
}

async fn serve(
    args: ServeArgs,
    key_count: usize,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), CliError> {
    let (listener, local) = server::bind(args.listen).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let list = |v: &[String]| {
        if v.is_empty() {
            "any".to_owned()
        } else {
            v.join(",")
        }
    };
    eprintln!(
        "canreq serve: listening on {scheme}://{local} (keys: {key_count}, region: {}, service: {})",
        list(&args.region),
        list(&args.service)
    );
    if let Some(warning) = exposure_warning(local) {
        eprintln!("{warning}");
    }
    let limits = Limits {
        max_connections: args.max_connections,
        timeout: Duration::from_secs(args.timeout),
        max_header_bytes: args.max_header_bytes,
    };
    let accept_loop = server::accept_loop(listener, state, tls, limits);
    tokio::select! {
        () = accept_loop => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("canreq serve: stopping");
            Ok(())
        }
    }
}

/// A warning when `serve` listens beyond loopback: it is a test endpoint, and every answer
/// shows the canonical request and string to sign that a signature was checked against.
fn exposure_warning(local: SocketAddr) -> Option<String> {
    (!local.ip().is_loopback()).then(|| {
        format!(
            "canreq serve: warning: {} is reachable from other machines; every answer shows the \
             canonical request and string to sign it checked (use --listen 127.0.0.1:PORT to \
             keep it local)",
            local.ip()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_beyond_loopback_are_warned_about() {
        for local in ["127.0.0.1:8080", "127.1.2.3:1", "[::1]:8080"] {
            assert_eq!(exposure_warning(local.parse().unwrap()), None, "{local}");
        }
        for local in [
            "0.0.0.0:8080",
            "[::]:8080",
            "192.168.1.10:80",
            "[fe80::1]:80",
        ] {
            let warning = exposure_warning(local.parse().unwrap()).expect(local);
            assert!(
                warning.contains("reachable from other machines"),
                "{warning}"
            );
        }
    }
}

//! `canreq serve`: a local endpoint that verifies AWS SigV4 signatures.
//!
//! Every request, any method and path, is verified with `canreq::verify`. A verified request
//! gets `200` and a report of what was verified; a refused one gets the AWS error document
//! with AWS's code and status. Everything is bounded: header size, body size (the body is
//! streamed through the hasher, never held; smaller for a body read before its signature can
//! be checked), connections (in all and per client address), and time (a body's too: a
//! deadline and a least rate), so that a client without the secret cannot hold the server.
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
use crate::server::{self, BodyTime, Limits};

pub use handler::{BodyLimits, State};

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
    /// Largest accepted body, in bytes (the default is S3's largest single PUT).
    #[arg(long, default_value_t = 5 * 1024 * 1024 * 1024)]
    max_body_bytes: u64,
    /// Largest body whose signature can only be checked once it is read (a payload hash that
    /// is the body's, as for most non-S3 calls), in bytes: such a body comes from a client not
    /// yet known to hold the secret. A larger one is refused (EntityTooLarge) before it is
    /// read. Bodies whose signature is checked from the head get --max-body-bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_unverified_body: u64,
    /// Seconds a request body may take in all, whatever its length; 1 to 604800 [default: 10,
    /// or 2 per MiB of its length if that is longer].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    body_timeout: Option<u64>,
    /// Least average rate of a request body, in bytes per second, once --body-grace has
    /// passed (a slower client is answered RequestTimeout and disconnected); 0: no such rule.
    #[arg(long, default_value_t = 4096)]
    min_body_rate: u64,
    /// Seconds a request body may take before --min-body-rate applies (connection set-up,
    /// a slow start, the `100 Continue` round trip); 1 to 3600.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_grace: u64,
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
    /// Most connections served at once from one client address (for IPv6, one /64); more
    /// are closed as soon as they are accepted [default: a quarter of --max-connections].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections_per_ip: Option<u64>,
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
    /// Name the client's mistake in a SignatureDoesNotMatch answer (CanreqDiagnosis): the
    /// request re-signed the ways known client mistakes sign it, with the secret this server
    /// holds. Costs about a millisecond per refused signature: for a debugging endpoint.
    #[arg(long)]
    explain: bool,
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
    let (limits, bodies) = limits(&args)?;
    let state = Arc::new(State::new(verifier, bodies, args.quiet).explaining(args.explain));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args, keys.len(), state, tls, limits))
}

/// The connection and body limits the flags give, checked.
fn limits(args: &ServeArgs) -> Result<(Limits, BodyLimits), CliError> {
    if args.max_header_bytes < 8192 {
        return Err(CliError::usage("--max-header-bytes must be at least 8192"));
    }
    let max_connections = args.max_connections.max(1);
    let per_address = match args.max_connections_per_ip {
        // A share larger than the whole would only say the rule is off: say so instead.
        Some(n) if n > max_connections as u64 => {
            return Err(CliError::usage(format!(
                "--max-connections-per-ip ({n}) cannot exceed --max-connections ({max_connections})"
            )));
        }
        Some(n) => n as usize,
        None => (max_connections / 4).max(1),
    };
    let timeout = Duration::from_secs(args.timeout);
    let limits = Limits {
        max_connections,
        max_connections_per_address: per_address,
        timeout,
        max_header_bytes: args.max_header_bytes,
    };
    let bodies = BodyLimits {
        max_body: args.max_body_bytes,
        max_unverified: args.max_unverified_body,
        time: BodyTime {
            total: args.body_timeout.map(Duration::from_secs),
            min_rate: args.min_body_rate,
            grace: Duration::from_secs(args.body_grace),
            between_pieces: timeout,
        },
    };
    Ok((limits, bodies))
}

async fn serve(
    args: ServeArgs,
    key_count: usize,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
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
    let shutdown = server::Shutdown {
        signal: async {
            server::termination().await;
            eprintln!("canreq serve: stopping");
        },
        drain: server::DRAIN_DEADLINE,
    };
    let stopped = server::accept_loop(listener, state, tls, limits, shutdown).await;
    if stopped.cut_short > 0 {
        eprintln!(
            "canreq serve: {} connections still open after {} s, closed",
            stopped.cut_short,
            server::DRAIN_DEADLINE.as_secs()
        );
    }
    Ok(())
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
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn limits_of(flags: &[&str]) -> Result<(Limits, BodyLimits), CliError> {
        let cli = Cli::try_parse_from(["serve"].iter().chain(flags)).expect("flags parse");
        limits(&cli.serve)
    }

    #[test]
    fn the_default_limits_keep_one_client_from_holding_the_server() {
        let (limits, bodies) = limits_of(&[]).unwrap();
        // One address gets a quarter of the slots: three quarters stay for everyone else.
        assert_eq!(limits.max_connections, 256);
        assert_eq!(limits.max_connections_per_address, 64);
        // S3's largest single PUT streams; a body that must be read before its signature can
        // be checked is held to far less.
        assert_eq!(bodies.max_body, 5 << 30);
        assert_eq!(bodies.max_unverified, 64 << 20);
        // A body: 10 s at least, 2 s per MiB beyond; a trickle is cut 5 s in.
        let time = bodies.time;
        assert_eq!(time.total_for(1000), Duration::from_secs(10));
        assert_eq!(time.total_for(64 << 20), Duration::from_secs(128));
        assert_eq!(time.total_for(5 << 30), Duration::from_secs(10_240));
        assert_eq!((time.min_rate, time.grace), (4096, Duration::from_secs(5)));
        assert_eq!(time.between_pieces, limits.timeout);
    }

    #[test]
    fn the_limit_flags_are_taken_and_checked() {
        let (limits, bodies) = limits_of(&[
            "--max-connections",
            "10",
            "--max-connections-per-ip",
            "10",
            "--body-timeout",
            "7",
            "--min-body-rate",
            "0",
            "--body-grace",
            "1",
            "--max-unverified-body",
            "1000",
        ])
        .unwrap();
        assert_eq!(limits.max_connections_per_address, 10);
        assert_eq!(bodies.time.total_for(5 << 30), Duration::from_secs(7));
        assert_eq!(bodies.time.min_rate, 0);
        assert_eq!(bodies.max_unverified, 1000);
        // The default share of a small server is at least one slot.
        let (limits, _) = limits_of(&["--max-connections", "3"]).unwrap();
        assert_eq!(limits.max_connections_per_address, 1);
        let err = limits_of(&["--max-connections", "8", "--max-connections-per-ip", "9"])
            .expect_err("a share over the whole");
        assert!(err.to_string().contains("cannot exceed"), "{err}");
        assert!(
            Cli::try_parse_from(["serve", "--max-connections-per-ip", "0"]).is_err(),
            "no slot at all"
        );
    }

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

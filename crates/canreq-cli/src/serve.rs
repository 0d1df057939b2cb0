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

pub mod claimed;
pub mod config;
mod dialect;
pub mod flow;
mod handler;
mod options;
pub mod refusal;
mod render;
pub mod reply;
pub mod unparsed;

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;

use crate::error::CliError;
use crate::server::{self, Limits};

pub use flow::BodyLimits;
pub use handler::State;
pub use options::{Keys, VerifyArgs, limits};

/// Options of `canreq serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    pub verify: VerifyArgs,
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
    let keys = match args.verify.keys("serve")? {
        Keys::File(path) => config::load(&path)?,
        Keys::One(akid, creds) => [(akid, creds)].into_iter().collect(),
    };
    let verifier = args.verify.verifier(keys.clone());
    let tls = args.verify.tls()?;
    let (limits, bodies) = limits(&args.verify)?;
    let state = Arc::new(State::new(verifier, bodies, args.quiet).explaining(args.explain));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args, keys.len(), state, tls, limits))
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
        list(&args.verify.region),
        list(&args.verify.service)
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
    use std::time::Duration;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn limits_of(flags: &[&str]) -> Result<(Limits, BodyLimits), CliError> {
        let cli = Cli::try_parse_from(["serve"].iter().chain(flags)).expect("flags parse");
        limits(&cli.serve.verify)
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

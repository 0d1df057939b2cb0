//! `canreq serve`: a local endpoint that verifies AWS SigV4 signatures.
//!
//! Every request, any method and path, is verified with `canreq::verify`. A verified request
//! gets `200` and a report of what was verified; a refused one gets the AWS error document
//! with AWS's code and status. Everything is bounded: header size, body size (the body is
//! streamed through the hasher, never held), connections, and time.

mod config;
mod deadline;
mod handler;
mod idle;
mod linger;
mod refusal;
mod render;
mod reply;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canreq::chunked::DecodeLimits;
use canreq::verify::{Accept, Verifier};
use clap::Args;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::error::CliError;
use deadline::WriteDeadline;
use idle::{Activity, Watched};

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
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
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

fn tls_acceptor(cert: &PathBuf, key: &PathBuf) -> Result<tokio_rustls::TlsAcceptor, CliError> {
    let read = |path: &PathBuf| {
        std::fs::read(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
    };
    let certs: Vec<_> = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            CliError::usage(format!(
                "{} is not a PEM certificate chain: {e}",
                cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(CliError::usage(format!(
            "{} holds no certificate",
            cert.display()
        )));
    }
    let key_der = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| CliError::usage(format!("{} is not a PEM private key: {e}", key.display())))?
        .ok_or_else(|| CliError::usage(format!("{} holds no private key", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::usage(format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| CliError::usage(format!("certificate and key do not fit together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    args: ServeArgs,
    key_count: usize,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<(), CliError> {
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::network(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::network(format!("cannot read the listening address: {e}")))?;
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
    let accept_loop = accept_loop(listener, state, tls, limits);
    tokio::select! {
        () = accept_loop => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("canreq serve: stopping");
            Ok(())
        }
    }
}

/// Connection limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Time allowed for the request head, the TLS handshake, and each write to the client.
    pub timeout: Duration,
    /// Largest request head.
    pub max_header_bytes: usize,
}

/// Serves one connection's requests; once hyper is done with it, the connection is handed
/// back and closed without losing its last answer (see `linger`).
async fn serve_then_linger<S>(
    builder: &http1::Builder,
    stream: S,
    state: Arc<State>,
    remote: SocketAddr,
) -> Result<(), hyper::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| handler::handle(Arc::clone(&state), req, remote));
    let parts = builder
        .serve_connection(TokioIo::new(stream), service)
        .without_shutdown()
        .await?;
    linger::linger(parts.io.into_inner()).await;
    Ok(())
}

/// Serves connections from `listener` until the future is dropped; `canreq demo` runs it on a
/// free port in-process.
pub async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let timeout = limits.timeout;
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let (stream, remote) = match listener.accept().await {
            Ok(pair) => pair,
            Err(e) => {
                eprintln!("canreq serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let builder = {
                let mut b = http1::Builder::new();
                b.timer(TokioTimer::new())
                    .header_read_timeout(timeout)
                    .max_buf_size(limits.max_header_bytes)
                    // A client that shuts down its sending side once the request is out still
                    // gets its answer: without this, hyper drops the connection (and the request
                    // being answered) as soon as it reads the end of the stream.
                    .half_close(true)
                    .keep_alive(true);
                b
            };
            let log = Arc::clone(&state);
            // Under TLS too: the deadline sees the encrypted bytes the client must take.
            let stream = WriteDeadline::new(stream, timeout);
            // Watched on the plain text side, where the requests and answers are.
            let activity = Arc::new(Activity::default());
            let served = match tls {
                Some(acceptor) => {
                    // A client that does not finish the handshake in time is dropped.
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let io = Watched::new(tls_stream, Arc::clone(&activity));
                            serve_then_linger(&builder, io, state, remote).await
                        }
                        _ => Ok(()),
                    }
                }
                None => {
                    let io = Watched::new(stream, Arc::clone(&activity));
                    serve_then_linger(&builder, io, state, remote).await
                }
            };
            match served {
                // A kept-alive connection closed after its last answer: no request to log.
                Err(e) if e.is_timeout() && activity.is_idle() => {}
                Err(e) => log.log_connection_error(remote, &e),
                Ok(()) => {}
            }
        });
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

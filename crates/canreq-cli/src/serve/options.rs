//! The options `serve` and `gateway` share: the keys they accept, what the verifier accepts,
//! TLS, and the connection and body limits.

use std::path::PathBuf;
use std::time::Duration;

use canreq::Credentials;
use canreq::chunked::DecodeLimits;
use canreq::verify::{Accept, CredentialStore, Verifier};
use clap::Args;

use super::config;
use super::flow::BodyLimits;
use crate::error::CliError;
use crate::server::{self, BodyTime, Limits};

/// Verification options of `canreq serve` and `canreq gateway`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// TOML file with [[keys]] (access_key_id, secret_access_key, optional session_token).
    #[arg(long, conflicts_with = "access_key")]
    pub credentials: Option<PathBuf>,
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
    pub region: Vec<String>,
    /// Accepted service (repeatable; default: any).
    #[arg(long)]
    pub service: Vec<String>,
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
    pub path_rules: crate::verify_cmd::PathRuleArgs,
}

/// Where the accepted keys come from.
pub enum Keys {
    /// A key file (`--credentials`).
    File(PathBuf),
    /// One key from the flags.
    One(String, Credentials),
}

impl VerifyArgs {
    /// Where the keys come from; `command` names the command in the error when none is given.
    pub fn keys(&self, command: &str) -> Result<Keys, CliError> {
        match (&self.credentials, &self.access_key, &self.secret_key) {
            (Some(path), _, secret) => {
                // A secret from the environment is not for the file's keys; one typed is a mistake.
                if secret.is_some() && *secret != std::env::var("CANREQ_SECRET_KEY").ok() {
                    return Err(CliError::usage(
                        "--credentials FILE and --secret-key cannot be used together: the file holds the secrets",
                    ));
                }
                Ok(Keys::File(path.clone()))
            }
            (None, Some(akid), Some(secret)) => {
                let creds = config::one(akid.clone(), secret.clone(), self.session_token.clone())?;
                Ok(Keys::One(akid.clone(), creds))
            }
            _ => Err(CliError::usage(format!(
                "{command} needs the keys it accepts: --credentials FILE, or --access-key K with \
                 --secret-key S (or CANREQ_SECRET_KEY)"
            ))),
        }
    }

    /// A verifier of `store`'s keys with what the flags accept.
    pub fn verifier<S: CredentialStore>(&self, store: S) -> Verifier<S> {
        let accept = |list: &[String]| {
            if list.is_empty() {
                Accept::Any
            } else {
                Accept::Only(list.to_vec())
            }
        };
        let verifier = Verifier::new(store)
            .regions(accept(&self.region))
            .services(accept(&self.service))
            .clock_skew_seconds(self.clock_skew)
            .allow_unsigned_payload(!self.no_unsigned_payload)
            .chunk_limits(DecodeLimits {
                max_chunk_size: self.max_chunk_bytes,
                ..DecodeLimits::default()
            });
        self.path_rules.apply(verifier)
    }

    /// The TLS acceptor `--tls-cert`/`--tls-key` ask for.
    pub fn tls(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, CliError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(server::tls_acceptor(cert, key)?)),
            _ => Ok(None),
        }
    }
}

/// The connection and body limits the flags give, checked.
pub fn limits(args: &VerifyArgs) -> Result<(Limits, BodyLimits), CliError> {
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

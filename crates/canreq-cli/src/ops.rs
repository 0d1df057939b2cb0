//! What an operator sees of a long-running command (`proxy`, `gateway`): one access-log line
//! per request, on stderr as text or JSON (`log`, written through `tracing`), and an admin
//! listener with `/healthz` and Prometheus `/metrics` (`admin`, `metrics`).
//!
//! A handler observes each exchange: [`Ops::begin`] when a request arrives, the request body
//! read through [`Exchange::count_in`], and [`Exchange::respond`] around the answer. The answer's
//! body then counts the bytes sent, and the line is written (and the metrics moved) once that
//! body has ended or been dropped, so the duration and byte counts are those of the whole
//! exchange, a streamed answer included (`exchange`).
//!
//! Secrets never reach the log: no header is logged, and a presigned URL's signature,
//! credential and session token are replaced in the logged query.

mod admin;
mod exchange;
mod log;
mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use crate::error::CliError;
use metrics::Metrics;

pub use exchange::{Exchange, Observed};

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line per event for people, access lines as `canreq serve` writes them.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging and the admin listener: the options `proxy`, `gateway` and `serve` share.
#[derive(Debug, Clone, Args)]
pub struct OpsArgs {
    /// Format of the log lines on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, help_heading = "Operations")]
    pub log_format: LogFormat,
    /// Serve /healthz and Prometheus /metrics on this address (plain HTTP; keep it private).
    #[arg(long, value_name = "ADDR", help_heading = "Operations")]
    pub admin_listen: Option<SocketAddr>,
}

/// A command's logging and metrics, shared by its handler's tasks.
#[derive(Debug)]
pub struct Ops {
    command: &'static str,
    metrics: Metrics,
    admin: Option<SocketAddr>,
}

impl Ops {
    /// Sets up logging for `command` (`proxy`, `gateway`) and starts the admin listener if one
    /// is asked for. Call inside the Tokio runtime. Logging is set up once per process; a second
    /// call keeps the first's format.
    pub async fn start(command: &'static str, args: &OpsArgs) -> Result<Arc<Ops>, CliError> {
        log::install(args.log_format);
        let metrics = Metrics::new(command);
        let mut ops = Ops {
            command,
            metrics,
            admin: None,
        };
        let listener = match args.admin_listen {
            Some(address) => {
                let (listener, local) = crate::server::bind(address).await?;
                ops.admin = Some(local);
                Some(listener)
            }
            None => None,
        };
        let ops = Arc::new(ops);
        if let (Some(listener), Some(local)) = (listener, ops.admin) {
            admin::spawn(listener, Arc::clone(&ops));
            tracing::info!(command, address = %local, "admin listening on http://{local}");
        }
        Ok(ops)
    }

    /// Counts one refresh of the signing credentials.
    pub fn credentials_refreshed(&self) {
        self.metrics.credential_refreshes.inc();
        tracing::info!(command = self.command, "credentials refreshed");
    }

    /// Starts observing the exchange `request` opens, from `remote`.
    pub fn begin<B>(self: &Arc<Self>, request: &hyper::Request<B>, remote: SocketAddr) -> Exchange {
        Exchange::new(Arc::clone(self), request, remote)
    }

    /// Starts observing the exchange of a request head the server core refused before it was
    /// parsed: `method` and `target` as far as they could be read from its request line (what
    /// cannot be read is logged as a request without it).
    pub fn begin_unparsed(
        self: &Arc<Self>,
        method: &[u8],
        target: &[u8],
        remote: SocketAddr,
    ) -> Exchange {
        let mut stand_in = hyper::Request::new(());
        if let Ok(method) = http::Method::from_bytes(method) {
            *stand_in.method_mut() = method;
        }
        if let Ok(uri) = http::Uri::try_from(target) {
            *stand_in.uri_mut() = uri;
        }
        self.begin(&stand_in, remote)
    }

    /// Logs and counts a connection hyper ended before a request reached the handler (a
    /// request head too large, malformed or too slow, a client gone mid-request). For
    /// [`crate::server::Handler::connection_failed`].
    pub fn connection_failed(&self, remote: SocketAddr, error: &hyper::Error) {
        let code = if error.is_parse_too_large() {
            "RequestHeaderFieldsTooLarge"
        } else if error.is_parse() {
            "BadRequest"
        } else if error.is_timeout() {
            "RequestTimeout"
        } else if error.is_incomplete_message() {
            "IncompleteRequest"
        } else {
            "ConnectionError"
        };
        self.metrics.error(code);
        let cause = crate::creds::error_chain(error);
        tracing::info!(command = self.command, %remote, code, cause, "connection failed: {code} ({cause})");
    }

    /// Logs and counts a connection closed at once because its address had `limit` open. For
    /// [`crate::server::Handler::address_full`].
    pub fn address_full(&self, remote: SocketAddr, limit: usize) {
        self.metrics.error("TooManyConnections");
        tracing::warn!(
            command = self.command,
            %remote,
            limit,
            "closed a connection from {remote}: its address has {limit} open"
        );
    }

    /// Logs a failed `accept`. For [`crate::server::Handler::accept_failed`].
    pub fn accept_failed(&self, error: &std::io::Error) {
        tracing::error!(command = self.command, %error, "accept failed: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn an_exchange_is_counted_once_its_answer_has_been_read() {
        let args = OpsArgs {
            log_format: LogFormat::Text,
            admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        };
        let ops = Ops::start("test", &args).await.unwrap();
        let request = hyper::Request::put("/b/k?X-Amz-Signature=abc")
            .body(Full::new(Bytes::from_static(b"12345")))
            .unwrap();
        let remote: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut exchange = ops.begin(&request, remote);
        let read = exchange
            .count_in(request.into_body())
            .collect()
            .await
            .unwrap();
        assert_eq!(read.to_bytes().len(), 5);
        exchange.set_error_code("SlowDown");
        let mut answer = hyper::Response::new(Full::new(Bytes::from_static(b"0123456789")));
        *answer.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
        let answer = exchange.respond(answer);
        // Nothing is counted while the answer is still being sent.
        assert!(!ops.metrics.encode().contains(r#"status="503""#));
        let sent = answer.into_body().collect().await.unwrap();
        assert_eq!(sent.to_bytes().len(), 10);

        let address = ops.admin.expect("an admin listener");
        let get = |path: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let head = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).await.unwrap();
            text
        };
        let health = get("/healthz").await;
        assert!(
            health.starts_with("HTTP/1.1 200") && health.ends_with("\r\n\r\nok"),
            "{health}"
        );
        let metrics = get("/metrics").await;
        for line in [
            r#"canreq_requests_total{command="test",status="503"} 1"#,
            r#"canreq_errors_total{command="test",code="SlowDown"} 1"#,
            r#"canreq_received_bytes_total{command="test"} 5"#,
            r#"canreq_sent_bytes_total{command="test"} 10"#,
        ] {
            assert!(
                metrics.lines().any(|l| l == line),
                "no {line} in\n{metrics}"
            );
        }
        assert!(get("/other").await.starts_with("HTTP/1.1 404"));
    }

    #[tokio::test]
    async fn an_answer_dropped_unsent_is_still_counted() {
        let ops = Ops::start(
            "dropped",
            &OpsArgs {
                log_format: LogFormat::Text,
                admin_listen: None,
            },
        )
        .await
        .unwrap();
        let request = hyper::Request::get("/").body(()).unwrap();
        let exchange = ops.begin(&request, "127.0.0.1:9".parse().unwrap());
        drop(exchange.respond(hyper::Response::new(Full::new(Bytes::from_static(b"x")))));
        let text = ops.metrics.encode();
        assert!(
            text.contains(r#"canreq_requests_total{command="dropped",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"canreq_sent_bytes_total{command="dropped"} 0"#),
            "{text}"
        );
    }
}

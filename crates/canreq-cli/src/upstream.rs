//! The pooled client to a reverse proxy's upstream, shared by `proxy` and `gateway`: kept-alive
//! connections (hyper-util's pooled client), TLS by rustls on ring with the system roots plus
//! an extra CA file, a connect timeout and a response timeout, and failures sorted into the
//! three a proxy answers differently (`UpstreamError`).
//!
//! The request body streams: a body that fails (a client gone mid-upload) aborts the upstream
//! request, whose connection is closed, so the upstream never sees a complete body.
//!
//! `forwarding` rewrites a request's hop-by-hop and `X-Forwarded-*` headers; `answer` writes
//! the AWS-shaped 502 and 504 answers.

pub mod answer;
pub mod forwarding;

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::client::{ClientOptions, tls_config};
use crate::error::CliError;

/// The errors a request body may fail with, boxed.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// A request body of any kind, as the pool takes it.
pub type OutgoingBody = UnsyncBoxBody<Bytes, BoxError>;

/// Where an upstream is: scheme and authority (`host[:port]`), no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: http::uri::Scheme,
    /// `host[:port]` as the URL gave it.
    pub authority: http::uri::Authority,
}

impl Origin {
    /// Parses `http://host[:port]` or `https://host[:port]` (a trailing `/` allowed; no path,
    /// query or user info: the proxy forwards each request's own target).
    pub fn parse(url: &str) -> Result<Origin, CliError> {
        let bad = |why: &str| CliError::usage(format!("--upstream {url:?}: {why}"));
        let uri: http::Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => http::uri::Scheme::HTTP,
            Some("https") => http::uri::Scheme::HTTPS,
            _ => return Err(bad("give http://HOST[:PORT] or https://HOST[:PORT]")),
        };
        let authority = uri.authority().cloned().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad(
                "user info is not allowed (credentials are signed, not sent)",
            ));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad(
                "a path or query is not allowed: requests keep their own target",
            ));
        }
        Ok(Origin { scheme, authority })
    }

    /// Whether requests to it travel over TLS.
    pub fn is_tls(&self) -> bool {
        self.scheme == http::uri::Scheme::HTTPS
    }

    /// The host name, without port or IPv6 brackets.
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// The `Host` header value requests to it carry: the authority, minus a default port.
    pub fn host_header(&self) -> String {
        let default = if self.is_tls() { 443 } else { 80 };
        match self.authority.port_u16() {
            Some(port) if port == default => {
                // `host()` drops IPv6 brackets; the header keeps them.
                let text = self.authority.as_str();
                text.rsplit_once(':').map_or(text, |(h, _)| h).to_owned()
            }
            _ => self.authority.as_str().to_owned(),
        }
    }

    /// `path_and_query` on this origin, as the pooled client wants its URIs.
    fn uri(&self, path_and_query: &str) -> Result<http::Uri, http::Error> {
        http::Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

/// How to reach the upstream.
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    /// Where requests go.
    pub origin: Origin,
    /// Longest wait for the TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// Longest wait without progress: for the upstream to take the next piece of the body, and,
    /// once the body is sent, for the head of the answer.
    pub response_timeout: Duration,
    /// Extra PEM CA certificates trusted beside the system's (else `AWS_CA_BUNDLE`).
    pub ca_file: Option<PathBuf>,
}

/// The pooled client to one upstream (and, for `proxy --host-routing`, to others by origin).
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, OutgoingBody>,
    origin: Origin,
    response_timeout: Duration,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("origin", &self.origin)
            .field("response_timeout", &self.response_timeout)
            .finish_non_exhaustive()
    }
}

/// Why a request did not get its answer from the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection could be made (refused, no route, TLS refused): 502.
    Unreachable,
    /// The connection or the answer took too long: 504.
    TimedOut,
    /// The request's own body failed (the client went away, was too slow, or sent a body
    /// that does not hold together): the request was aborted; the client, if still there,
    /// gets `status` and `code`.
    RequestBody { status: u16, code: &'static str },
    /// The exchange broke after the connection was made (reset, malformed answer): 502.
    Broken,
}

/// A failed upstream exchange: its kind and a message naming the cause (never a secret: the
/// request's headers are not in it).
#[derive(Debug, Clone)]
pub struct UpstreamError {
    pub failure: Failure,
    pub message: String,
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for UpstreamError {}

/// The error a request body reports when it fails: found again in the pooled client's error,
/// it tells a failed body from a failed upstream, and says what to answer.
#[derive(Debug, Clone)]
pub struct BodyFailed {
    /// The status to answer the client with (400, 408, …).
    pub status: u16,
    /// The AWS error code (`IncompleteBody`, `RequestTimeout`, `BadDigest`, …).
    pub code: &'static str,
    pub message: String,
}

impl BodyFailed {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        BodyFailed {
            status,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for BodyFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the request body failed: {}", self.message)
    }
}

impl StdError for BodyFailed {}

impl Upstream {
    /// The pool, its TLS set up (a bad `ca_file` is refused here, not on the first request).
    pub fn new(options: UpstreamOptions) -> Result<Upstream, CliError> {
        let mut tls = tls_config(&ClientOptions {
            ca_file: options.ca_file.clone(),
            ..ClientOptions::default()
        })?;
        // The connector offers ALPN itself, from the protocols it is told to enable.
        tls.alpn_protocols.clear();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(connector);
        Ok(Upstream {
            client,
            origin: options.origin,
            response_timeout: options.response_timeout,
        })
    }

    /// The upstream's origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Sends `request` (its URI the target: path and query) to the upstream; the answer's
    /// body is left to stream.
    pub async fn send<B>(
        &self,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<Incoming>, UpstreamError>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let origin = self.origin.clone();
        self.send_to(&origin, request).await
    }

    /// [`send`](Self::send) to another origin, through the same pool (`--host-routing`).
    pub async fn send_to<B>(
        &self,
        origin: &Origin,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<Incoming>, UpstreamError>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        parts.uri = origin.uri(target).map_err(|e| UpstreamError {
            failure: Failure::Broken,
            message: format!("cannot address {origin}{target}: {e}"),
        })?;
        let started = tokio::time::Instant::now();
        let progress = Arc::new(AtomicU64::new(0));
        let body = Progressing {
            inner: body.map_err(Into::into).boxed_unsync(),
            started,
            progress: Arc::clone(&progress),
        };
        let request = hyper::Request::from_parts(parts, body.boxed_unsync());
        let answer = self.client.request(request);
        let mut answer = std::pin::pin!(answer);
        // The wait restarts with each piece of the body the upstream takes: a long upload is
        // not a slow upstream; once the body is sent, it bounds the wait for the answer.
        loop {
            let last = started + Duration::from_millis(progress.load(Ordering::Relaxed));
            match tokio::time::timeout_at(last + self.response_timeout, answer.as_mut()).await {
                Ok(Ok(response)) => return Ok(response),
                Ok(Err(e)) => return Err(classify(origin, &e)),
                Err(_)
                    if progress.load(Ordering::Relaxed)
                        > last.duration_since(started).as_millis() as u64 => {}
                Err(_) => {
                    return Err(UpstreamError {
                        failure: Failure::TimedOut,
                        message: format!(
                            "{origin} did not answer within {} (--upstream-timeout)",
                            seconds(self.response_timeout)
                        ),
                    });
                }
            }
        }
    }
}

/// A request body that notes when the upstream last took a piece of it (milliseconds after
/// `started`).
struct Progressing {
    inner: OutgoingBody,
    started: tokio::time::Instant,
    progress: Arc<AtomicU64>,
}

impl hyper::body::Body for Progressing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if polled.is_ready() {
            let now = self.started.elapsed().as_millis() as u64;
            self.progress.fetch_max(now, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A duration as people write it: `30 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Sorts a pooled client's error by what the proxy answers.
fn classify(origin: &Origin, e: &hyper_util::client::legacy::Error) -> UpstreamError {
    let chain = crate::creds::error_chain(e);
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    let mut timed_out = false;
    while let Some(cause) = source {
        if let Some(body) = cause.downcast_ref::<BodyFailed>() {
            return UpstreamError {
                failure: Failure::RequestBody {
                    status: body.status,
                    code: body.code,
                },
                message: format!("the request to {origin} was aborted: {body}"),
            };
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        timed_out |= cause.to_string().contains("timed out");
        source = cause.source();
    }
    let (failure, message) = if e.is_connect() && timed_out {
        (
            Failure::TimedOut,
            format!("connecting to {origin} timed out ({chain})"),
        )
    } else if e.is_connect() {
        (
            Failure::Unreachable,
            format!("cannot connect to {origin} ({chain})"),
        )
    } else {
        (
            Failure::Broken,
            format!("the exchange with {origin} failed ({chain})"),
        )
    };
    UpstreamError { failure, message }
}

#[cfg(test)]
mod tests;

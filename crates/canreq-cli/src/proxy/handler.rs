//! One request through the proxy: where it goes, its head made ready to sign, its body as data
//! (an SDK's aws-chunked body decoded), signed and sent by the [`Forwarder`], and the answer
//! streamed back as it comes, its hop-by-hop headers dropped. Every exchange is observed by
//! `ops` (the access line, the metrics).

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use canreq::Scope;
use canreq::chunked::{ChunkedDecoder, DecodeLimits};
use http::HeaderValue;
use http_body_util::{Either, Full};
use hyper::body::{Body, Incoming};

use super::forward::{Destination, ForwardError, Forwarder};
use super::head::{ClientFraming, ClientHead};
use super::source::{ClientBody, Dechunked};
use crate::infer;
use crate::ops::{Observed, Ops};
use crate::server::{self, BodyTime};
use crate::upstream::forwarding::{self, Forwarded};
use crate::upstream::{BodyFailed, Origin, answer};

/// Where requests go.
pub enum Route {
    /// All to one upstream.
    Fixed(Destination),
    /// Each to the AWS host its `Host` names, over HTTPS (`--host-routing`); the region and
    /// service from that host unless given.
    ByHost {
        region: Option<String>,
        service: Option<String>,
    },
}

/// The answer's body: the upstream's, streamed, or the proxy's own.
pub type ProxyBody = Observed<Either<Incoming, Full<Bytes>>>;

/// What every connection shares.
pub struct Proxy {
    pub forwarder: Forwarder,
    pub route: Route,
    pub ops: Arc<Ops>,
    pub body_time: BodyTime,
    /// Whether clients reach the proxy over TLS (for `X-Forwarded-Proto`).
    pub tls: bool,
    pub next_id: AtomicU64,
}

impl Proxy {
    fn request_id(&self) -> String {
        format!(
            "canreq-proxy-{:016x}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The destination of a request: the fixed one, or the AWS host it names.
    fn destination(
        &self,
        parts: &http::request::Parts,
    ) -> Result<Cow<'_, Destination>, BodyFailed> {
        let (region, service) = match &self.route {
            Route::Fixed(destination) => return Ok(Cow::Borrowed(destination)),
            Route::ByHost { region, service } => (region, service),
        };
        let refused = |message: String| BodyFailed::new(400, "InvalidRequest", message);
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .ok_or_else(|| refused("the request names no host to route to".into()))?;
        let inferred = infer::infer(host).ok_or_else(|| {
            refused(format!(
                "--host-routing forwards only to AWS hosts; {host:?} is not one"
            ))
        })?;
        let origin = Origin::parse(&format!("https://{host}"))
            .map_err(|e| refused(format!("cannot route to {host:?}: {e}")))?;
        let scope = Scope::new(
            region.as_deref().unwrap_or(&inferred.region),
            service.as_deref().unwrap_or(&inferred.service),
        )
        .map_err(|e| refused(e.to_string()))?;
        let host = origin.host_header();
        Ok(Cow::Owned(Destination::new(origin, host, scope)))
    }

    /// Forwards one request; the upstream's answer, or why there is none.
    async fn forward<B>(
        &self,
        parts: http::request::Parts,
        body: B,
        remote: SocketAddr,
    ) -> Result<hyper::Response<Incoming>, ForwardError>
    where
        B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin + Send + 'static,
    {
        let destination = self.destination(&parts).map_err(ForwardError::Client)?;
        let length = body.size_hint().exact();
        let head = ClientHead::new(&parts, length).map_err(ForwardError::Client)?;
        let forwarded = Forwarded {
            client: remote.ip(),
            tls: self.tls,
            host: parts.headers.get(http::header::HOST),
        };
        let clock = self
            .body_time
            .start(length.unwrap_or(super::MAX_UNKNOWN_LENGTH_CLOCK));
        let client = ClientBody::new(body, clock);
        match head.framing {
            ClientFraming::Plain(_) => {
                self.forwarder
                    .sign_and_send(&destination, head, client, &forwarded)
                    .await
            }
            ClientFraming::AwsChunked {
                mode,
                decoded_length,
                checksum,
            } => {
                let trailer = checksum.map_or("", |alg| alg.header_name());
                let decoder = ChunkedDecoder::without_signature_checks(
                    mode,
                    decoded_length,
                    trailer,
                    DecodeLimits::default(),
                )
                .map_err(|e| {
                    ForwardError::Client(BodyFailed::new(
                        e.status(),
                        e.code().as_str(),
                        e.message().to_owned(),
                    ))
                })?;
                let data = Dechunked::new(client, decoder);
                self.forwarder
                    .sign_and_send(&destination, head, data, &forwarded)
                    .await
            }
        }
    }
}

impl server::Handler for Proxy {
    type Body = ProxyBody;

    fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = hyper::Response<ProxyBody>> + Send {
        answer_one(self, request, remote)
    }

    fn head_refused(
        &self,
        refusal: &server::HeadRefusal,
        head: &[u8],
        remote: SocketAddr,
    ) -> hyper::Response<ProxyBody> {
        let (status, code, message) = match refusal {
            server::HeadRefusal::TooLarge { limit } => (
                http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "RequestHeaderSectionTooLarge",
                format!("the request head is over {limit} bytes"),
            ),
            server::HeadRefusal::Malformed(why) => (
                http::StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("the request head is malformed: {why}"),
            ),
        };
        let answer = answer::error(status, code, &message, &self.request_id());
        // The request line's first two words, as far as they can be read, for the access line.
        let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let mut words = line.split(|&b| b == b' ');
        let (method, target) = (words.next(), words.next());
        let mut exchange = self.ops.begin_unparsed(
            method.unwrap_or_default(),
            target.unwrap_or_default(),
            remote,
        );
        exchange.set_error_code(code);
        exchange.respond(answer.map(Either::Right))
    }

    fn connection_failed(&self, remote: SocketAddr, error: &hyper::Error) {
        self.ops.connection_failed(remote, error);
    }

    fn address_full(&self, remote: SocketAddr, limit: usize) {
        self.ops.address_full(remote, limit);
    }

    fn accept_failed(&self, error: &std::io::Error) {
        self.ops.accept_failed(error);
    }
}

/// Forwards one request and answers with the upstream's answer, or the proxy's own.
async fn answer_one(
    proxy: Arc<Proxy>,
    request: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<ProxyBody> {
    let mut exchange = proxy.ops.begin(&request, remote);
    let (parts, body) = request.into_parts();
    let body = exchange.count_in(body);
    match proxy.forward(parts, body, remote).await {
        Ok(answer) => {
            let (mut parts, body) = answer.into_parts();
            forwarding::drop_hop_by_hop(&mut parts.headers);
            exchange.respond(hyper::Response::from_parts(parts, Either::Left(body)))
        }
        Err(e) => {
            let id = proxy.request_id();
            exchange.set_error_code(e.code());
            let mut answer = e.answer(&id);
            // The request body may be unread: the connection closes after the answer, and
            // says so, so that a keep-alive client does not send on it again.
            answer
                .headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            exchange.respond(answer.map(Either::Right))
        }
    }
}

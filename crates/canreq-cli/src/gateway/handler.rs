//! One request through the gateway: verified as `serve` verifies (the shared `serve::flow`),
//! its key's policy applied as soon as the key is proven, then forwarded with its body as the
//! body's rule allows (`relay`), and the upstream's answer streamed back. A refusal is
//! answered in the client's dialect, as `serve` answers it, and nothing of the request goes
//! upstream; a body refused on the way aborts the upstream request.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use canreq::Scope;
use canreq::verify::{Begun, Verified, Verifier};
use http::HeaderValue;
use http_body_util::{Either, Full};
use hyper::body::{Body, Incoming};

use super::head::{self, Identity, IdentityHeaders};
use super::keys::KeyRing;
use super::policy::{self, Asked};
use super::relay::{self, Relay, SharedOutcome, SourceBody};
use crate::ops::{Observed, Ops};
use crate::proxy::forward::{Destination, ForwardError, Forwarder};
use crate::proxy::head::ClientHead;
use crate::proxy::source::DataSource;
use crate::serve::claimed::Claimed;
use crate::serve::config::Policy;
use crate::serve::flow::{self, BodyLimits, Rejected};
use crate::serve::refusal::ServerRefusal;
use crate::serve::reply::{self, Protocol};
use crate::serve::unparsed;
use crate::server;
use crate::upstream::forwarding::{self, Forwarded};
use crate::upstream::{Upstream, UpstreamError, answer};

/// The answer's body: the upstream's, streamed, or the gateway's own.
pub type GatewayBody = Observed<Either<Incoming, Full<Bytes>>>;

/// `--sign-upstream`: verified requests signed anew with the gateway's own credentials.
pub struct Signing {
    pub forwarder: Forwarder,
    /// The scope signed for; by default the one the client signed for.
    pub region: Option<String>,
    pub service: Option<String>,
}

/// What every connection shares.
pub struct Gateway {
    pub verifier: Verifier<KeyRing>,
    pub bodies: BodyLimits,
    /// Bytes of a body held in memory while its signature waits for it (`--buffer`).
    pub buffer: u64,
    pub upstream: Upstream,
    pub signing: Option<Signing>,
    pub identity: IdentityHeaders,
    pub ops: Arc<Ops>,
    /// Whether clients reach the gateway over TLS (for `X-Forwarded-Proto`).
    pub tls: bool,
    pub next_id: AtomicU64,
}

/// Why a request got no answer from the upstream.
enum Failed {
    /// Refused by the verifier, the policy or the server's limits.
    Refused(Rejected),
    /// The upstream failed (502, 504).
    Upstream(UpstreamError),
    /// Signing for the upstream or sending failed (`--sign-upstream`).
    Forward(ForwardError),
}

/// Who a verified request is from, and what it signed for.
struct Who {
    access_key_id: String,
    policy: Arc<Policy>,
    region: String,
    service: String,
}

impl Who {
    fn of(verified: &Verified<Arc<Policy>>) -> Who {
        Who {
            access_key_id: verified.access_key_id().to_owned(),
            policy: Arc::clone(verified.data()),
            region: verified.region().to_owned(),
            service: verified.service().to_owned(),
        }
    }
}

/// How the body goes: its length when known, and whether it is an aws-chunked body's data.
#[derive(Debug, Clone, Copy)]
struct Sent {
    length: Option<u64>,
    decoded: bool,
}

impl Gateway {
    fn request_id(&self) -> String {
        format!(
            "canreq-gateway-{:016x}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Verifies the request and forwards it; the upstream's answer, or why there is none.
    /// Sets `body_read` once the client's body has been read to its end.
    async fn forward<B>(
        &self,
        parts: &http::request::Parts,
        body: B,
        remote: SocketAddr,
        body_read: &mut bool,
    ) -> Result<hyper::Response<Incoming>, Failed>
    where
        B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin + Send + 'static,
    {
        let checking =
            flow::begin(&self.verifier, &self.bodies, parts, body).map_err(Failed::Refused)?;
        let proven = match checking.begun() {
            Begun::Done(verified) => Some(verified),
            Begun::Chunked(pending) => Some(pending.head()),
            Begun::Whole(pending) => pending.checked_head(),
        };
        let Some(verified) = proven else {
            // The signature covers the body's hash: nothing is sent before it matched.
            let collected =
                relay::collect(checking, self.buffer)
                    .await
                    .map_err(|(rejected, ended)| {
                        *body_read = ended;
                        Failed::Refused(rejected)
                    })?;
            *body_read = true;
            let who = Who::of(&collected.passed.verified);
            authorize(parts, &who)?;
            let sent = Sent {
                length: Some(collected.length),
                decoded: false,
            };
            return self.send(parts, collected.replay, sent, &who, remote).await;
        };
        let who = Who::of(verified);
        // The key is proven by the head: its policy is applied before a byte goes upstream.
        authorize(parts, &who)?;
        let sent = match checking.begun() {
            Begun::Chunked(_) => Sent {
                length: header_number(parts, "x-amz-decoded-content-length"),
                decoded: true,
            },
            _ => Sent {
                length: body_length(parts),
                decoded: false,
            },
        };
        let outcome = SharedOutcome::default();
        let relayed = Relay::new(checking, Arc::clone(&outcome));
        let answer = self.send(parts, relayed, sent, &who, remote).await;
        let ended = relay::take(&outcome);
        *body_read = ended.body_ended;
        match ended.refused {
            Some(rejected) => Err(Failed::Refused(rejected)),
            None => answer,
        }
    }

    /// Sends the verified request with its body's data from `source`: as it is, or signed
    /// anew (`--sign-upstream`).
    async fn send<S: DataSource + Unpin>(
        &self,
        parts: &http::request::Parts,
        source: S,
        sent: Sent,
        who: &Who,
        remote: SocketAddr,
    ) -> Result<hyper::Response<Incoming>, Failed> {
        let forwarded = Forwarded {
            client: remote.ip(),
            tls: self.tls,
            host: parts.headers.get(http::header::HOST),
        };
        let internal = |why: String| {
            Failed::Refused(Rejected::from((
                ServerRefusal::internal(why),
                who.access_key_id.clone(),
            )))
        };
        let identity = self
            .identity
            .values(Identity {
                access_key_id: &who.access_key_id,
                principal: &who.policy.principal,
            })
            .map_err(internal)?;
        let Some(signing) = &self.signing else {
            let origin = self.upstream.origin();
            let decoded = sent.length.filter(|_| sent.decoded);
            let head = head::upstream_head(parts, decoded, origin, identity, &forwarded)
                .map_err(internal)?;
            let request = hyper::Request::from_parts(head, SourceBody::new(source, sent.length));
            return self.upstream.send(request).await.map_err(Failed::Upstream);
        };
        let mut head = ClientHead::new(parts, sent.length)
            .map_err(|e| Failed::Forward(ForwardError::Client(e)))?;
        head.headers.retain(|(name, _)| {
            name != self.identity.access_key.as_str() && name != self.identity.principal.as_str()
        });
        for (name, value) in identity {
            let value = value.to_str().unwrap_or_default().to_owned();
            head.headers.push((name.as_str().to_owned(), value));
        }
        let scope = Scope::new(
            signing.region.as_deref().unwrap_or(&who.region),
            signing.service.as_deref().unwrap_or(&who.service),
        )
        .map_err(|e| internal(e.to_string()))?;
        let origin = self.upstream.origin().clone();
        let host = origin.host_header();
        let destination = Destination::new(origin, host, scope);
        signing
            .forwarder
            .sign_and_send(&destination, head, source, &forwarded)
            .await
            .map_err(Failed::Forward)
    }
}

/// Applies the key's policy to the request.
fn authorize(parts: &http::request::Parts, who: &Who) -> Result<(), Failed> {
    let asked = Asked {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        service: &who.service,
        region: &who.region,
    };
    policy::check(&who.policy, asked)
        .map_err(|e| Failed::Refused(Rejected::from((e, who.access_key_id.clone()))))
}

/// The client body's length: its `Content-Length`, none without one when the body is
/// chunked, else 0 (a request without either has no body).
fn body_length(parts: &http::request::Parts) -> Option<u64> {
    match header_number(parts, "content-length") {
        Some(length) => Some(length),
        None if parts.headers.contains_key(http::header::TRANSFER_ENCODING) => None,
        None => Some(0),
    }
}

/// A header's value as a number (the verifier has checked the ones it relies on).
fn header_number(parts: &http::request::Parts, name: &str) -> Option<u64> {
    parts.headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl server::Handler for Gateway {
    type Body = GatewayBody;

    fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = hyper::Response<GatewayBody>> + Send {
        answer_one(self, request, remote)
    }

    fn head_refused(
        &self,
        refusal: &server::HeadRefusal,
        head: &[u8],
        remote: SocketAddr,
    ) -> hyper::Response<GatewayBody> {
        let answered = unparsed::answer(refusal, head, &self.request_id());
        let mut exchange =
            self.ops
                .begin_unparsed(answered.method.as_bytes(), answered.path.as_bytes(), remote);
        exchange.set_error_code(answered.code);
        exchange.respond(answered.response.map(Either::Right))
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

/// Verifies and forwards one request, answering with the upstream's answer or the
/// gateway's own.
async fn answer_one(
    gateway: Arc<Gateway>,
    request: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<GatewayBody> {
    let mut exchange = gateway.ops.begin(&request, remote);
    let (parts, body) = request.into_parts();
    let body = exchange.count_in(body);
    let mut body_read = body.is_end_stream();
    let failed = match gateway.forward(&parts, body, remote, &mut body_read).await {
        Ok(answer) => {
            let (mut head, body) = answer.into_parts();
            forwarding::drop_hop_by_hop(&mut head.headers);
            return exchange.respond(hyper::Response::from_parts(head, Either::Left(body)));
        }
        Err(failed) => failed,
    };
    let id = gateway.request_id();
    let (mut response, code) = match failed {
        Failed::Refused(rejected) => reply::refused(
            &rejected.refusal,
            &Protocol::of(&parts),
            Claimed::of(&parts),
            &id,
            parts.method.as_str(),
        ),
        Failed::Upstream(e) => (
            answer::for_failure(&e, &id),
            ForwardError::Upstream(e).code(),
        ),
        Failed::Forward(e) => (e.answer(&id), e.code()),
    };
    exchange.set_error_code(code);
    if !body_read {
        // The rest of the body is not read: the connection closes after the answer, and says
        // so, so that a keep-alive client does not send its next request on it.
        response
            .headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    exchange.respond(response.map(Either::Right))
}

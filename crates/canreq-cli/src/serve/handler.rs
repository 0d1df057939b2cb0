//! One request: read the head, verify, stream the body through the verifier, answer.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use canreq::verify::{AuthError, ErrorCode, Verifier};
use canreq::{Credentials, Request};
use http_body_util::Full;
use hyper::body::{Body, Incoming};

use super::claimed::Claimed;
use super::flow::{self, BodyLimits, Rejected};
use super::refusal::Refusal;
use super::reply::{self, Protocol};
use super::unparsed;
use crate::server;

type Store = HashMap<String, Credentials>;

/// What every connection shares.
pub struct State {
    verifier: Verifier<Store>,
    bodies: BodyLimits,
    quiet: bool,
    /// Whether a refused signature's answer names the client's mistake (`--explain`).
    explain: bool,
    next_id: AtomicU64,
}

impl State {
    pub fn new(verifier: Verifier<Store>, bodies: BodyLimits, quiet: bool) -> Self {
        State {
            verifier,
            bodies,
            quiet,
            explain: false,
            next_id: AtomicU64::new(1),
        }
    }

    /// Names the client's mistake in every refused signature's answer: a catalogue search per
    /// refusal, which a debugging endpoint can afford and a public one should not offer.
    pub fn explaining(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// A fresh request id.
    fn request_id(&self) -> String {
        format!(
            "canreq-{:016x}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The log line of a connection that hyper ended on its own: a request head too large or
    /// malformed (hyper answers 431 or 400), one not sent in time, a client gone mid-request,
    /// or one that stopped reading. These never reach [`handle`], and still get their line.
    fn log_connection_error(&self, remote: SocketAddr, error: &hyper::Error) {
        if self.quiet {
            return;
        }
        let (status, what) = if error.is_parse_too_large() {
            ("431", "RequestHeaderFieldsTooLarge")
        } else if error.is_parse() {
            ("400", "BadRequest")
        } else if error.is_timeout() {
            ("-", "RequestTimeout")
        } else if error.is_incomplete_message() {
            ("-", "IncompleteRequest")
        } else {
            ("-", "ConnectionError")
        };
        let mut cause = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            cause = format!("{cause}: {inner}");
            source = inner.source();
        }
        eprintln!("{} {remote} - - {status} {what} - - ({cause})", log_time());
    }
}

/// The time at the head of a log line.
fn log_time() -> impl std::fmt::Display {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
}

/// How much of a form-encoded body is kept to find its `Action` (the rest is only hashed).
const SNIFF_BYTES: usize = 4096;

impl server::Handler for State {
    type Body = Full<Bytes>;

    fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = hyper::Response<Full<Bytes>>> + Send {
        handle(self, request, remote)
    }

    fn head_refused(
        &self,
        refusal: &server::HeadRefusal,
        head: &[u8],
        remote: SocketAddr,
    ) -> hyper::Response<Full<Bytes>> {
        let answered = unparsed::answer(refusal, head, &self.request_id());
        if !self.quiet {
            eprintln!(
                "{} {remote} {} {} {} {} - 0.0ms",
                log_time(),
                answered.method,
                answered.path,
                answered.response.status().as_u16(),
                answered.code
            );
        }
        answered.response
    }

    fn connection_failed(&self, remote: SocketAddr, error: &hyper::Error) {
        self.log_connection_error(remote, error);
    }

    fn address_full(&self, remote: SocketAddr, limit: usize) {
        if !self.quiet {
            eprintln!(
                "{} {remote} - - - TooManyConnections - - (closed: this address has {limit} \
                 connections open, the most --max-connections-per-ip allows)",
                log_time()
            );
        }
    }

    fn accept_failed(&self, error: &std::io::Error) {
        eprintln!("canreq serve: accept failed: {error}");
    }
}

/// Verifies one request and answers it, with its log line.
async fn handle(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let id = state.request_id();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let protocol = Protocol::of(&parts);
    let mut body_read = body.is_end_stream();
    let verdict = verify(&state, &parts, body, &protocol, &mut body_read).await;
    let (mut response, code, akid) = match verdict {
        Ok(Passed {
            passed:
                flow::Passed {
                    verified,
                    decoded,
                    body_length,
                },
            sniffed,
        }) => {
            let akid = verified.access_key_id().to_owned();
            let action = protocol.action(parts.uri.query(), &sniffed);
            (
                reply::verified(
                    &verified,
                    decoded.as_ref(),
                    body_length,
                    &protocol,
                    action.as_deref(),
                    &id,
                    &method,
                    &parts.uri,
                ),
                "ok",
                akid,
            )
        }
        Err(Rejected {
            refusal,
            access_key_id,
        }) => {
            let (response, code) =
                reply::refused(&refusal, &protocol, Claimed::of(&parts), &id, &method);
            (response, code, access_key_id)
        }
    };
    if !body_read {
        // A request refused before its body was read to the end: hyper closes the connection
        // rather than read the rest, and the answer must say so, or a client that keeps its
        // connections (Node's agent, for the AWS SDK for JavaScript) sends its next request
        // on a socket about to close, and that request fails with EPIPE or ECONNRESET.
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    if !state.quiet {
        // One line per request. The query is left out: it may carry a signature or a token.
        eprintln!(
            "{} {remote} {method} {path} {} {code} {} {:.1}ms",
            log_time(),
            response.status().as_u16(),
            if akid.is_empty() { "-" } else { &akid },
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

/// What a request that passed verification leaves, with the start of a form body.
struct Passed {
    passed: flow::Passed<()>,
    sniffed: Vec<u8>,
}

/// Verifies the request; on failure also returns the claimed access key id for the log.
/// Sets `body_read` once the body has been read to its end.
async fn verify(
    state: &State,
    parts: &http::request::Parts,
    body: Incoming,
    protocol: &Protocol,
    body_read: &mut bool,
) -> Result<Passed, Rejected> {
    let explain = |rejected: Rejected| explained(state, parts, rejected);
    let mut checking = flow::begin(&state.verifier, &state.bodies, parts, body).map_err(explain)?;
    let mut sniffed = Vec::new();
    let sniff = protocol.wants_body_sniff();
    // The data is only checked and counted: this endpoint verifies, it stores nothing.
    loop {
        match checking.next(|_, _| ()).await {
            Ok(Some(data)) => {
                if sniff && sniffed.len() < SNIFF_BYTES {
                    let take = (SNIFF_BYTES - sniffed.len()).min(data.len());
                    sniffed.extend_from_slice(&data[..take]);
                }
            }
            Ok(None) => break,
            Err(e) => {
                *body_read = checking.body_ended();
                return Err(e);
            }
        }
    }
    *body_read = true;
    let passed = checking.finish().map_err(explain)?;
    Ok(Passed { passed, sniffed })
}

/// Canonical requests longer than this are not searched: the search re-signs the request
/// some two hundred ways, and a large head would make each refusal costly to the server.
const EXPLAIN_MAX_CANONICAL: usize = 16 * 1024;

/// With `--explain`, a signature that does not match, with the mistake that reproduces it named
/// (the catalogue of `canreq::diagnose`, with the secret the store holds): what the client needs
/// to fix. Any other refusal as it is.
fn explained(state: &State, parts: &http::request::Parts, rejected: Rejected) -> Rejected {
    if !state.explain {
        return rejected;
    }
    let Rejected {
        refusal: Refusal::Verifier(error),
        access_key_id,
    } = rejected
    else {
        return rejected;
    };
    let error = match flow::received(parts) {
        Ok(request) => diagnosed(state, &request, error),
        Err(_) => error,
    };
    Rejected::from((error, access_key_id))
}

/// `error` with the mistake that reproduces it named, when one does.
fn diagnosed(state: &State, request: &Request<'_>, error: AuthError) -> AuthError {
    if error.code() != ErrorCode::SignatureDoesNotMatch {
        return error;
    }
    let verifier = &state.verifier;
    if error
        .detail("CanonicalRequest")
        .is_none_or(|creq| creq.len() > EXPLAIN_MAX_CANONICAL)
    {
        return error;
    }
    let payload_hash = error
        .detail("CanonicalRequest")
        .and_then(|creq| creq.rsplit('\n').next());
    let creds = error
        .detail("AWSAccessKeyId")
        .and_then(|akid| verifier.store().get(akid));
    let (Some(payload_hash), Some(creds)) = (payload_hash, creds) else {
        return error;
    };
    match canreq::diagnose::search_with_payload_hash(request, payload_hash, creds) {
        Ok(found) if !found.causes.is_empty() => {
            let named: Vec<String> = found
                .causes
                .iter()
                .map(|c| format!("{}: {}", c.code, c.explanation))
                .collect();
            error.with_detail("CanreqDiagnosis", named.join(" "))
        }
        _ => error,
    }
}

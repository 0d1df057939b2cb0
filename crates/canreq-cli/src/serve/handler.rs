//! One request: read the head, verify, stream the body through the verifier, answer.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use canreq::chunked::DecodedBody;
use canreq::verify::{AuthError, Begun, ErrorCode, Verified, Verifier};
use canreq::{Credentials, Request, SigningTime};
use http_body_util::Full;
use hyper::body::{Body, Incoming};

use super::claimed::{Claimed, claimed_credential};
use super::refusal::{Refusal, ServerRefusal};
use super::reply::{self, Protocol};
use super::unparsed;
use crate::server::{self, BodyTime};

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

/// How much of a request body is read, and how long it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// The largest body of any request.
    pub max_body: u64,
    /// The largest body whose signature waits for it (the payload hash is the body's): such a
    /// body is read whole by a client not yet known to hold the secret.
    pub max_unverified: u64,
    /// The body's time (see [`BodyTime`]).
    pub time: BodyTime,
}

impl BodyLimits {
    /// The largest body the request may send, by whether its signature is already checked.
    fn max_for(&self, begun: &Begun<()>) -> u64 {
        match begun {
            Begun::Whole(pending) if !pending.signature_checked() => {
                self.max_unverified.min(self.max_body)
            }
            _ => self.max_body,
        }
    }
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
            verified,
            sniffed,
            decoded,
            body_length,
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

/// What a request that passed verification leaves: the request, the start of a form body, an
/// aws-chunked summary, and the body's length (decoded, for aws-chunked).
struct Passed {
    verified: Verified<()>,
    sniffed: Vec<u8>,
    decoded: Option<DecodedBody>,
    body_length: u64,
}

/// A refused request: why, and the access key id it claimed, for the log (empty if none).
struct Rejected {
    refusal: Refusal,
    access_key_id: String,
}

impl<R: Into<Refusal>> From<(R, String)> for Rejected {
    fn from((refusal, access_key_id): (R, String)) -> Self {
        Rejected {
            refusal: refusal.into(),
            access_key_id,
        }
    }
}

/// Verifies the request; on failure also returns the claimed access key id for the log.
/// Sets `body_read` once the body has been read to its end.
async fn verify(
    state: &State,
    parts: &http::request::Parts,
    mut body: Incoming,
    protocol: &Protocol,
    body_read: &mut bool,
) -> Result<Passed, Rejected> {
    let fail = |e: AuthError| Rejected::from((e, String::new()));
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        let value = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            fail(AuthError::new(
                ErrorCode::InvalidArgument,
                format!("The value of header {name} is not UTF-8."),
            ))
        })?;
        headers.push((name.as_str(), value));
    }
    // An absolute-form target (`GET http://host/path`) names its host itself, and RFC 9112 has
    // the server use it rather than `Host`. The request is checked against that host: a `Host`
    // that names another is refused, not quietly preferred.
    if let Some(authority) = parts.uri.authority().map(|a| a.as_str()) {
        let host = parts.headers.get(http::header::HOST).map(|h| h.as_bytes());
        match host {
            None => headers.push(("host", authority)),
            Some(host) if host.eq_ignore_ascii_case(authority.as_bytes()) => {}
            Some(host) => {
                return Err(fail(AuthError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The request target names the host '{authority}', but the Host header says '{}'.",
                        String::from_utf8_lossy(host)
                    ),
                )));
            }
        }
    }
    let mut request = Request::with_capacity(parts.method.as_str(), target, headers.len());
    for (n, v) in headers {
        request.push_header(n, v);
    }
    // hyper has refused a Content-Length that is not a number.
    let declared: Option<u64> = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let limits = &state.bodies;
    if let Some(declared) = declared
        && declared > limits.max_body
    {
        return Err((ServerRefusal::too_large(limits.max_body), String::new()).into());
    }
    // The signature is checked here when the head holds all it covers: a bad one is refused
    // before any byte of the body is read (and no `100 Continue` is sent for it).
    let mut begun = state
        .verifier
        .begin(&request, SigningTime::now())
        .map_err(|e| {
            let akid = claimed_key(&request);
            (explained(state, &request, e), akid)
        })?;
    let akid = begun.access_key_id().to_owned();
    let max_body = limits.max_for(&begun);
    if declared.is_some_and(|declared| declared > max_body) {
        return Err((ServerRefusal::too_large(max_body), akid).into());
    }
    let mut clock = limits.time.start(declared.unwrap_or(max_body));
    let mut seen: u64 = 0;
    let mut sniffed = Vec::new();
    let sniff = protocol.wants_body_sniff();
    loop {
        let frame = match clock.next_frame(&mut body).await {
            Err(_) => return Err((ServerRefusal::too_slow(), akid).into()),
            Ok(None) => {
                *body_read = true;
                break;
            }
            Ok(Some(Err(e))) => {
                let e = AuthError::new(
                    ErrorCode::InvalidRequest,
                    format!("The request body could not be read: {e}"),
                );
                return Err((e, akid).into());
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                // HTTP trailer fields come after the signed head: nothing can sign them, so an
                // `x-amz-*` one (a checksum, a token) is refused rather than ignored.
                if let Some(name) = frame
                    .trailers_ref()
                    .and_then(|t| t.keys().find(|n| n.as_str().starts_with("x-amz-")))
                {
                    return Err((
                        AuthError::new(
                            ErrorCode::InvalidRequest,
                            format!(
                                "The HTTP trailer field {name} cannot be signed: SigV4 signs the \
                                 head, and a trailer comes after the body (aws-chunked bodies \
                                 carry their own signed trailer)."
                            ),
                        ),
                        akid,
                    )
                        .into());
                }
                continue;
            }
        };
        seen += data.len() as u64;
        if seen > max_body {
            return Err((ServerRefusal::too_large(max_body), akid).into());
        }
        if sniff && sniffed.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - sniffed.len()).min(data.len());
            sniffed.extend_from_slice(&data[..take]);
        }
        // The data is only checked and counted: this endpoint verifies, it stores nothing.
        match &mut begun {
            Begun::Whole(pending) => pending.update(&data),
            Begun::Chunked(pending) => pending
                .decode(&data, |_| ())
                .map_err(|e| (e, akid.clone()))?,
            Begun::Done(_) => {}
        }
    }
    let (verified, decoded) = match begun {
        Begun::Whole(pending) => (
            pending
                .finish()
                .map_err(|e| (explained(state, &request, e), akid))?,
            None,
        ),
        Begun::Chunked(pending) => {
            let (verified, decoded) = pending.finish().map_err(|e| (e, akid))?;
            (verified, Some(decoded))
        }
        Begun::Done(verified) => (verified, None),
    };
    Ok(Passed {
        body_length: decoded.as_ref().map_or(seen, DecodedBody::decoded_length),
        verified,
        sniffed,
        decoded,
    })
}

/// Canonical requests longer than this are not searched: the search re-signs the request
/// some two hundred ways, and a large head would make each refusal costly to the server.
const EXPLAIN_MAX_CANONICAL: usize = 16 * 1024;

/// With `--explain`, a signature that does not match, with the mistake that reproduces it named
/// (the catalogue of `canreq::diagnose`, with the secret the store holds): what the client needs
/// to fix. Any other refusal as it is.
fn explained(state: &State, request: &Request<'_>, error: AuthError) -> AuthError {
    if !state.explain || error.code() != ErrorCode::SignatureDoesNotMatch {
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

/// The access key id a refused request claimed, for the log line (never a secret).
fn claimed_key(request: &Request<'_>) -> String {
    let authorization = request.header_values("authorization").next();
    claimed_credential(authorization, request.query(), 0)
        .filter(|k| k.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned)
        .unwrap_or_default()
}

//! Signing a request for the upstream and sending it: the step `proxy` takes for every request,
//! and `gateway --sign-upstream` for every request it has verified ([`Forwarder::sign_and_send`]).
//!
//! The head goes through `signing`, the path `canreq request` signs with (one canonicalizer).
//! The body decides how:
//! - to S3, data of known length is framed as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` chunks on
//!   the fly (with a trailing checksum when the client sent one), each chunk signed as it
//!   passes: nothing is held but the chunk. A body of unknown length is collected first (to
//!   a temporary file beyond `--buffer`), then sent the same way. A body of one chunk or less
//!   without a checksum is simply hashed, which every S3 operation accepts.
//!   `--unsigned-payload` (over TLS only) sends `UNSIGNED-PAYLOAD` instead;
//! - to other services, whose signature covers the body's SHA-256, the body is collected and
//!   hashed before the head is sent: in memory up to `--buffer`, beyond in a temporary file.

use std::sync::Arc;

use bytes::Bytes;
use canreq::chunked::{DEFAULT_CHUNK_SIZE, StreamingMode, StreamingUpload};
use canreq::{Algorithm, Payload, Scope, SigningSettings, SigningTime};
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use super::collect::{Collected, collect};
use super::credentials::KeySource;
use super::head::{ClientFraming, ClientHead};
use super::pump::{self, Framing, Outgoing};
use super::source::{DataSource, Replay};
use crate::body::Body;
use crate::resolve::{Prepared, Resolved};
use crate::signing::{self, Placement};
use crate::target::{Scheme, Url};
use crate::upstream::forwarding::{self, Forwarded};
use crate::upstream::{BodyFailed, Origin, Upstream, UpstreamError, answer};

/// Where a request goes and what it is signed for.
#[derive(Debug, Clone)]
pub struct Destination {
    pub origin: Origin,
    /// The `Host` sent and signed: the upstream's, or `--sign-host`.
    pub host: String,
    pub scope: Scope,
    pub settings: SigningSettings,
}

impl Destination {
    /// A destination with the service's signing rules; `x-amz-content-sha256` is always sent
    /// (moto's IAM wants it on GETs, and it costs nothing).
    pub fn new(origin: Origin, host: String, scope: Scope) -> Destination {
        let mut settings = SigningSettings::for_service(scope.service());
        settings.content_sha256_header = true;
        Destination {
            origin,
            host,
            scope,
            settings,
        }
    }
}

/// How bodies are sent.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// Bytes held in memory before a collected body goes to a temporary file (`--buffer`).
    pub buffer: u64,
    /// The largest body forwarded.
    pub max_body: u64,
    /// Sign S3 bodies `UNSIGNED-PAYLOAD` (`--unsigned-payload`; TLS upstreams only).
    pub unsigned_payload: bool,
}

/// Why a request was not forwarded, or got no answer.
#[derive(Debug)]
pub enum ForwardError {
    /// The client's head or body cannot be forwarded (or its body failed on the way).
    Client(BodyFailed),
    /// The proxy could not sign (no credentials): 500.
    Signing(String),
    /// The upstream failed: 502 or 504.
    Upstream(UpstreamError),
}

impl ForwardError {
    /// The answer for the client, AWS-shaped.
    pub fn answer(&self, request_id: &str) -> hyper::Response<Full<Bytes>> {
        match self {
            ForwardError::Client(e) => answer::error(
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                e.code,
                &e.message,
                request_id,
            ),
            ForwardError::Signing(message) => answer::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                message,
                request_id,
            ),
            ForwardError::Upstream(e) => answer::for_failure(e, request_id),
        }
    }

    /// The AWS error code of the answer.
    pub fn code(&self) -> &'static str {
        match self {
            ForwardError::Client(e) => e.code,
            ForwardError::Signing(_) => "InternalError",
            ForwardError::Upstream(e) => match e.failure {
                crate::upstream::Failure::TimedOut => "GatewayTimeout",
                crate::upstream::Failure::RequestBody { code, .. } => code,
                _ => "BadGateway",
            },
        }
    }
}

/// Signs requests with the proxy's keys and sends them through the pool.
pub struct Forwarder {
    upstream: Upstream,
    keys: Arc<KeySource>,
    rules: BodyRules,
}

/// The body as it will be signed and sent.
enum Plan {
    /// Hashed whole (or no body): its length and lowercase hex SHA-256.
    Hashed { length: u64, sha256: String },
    /// Streamed as signed aws-chunked chunks.
    Chunked {
        upload: StreamingUpload,
        length: u64,
    },
    /// Streamed as it is, `UNSIGNED-PAYLOAD`.
    Unsigned { length: u64 },
}

/// The data sent: the caller's body as it comes, or one collected first.
enum Either<S> {
    Direct(S),
    Replayed(Replay),
}

impl<S: DataSource> DataSource for Either<S> {
    async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
        match self {
            Either::Direct(source) => source.next_data().await,
            Either::Replayed(replay) => replay.next_data().await,
        }
    }
}

/// Methods whose requests carry a body, and so a `Content-Length` even when it is 0.
fn has_body(method: &str) -> bool {
    matches!(method, "PUT" | "POST" | "PATCH")
}

impl Forwarder {
    pub fn new(upstream: Upstream, keys: Arc<KeySource>, rules: BodyRules) -> Forwarder {
        Forwarder {
            upstream,
            keys,
            rules,
        }
    }

    /// Signs `head` for `destination` and sends it with `body`, the request's data (decoded
    /// already when the client sent aws-chunked: `head.framing` says how long it is, and which
    /// checksum trails it); `forwarded` fills `X-Forwarded-*`, added unsigned. The answer's body
    /// is left to stream.
    pub async fn sign_and_send<S: DataSource>(
        &self,
        destination: &Destination,
        head: ClientHead,
        body: S,
        forwarded: &Forwarded<'_>,
    ) -> Result<hyper::Response<Incoming>, ForwardError> {
        let (plan, source) = self.plan(destination, &head, body).await?;
        let credentials = self
            .keys
            .credentials()
            .await
            .map_err(|e| ForwardError::Signing(e.to_string()))?;
        let ClientHead {
            method,
            target,
            headers: client_headers,
            content_encoding,
            ..
        } = head;
        let mut headers = Vec::with_capacity(client_headers.len() + 8);
        headers.push(("Host".to_owned(), destination.host.clone()));
        headers.extend(client_headers);
        let payload = match &plan {
            Plan::Chunked { upload, length } => {
                for (name, value) in upload.headers(*length) {
                    let value = match (name, &content_encoding) {
                        ("Content-Encoding", Some(more)) => format!("{value},{more}"),
                        _ => value,
                    };
                    headers.push((name.to_owned(), value));
                }
                upload.payload()
            }
            Plan::Hashed { length, .. } | Plan::Unsigned { length } => {
                if let Some(coding) = &content_encoding {
                    headers.push(("Content-Encoding".to_owned(), coding.clone()));
                }
                if *length > 0 || has_body(&method) {
                    headers.push(("Content-Length".to_owned(), length.to_string()));
                }
                match &plan {
                    Plan::Hashed { sha256, .. } => Payload::Precomputed(sha256),
                    _ => Payload::Unsigned,
                }
            }
        };
        let origin = &destination.origin;
        let scheme = if origin.is_tls() {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let resolved = Resolved {
            request: Prepared {
                method,
                url: Url {
                    scheme,
                    host: origin.host().to_owned(),
                    port: origin.authority.port_u16().unwrap_or(match scheme {
                        Scheme::Https => 443,
                        Scheme::Http => 80,
                    }),
                    explicit_port: origin.authority.port().is_some(),
                    target,
                },
                headers,
                body: Body::Empty,
            },
            scope: destination.scope.clone(),
            settings: destination.settings.clone(),
            credentials: (*credentials).clone(),
            time: SigningTime::now(),
            unsigned_payload: false,
            algorithm: Algorithm::HmacSha256,
        };
        let signed = signing::sign(resolved, Placement::Header, Some(payload))
            .map_err(|e| ForwardError::Signing(e.to_string()))?;
        let (framing, length, wire_length) = match plan {
            Plan::Chunked { upload, length } => {
                let encoder = upload
                    .encoder_from_steps(&signed.steps)
                    .map_err(|e| ForwardError::Signing(e.to_string()))?;
                (
                    Framing::Chunked(Box::new(encoder)),
                    length,
                    upload.encoded_length(length),
                )
            }
            Plan::Hashed { length, .. } | Plan::Unsigned { length } => {
                (Framing::Plain, length, length)
            }
        };
        let outgoing = pump::start(source, length, framing, wire_length);
        let request = upstream_request(signed.request, outgoing, forwarded)?;
        self.upstream
            .send_to(origin, request)
            .await
            .map_err(ForwardError::Upstream)
    }

    /// How the body goes, and its data: read first when the head needs its length or hash.
    async fn plan<S: DataSource>(
        &self,
        destination: &Destination,
        head: &ClientHead,
        body: S,
    ) -> Result<(Plan, Either<S>), ForwardError> {
        let s3 = canreq::is_s3_family(destination.scope.service());
        let (length, checksum) = match head.framing {
            ClientFraming::Plain(length) => (length, None),
            ClientFraming::AwsChunked {
                decoded_length,
                checksum,
                ..
            } => (Some(decoded_length), checksum),
        };
        if length.is_some_and(|l| l > self.rules.max_body) {
            return Err(ForwardError::Client(too_large(self.rules.max_body)));
        }
        let unsigned = s3 && self.rules.unsigned_payload && destination.origin.is_tls();
        let streamed =
            s3 && length.is_none_or(|l| l > DEFAULT_CHUNK_SIZE as u64 || checksum.is_some());
        if !(streamed || unsigned) {
            let collected = self.collect(body, true).await?;
            let plan = Plan::Hashed {
                length: collected.length,
                sha256: collected.sha256.unwrap_or_default(),
            };
            return Ok((plan, Either::Replayed(collected.replay)));
        }
        let (length, source) = match length {
            Some(length) => (length, Either::Direct(body)),
            None => {
                let collected = self.collect(body, false).await?;
                (collected.length, Either::Replayed(collected.replay))
            }
        };
        if unsigned {
            return Ok((Plan::Unsigned { length }, source));
        }
        let mut upload = StreamingUpload::new(StreamingMode::Signed, DEFAULT_CHUNK_SIZE)
            .map_err(|e| ForwardError::Signing(e.to_string()))?;
        if let Some(alg) = checksum {
            upload = upload.with_checksum(alg);
        }
        Ok((Plan::Chunked { upload, length }, source))
    }

    async fn collect<S: DataSource>(&self, body: S, hash: bool) -> Result<Collected, ForwardError> {
        collect(body, self.rules.buffer, self.rules.max_body, hash)
            .await
            .map_err(ForwardError::Client)
    }
}

fn too_large(max: u64) -> BodyFailed {
    BodyFailed::new(
        400,
        "EntityTooLarge",
        format!("the request body is over {max} bytes (--max-body-bytes)"),
    )
}

/// The signed request as hyper sends it, `X-Forwarded-*` added.
fn upstream_request(
    signed: Prepared,
    body: Outgoing,
    forwarded: &Forwarded<'_>,
) -> Result<hyper::Request<Outgoing>, ForwardError> {
    let mut request = hyper::Request::new(body);
    *request.method_mut() = http::Method::from_bytes(signed.method.as_bytes())
        .map_err(|e| ForwardError::Signing(format!("bad method: {e}")))?;
    *request.uri_mut() = signed.url.target.parse().map_err(|e| {
        ForwardError::Client(BodyFailed::new(
            400,
            "InvalidURI",
            format!("the target cannot be forwarded: {e}"),
        ))
    })?;
    let headers = request.headers_mut();
    headers.reserve(signed.headers.len() + 3);
    for (name, value) in &signed.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(ForwardError::Signing(format!(
                "the signed header {name} cannot be sent"
            )));
        };
        headers.append(name, value);
    }
    forwarding::add_forwarded(headers, forwarded);
    Ok(request)
}

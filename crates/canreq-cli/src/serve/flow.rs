//! The verification of one request, shared by `serve` and `gateway`: the head checked and
//! handed to the verifier ([`begin`]), then the body read under the server core's body clock
//! and limits through what the head left to check ([`Checking`]), and judged at its end
//! ([`Checking::finish`]). The two commands differ only in what they do with the data on the
//! way: `serve` counts it, `gateway` forwards it.

use bytes::Bytes;
use canreq::chunked::DecodedBody;
use canreq::verify::{AuthError, Begun, CredentialStore, ErrorCode, Verified, Verifier};
use canreq::{Request, SigningTime};
use hyper::body::Body;

use super::claimed::claimed_credential;
use super::refusal::{Refusal, ServerRefusal};
use crate::server::{BodyClock, BodyTime};

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
    fn max_for<D>(&self, begun: &Begun<D>) -> u64 {
        match begun {
            Begun::Whole(pending) if !pending.signature_checked() => {
                self.max_unverified.min(self.max_body)
            }
            _ => self.max_body,
        }
    }
}

/// A refused request: why, and the access key id it claimed, for the log (empty if none).
#[derive(Debug)]
pub struct Rejected {
    pub refusal: Refusal,
    pub access_key_id: String,
}

impl<R: Into<Refusal>> From<(R, String)> for Rejected {
    fn from((refusal, access_key_id): (R, String)) -> Self {
        Rejected {
            refusal: refusal.into(),
            access_key_id,
        }
    }
}

/// What a request that passed verification leaves: the request, an aws-chunked summary, and
/// the body's length (decoded, for aws-chunked).
pub struct Passed<D> {
    pub verified: Verified<D>,
    pub decoded: Option<DecodedBody>,
    pub body_length: u64,
}

/// The request as the verifier reads it, from the head hyper parsed: every header value must
/// be UTF-8, and an absolute-form target's host must agree with `Host`.
pub fn received(parts: &http::request::Parts) -> Result<Request<'_>, AuthError> {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        let value = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            AuthError::new(
                ErrorCode::InvalidArgument,
                format!("The value of header {name} is not UTF-8."),
            )
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
                return Err(AuthError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The request target names the host '{authority}', but the Host header says '{}'.",
                        String::from_utf8_lossy(host)
                    ),
                ));
            }
        }
    }
    let mut request = Request::with_capacity(parts.method.as_str(), target, headers.len());
    for (n, v) in headers {
        request.push_header(n, v);
    }
    Ok(request)
}

/// Checks the head of a request: its length against the limits, then everything the verifier
/// decides before the body (the signature too, when the head holds all it covers: a bad one
/// is refused before any byte of the body is read, and no `100 Continue` is sent for it).
pub fn begin<S: CredentialStore, B>(
    verifier: &Verifier<S>,
    limits: &BodyLimits,
    parts: &http::request::Parts,
    body: B,
) -> Result<Checking<S::Data, B>, Rejected> {
    let request = received(parts).map_err(|e| Rejected::from((e, String::new())))?;
    // hyper has refused a Content-Length that is not a number.
    let declared: Option<u64> = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    if let Some(declared) = declared
        && declared > limits.max_body
    {
        return Err((ServerRefusal::too_large(limits.max_body), String::new()).into());
    }
    let begun = verifier
        .begin(&request, SigningTime::now())
        .map_err(|e| Rejected::from((e, claimed_key(&request))))?;
    let access_key_id = begun.access_key_id().to_owned();
    let max_body = limits.max_for(&begun);
    if declared.is_some_and(|declared| declared > max_body) {
        return Err((ServerRefusal::too_large(max_body), access_key_id).into());
    }
    Ok(Checking {
        clock: limits.time.start(declared.unwrap_or(max_body)),
        begun,
        body,
        max_body,
        seen: 0,
        access_key_id,
        ended: false,
    })
}

/// A request whose head passed, its body being read through what the head left to check.
pub struct Checking<D, B> {
    begun: Begun<D>,
    body: B,
    clock: BodyClock,
    max_body: u64,
    seen: u64,
    access_key_id: String,
    ended: bool,
}

impl<D, B> Checking<D, B>
where
    B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin,
{
    /// What the head left to check.
    pub fn begun(&self) -> &Begun<D> {
        &self.begun
    }

    /// The access key id the request claims, for the log.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Whether the body has been read to its end.
    pub fn body_ended(&self) -> bool {
        self.ended
    }

    fn rejected(&self, refusal: impl Into<Refusal>) -> Rejected {
        Rejected::from((refusal.into(), self.access_key_id.clone()))
    }

    /// Reads the next piece of the body and returns it as received, `None` at the end. The
    /// request's data in it is handed to `release` with the piece: the piece itself, or for
    /// aws-chunked the data of each chunk whose signature matched. Nothing released is
    /// vouched for until [`finish`](Self::finish) says so.
    pub async fn next(
        &mut self,
        mut release: impl FnMut(&Bytes, &[u8]),
    ) -> Result<Option<Bytes>, Rejected> {
        let data = loop {
            let frame = match self.clock.next_frame(&mut self.body).await {
                Err(_) => return Err(self.rejected(ServerRefusal::too_slow())),
                Ok(None) => {
                    self.ended = true;
                    return Ok(None);
                }
                Ok(Some(Err(e))) => {
                    let e = AuthError::new(
                        ErrorCode::InvalidRequest,
                        format!("The request body could not be read: {e}"),
                    );
                    return Err(self.rejected(e));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            match frame.into_data() {
                Ok(data) => break data,
                Err(frame) => {
                    // HTTP trailer fields come after the signed head: nothing can sign them,
                    // so an `x-amz-*` one (a checksum, a token) is refused rather than ignored.
                    if let Some(name) = frame
                        .trailers_ref()
                        .and_then(|t| t.keys().find(|n| n.as_str().starts_with("x-amz-")))
                    {
                        return Err(self.rejected(AuthError::new(
                            ErrorCode::InvalidRequest,
                            format!(
                                "The HTTP trailer field {name} cannot be signed: SigV4 signs the \
                                 head, and a trailer comes after the body (aws-chunked bodies \
                                 carry their own signed trailer)."
                            ),
                        )));
                    }
                }
            }
        };
        self.seen += data.len() as u64;
        if self.seen > self.max_body {
            return Err(self.rejected(ServerRefusal::too_large(self.max_body)));
        }
        match &mut self.begun {
            Begun::Whole(pending) => {
                pending.update(&data);
                release(&data, &data);
            }
            Begun::Chunked(pending) => {
                if let Err(e) = pending.decode(&data, |piece| release(&data, piece)) {
                    return Err(self.rejected(e));
                }
            }
            Begun::Done(_) => release(&data, &data),
        }
        Ok(Some(data))
    }

    /// Ends the body (read to its end by [`next`](Self::next)): the declared hash compared,
    /// the signature checked, or the last chunk and trailer judged.
    pub fn finish(self) -> Result<Passed<D>, Rejected> {
        let akid = self.access_key_id;
        let (verified, decoded) = match self.begun {
            Begun::Whole(pending) => (pending.finish().map_err(|e| (e, akid))?, None),
            Begun::Chunked(pending) => {
                let (verified, decoded) = pending.finish().map_err(|e| (e, akid))?;
                (verified, Some(decoded))
            }
            Begun::Done(verified) => (verified, None),
        };
        Ok(Passed {
            body_length: decoded
                .as_ref()
                .map_or(self.seen, DecodedBody::decoded_length),
            verified,
            decoded,
        })
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

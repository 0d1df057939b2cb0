//! One request and its answer, observed: the bytes each way, the status, the AWS error code
//! and the time from the request's arrival to the end of the answer's body. The access-log line
//! is written, and the metrics moved, when the answer's body has ended or been dropped
//! (a client gone mid-answer), exactly once.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::Ops;

/// A request being answered: what its log line will say.
#[derive(Debug)]
pub struct Exchange {
    ops: Arc<Ops>,
    started: Instant,
    remote: SocketAddr,
    method: String,
    path: String,
    bytes_in: Arc<AtomicU64>,
    error_code: Option<String>,
}

impl Exchange {
    pub(super) fn new<B>(ops: Arc<Ops>, request: &hyper::Request<B>, remote: SocketAddr) -> Self {
        Exchange {
            ops,
            started: Instant::now(),
            remote,
            method: request.method().as_str().to_owned(),
            path: loggable_target(request.uri()),
            bytes_in: Arc::default(),
            error_code: None,
        }
    }

    /// The request body, counted as it is read: the bytes in of the log line.
    pub fn count_in<B>(&self, body: B) -> CountedIn<B> {
        CountedIn {
            inner: body,
            count: Arc::clone(&self.bytes_in),
        }
    }

    /// The AWS error code the answer carries (`BadGateway`, `SignatureDoesNotMatch`), when the
    /// handler made the answer or knows it. Without it, an error answer's code is read from its
    /// `x-amzn-ErrorType` or `x-amz-error-code` header, if any.
    pub fn set_error_code(&mut self, code: impl Into<String>) {
        self.error_code = Some(code.into());
    }

    /// The answer, with a body that logs the exchange when it ends.
    pub fn respond<B: Body>(
        mut self,
        response: hyper::Response<B>,
    ) -> hyper::Response<Observed<B>> {
        let status = response.status().as_u16();
        if self.error_code.is_none() && status >= 400 {
            self.error_code = header_error_code(response.headers());
        }
        response.map(|inner| {
            let ended = inner.is_end_stream();
            Observed {
                inner,
                record: Record {
                    exchange: self,
                    status,
                    bytes_out: 0,
                    ended,
                },
            }
        })
    }
}

/// A request body that counts the bytes read from it.
#[derive(Debug)]
pub struct CountedIn<B> {
    inner: B,
    count: Arc<AtomicU64>,
}

impl<B: Body<Data = Bytes> + Unpin> Body for CountedIn<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.count.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's body that counts the bytes sent and logs the exchange when it ends or is
/// dropped.
#[derive(Debug)]
pub struct Observed<B> {
    inner: B,
    record: Record,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Observed<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.record.bytes_out += data.len() as u64;
                }
                // hyper stops polling a body that says it has ended.
                this.record.ended = this.inner.is_end_stream();
            }
            Poll::Ready(None) => this.record.ended = true,
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The exchange's figures, written out when dropped with the answer's body.
#[derive(Debug)]
struct Record {
    exchange: Exchange,
    status: u16,
    bytes_out: u64,
    /// The whole answer was sent; false when the client left (or the stream failed) first.
    ended: bool,
}

impl Drop for Record {
    fn drop(&mut self) {
        let e = &self.exchange;
        let duration = e.started.elapsed();
        let bytes_in = e.bytes_in.load(Ordering::Relaxed);
        let code = e.error_code.as_deref();
        e.ops
            .metrics
            .exchange(self.status, code, bytes_in, self.bytes_out, duration);
        tracing::info!(
            target: "canreq::access",
            command = e.ops.command,
            remote = %e.remote,
            method = e.method,
            path = e.path,
            status = self.status,
            code = code.unwrap_or("-"),
            bytes_in,
            bytes_out = self.bytes_out,
            duration_ms = duration.as_secs_f64() * 1000.0,
            complete = self.ended,
        );
    }
}

/// Query parameters whose values are never logged: a presigned URL's signature, its
/// credential (the access key id) and its session token.
const SECRET_PARAMETERS: [&str; 3] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// The request target as logged: the path, and the query with the values of
/// [`SECRET_PARAMETERS`] replaced (their names compared case-insensitively and decoded, so
/// `X-Amz-%53ignature` is caught too).
pub fn loggable_target(uri: &hyper::Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            if SECRET_PARAMETERS
                .iter()
                .any(|secret| decoded.eq_ignore_ascii_case(secret))
            {
                format!("{name}=REDACTED")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// The error code an AWS answer names in a header: `x-amzn-ErrorType` (the JSON protocols,
/// `Code:namespace`) or `x-amz-error-code`.
fn header_error_code(headers: &hyper::HeaderMap) -> Option<String> {
    let value = headers
        .get("x-amzn-errortype")
        .or_else(|| headers.get("x-amz-error-code"))?
        .to_str()
        .ok()?;
    let code = value.split(':').next()?.trim();
    (!code.is_empty()).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_secrets_are_replaced_in_the_logged_target() {
        let uri: hyper::Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&x-amz-security-token=TOKEN&X-Amz-%53ignature=abc123&partNumber=1&flag"
            .parse()
            .unwrap();
        let logged = loggable_target(&uri);
        assert_eq!(
            logged,
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&x-amz-security-token=REDACTED&X-Amz-%53ignature=REDACTED&partNumber=1&flag"
        );
        for secret in ["AKID", "TOKEN", "abc123"] {
            assert!(!logged.contains(secret), "{secret} in {logged}");
        }
        assert_eq!(loggable_target(&"/a%20b".parse().unwrap()), "/a%20b");
    }

    #[test]
    fn the_error_code_is_read_from_the_json_protocols_header() {
        let mut headers = hyper::HeaderMap::new();
        assert_eq!(header_error_code(&headers), None);
        headers.insert(
            "x-amzn-errortype",
            "ValidationException:http://internal.amazon.com/coral/"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            header_error_code(&headers).as_deref(),
            Some("ValidationException")
        );
    }
}

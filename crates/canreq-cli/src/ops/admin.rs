//! The admin listener: `GET /healthz` answers `ok`, `GET /metrics` the Prometheus text. It runs
//! on the shared accept loop (its limits and deadlines, no second loop to keep right) with a
//! handler of its own, for the life of the process: it stays up while the main listener
//! drains, so the drain can be watched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, StatusCode};
use tokio::net::TcpListener;

use super::Ops;
use super::metrics::CONTENT_TYPE;
use crate::server::{self, HeadRefusal, Limits};

/// A handful of scrapers and probes; anything more waits.
const LIMITS: Limits = Limits {
    max_connections: 16,
    max_connections_per_address: 16,
    timeout: Duration::from_secs(10),
    max_header_bytes: 16 * 1024,
};

/// Serves the admin endpoints on `listener` in a task of their own.
pub fn spawn(listener: TcpListener, ops: Arc<Ops>) {
    tokio::spawn(server::accept_loop(
        listener,
        Arc::new(Admin(ops)),
        None,
        LIMITS,
        server::never(),
    ));
}

struct Admin(Arc<Ops>);

impl Admin {
    fn answer(&self, method: &Method, path: &str) -> hyper::Response<Full<Bytes>> {
        let (status, content_type, body) = match path {
            _ if method != Method::GET && method != Method::HEAD => (
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET only\n".to_owned(),
            ),
            "/healthz" => (StatusCode::OK, "text/plain", "ok".to_owned()),
            "/metrics" => (StatusCode::OK, CONTENT_TYPE, self.0.metrics.encode()),
            _ => (
                StatusCode::NOT_FOUND,
                "text/plain",
                "/healthz or /metrics\n".to_owned(),
            ),
        };
        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(content_type),
        );
        response
    }
}

impl server::Handler for Admin {
    type Body = Full<Bytes>;

    async fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        _remote: SocketAddr,
    ) -> hyper::Response<Full<Bytes>> {
        self.answer(request.method(), request.uri().path())
    }

    fn head_refused(
        &self,
        _refusal: &HeadRefusal,
        _head: &[u8],
        _remote: SocketAddr,
    ) -> hyper::Response<Full<Bytes>> {
        let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"bad request\n")));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    }

    // Scrapers and probes that misbehave are not the command's traffic: not logged.
    fn connection_failed(&self, _remote: SocketAddr, _error: &hyper::Error) {}

    fn address_full(&self, _remote: SocketAddr, _limit: usize) {}

    fn accept_failed(&self, error: &std::io::Error) {
        self.0.accept_failed(error);
    }
}

//! The HTTP/1.1 server core: accepting connections, TLS, limits and deadlines, closing without
//! losing an answer. It knows nothing of SigV4; what a request gets is a [`Handler`]'s business.
//!
//! `canreq serve` is one handler (`serve::State`: verify, then report). The commands to come
//! plug in the same way, each a `Handler` over this accept loop:
//! - `proxy`, a signing reverse proxy: its handler signs each request (the `signing` module)
//!   and forwards it, streaming the answer back through [`Handler::Body`];
//! - `gateway`, a verifying reverse proxy: its handler verifies as `serve` does and forwards
//!   what passes.
//!
//! What every connection gets, whoever handles it:
//! - at most [`Limits::max_connections`] at once (more wait to be accepted), and at most
//!   [`Limits::max_connections_per_address`] from one client address: a connection over its
//!   address's share is closed as soon as it is accepted (`address_slots`);
//! - each request head checked before hyper reads it, and refused in the handler's words when
//!   it is over [`Limits::max_header_bytes`] or not HTTP/1.1 (`head`);
//! - [`Limits::timeout`] to send a request head (hyper's header timeout), to finish the TLS
//!   handshake, and to take each piece of an answer (`deadline`);
//! - a request body read through a [`BodyClock`](body_time::BodyClock): a total deadline, a least
//!   rate and a longest pause. Only the handler reads the body, so it starts the clock, but
//!   the rules are the same for every handler;
//! - a kept-alive connection closed when idle is not an error (`idle`);
//! - a lingering close, so an answer sent before the request body was read still arrives
//!   (`linger`).

mod address_slots;
mod body_time;
mod deadline;
mod head;
mod idle;
mod linger;
mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::error::CliError;
use address_slots::AddressSlots;
use deadline::WriteDeadline;
use head::{HeadGate, Ledger};
use idle::{Activity, Watched};

pub use body_time::{BodyClock, BodyTime};
pub use head::HeadRefusal;

pub use tls::acceptor as tls_acceptor;

/// What answers the requests of a server: `serve`'s verifier today, a proxy's forwarder later.
pub trait Handler: Send + Sync + 'static {
    /// The answer's body: whole in memory, or streamed (a proxy passing an answer on).
    type Body: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + 'static;

    /// Answers one request from `remote`. Every request gets an answer: a refusal is one.
    fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = hyper::Response<Self::Body>> + Send;

    /// The answer to a request head the core refused before hyper read it (over the size
    /// limit, or one hyper would refuse with a bare status): `head` is what was received of it.
    /// The connection closes after the answer.
    fn head_refused(
        &self,
        refusal: &HeadRefusal,
        head: &[u8],
        remote: SocketAddr,
    ) -> hyper::Response<Self::Body>;

    /// A connection hyper ended on its own (a request head too large, malformed or too slow,
    /// a client gone mid-request or one that stopped reading): no request reached
    /// [`Handler::handle`], and the handler may still log it.
    fn connection_failed(&self, remote: SocketAddr, error: &hyper::Error);

    /// A connection closed as soon as accepted: its address held `limit` connections already.
    fn address_full(&self, remote: SocketAddr, limit: usize);

    /// `accept` failed (e.g. out of file descriptors); the loop waits a moment and goes on.
    fn accept_failed(&self, error: &std::io::Error);
}

/// Binds `address` and returns the listener with the address it got (port 0 picks one).
pub async fn bind(address: SocketAddr) -> Result<(TcpListener, SocketAddr), CliError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| CliError::network(format!("cannot listen on {address}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::network(format!("cannot read the listening address: {e}")))?;
    Ok((listener, local))
}

/// Connection limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most connections served at once from one client address (an IPv6 /64).
    pub max_connections_per_address: usize,
    /// Time allowed for the request head, the TLS handshake, and each write to the client.
    pub timeout: Duration,
    /// Largest request head.
    pub max_header_bytes: usize,
}

/// Serves one connection's requests; once hyper is done with it, the connection is handed
/// back and closed without losing its last answer (see `linger`).
async fn serve_then_linger<H, S>(
    builder: &http1::Builder,
    stream: S,
    handler: Arc<H>,
    remote: SocketAddr,
    max_head: usize,
) -> Result<(), hyper::Error>
where
    H: Handler,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ledger = Arc::new(Ledger::default());
    let gate = HeadGate::new(stream, max_head, Arc::clone(&ledger));
    let service = service_fn(move |request| {
        let handler = Arc::clone(&handler);
        let refused = ledger.next_request();
        async move {
            Ok::<_, Infallible>(match refused {
                Some((refusal, head)) => handler.head_refused(&refusal, &head, remote),
                None => handler.handle(request, remote).await,
            })
        }
    });
    let released = builder
        .serve_connection(TokioIo::new(gate), service)
        .without_shutdown()
        .await?;
    linger::linger(released.io.into_inner().into_inner()).await;
    Ok(())
}

/// Serves connections from `listener` with `handler` until the future is dropped; `canreq demo`
/// runs it on a free port in-process.
pub async fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    tls: Option<TlsAcceptor>,
    limits: Limits,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let address_slots = AddressSlots::new(limits.max_connections_per_address);
    let timeout = limits.timeout;
    let max_head = limits.max_header_bytes;
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let (stream, remote) = match listener.accept().await {
            Ok(pair) => pair,
            Err(e) => {
                handler.accept_failed(&e);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Closed at once rather than left waiting: a waiting connection would still hold
        // the server's attention, and its client learns at once to back off.
        let Some(address_slot) = address_slots.take(remote.ip()) else {
            drop(stream);
            handler.address_full(remote, address_slots.limit());
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slots = (permit, address_slot);
            let builder = {
                let mut b = http1::Builder::new();
                b.timer(TokioTimer::new())
                    .header_read_timeout(timeout)
                    // The head limit is the gate's (`head`), exact; hyper's buffer only needs
                    // room for a head at the limit and the start of a body.
                    .max_buf_size(max_head.saturating_add(64 * 1024))
                    // A client that shuts down its sending side once the request is out still
                    // gets its answer: without this, hyper drops the connection (and the request
                    // being answered) as soon as it reads the end of the stream.
                    .half_close(true)
                    .keep_alive(true);
                b
            };
            // Under TLS too: the deadline sees the encrypted bytes the client must take.
            let stream = WriteDeadline::new(stream, timeout);
            // Watched on the plain text side, where the requests and answers are.
            let activity = Arc::new(Activity::default());
            let served = match tls {
                Some(acceptor) => {
                    // A client that does not finish the handshake in time is dropped.
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let io = Watched::new(tls_stream, Arc::clone(&activity));
                            serve_then_linger(&builder, io, Arc::clone(&handler), remote, max_head)
                                .await
                        }
                        _ => Ok(()),
                    }
                }
                None => {
                    let io = Watched::new(stream, Arc::clone(&activity));
                    serve_then_linger(&builder, io, Arc::clone(&handler), remote, max_head).await
                }
            };
            match served {
                // A kept-alive connection closed after its last answer: no request to log.
                Err(e) if e.is_timeout() && activity.is_idle() => {}
                Err(e) => handler.connection_failed(remote, &e),
                Ok(()) => {}
            }
        });
    }
}

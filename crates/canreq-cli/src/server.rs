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
//! - a request body read through a [`BodyClock`]: a total deadline, a least
//!   rate and a longest pause. Only the handler reads the body, so it starts the clock, but
//!   the rules are the same for every handler;
//! - a kept-alive connection closed when idle is not an error (`idle`);
//! - a lingering close, so an answer sent before the request body was read still arrives
//!   (`linger`);
//! - on [`Shutdown`], its current request finished and then closed, within a deadline
//!   (`drain`).

mod address_slots;
mod body_time;
mod deadline;
mod drain;
mod head;
mod idle;
mod linger;
mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::error::CliError;
use address_slots::AddressSlots;
use deadline::WriteDeadline;
use drain::{Draining, Notice};
use head::{HeadGate, Ledger};
use idle::{Activity, Watched};

pub use body_time::{BodyClock, BodyTime};
pub use drain::{DRAIN_DEADLINE, Shutdown, never, termination};
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
/// back and closed without losing its last answer (see `linger`). Once `draining` starts, the
/// request being answered is finished and the connection closed (at once if it is idle).
async fn serve_then_linger<H, S>(
    builder: &http1::Builder,
    stream: S,
    handler: Arc<H>,
    remote: SocketAddr,
    max_head: usize,
    draining: Draining,
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
        // Boxed: polling the connection by hand (to shut it down gracefully and still get
        // its stream back) needs a service future that can move.
        Box::pin(async move {
            Ok::<_, Infallible>(match refused {
                Some((refusal, head)) => handler.head_refused(&refusal, &head, remote),
                None => handler.handle(request, remote).await,
            })
        })
    });
    let mut connection = builder.serve_connection(TokioIo::new(gate), service);
    let mut draining = pin!(draining.started());
    let mut told = false;
    std::future::poll_fn(|cx| {
        if !told && draining.as_mut().poll(cx).is_ready() {
            told = true;
            std::pin::Pin::new(&mut connection).graceful_shutdown();
        }
        connection.poll_without_shutdown(cx)
    })
    .await?;
    let released = connection.into_parts();
    linger::linger(released.io.into_inner().into_inner()).await;
    Ok(())
}

/// Waits for a connection slot, then for a connection.
async fn next_connection(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(
    OwnedSemaphorePermit,
    std::io::Result<(tokio::net::TcpStream, SocketAddr)>,
)> {
    let permit = Arc::clone(permits).acquire_owned().await.ok()?;
    Some((permit, listener.accept().await))
}

/// How an accept loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open at the drain deadline, closed then.
    pub cut_short: usize,
}

/// Serves connections from `listener` with `handler` until `shutdown.signal` resolves, then
/// stops accepting (the listener is closed), lets the open connections finish their current
/// request for up to `shutdown.drain`, closes what is left and returns. `canreq demo` runs it
/// on a free port in-process.
pub async fn accept_loop<H: Handler, F: Future<Output = ()>>(
    listener: TcpListener,
    handler: Arc<H>,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: Shutdown<F>,
) -> Stopped {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let address_slots = AddressSlots::new(limits.max_connections_per_address);
    let timeout = limits.timeout;
    let max_head = limits.max_header_bytes;
    let notice = Notice::new();
    let mut connections = JoinSet::new();
    let mut signal = pin!(shutdown.signal);
    loop {
        let next = tokio::select! {
            () = &mut signal => break,
            next = next_connection(&listener, &permits) => next,
        };
        // Finished connections are reaped as new ones come: the set holds at most the open
        // ones and those that ended since the last accept.
        while connections.try_join_next().is_some() {}
        let Some((permit, accepted)) = next else {
            break;
        };
        let (stream, remote) = match accepted {
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
        let draining = notice.subscribe();
        connections.spawn(async move {
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
                            serve_then_linger(
                                &builder,
                                io,
                                Arc::clone(&handler),
                                remote,
                                max_head,
                                draining,
                            )
                            .await
                        }
                        _ => Ok(()),
                    }
                }
                None => {
                    let io = Watched::new(stream, Arc::clone(&activity));
                    serve_then_linger(
                        &builder,
                        io,
                        Arc::clone(&handler),
                        remote,
                        max_head,
                        draining,
                    )
                    .await
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
    drop(listener);
    notice.raise();
    let finished = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(shutdown.drain, finished).await;
    let cut_short = connections.len();
    connections.shutdown().await;
    Stopped { cut_short }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Never answers: every request stays in flight.
    struct Stuck;

    impl Handler for Stuck {
        type Body = Full<Bytes>;

        async fn handle(
            self: Arc<Self>,
            _request: hyper::Request<Incoming>,
            _remote: SocketAddr,
        ) -> hyper::Response<Full<Bytes>> {
            std::future::pending().await
        }

        fn head_refused(
            &self,
            _: &HeadRefusal,
            _: &[u8],
            _: SocketAddr,
        ) -> hyper::Response<Full<Bytes>> {
            hyper::Response::new(Full::default())
        }

        fn connection_failed(&self, _: SocketAddr, _: &hyper::Error) {}

        fn address_full(&self, _: SocketAddr, _: usize) {}

        fn accept_failed(&self, _: &std::io::Error) {}
    }

    #[tokio::test]
    async fn a_request_still_in_flight_at_the_drain_deadline_is_cut_short() {
        let (listener, local) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = Limits {
            max_connections: 4,
            max_connections_per_address: 4,
            timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
        };
        let shutdown = Shutdown {
            signal: async {
                let _ = stopped.await;
            },
            drain: Duration::from_millis(300),
        };
        let server = tokio::spawn(accept_loop(
            listener,
            Arc::new(Stuck),
            None,
            limits,
            shutdown,
        ));
        let mut stuck = tokio::net::TcpStream::connect(local).await.unwrap();
        stuck
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // A connection with no request is closed at once (its client then closes too), and
        // is not counted.
        let mut idle = tokio::net::TcpStream::connect(local).await.unwrap();
        let idle = tokio::spawn(async move {
            let mut rest = Vec::new();
            idle.read_to_end(&mut rest).await.map(|_| rest.len())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let told = tokio::time::Instant::now();
        stop.send(()).unwrap();
        let stopped = server.await.unwrap();
        assert_eq!(stopped, Stopped { cut_short: 1 });
        assert_eq!(
            idle.await.unwrap().unwrap(),
            0,
            "nothing sent to the idle connection"
        );
        let waited = told.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        let refused = tokio::net::TcpStream::connect(local).await;
        assert!(refused.is_err(), "still accepting after the loop returned");
    }
}

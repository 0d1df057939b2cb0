//! Stopping without cutting answers short. When the server is told to stop it closes its
//! listening socket (a new connection is refused), lets each open connection finish the request
//! it is answering (hyper's graceful shutdown: keep-alive off, an idle connection closed at
//! once), and waits for them up to a deadline; what is still open then is closed.

use std::time::Duration;

use tokio::sync::watch;

/// How long in-flight requests get once the server is told to stop, unless the caller says
/// otherwise: under the 30 seconds a service manager (systemd's default, Kubernetes' grace
/// period) waits between SIGTERM and SIGKILL.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(25);

/// When the accept loop stops, and how long it then waits for the requests in flight.
#[derive(Debug)]
pub struct Shutdown<F> {
    /// Resolves when the server is to stop accepting.
    pub signal: F,
    /// The longest wait for the connections still answering once `signal` resolved.
    pub drain: Duration,
}

/// [`Shutdown`] never: a listener that lives as long as the process (the admin listener).
pub fn never() -> Shutdown<std::future::Pending<()>> {
    Shutdown {
        signal: std::future::pending(),
        drain: Duration::ZERO,
    }
}

/// Resolves on the first SIGTERM (what service managers send) or SIGINT (Ctrl-C). A signal
/// that cannot be watched is left to its default action, which ends the process.
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The accept loop's side of the notice to connections: raised once, when it stops accepting.
pub struct Notice(watch::Sender<bool>);

impl Notice {
    pub fn new() -> Notice {
        Notice(watch::Sender::new(false))
    }

    /// A receiver for one connection.
    pub fn subscribe(&self) -> Draining {
        Draining(self.0.subscribe())
    }

    /// Tells every connection to finish its current request and close.
    pub fn raise(&self) {
        self.0.send_replace(true);
    }
}

/// A connection's side of the notice.
pub struct Draining(watch::Receiver<bool>);

impl Draining {
    /// Resolves once the server stops accepting (or the accept loop is gone, which means the
    /// same).
    pub async fn started(mut self) {
        let _ = self.0.wait_for(|raised| *raised).await;
    }
}

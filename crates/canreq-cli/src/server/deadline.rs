//! A write deadline for a connection. hyper bounds the time to read a request head and the
//! handler the time between pieces of a body, but nothing bounds a write: a client that sends
//! requests and never reads the answers would hold its connection slot for ever once the
//! socket buffers fill.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once the peer has taken no
/// byte for `limit`. Any progress restarts the clock; reads pass through untouched.
pub struct WriteDeadline<S> {
    inner: S,
    limit: Duration,
    /// Armed at the first write that could not proceed; dropped at the next that does.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteDeadline<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        WriteDeadline {
            inner,
            limit,
            stalled: None,
        }
    }

    /// What a write that returned `poll` means under the deadline.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client read nothing of the answer for {} s",
                    limit.as_secs()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_stops_reading_times_out_and_one_that_reads_does_not() {
        // A pipe with a 16-byte buffer that nobody reads: the second write cannot proceed.
        let (client, server) = tokio::io::duplex(16);
        let mut stream = WriteDeadline::new(server, Duration::from_secs(5));
        stream.write_all(&[0; 16]).await.expect("fits the buffer");
        let err = stream.write_all(&[0; 16]).await.expect_err("never read");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);

        // The same pipe, read slowly (a byte every 4 s): each piece of progress resets the clock.
        let (mut client, server) = (client, server_of(stream));
        let mut stream = WriteDeadline::new(server, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut byte = [0u8; 1];
            let mut total = 0;
            while total < 48 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                total += client.read(&mut byte).await.expect("read");
            }
        });
        stream.write_all(&[0; 32]).await.expect("slow but steady");
        reader.abort();
    }

    fn server_of(stream: WriteDeadline<tokio::io::DuplexStream>) -> tokio::io::DuplexStream {
        stream.inner
    }
}

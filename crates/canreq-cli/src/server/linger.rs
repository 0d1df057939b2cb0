//! Closing a connection without losing its last answer. A refused upload is answered before
//! its body is read; if the server then closes the socket with that body still arriving, the
//! kernel resets the connection, and a client that is still writing (Node's, for the AWS SDK
//! for JavaScript) reports `EPIPE` instead of reading the `403` already sent. So the server
//! ends its side first and reads what is still coming, for a bounded time and amount, as
//! HTTP servers do ("lingering close"), then closes.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most read and thrown away after the answer.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
/// The longest wait for the client to stop sending.
const LINGER_TIME: Duration = Duration::from_secs(2);

/// Ends the server's side of `stream`, then reads and discards until the client closes its
/// side, [`LINGER_BYTES`] have come, or [`LINGER_TIME`] has passed.
pub async fn linger<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_client_still_sending_is_read_until_it_stops_or_time_is_up() {
        // The client sends 1 MiB after the server's end, then closes: all of it is read, and
        // the server's side is closed first (the client reads end of stream).
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let lingering = tokio::spawn(linger(server));
        client
            .write_all(&vec![7u8; 1024 * 1024])
            .await
            .expect("read by the server");
        let mut rest = Vec::new();
        client
            .read_to_end(&mut rest)
            .await
            .expect("the server's side ended");
        assert!(rest.is_empty());
        drop(client);
        lingering.await.expect("linger ends when the client closes");

        // A client that neither closes nor stops: the server gives up after LINGER_TIME.
        let (client, server) = tokio::io::duplex(64 * 1024);
        let started = tokio::time::Instant::now();
        linger(server).await;
        assert!(started.elapsed() >= LINGER_TIME);
        drop(client);
    }
}

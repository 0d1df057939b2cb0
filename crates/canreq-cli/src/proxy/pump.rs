//! The body sent upstream: pieces a task reads from a [`DataSource`] and hands over a small
//! channel, so the upstream connection pulls the client's body at its own pace and memory holds
//! a few pieces at most. As the data passes it is checked against the length the head declared
//! and, for S3, framed as signed aws-chunked chunks on the fly. A failed source ends the body
//! with an error, which aborts the upstream request.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use canreq::chunked::ChunkedEncoder;
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

use super::source::DataSource;
use crate::upstream::{BodyFailed, BoxError};

/// Pieces in flight between the task reading the source and the upstream connection.
const IN_FLIGHT: usize = 4;

/// The upstream request's body: nothing, or the pieces a pump sends.
pub enum Outgoing {
    Empty,
    Pumped {
        pieces: mpsc::Receiver<Result<Bytes, BodyFailed>>,
        length: u64,
    },
}

impl hyper::body::Body for Outgoing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut *self {
            Outgoing::Empty => Poll::Ready(None),
            Outgoing::Pumped { pieces, .. } => pieces.poll_recv(cx).map(|piece| {
                piece.map(|p| p.map(Frame::data).map_err(|e| Box::new(e) as BoxError))
            }),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Outgoing::Empty)
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Outgoing::Empty => SizeHint::with_exact(0),
            Outgoing::Pumped { length, .. } => SizeHint::with_exact(*length),
        }
    }
}

/// How the data is put on the wire.
pub enum Framing {
    /// As it is.
    Plain,
    /// As signed aws-chunked chunks of the encoder's size.
    Chunked(Box<ChunkedEncoder>),
}

/// Starts a task sending `source`'s `length` data bytes, framed as asked; the body it feeds
/// is `wire_length` bytes long.
pub fn start(source: impl DataSource, length: u64, framing: Framing, wire_length: u64) -> Outgoing {
    if wire_length == 0 {
        return Outgoing::Empty;
    }
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    tokio::spawn(async move {
        let result = match framing {
            Framing::Plain => plain(source, length, &tx).await,
            Framing::Chunked(encoder) => chunked(source, length, *encoder, &tx).await,
        };
        // An error ends the body (and the upstream request); a closed channel means the
        // upstream request is over already.
        if let Err(Some(e)) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    Outgoing::Pumped {
        pieces: rx,
        length: wire_length,
    }
}

/// The pump's outcome: `Err(None)` when the upstream side went away.
type Pumped = Result<(), Option<BodyFailed>>;

type Sender = mpsc::Sender<Result<Bytes, BodyFailed>>;

async fn send(tx: &Sender, piece: Bytes) -> Pumped {
    tx.send(Ok(piece)).await.map_err(|_| None)
}

/// A body that is not `length` bytes long.
fn wrong_length(length: u64, seen: u64) -> BodyFailed {
    if seen < length {
        BodyFailed::new(
            400,
            "IncompleteBody",
            format!("the request body ended after {seen} of its {length} bytes"),
        )
    } else {
        BodyFailed::new(
            400,
            "InvalidRequest",
            format!("the request body is longer than the {length} bytes its head declared"),
        )
    }
}

async fn plain(mut source: impl DataSource, length: u64, tx: &Sender) -> Pumped {
    let mut seen = 0u64;
    while let Some(piece) = source.next_data().await? {
        seen += piece.len() as u64;
        if seen > length {
            return Err(Some(wrong_length(length, seen)));
        }
        send(tx, piece).await?;
    }
    if seen != length {
        return Err(Some(wrong_length(length, seen)));
    }
    Ok(())
}

async fn chunked(
    mut source: impl DataSource,
    length: u64,
    mut encoder: ChunkedEncoder,
    tx: &Sender,
) -> Pumped {
    let size = encoder.plan().chunk_size();
    let mut chunk = BytesMut::with_capacity(size);
    let mut seen = 0u64;
    let failed = |e: canreq::Error| Some(BodyFailed::new(500, "InternalError", e.to_string()));
    loop {
        let piece = source.next_data().await?;
        let end = piece.is_none();
        let mut piece = piece.unwrap_or_default();
        seen += piece.len() as u64;
        if seen > length {
            return Err(Some(wrong_length(length, seen)));
        }
        while !piece.is_empty() || (end && !chunk.is_empty()) {
            let take = (size - chunk.len()).min(piece.len());
            chunk.extend_from_slice(&piece.split_to(take));
            if chunk.len() < size && !end {
                break;
            }
            let data = chunk.split().freeze();
            let line = encoder.frame(&data).map_err(failed)?;
            send(tx, Bytes::copy_from_slice(line.as_bytes())).await?;
            send(tx, data).await?;
            send(tx, Bytes::from_static(b"\r\n")).await?;
            chunk.reserve(size);
        }
        if end {
            break;
        }
    }
    if seen != length {
        return Err(Some(wrong_length(length, seen)));
    }
    let mut last = Vec::with_capacity(256);
    encoder.finish(&mut last);
    send(tx, Bytes::from(last)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::source::Replay;
    use canreq::chunked::{ChunkedDecoder, StreamingMode, StreamingUpload};
    use canreq::{Credentials, Request, Scope, Signer, SigningTime};
    use http_body_util::BodyExt;
    use hyper::body::Body;

    fn replay(pieces: &[&'static [u8]]) -> Replay {
        Replay::Memory(pieces.iter().map(|p| Bytes::from_static(p)).collect())
    }

    /// The body's bytes, or the error that ended it.
    async fn drain(body: Outgoing) -> Result<Vec<u8>, String> {
        let collected = body.collect().await.map_err(|e| e.to_string())?;
        Ok(collected.to_bytes().to_vec())
    }

    #[tokio::test]
    async fn a_plain_body_must_be_as_long_as_its_head_says() {
        let whole = start(replay(&[b"abc", b"de"]), 5, Framing::Plain, 5);
        assert_eq!(whole.size_hint().exact(), Some(5));
        assert_eq!(drain(whole).await.unwrap(), b"abcde");
        let short = drain(start(replay(&[b"abc"]), 5, Framing::Plain, 5)).await;
        assert!(short.unwrap_err().contains("ended after 3 of its 5 bytes"));
        let long = drain(start(replay(&[b"abc", b"def"]), 5, Framing::Plain, 5)).await;
        assert!(long.unwrap_err().contains("longer than the 5 bytes"));
        assert!(start(replay(&[]), 0, Framing::Plain, 0).is_end_stream());
    }

    #[tokio::test]
    async fn data_in_pieces_of_any_size_is_framed_as_whole_signed_chunks() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret").unwrap();
        let signer = Signer::new(
            &creds,
            Scope::new("us-east-1", "s3").unwrap(),
            SigningTime::parse("20250101T000000Z").unwrap(),
        );
        let upload = StreamingUpload::new(StreamingMode::Signed, 8192).unwrap();
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let headers = upload.headers(data.len() as u64);
        let mut request = Request::new("PUT", "/b/k").header("Host", "s3.amazonaws.com");
        for (name, value) in &headers {
            request.push_header(name, value);
        }
        let signed = signer.sign(&request, upload.payload()).unwrap();
        let encoder = upload.encoder(&signed).unwrap();
        // Pieces that straddle chunk boundaries.
        let pieces: Vec<Bytes> = data.chunks(3000).map(Bytes::copy_from_slice).collect();
        let body = start(
            Replay::Memory(pieces.into_iter().collect()),
            data.len() as u64,
            Framing::Chunked(Box::new(encoder)),
            upload.encoded_length(data.len() as u64),
        );
        let wire = drain(body).await.unwrap();
        assert_eq!(wire.len() as u64, upload.encoded_length(data.len() as u64));
        // What the upstream checks: every chunk signature in the chain, and the data.
        let mut decoder = ChunkedDecoder::for_signed_request(&signed, &request).unwrap();
        let mut decoded = Vec::new();
        decoder
            .decode(&wire, |piece| decoded.extend_from_slice(piece))
            .unwrap();
        assert_eq!(decoder.finish().unwrap().chunks(), 3);
        assert_eq!(decoded, data);
    }
}

//! Where a forwarded body's data comes from, one piece at a time: the client's body read
//! through the server core's body clock ([`ClientBody`]), a client's aws-chunked body decoded
//! ([`Dechunked`]), or a body collected first ([`Replay`], from memory or a temporary file).
//! Each piece is handed on before the next is read, so memory stays at a piece or two.

use std::collections::VecDeque;
use std::future::Future;

use bytes::Bytes;
use canreq::chunked::ChunkedDecoder;
use hyper::body::Body;
use tokio::io::AsyncReadExt;

use crate::server::BodyClock;
use crate::upstream::BodyFailed;

/// A request body's data, piece by piece.
pub trait DataSource: Send + 'static {
    /// The next piece (never empty); `None` at the end of the data.
    fn next_data(&mut self) -> impl Future<Output = Result<Option<Bytes>, BodyFailed>> + Send;
}

/// The client's body, each piece awaited under the server core's body rules (a total
/// deadline, a least rate, a longest pause).
pub struct ClientBody<B> {
    body: B,
    clock: BodyClock,
}

impl<B> ClientBody<B> {
    pub fn new(body: B, clock: BodyClock) -> ClientBody<B> {
        ClientBody { body, clock }
    }
}

impl<B> DataSource for ClientBody<B>
where
    B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin + Send + 'static,
{
    async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
        loop {
            let frame = match self.clock.next_frame(&mut self.body).await {
                Err(overdue) => {
                    return Err(BodyFailed::new(
                        400,
                        "RequestTimeout",
                        format!("the request body was too slow ({overdue:?})"),
                    ));
                }
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => {
                    return Err(BodyFailed::new(
                        400,
                        "IncompleteBody",
                        format!("the request body could not be read: {e}"),
                    ));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            // HTTP trailer fields are not forwarded: a signature cannot cover them.
            if let Ok(data) = frame.into_data()
                && !data.is_empty()
            {
                return Ok(Some(data));
            }
        }
    }
}

/// A client's aws-chunked body, decoded without checking its signatures (the proxy holds no
/// client keys: the client signed with placeholders), its framing, length and trailing
/// checksum still checked. The data goes on to be signed anew.
pub struct Dechunked<S> {
    inner: S,
    decoder: Option<ChunkedDecoder>,
    ready: VecDeque<Bytes>,
}

impl<S: DataSource> Dechunked<S> {
    pub fn new(inner: S, decoder: ChunkedDecoder) -> Dechunked<S> {
        Dechunked {
            inner,
            decoder: Some(decoder),
            ready: VecDeque::new(),
        }
    }
}

impl<S: DataSource> DataSource for Dechunked<S> {
    async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
        loop {
            if let Some(piece) = self.ready.pop_front() {
                return Ok(Some(piece));
            }
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(None);
            };
            let refused = |e: canreq::verify::AuthError| {
                BodyFailed::new(e.status(), e.code().as_str(), e.message().to_owned())
            };
            match self.inner.next_data().await? {
                Some(wire) => {
                    let ready = &mut self.ready;
                    decoder
                        .decode(&wire, |data| {
                            if !data.is_empty() {
                                ready.push_back(slice_of(&wire, data));
                            }
                        })
                        .map_err(refused)?;
                }
                None => {
                    if let Some(decoder) = self.decoder.take() {
                        decoder.finish().map_err(refused)?;
                    }
                }
            }
        }
    }
}

/// `data` as a piece of `wire` when it lies within it (no copy), else copied.
fn slice_of(wire: &Bytes, data: &[u8]) -> Bytes {
    let start = wire.as_ptr() as usize;
    let at = data.as_ptr() as usize;
    if at >= start && at + data.len() <= start + wire.len() {
        wire.slice_ref(data)
    } else {
        Bytes::copy_from_slice(data)
    }
}

/// A body collected before it is sent: its pieces in memory, or a temporary file.
pub enum Replay {
    Memory(VecDeque<Bytes>),
    File { file: tokio::fs::File, left: u64 },
}

/// Read size when a collected body is sent from its file.
const FILE_PIECE: usize = 256 * 1024;

impl DataSource for Replay {
    async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
        match self {
            Replay::Memory(pieces) => Ok(pieces.pop_front()),
            Replay::File { file, left } => {
                if *left == 0 {
                    return Ok(None);
                }
                let want = usize::try_from(*left).unwrap_or(FILE_PIECE).min(FILE_PIECE);
                let mut piece = vec![0u8; want];
                file.read_exact(&mut piece).await.map_err(|e| {
                    BodyFailed::new(
                        500,
                        "InternalError",
                        format!("the spooled body could not be read back: {e}"),
                    )
                })?;
                *left -= want as u64;
                Ok(Some(Bytes::from(piece)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_data_within_the_piece_is_not_copied() {
        let wire = Bytes::from_static(b"5\r\nhello\r\n");
        let piece = slice_of(&wire, &wire[3..8]);
        assert_eq!(&piece[..], b"hello");
        assert_eq!(piece.as_ptr(), wire[3..].as_ptr());
        let elsewhere = b"other".to_vec();
        assert_eq!(&slice_of(&wire, &elsewhere)[..], b"other");
    }

    #[tokio::test]
    async fn a_replay_hands_back_its_pieces() {
        let mut memory = Replay::Memory(
            [Bytes::from_static(b"ab"), Bytes::from_static(b"c")]
                .into_iter()
                .collect(),
        );
        assert_eq!(memory.next_data().await.unwrap().unwrap(), "ab");
        assert_eq!(memory.next_data().await.unwrap().unwrap(), "c");
        assert!(memory.next_data().await.unwrap().is_none());
    }
}

//! A verified request's body on its way upstream, in bounded memory:
//! - [`Relay`]: a body whose signature was checked from the head (a declared
//!   `x-amz-content-sha256`, aws-chunked, or `UNSIGNED-PAYLOAD`) streams through as it is
//!   read, aws-chunked decoded chunk by chunk as each chunk's signature matches, with its last
//!   [`HOLD_BACK`] bytes kept until the body's end has been judged. A body refused on the way
//!   fails the stream, which aborts the upstream request: the upstream never sees it complete;
//! - [`collect`]: a body whose signature can only be checked once it is read, held (memory up
//!   to `--buffer`, then a temporary file) and sent only after the signature matched.
//!
//! Both are [`DataSource`]s, sent as they are ([`SourceBody`]) or signed anew by the proxy's
//! forwarder (`--sign-upstream`).

use std::collections::VecDeque;
use std::future::Future;
use std::io::SeekFrom;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::proxy::source::{DataSource, Replay};
use crate::serve::flow::{Checking, Passed, Rejected};
use crate::serve::refusal::ServerRefusal;
use crate::upstream::BodyFailed;

/// Bytes at the end of a streamed body held back until the whole body has been judged: the
/// upstream cannot complete the request without them.
pub const HOLD_BACK: usize = 64 * 1024;

/// How a relayed body ended, for the handler once the upstream has answered (or not).
#[derive(Debug, Default)]
pub struct Outcome {
    /// The client's body was read to its end.
    pub body_ended: bool,
    /// Why the body was refused on the way.
    pub refused: Option<Rejected>,
}

/// Shared between a [`Relay`] and the handler that started it.
pub type SharedOutcome = Arc<Mutex<Outcome>>;

/// Takes what `outcome` recorded.
pub fn take(outcome: &SharedOutcome) -> Outcome {
    std::mem::take(&mut *outcome.lock().unwrap_or_else(PoisonError::into_inner))
}

/// The answer the upstream request is aborted with when a body is refused (the client gets
/// the refusal in its service's dialect; this only names it).
fn aborted(rejected: &Rejected) -> BodyFailed {
    let refusal = &rejected.refusal;
    BodyFailed::new(
        refusal.status(),
        refusal.code(),
        refusal.message().to_owned(),
    )
}

/// A body streamed upstream while it is verified.
pub struct Relay<D, B> {
    checking: Option<Checking<D, B>>,
    /// Data read and released by the verifier, not yet handed on (the last [`HOLD_BACK`]).
    held: VecDeque<Bytes>,
    held_bytes: usize,
    outcome: SharedOutcome,
}

impl<D, B> Relay<D, B> {
    pub fn new(checking: Checking<D, B>, outcome: SharedOutcome) -> Relay<D, B> {
        Relay {
            checking: Some(checking),
            held: VecDeque::new(),
            held_bytes: 0,
            outcome,
        }
    }

    /// Hands on the oldest held piece if enough stays held without it.
    fn release(&mut self) -> Option<Bytes> {
        let front = self.held.front()?.len();
        if self.held_bytes - front < HOLD_BACK {
            return None;
        }
        self.held_bytes -= front;
        self.held.pop_front()
    }

    fn refuse(&mut self, rejected: Rejected, body_ended: bool) -> BodyFailed {
        self.held.clear();
        let failed = aborted(&rejected);
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        outcome.body_ended = body_ended;
        outcome.refused = Some(rejected);
        failed
    }
}

impl<D, B> DataSource for Relay<D, B>
where
    D: Send + 'static,
    B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin + Send + 'static,
{
    async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
        loop {
            if let Some(piece) = self.release() {
                return Ok(Some(piece));
            }
            let Some(checking) = self.checking.as_mut() else {
                // Judged and passed: what was held goes.
                return Ok(self.held.pop_front());
            };
            let mut released = Vec::new();
            match checking
                .next(|wire, data| {
                    if !data.is_empty() {
                        released.push(piece_of(wire, data));
                    }
                })
                .await
            {
                Ok(Some(_)) => {
                    for piece in released {
                        self.held_bytes += piece.len();
                        self.held.push_back(piece);
                    }
                }
                Ok(None) => {
                    let Some(checking) = self.checking.take() else {
                        continue;
                    };
                    match checking.finish() {
                        Ok(_) => {
                            self.outcome
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .body_ended = true;
                        }
                        Err(rejected) => return Err(self.refuse(rejected, true)),
                    }
                }
                Err(rejected) => {
                    let ended = checking.body_ended();
                    self.checking = None;
                    return Err(self.refuse(rejected, ended));
                }
            }
        }
    }
}

/// The released `data` as bytes: the piece itself when it is all data (a plain body), else a
/// copy (a chunk's data within its framing).
fn piece_of(wire: &Bytes, data: &[u8]) -> Bytes {
    if std::ptr::eq(data, &wire[..]) {
        wire.clone()
    } else {
        Bytes::copy_from_slice(data)
    }
}

/// A body read and verified whole before anything of it is sent.
pub struct Collected<D> {
    pub passed: Passed<D>,
    pub replay: Replay,
    pub length: u64,
}

/// Reads and verifies the body: in memory up to `buffer` bytes, then in a temporary file.
/// On refusal, also says whether the body was read to its end.
pub async fn collect<D, B>(
    mut checking: Checking<D, B>,
    buffer: u64,
) -> Result<Collected<D>, (Rejected, bool)>
where
    B: Body<Data = Bytes, Error: std::fmt::Display> + Unpin,
{
    let mut memory: VecDeque<Bytes> = VecDeque::new();
    let mut file: Option<tokio::fs::File> = None;
    let mut length = 0u64;
    let spool_failed = |e: std::io::Error, akid: &str| {
        let refusal = ServerRefusal::internal(format!(
            "The body could not be held in a temporary file: {e}"
        ));
        (Rejected::from((refusal, akid.to_owned())), false)
    };
    loop {
        let piece = match checking.next(|_, _| ()).await {
            Ok(Some(piece)) => piece,
            Ok(None) => break,
            Err(rejected) => {
                let ended = checking.body_ended();
                return Err((rejected, ended));
            }
        };
        length += piece.len() as u64;
        if file.is_none() && length > buffer {
            let spool =
                tempfile::tempfile().map_err(|e| spool_failed(e, checking.access_key_id()))?;
            let mut spool = tokio::fs::File::from_std(spool);
            for held in memory.drain(..) {
                spool
                    .write_all(&held)
                    .await
                    .map_err(|e| spool_failed(e, checking.access_key_id()))?;
            }
            file = Some(spool);
        }
        match &mut file {
            Some(spool) => spool
                .write_all(&piece)
                .await
                .map_err(|e| spool_failed(e, checking.access_key_id()))?,
            None => memory.push_back(piece),
        }
    }
    let akid = checking.access_key_id().to_owned();
    let passed = checking.finish().map_err(|rejected| (rejected, true))?;
    let replay = match file {
        Some(mut spool) => {
            let rewound = async {
                spool.flush().await?;
                spool.seek(SeekFrom::Start(0)).await
            };
            rewound.await.map_err(|e| {
                let (rejected, _) = spool_failed(e, &akid);
                (rejected, true)
            })?;
            Replay::File {
                file: spool,
                left: length,
            }
        }
        None => Replay::Memory(memory),
    };
    Ok(Collected {
        passed,
        replay,
        length,
    })
}

type Next<S> = Pin<Box<dyn Future<Output = (S, Result<Option<Bytes>, BodyFailed>)> + Send>>;

/// A [`DataSource`] as a request body for the pooled client: a failed source fails the body,
/// which aborts the upstream request.
pub struct SourceBody<S> {
    source: Option<S>,
    next: Option<Next<S>>,
    length: Option<u64>,
}

impl<S: DataSource> SourceBody<S> {
    /// `length`: the data's exact length, when known (sent as `Content-Length`).
    pub fn new(source: S, length: Option<u64>) -> SourceBody<S> {
        SourceBody {
            source: Some(source),
            next: None,
            length,
        }
    }
}

impl<S: DataSource + Unpin> Body for SourceBody<S> {
    type Data = Bytes;
    type Error = BodyFailed;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyFailed>>> {
        let this = self.get_mut();
        if this.next.is_none() {
            let Some(mut source) = this.source.take() else {
                return Poll::Ready(None);
            };
            this.next = Some(Box::pin(async move {
                let next = source.next_data().await;
                (source, next)
            }));
        }
        let Some(next) = this.next.as_mut() else {
            return Poll::Ready(None);
        };
        let (source, next) = std::task::ready!(next.as_mut().poll(cx));
        this.next = None;
        match next {
            Ok(Some(piece)) => {
                this.source = Some(source);
                Poll::Ready(Some(Ok(Frame::data(piece))))
            }
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.length == Some(0)
    }

    fn size_hint(&self) -> SizeHint {
        self.length
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

//! Each request head, read and checked before hyper reads it. hyper answers a head it cannot
//! parse, or one larger than its buffer, with a bare `400`/`431` and no body, and its size limit
//! is that of a read buffer, so whether a head over it is refused depends on how the bytes
//! arrive. Here a head over [`Limits::max_header_bytes`](super::Limits) is refused whether it
//! comes in one read or many, and a head hyper would refuse (RFC 9112: obs-fold, a control
//! character, a Content-Length that is not one number, a Transfer-Encoding that does not end
//! in chunked) is refused before hyper sees it, by the handler, in its own words
//! ([`super::Handler::head_refused`]).
//!
//! The gate sits between the connection and hyper and follows the framing of each request
//! (a head, then Content-Length bytes of body), so that every head of a kept-alive connection
//! is checked. A refused head is replaced by a request of the gate's own (no body,
//! `connection: close`), which hyper dispatches in its turn like any other: the handler answers
//! it with the refusal, in order after the answers before it, and the connection closes. After
//! a chunked body the gate passes the rest of the connection through: the end of a chunked body
//! is hyper's to find, and hyper's own checks apply to what follows.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// hyper's own limit on header fields.
const MAX_HEADERS: usize = 100;

/// What replaces a refused head: a request with no body after which the connection closes.
const STAND_IN: &[u8] = b"GET / HTTP/1.1\r\nhost: canreq.invalid\r\nconnection: close\r\n\r\n";

/// Why a request head was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadRefusal {
    /// Larger than the limit, in bytes.
    TooLarge { limit: usize },
    /// Not a request head as RFC 9112 writes one.
    Malformed(String),
}

/// The refused head a stand-in request stands for: which request of the connection it is (its
/// number among the heads handed to hyper), why, and the bytes received of it.
#[derive(Debug)]
struct Refused {
    index: u64,
    refusal: HeadRefusal,
    head: Vec<u8>,
}

/// What the gate and the connection's service share: the gate records a refused head, the
/// service counts the requests hyper dispatches and takes the refusal when its turn comes.
#[derive(Debug, Default)]
pub struct Ledger {
    refused: Mutex<Option<Refused>>,
    dispatched: AtomicU64,
}

impl Ledger {
    /// Called once per request hyper dispatches, in order: the refusal this request stands
    /// for, if it is a stand-in, with the bytes received of the refused head.
    pub fn next_request(&self) -> Option<(HeadRefusal, Vec<u8>)> {
        let index = self.dispatched.fetch_add(1, Ordering::Relaxed);
        let mut slot = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        match slot.take() {
            Some(r) if r.index == index => Some((r.refusal, r.head)),
            other => {
                *slot = other;
                None
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a head.
    Head,
    /// This many body bytes to pass before the next head.
    Body(u64),
    /// Passing everything (after a chunked body, or once the peer has closed).
    Through,
    /// A head was refused: the stand-in is handed over, then the end of the stream.
    Closing,
}

/// The connection as hyper reads it: heads checked, bodies passed on.
pub struct HeadGate<S> {
    inner: S,
    limit: usize,
    /// Read from the connection, not yet handed to hyper.
    pending: Vec<u8>,
    /// How many bytes at the front of `pending` may be handed to hyper.
    cleared: usize,
    state: State,
    heads: u64,
    eof: bool,
    ledger: std::sync::Arc<Ledger>,
}

impl<S> HeadGate<S> {
    pub fn new(inner: S, limit: usize, ledger: std::sync::Arc<Ledger>) -> Self {
        HeadGate {
            inner,
            limit,
            pending: Vec::new(),
            cleared: 0,
            state: State::Head,
            heads: 0,
            eof: false,
            ledger,
        }
    }

    /// Moves `cleared` over what `pending` holds, head by head.
    fn advance(&mut self) {
        loop {
            let unread = self.pending.len() - self.cleared;
            match self.state {
                State::Through | State::Closing => {
                    self.cleared = self.pending.len();
                    return;
                }
                State::Body(left) => {
                    let take = left.min(unread as u64);
                    self.cleared += take as usize;
                    if take == left {
                        self.state = State::Head;
                        continue;
                    }
                    self.state = State::Body(left - take);
                    return;
                }
                State::Head if unread == 0 => return,
                State::Head => {
                    let unparsed = &self.pending[self.cleared..];
                    let looked = &unparsed[..unparsed.len().min(self.limit)];
                    match check(looked) {
                        Checked::Partial if unparsed.len() > self.limit => {
                            self.refuse(HeadRefusal::TooLarge { limit: self.limit });
                        }
                        Checked::Partial if self.eof => {
                            // The peer closed mid-head: hyper reports the message incomplete.
                            self.state = State::Through;
                        }
                        Checked::Partial => return,
                        Checked::Refused(refusal) => self.refuse(refusal),
                        Checked::Complete { length, body } => {
                            self.heads += 1;
                            self.cleared += length;
                            self.state = match body {
                                Body::Length(0) => State::Head,
                                Body::Length(n) => State::Body(n),
                                Body::Chunked => State::Through,
                            };
                        }
                    }
                }
            }
        }
    }

    /// Replaces the head being read (and all after it) by the stand-in request.
    fn refuse(&mut self, refusal: HeadRefusal) {
        let head_end = self.pending.len().min(self.cleared + self.limit);
        let head = self.pending[self.cleared..head_end].to_vec();
        let mut slot = self
            .ledger
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *slot = Some(Refused {
            index: self.heads,
            refusal,
            head,
        });
        self.pending.truncate(self.cleared);
        self.pending.extend_from_slice(STAND_IN);
        self.state = State::Closing;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadGate<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            this.advance();
            if this.cleared > 0 {
                let n = this.cleared.min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.drain(..n);
                this.cleared -= n;
                return Poll::Ready(Ok(()));
            }
            if this.eof || this.state == State::Closing {
                return Poll::Ready(Ok(()));
            }
            // A body with nothing held back goes straight into hyper's buffer, up to its end.
            let direct = match this.state {
                State::Through => buf.remaining(),
                State::Body(left) => buf
                    .remaining()
                    .min(usize::try_from(left).unwrap_or(usize::MAX)),
                _ => 0,
            };
            if this.pending.is_empty() && direct > 0 {
                let mut into = ReadBuf::new(buf.initialize_unfilled_to(direct));
                let polled = Pin::new(&mut this.inner).poll_read(cx, &mut into);
                let n = into.filled().len();
                if let Poll::Ready(Ok(())) = polled {
                    buf.advance(n);
                    this.eof = n == 0;
                    if let State::Body(left) = this.state {
                        this.state = match left - n as u64 {
                            0 => State::Head,
                            rest => State::Body(rest),
                        };
                    }
                }
                return polled;
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => this.eof = true,
                Poll::Ready(Ok(())) => this.pending.extend_from_slice(read.filled()),
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadGate<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S> HeadGate<S> {
    /// The connection, once hyper is done with it.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked,
}

#[derive(Debug, PartialEq, Eq)]
enum Checked {
    Partial,
    Complete { length: usize, body: Body },
    Refused(HeadRefusal),
}

fn malformed(why: impl Into<String>) -> Checked {
    Checked::Refused(HeadRefusal::Malformed(why.into()))
}

/// The head at the start of `bytes`, checked as hyper checks it (httparse with hyper's
/// settings, then the method, target, field names and values, and the body's framing).
fn check(bytes: &[u8]) -> Checked {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    let length = match request.parse(bytes) {
        Ok(httparse::Status::Partial) => return Checked::Partial,
        Ok(httparse::Status::Complete(length)) => length,
        Err(httparse::Error::TooManyHeaders) => {
            return malformed(format!(
                "The request head has more than {MAX_HEADERS} header fields."
            ));
        }
        Err(e) => return malformed(describe(e)),
    };
    if http::Method::from_bytes(request.method.unwrap_or("").as_bytes()).is_err() {
        return malformed("The request method is not a valid token.");
    }
    let target = request.path.unwrap_or("");
    // A fragment is never sent on the wire; hyper would drop it silently, and the request
    // would be verified as if it had not been there.
    if target.contains('#') {
        return malformed(
            "The request target holds '#': a URL's fragment is never sent to a server.",
        );
    }
    if http::Uri::try_from(target).is_err() {
        return malformed("The request target is not a valid URI.");
    }
    let mut declared: Option<u64> = None;
    let mut codings: Option<&[u8]> = None;
    for field in request.headers.iter() {
        if http::HeaderName::from_bytes(field.name.as_bytes()).is_err()
            || http::HeaderValue::from_bytes(field.value).is_err()
        {
            return malformed(format!(
                "The header field '{}' is not valid.",
                field.name.escape_debug()
            ));
        }
        if field.name.eq_ignore_ascii_case("content-length") {
            // RFC 9110 §8.6: a list of one repeated number is that number; anything else is
            // not a length.
            let mut values = field.value.split(|&b| b == b',').map(trim);
            let Some(first) = values.next().and_then(digits) else {
                return malformed("Content-Length is not a number.");
            };
            if values.any(|v| digits(v) != Some(first)) || declared.is_some_and(|d| d != first) {
                return malformed("Content-Length has more than one value.");
            }
            declared = Some(first);
        } else if field.name.eq_ignore_ascii_case("transfer-encoding") {
            codings = Some(field.value);
        }
    }
    let body = match codings {
        None => Body::Length(declared.unwrap_or(0)),
        Some(_) if request.version == Some(0) => {
            return malformed("Transfer-Encoding is not allowed in an HTTP/1.0 request.");
        }
        // RFC 9112 §6.3: a request whose last transfer coding is not chunked has no length.
        Some(codings) => {
            let last = codings.rsplit(|&b| b == b',').next().map(trim);
            if !last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")) {
                return malformed("The last transfer coding of the request is not chunked.");
            }
            Body::Chunked
        }
    };
    Checked::Complete { length, body }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(s), Some(e)) => &bytes[s..=e],
        _ => &[],
    }
}

/// A length: ASCII digits only (no sign, no space), at most a u64.
fn digits(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn describe(e: httparse::Error) -> String {
    let what = match e {
        httparse::Error::HeaderName => {
            "a header field name is not a token (a line folded onto the one before it, obs-fold, \
             starts with a space)"
        }
        httparse::Error::HeaderValue => "a header field value holds a control character",
        httparse::Error::NewLine => "a line does not end in CRLF",
        httparse::Error::Status | httparse::Error::Token => "the request line is not valid",
        httparse::Error::Version => "the HTTP version is not HTTP/1.0 or HTTP/1.1",
        httparse::Error::TooManyHeaders => "it has too many header fields",
    };
    format!("The request head is not valid HTTP/1.1: {what}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;

    fn refused(head: &str) -> String {
        match check(head.as_bytes()) {
            Checked::Refused(HeadRefusal::Malformed(why)) => why,
            other => panic!("{head:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn heads_hyper_refuses_are_refused_here() {
        assert!(refused("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n").contains("obs-fold"));
        assert!(refused("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n").contains("fragment"));
        assert!(refused("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n").contains("control character"));
        for length in ["x", "-1", "1 2", "1,2", "99999999999999999999999", ""] {
            let why = refused(&format!(
                "PUT / HTTP/1.1\r\nContent-Length: {length}\r\n\r\n"
            ));
            assert!(why.contains("Content-Length"), "{length}: {why}");
        }
        let two = "PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert!(refused(two).contains("more than one"));
        let gzip = "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
        assert!(refused(gzip).contains("not chunked"));
        let old = "PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(refused(old).contains("HTTP/1.0"));
    }

    #[test]
    fn heads_hyper_takes_pass_with_their_framing() {
        let same = "PUT / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(
            check(same.as_bytes()),
            Checked::Complete {
                length: same.len() - 5,
                body: Body::Length(5)
            }
        );
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n";
        assert!(matches!(
            check(chunked.as_bytes()),
            Checked::Complete {
                body: Body::Chunked,
                ..
            }
        ));
        assert_eq!(check(b"GET / HTTP/1.1\r\nHost: a"), Checked::Partial);
    }

    /// Reads everything hyper would read through a gate fed `pieces`, one read each.
    async fn through(limit: usize, pieces: &[&[u8]]) -> (Vec<u8>, Arc<Ledger>) {
        let mut mock = tokio_test_reader(pieces);
        let ledger = Arc::new(Ledger::default());
        let mut gate = HeadGate::new(&mut mock, limit, Arc::clone(&ledger));
        let mut out = Vec::new();
        gate.read_to_end(&mut out).await.unwrap();
        (out, ledger)
    }

    fn tokio_test_reader(pieces: &[&[u8]]) -> tokio::io::DuplexStream {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        let pieces: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for p in pieces {
                a.write_all(&p).await.unwrap();
                a.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        b
    }

    fn head_of(len: usize) -> Vec<u8> {
        let mut head = b"GET / HTTP/1.1\r\nx-pad: ".to_vec();
        let pad = len - head.len() - 4;
        head.extend(std::iter::repeat_n(b'a', pad));
        head.extend_from_slice(b"\r\n\r\n");
        assert_eq!(head.len(), len);
        head
    }

    #[tokio::test]
    async fn the_limit_is_exact_in_one_read_or_many() {
        let limit = 8192;
        for len in [limit, limit + 1] {
            let head = head_of(len);
            let one: Vec<&[u8]> = vec![&head];
            let many: Vec<&[u8]> = head.chunks(100).collect();
            for pieces in [one, many] {
                let (out, ledger) = through(limit, &pieces).await;
                let refusal = ledger.next_request();
                if len <= limit {
                    assert_eq!(out, head, "a head of {len} bytes passes");
                    assert_eq!(refusal, None);
                } else {
                    assert_eq!(out, STAND_IN, "a head of {len} bytes is replaced");
                    let (why, seen) = refusal.expect("the refusal");
                    assert_eq!(why, HeadRefusal::TooLarge { limit });
                    assert_eq!(seen.len(), limit);
                }
            }
        }
    }

    #[tokio::test]
    async fn every_head_of_a_connection_is_checked() {
        let body_then_bad = b"PUT / HTTP/1.1\r\nContent-Length: 4\r\n\r\nA: b\
            GET / HTTP/1.1\r\n\r\n\
            GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        let (out, ledger) = through(8192, &[body_then_bad]).await;
        let passed = b"PUT / HTTP/1.1\r\nContent-Length: 4\r\n\r\nA: bGET / HTTP/1.1\r\n\r\n";
        assert_eq!(out, [passed.as_slice(), STAND_IN].concat());
        assert_eq!(ledger.next_request(), None);
        assert_eq!(ledger.next_request(), None);
        let (why, _) = ledger
            .next_request()
            .expect("the third request is the stand-in");
        assert!(matches!(why, HeadRefusal::Malformed(w) if w.contains("obs-fold")));
    }

    #[tokio::test]
    async fn after_a_chunked_body_the_rest_passes() {
        let text = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nA: b\r\n c\r\n";
        let (out, ledger) = through(8192, &[text]).await;
        assert_eq!(out, text);
        assert_eq!(ledger.next_request(), None);
    }
}

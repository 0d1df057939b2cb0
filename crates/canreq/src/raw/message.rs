//! A captured request read as a server reads it off the wire: the body delimited by
//! `Content-Length` or the chunked transfer coding (RFC 9112 §6), never by "whatever follows".

use crate::error::{Error, Result, shown, shown_bytes};

use super::RawRequest;

/// How the body of a [`Message`] was delimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length`: exactly that many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, decoded; the trailer fields that followed the last chunk.
    Chunked {
        /// The trailer fields, names as sent.
        trailers: Vec<(String, String)>,
    },
    /// Neither header: the body is everything after the head. A server would read no body; a
    /// capture written by hand often has no length, so it is read whole.
    ToEnd,
}

/// A request read as a server frames it, and what the capture held after it.
///
/// ```
/// use canreq::{Framing, RawRequest};
///
/// // A short Content-Length: the signed body is "ab", then a second request follows.
/// let message = RawRequest::read_message(b"PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nabGET /other HTTP/1.1\r\n\r\n")?;
/// assert_eq!(message.request().body(), b"ab");
/// assert_eq!(message.framing(), &Framing::Length(2));
/// assert!(message.after().starts_with(b"GET /other"));
///
/// // Chunked transfer coding is decoded; its framing is not part of the body.
/// let message = RawRequest::read_message(b"PUT /k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")?;
/// assert_eq!(message.request().body(), b"abc");
///
/// // Both headers: refused, as a smuggling attempt.
/// assert!(RawRequest::read_message(b"PUT /k HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    request: RawRequest,
    framing: Framing,
    after: Vec<u8>,
}

impl Message {
    /// The request, its body as the framing delimits it (decoded, for chunked).
    pub fn request(&self) -> &RawRequest {
        &self.request
    }

    /// How the body was delimited.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// What the capture holds after the message: another request, as a server would read it,
    /// which the request's signature does not cover. Empty for a well-formed capture.
    pub fn after(&self) -> &[u8] {
        &self.after
    }

    /// The request, consumed.
    pub fn into_request(self) -> RawRequest {
        self.request
    }
}

impl RawRequest {
    /// Reads `bytes` as a server reads a request: the head as [`parse`](Self::parse) reads it,
    /// then the body by `Content-Length` or the chunked transfer coding; what follows is kept
    /// apart ([`Message::after`]). Both headers at once, several different lengths, a transfer
    /// coding other than `chunked`, a body shorter than its length or a malformed chunk are
    /// refused, each naming what is wrong.
    pub fn read_message(bytes: &[u8]) -> Result<Message> {
        let mut request = RawRequest::parse(bytes)?;
        let wire = std::mem::take(&mut request.body);
        let values = |name: &'static str| -> Vec<&str> {
            request
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .collect()
        };
        let lengths = values("content-length");
        let codings = values("transfer-encoding");
        let (framing, body, after) = match (lengths.as_slice(), codings.as_slice()) {
            ([], []) => (Framing::ToEnd, wire, Vec::new()),
            ([_, ..], [_, ..]) => {
                return Err(framing_error(
                    "Transfer-Encoding",
                    &codings.join(", "),
                    "Content-Length is set too: a request with both is refused, as request smuggling",
                ));
            }
            (lengths, []) => {
                let length = content_length(lengths)?;
                let end = usize::try_from(length)
                    .ok()
                    .filter(|&end| end <= wire.len());
                let Some(end) = end else {
                    return Err(framing_error(
                        "Content-Length",
                        lengths[0],
                        "the body after the head is shorter",
                    ));
                };
                let after = wire[end..].to_vec();
                let mut body = wire;
                body.truncate(end);
                (Framing::Length(length), body, after)
            }
            ([], codings) => {
                let coding = codings.join(", ");
                if !coding.eq_ignore_ascii_case("chunked") {
                    return Err(framing_error(
                        "Transfer-Encoding",
                        &coding,
                        "only the chunked transfer coding, alone, is read",
                    ));
                }
                let body = decode_chunked(&wire)?;
                let after = wire[body.used..].to_vec();
                (
                    Framing::Chunked {
                        trailers: body.trailers,
                    },
                    body.data,
                    after,
                )
            }
        };
        request.body = body;
        Ok(Message {
            request,
            framing,
            after,
        })
    }
}

/// The one length of `Content-Length` headers (repeats must agree, as RFC 9110 allows a list
/// of one value).
fn content_length(values: &[&str]) -> Result<u64> {
    let mut length = None;
    for value in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        let parsed = (!value.is_empty()
            && value.len() <= 19
            && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| framing_error("Content-Length", value, "it is not a number of bytes"))?;
        if length.is_some_and(|l| l != parsed) {
            return Err(framing_error(
                "Content-Length",
                &values.join(", "),
                "it gives different lengths",
            ));
        }
        length = Some(parsed);
    }
    length.ok_or_else(|| framing_error("Content-Length", "", "it is empty"))
}

/// A decoded chunked body.
struct Dechunked {
    data: Vec<u8>,
    trailers: Vec<(String, String)>,
    /// How many bytes of the wire it took.
    used: usize,
}

/// Decodes a chunked body.
fn decode_chunked(wire: &[u8]) -> Result<Dechunked> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line = line_at(wire, at)?;
        at += line.len() + 2;
        // Chunk extensions (`;name=value`) are allowed and carry nothing here.
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size = parse_hex(size_text).ok_or_else(|| {
            framing_error(
                "Transfer-Encoding",
                &shown_bytes(line),
                "a chunk size line is not a hex number",
            )
        })?;
        if size == 0 {
            break;
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| at.checked_add(size))
            .filter(|&end| end + 2 <= wire.len() && &wire[end..end + 2] == b"\r\n")
            .ok_or_else(|| {
                framing_error(
                    "Transfer-Encoding",
                    &size.to_string(),
                    "a chunk is shorter than its size, or not followed by CRLF",
                )
            })?;
        body.extend_from_slice(&wire[at..end]);
        at = end + 2;
    }
    let mut trailers = Vec::new();
    loop {
        let line = line_at(wire, at)?;
        at += line.len() + 2;
        if line.is_empty() {
            return Ok(Dechunked {
                data: body,
                trailers,
                used: at,
            });
        }
        let text = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split_once(':'))
            .filter(|(name, _)| !name.is_empty() && !name.contains([' ', '\t']));
        let Some((name, value)) = text else {
            return Err(framing_error(
                "Transfer-Encoding",
                &shown_bytes(line),
                "a trailer line is not a header field",
            ));
        };
        trailers.push((name.to_owned(), value.trim().to_owned()));
    }
}

/// The CRLF-ended line starting at `at`, without its CRLF.
fn line_at(wire: &[u8], at: usize) -> Result<&[u8]> {
    let rest = wire.get(at..).unwrap_or_default();
    let end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(|| {
        framing_error(
            "Transfer-Encoding",
            "chunked",
            "the chunked body ends before its last chunk and blank line",
        )
    })?;
    Ok(&rest[..end])
}

/// 1 to 16 hex digits.
fn parse_hex(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(acc << 4 | u64::from(digit))
    })
}

fn framing_error(header: &'static str, value: &str, reason: &'static str) -> Error {
    Error::InvalidFraming {
        header,
        value: shown(value),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<Message> {
        RawRequest::read_message(text)
    }

    #[test]
    fn lengths_are_exact_and_agree() {
        let m = read(b"PUT / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").unwrap();
        assert_eq!((m.request().body(), m.after()), (&b"abc"[..], &b""[..]));
        let m =
            read(b"PUT / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcd").unwrap();
        assert_eq!((m.request().body(), m.after()), (&b"abc"[..], &b"d"[..]));
        for bad in [
            &b"PUT / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"[..],
            b"PUT / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
            b"PUT / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabc",
            b"PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nabc",
        ] {
            let err = read(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidFraming {
                        header: "Content-Length",
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn chunked_is_decoded_and_its_trailers_kept() {
        let m = read(
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nx-amz-checksum-crc32: AAAA\r\n\r\nGET /",
        )
        .unwrap();
        assert_eq!(m.request().body(), b"abc0123456789");
        assert_eq!(
            m.framing(),
            &Framing::Chunked {
                trailers: vec![("x-amz-checksum-crc32".into(), "AAAA".into())]
            }
        );
        assert_eq!(m.after(), b"GET /");
        for bad in [
            &b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabc\r\n0\r\n\r\n"[..],
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        ] {
            assert!(read(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn no_framing_reads_to_the_end() {
        let m = read(b"POST / HTTP/1.1\r\nHost: h\r\n\r\nall of it").unwrap();
        assert_eq!(
            (m.framing(), m.request().body()),
            (&Framing::ToEnd, &b"all of it"[..])
        );
    }
}

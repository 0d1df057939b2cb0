//! Reading a raw HTTP/1.1 request (a captured request, a file written by hand, the AWS test
//! suite's `request.txt`).
//!
//! The reader is lenient where people are: `LF` or `CRLF` line ends, `Name:value` with or
//! without a space (values are kept verbatim), obsolete line folding (kept in the value, for the canonicalizer to unfold),
//! and a target holding raw spaces or UTF-8 (the method ends at the first space, the version
//! starts at the last).

use crate::error::{Error, Result, shown, shown_bytes};
use crate::request::Request;

mod message;

pub use message::{Framing, Message};

/// An owned request read from raw HTTP/1.1 text.
///
/// ```
/// use canreq::RawRequest;
///
/// let raw = RawRequest::parse(b"POST /?a=1 HTTP/1.1\r\nHost: example.com\r\nX-Folded: one\r\n  two\r\n\r\nbody")?;
/// assert_eq!((raw.method(), raw.target()), ("POST", "/?a=1"));
/// assert_eq!(raw.headers()[1], ("X-Folded".to_string(), " one\n  two".to_string()));
/// assert_eq!(raw.body(), b"body");
/// let request = raw.request(); // borrow it for signing or verifying
/// assert_eq!(request.query(), "a=1");
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Parses a request. The head must be UTF-8; the body is any bytes.
    pub fn parse(bytes: &[u8]) -> Result<RawRequest> {
        let (head, body) = split_head(bytes);
        let head = std::str::from_utf8(head).map_err(|e| non_utf8_head(head, e.valid_up_to()))?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap_or("");
        let (method, rest) = request_line
            .split_once(' ')
            .ok_or_else(|| Error::InvalidPath {
                value: shown(request_line),
                reason: "the request line must be METHOD TARGET HTTP/1.1",
            })?;
        let target = match rest.rsplit_once(' ') {
            Some((target, version)) if version.starts_with("HTTP/") => target,
            _ => rest,
        };
        if method.is_empty() {
            return Err(Error::Empty { field: "method" });
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let Some(last) = headers.last_mut() else {
                    return Err(Error::InvalidHeaderName { name: shown(line) });
                };
                last.1.push('\n');
                last.1.push_str(line);
            } else if let Some((name, value)) = line.split_once(':') {
                // Kept verbatim (leading space included): the canonicalizer trims, and a signed
                // request printed back should read as it was written.
                headers.push((name.to_owned(), value.to_owned()));
            } else if !line.is_empty() {
                return Err(Error::InvalidHeaderName { name: shown(line) });
            }
        }
        Ok(RawRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
            body: body.to_vec(),
        })
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as written.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The headers in order; folded values keep their line breaks.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The headers, to change them (for example to apply a signature).
    pub fn headers_mut(&mut self) -> &mut Vec<(String, String)> {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// A borrowed view for signing or verification.
    pub fn request(&self) -> Request<'_> {
        let mut request = Request::with_capacity(&self.method, &self.target, self.headers.len());
        for (name, value) in &self.headers {
            request.push_header(name, value);
        }
        request
    }
}

/// The error for a head that is not UTF-8 at byte `at`: which line, and for a header line its
/// name; never the bytes themselves, which may be a session token's.
fn non_utf8_head(head: &[u8], at: usize) -> Error {
    let line_start = head[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let number = head[..line_start].iter().filter(|&&b| b == b'\n').count() + 1;
    let line = &head[line_start..];
    let value = match line.iter().position(|&b| b == b':') {
        Some(colon) if number > 1 && line_start + colon < at => format!(
            "line {number}, in the value of header {}",
            shown_bytes(&line[..colon])
        ),
        _ => format!("line {number}"),
    };
    Error::NonUtf8 {
        field: "request head",
        value,
    }
}

/// Head and body, split at the first empty line (`\n\n` or `\r\n\r\n`).
fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while let Some(pos) = bytes[i..].iter().position(|&b| b == b'\n') {
        let at = i + pos;
        let rest = &bytes[at + 1..];
        if rest.starts_with(b"\n") {
            return (&bytes[..at], &rest[1..]);
        }
        if rest.starts_with(b"\r\n") {
            return (&bytes[..at], &rest[2..]);
        }
        i = at + 1;
    }
    (bytes, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_style_and_wire_style() {
        let raw = RawRequest::parse(b"GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n")
            .unwrap();
        assert_eq!(raw.target(), "/example space/");
        assert_eq!(raw.headers()[0].1, "example.amazonaws.com");
        assert!(raw.body().is_empty());
        let raw = RawRequest::parse(b"PUT /k HTTP/1.1\r\nHost: h\r\n\r\n\r\nx").unwrap();
        assert_eq!(raw.body(), b"\r\nx");
    }

    #[test]
    fn bad_heads_are_errors() {
        assert!(RawRequest::parse(b"").is_err());
        assert!(RawRequest::parse(b"GET\n").is_err());
        assert!(RawRequest::parse(b"GET / HTTP/1.1\n continuation-first\n").is_err());
        assert!(RawRequest::parse(b"GET / HTTP/1.1\nno colon here\n").is_err());
        assert!(RawRequest::parse(b"GET / HTTP/1.1\nX: \xff\n").is_err());
    }

    #[test]
    fn a_head_that_is_not_utf8_is_placed_not_quoted() {
        // The head once went into the message whole: a session token before the bad byte too.
        let err = RawRequest::parse(
            b"GET / HTTP/1.1\r\nHost: h\r\nX-Amz-Security-Token: TOKEN\r\nX-Odd: \xff\r\n\r\n",
        )
        .unwrap_err()
        .to_string();
        assert!(!err.contains("TOKEN"), "{err}");
        assert!(
            err.contains("line 4, in the value of header X-Odd"),
            "{err}"
        );
        let err = RawRequest::parse(b"GET / HTTP/1.1\nX-Amz-Security-Token: TOK\xffEN\n")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("TOK"), "{err}");
        assert!(err.contains("X-Amz-Security-Token"), "{err}");
        let err = RawRequest::parse(b"GET /\xff HTTP/1.1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}

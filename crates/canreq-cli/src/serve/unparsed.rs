//! The answer to a request head the server core refused before hyper parsed it (over the size
//! limit, or not HTTP/1.1): the same error document as any refusal, in the dialect the head's
//! readable parts point to (its `X-Amz-Target`, `Content-Type`, `Action=`, credential scope).

use bytes::Bytes;
use http_body_util::Full;

use super::claimed::Claimed;
use super::refusal::{Refusal, ServerRefusal};
use super::reply::{self, Protocol};
use crate::server::HeadRefusal;

/// What a refused head's answer says: the answer, its code, and the method and path read from
/// the head for the log (`-` when unreadable).
pub struct Answered {
    pub response: hyper::Response<Full<Bytes>>,
    pub code: &'static str,
    pub method: String,
    pub path: String,
}

/// Answers `refusal` of `head` (the bytes received of it).
pub fn answer(refusal: &HeadRefusal, head: &[u8], id: &str) -> Answered {
    let parts = readable_parts(head);
    let refusal = Refusal::Server(match refusal {
        HeadRefusal::TooLarge { limit } => ServerRefusal::head_too_large(*limit),
        HeadRefusal::Malformed(why) => ServerRefusal::malformed_http(why.clone()),
    });
    let method = parts.method.as_str().to_owned();
    let (mut response, code) = reply::refused(
        &refusal,
        &Protocol::of(&parts),
        Claimed::of(&parts),
        id,
        &method,
    );
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    Answered {
        response,
        code,
        path: parts.uri.path().to_owned(),
        method,
    }
}

/// The request line and the header fields of `head` that can be read, each on its own: a
/// field that is not valid is left out, a request line that is not valid is `GET /`.
fn readable_parts(head: &[u8]) -> http::request::Parts {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let mut builder = http::Request::builder();
    if let Some(line) = lines.next() {
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        if let Some(method) = words.next().and_then(|m| http::Method::from_bytes(m).ok()) {
            builder = builder.method(method);
        }
        if let Some(uri) = words.next().and_then(|t| http::Uri::try_from(t).ok()) {
            builder = builder.uri(uri);
        }
    }
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = http::HeaderName::from_bytes(&line[..colon]);
        let value = http::HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            builder = builder.header(name, value);
        }
    }
    let request = builder.body(()).unwrap_or_else(|_| http::Request::new(()));
    request.into_parts().0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(head: &str) -> (u16, &'static str, String) {
        let refusal = HeadRefusal::Malformed("folded".into());
        let a = answer(&refusal, head.as_bytes(), "id-1");
        let content_type = a.response.headers()[http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        (a.response.status().as_u16(), a.code, content_type)
    }

    #[test]
    fn a_refused_head_is_answered_in_the_dialect_it_shows() {
        let dynamo = "POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
                      Content-Type: application/x-amz-json-1.0\r\nBad: a\0b\r\n";
        assert_eq!(
            said(dynamo),
            (
                400,
                "MalformedHttpRequestException",
                "application/x-amz-json-1.0".into()
            )
        );
        let sts = "GET /?Action=GetCallerIdentity HTTP/1.1\r\nA: b\r\n c\r\n";
        assert_eq!(
            said(sts),
            (400, "MalformedHttpRequestException", "text/xml".into())
        );
        let s3 = "PUT /bucket/key HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 \
                  Credential=AK/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, \
                  Signature=00\r\nContent-Length: x\r\n";
        assert_eq!(said(s3), (400, "InvalidRequest", "application/xml".into()));
        assert_eq!(
            said("\u{1}\u{2}"),
            (400, "InvalidRequest", "application/xml".into())
        );
    }

    #[test]
    fn a_head_over_the_limit_says_the_limit() {
        let a = answer(
            &HeadRefusal::TooLarge { limit: 8192 },
            b"GET /x HTTP/1.1\r\n",
            "id",
        );
        assert_eq!(a.code, "RequestHeaderSectionTooLarge");
        assert_eq!((a.method.as_str(), a.path.as_str()), ("GET", "/x"));
        assert_eq!(a.response.headers()[http::header::CONNECTION], "close");
    }
}

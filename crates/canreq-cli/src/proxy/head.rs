//! The head a client sent, made ready to sign for the upstream: what belongs to the client's
//! connection or to a signature of its own taken out, what the proxy will set removed, and
//! what the client's body is (plain or aws-chunked, of known length or not).

use canreq::chunked::{ChecksumAlgorithm, StreamingMode};
use http::HeaderMap;

use crate::upstream::BodyFailed;
use crate::upstream::forwarding;

/// SigV4a's presign parameter, besides the signer's own ([`canreq::PRESIGN_PARAMS`]).
const REGION_SET_PARAMETER: &str = "X-Amz-Region-Set";

/// Headers the proxy removes from the client's head: a client's own signature and token
/// (an SDK configured with placeholder keys still signs), the framing the proxy redoes, and
/// the `X-Forwarded-*` it sets after signing.
const REPLACED: [&str; 14] = [
    "host",
    "authorization",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-region-set",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "content-length",
    "expect",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
];

/// What the client's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientFraming {
    /// Its bytes are its data; `None`: of unknown length (chunked transfer coding).
    Plain(Option<u64>),
    /// aws-chunked, `decoded_length` data bytes, with a trailing checksum or not.
    AwsChunked {
        mode: StreamingMode,
        decoded_length: u64,
        checksum: Option<ChecksumAlgorithm>,
    },
}

/// A client's head, ready to sign: method, target and headers in order (values UTF-8).
#[derive(Debug, Clone)]
pub struct ClientHead {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// `Content-Encoding` less `aws-chunked`, if anything is left.
    pub content_encoding: Option<String>,
    pub framing: ClientFraming,
}

fn refused(code: &'static str, message: impl Into<String>) -> BodyFailed {
    BodyFailed::new(400, code, message)
}

impl ClientHead {
    /// Takes the head apart: `body_length` is the client body's exact length when known.
    pub fn new(parts: &http::request::Parts, body_length: Option<u64>) -> Result<Self, BodyFailed> {
        let mut headers = parts.headers.clone();
        forwarding::drop_hop_by_hop(&mut headers);
        let framing = framing(&headers, body_length)?;
        let content_encoding = content_encoding(&headers);
        let mut kept = Vec::with_capacity(headers.len());
        for (name, value) in &headers {
            let name = name.as_str();
            if REPLACED.contains(&name) || name == "content-encoding" {
                continue;
            }
            let value = value.to_str().map_err(|_| {
                refused(
                    "InvalidArgument",
                    format!("the value of header {name} is not visible ASCII"),
                )
            })?;
            kept.push((name.to_owned(), value.to_owned()));
        }
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        Ok(ClientHead {
            method: parts.method.as_str().to_owned(),
            target: without_presign_parameters(target),
            headers: kept,
            content_encoding,
            framing,
        })
    }
}

/// `Content-Encoding`'s codings other than `aws-chunked`, joined again.
fn content_encoding(headers: &HeaderMap) -> Option<String> {
    let codings: Vec<&str> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!codings.is_empty()).then(|| codings.join(","))
}

/// Whether the client sent aws-chunked (its `x-amz-content-sha256` names a streaming mode),
/// and how long the data is.
fn framing(headers: &HeaderMap, body_length: Option<u64>) -> Result<ClientFraming, BodyFailed> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mode = text("x-amz-content-sha256").and_then(StreamingMode::from_marker);
    let Some(mode) = mode else {
        return Ok(ClientFraming::Plain(body_length));
    };
    let decoded_length = text("x-amz-decoded-content-length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            refused(
                "MissingContentLength",
                "an aws-chunked body needs a numeric x-amz-decoded-content-length",
            )
        })?;
    let mut checksum = None;
    for name in text("x-amz-trailer")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        // The new trailer can carry a checksum (recomputed, and checked against the
        // client's); another trailing field could not be signed anew.
        let alg =
            ChecksumAlgorithm::from_header_name(&name.to_ascii_lowercase()).ok_or_else(|| {
                refused(
                    "NotImplemented",
                    format!("the trailer field {name} cannot be forwarded (only a checksum can)"),
                )
            })?;
        if checksum.replace(alg).is_some() {
            return Err(refused(
                "InvalidRequest",
                "x-amz-trailer names two checksums",
            ));
        }
    }
    Ok(ClientFraming::AwsChunked {
        mode,
        decoded_length,
        checksum,
    })
}

/// `target` without presigned-URL parameters, every other byte as sent.
pub fn without_presign_parameters(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !canreq::PRESIGN_PARAMS
                .iter()
                .chain([&REGION_SET_PARAMETER])
                .any(|p| p.eq_ignore_ascii_case(key))
        })
        .collect();
    if kept.is_empty() && !query.is_empty() {
        return path.to_owned();
    }
    format!("{path}?{}", kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)], target: &str) -> http::request::Parts {
        let mut builder = http::Request::builder().method("PUT").uri(target);
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_clients_own_signature_and_framing_are_taken_out() {
        let head = ClientHead::new(
            &parts(
                &[
                    ("Host", "127.0.0.1:8080"),
                    (
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=PLACEHOLDER/...",
                    ),
                    ("X-Amz-Security-Token", "token"),
                    ("X-Amz-Date", "20250101T000000Z"),
                    ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
                    ("Content-Length", "5"),
                    ("Connection", "keep-alive, X-Hop"),
                    ("X-Hop", "1"),
                    ("Expect", "100-continue"),
                    ("X-Forwarded-For", "10.0.0.1"),
                    ("Content-Type", "text/plain"),
                    ("X-Amz-Meta-Colour", "blue"),
                    ("Content-Encoding", "gzip"),
                ],
                "/bucket/key",
            ),
            Some(5),
        )
        .unwrap();
        let mut kept = head.headers.clone();
        kept.sort();
        assert_eq!(
            kept,
            [
                ("content-type".to_owned(), "text/plain".to_owned()),
                ("x-amz-meta-colour".to_owned(), "blue".to_owned())
            ]
        );
        assert_eq!(head.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(head.framing, ClientFraming::Plain(Some(5)));
    }

    #[test]
    fn an_sdks_aws_chunked_body_is_recognised_with_its_checksum() {
        let head = ClientHead::new(
            &parts(
                &[
                    ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                    ("Content-Encoding", "aws-chunked"),
                    ("x-amz-decoded-content-length", "1000"),
                    ("x-amz-trailer", "x-amz-checksum-crc32"),
                    ("Transfer-Encoding", "chunked"),
                ],
                "/b/k",
            ),
            None,
        )
        .unwrap();
        assert_eq!(head.content_encoding, None);
        assert_eq!(
            head.framing,
            ClientFraming::AwsChunked {
                mode: StreamingMode::UnsignedWithTrailer,
                decoded_length: 1000,
                checksum: Some(ChecksumAlgorithm::Crc32)
            }
        );
        assert!(head.headers.is_empty(), "{:?}", head.headers);
        for (headers, code) in [
            (
                vec![("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")],
                "MissingContentLength",
            ),
            (
                vec![
                    ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                    ("x-amz-decoded-content-length", "1"),
                    ("x-amz-trailer", "x-custom"),
                ],
                "NotImplemented",
            ),
        ] {
            let e = ClientHead::new(&parts(&headers, "/"), None).unwrap_err();
            assert_eq!(e.code, code, "{headers:?}");
        }
    }

    #[test]
    fn presign_parameters_leave_and_the_rest_stays_byte_for_byte() {
        assert_eq!(
            without_presign_parameters(
                "/b/a%2Fb?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F1\
                 &x-amz-signature=ab&prefix=%E2%82%AC&empty"
            ),
            "/b/a%2Fb?versionId=3&prefix=%E2%82%AC&empty"
        );
        assert_eq!(
            without_presign_parameters("/k?X-Amz-Signature=1&X-Amz-Date=2"),
            "/k"
        );
        assert_eq!(without_presign_parameters("/k?uploads"), "/k?uploads");
        assert_eq!(without_presign_parameters("/k?"), "/k?");
        assert_eq!(without_presign_parameters("/k"), "/k");
    }
}

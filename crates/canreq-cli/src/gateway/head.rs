//! The head of a verified request as it goes upstream: the client's signature, token and
//! presign parameters taken out, hop-by-hop headers dropped, `Host` the upstream's, an
//! aws-chunked body's framing headers replaced by the decoded body's `Content-Length`, and the
//! verified identity added in the gateway's own headers (any the client sent of those names
//! removed first: only the gateway says who a request is from).

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::proxy::head::without_presign_parameters;
use crate::upstream::Origin;
use crate::upstream::forwarding::{self, Forwarded};

/// Headers of the client's own signature and body framing, never forwarded as they are.
const CLIENT_SIGNATURE: [&str; 3] = ["authorization", "x-amz-security-token", "expect"];

/// Headers of an aws-chunked body's framing, which the decoded body does not have.
const CHUNKED_FRAMING: [&str; 3] = [
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
];

/// The names of the headers that carry the verified identity upstream.
#[derive(Debug, Clone)]
pub struct IdentityHeaders {
    pub access_key: HeaderName,
    pub principal: HeaderName,
}

/// Who a request was verified to be from.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub access_key_id: &'a str,
    pub principal: &'a str,
}

impl IdentityHeaders {
    /// The identity's header pairs, for a head being built.
    pub fn values(&self, identity: Identity<'_>) -> Result<[(HeaderName, HeaderValue); 2], String> {
        let value = |text: &str| {
            HeaderValue::from_str(text).map_err(|_| format!("{text:?} cannot be sent in a header"))
        };
        Ok([
            (self.access_key.clone(), value(identity.access_key_id)?),
            (self.principal.clone(), value(identity.principal)?),
        ])
    }
}

/// The head sent upstream for a verified request (`parts` as received), its body sent as is
/// (`decoded_length`: the length of an aws-chunked body's data, which is what is sent).
pub fn upstream_head(
    parts: &http::request::Parts,
    decoded_length: Option<u64>,
    origin: &Origin,
    identity: [(HeaderName, HeaderValue); 2],
    forwarded: &Forwarded<'_>,
) -> Result<http::request::Parts, String> {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut headers: HeaderMap = parts.headers.clone();
    forwarding::drop_hop_by_hop(&mut headers);
    for name in CLIENT_SIGNATURE {
        headers.remove(name);
    }
    if let Some(length) = decoded_length {
        for name in CHUNKED_FRAMING {
            headers.remove(name);
        }
        let codings: Vec<String> = headers
            .get_all(header::CONTENT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
            .map(str::to_owned)
            .collect();
        headers.remove(header::CONTENT_ENCODING);
        if !codings.is_empty() {
            let joined = HeaderValue::from_str(&codings.join(","))
                .map_err(|e| format!("Content-Encoding: {e}"))?;
            headers.insert(header::CONTENT_ENCODING, joined);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    for (name, value) in identity {
        headers.remove(&name);
        headers.insert(name, value);
    }
    let host = HeaderValue::from_str(&origin.host_header()).map_err(|e| format!("Host: {e}"))?;
    headers.insert(header::HOST, host);
    forwarding::add_forwarded(&mut headers, forwarded);
    let mut request = http::Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = without_presign_parameters(target)
        .parse()
        .map_err(|e| format!("the target cannot be forwarded: {e}"))?;
    *request.headers_mut() = headers;
    Ok(request.into_parts().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_signature_and_chunked_framing_leave_and_the_identity_is_the_gateways() {
        let (parts, ()) =
            http::Request::put("/b/k?X-Amz-Signature=ab&X-Amz-Credential=K%2F1&part=2")
                .header("Host", "gateway.local:9000")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=K/...")
                .header("X-Amz-Security-Token", "token")
                .header("X-Amz-Content-SHA256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
                .header("X-Amz-Decoded-Content-Length", "5")
                .header("Content-Encoding", "aws-chunked,gzip")
                .header("Content-Length", "200")
                .header("Transfer-Encoding", "chunked")
                .header("Expect", "100-continue")
                .header("X-Canreq-Principal", "forged")
                .header("X-Amz-Meta-Colour", "blue")
                .body(())
                .unwrap()
                .into_parts();
        let names = IdentityHeaders {
            access_key: HeaderName::from_static("x-canreq-access-key"),
            principal: HeaderName::from_static("x-canreq-principal"),
        };
        let identity = names
            .values(Identity {
                access_key_id: "AKIDTENANT",
                principal: "tenant-1",
            })
            .unwrap();
        let origin = Origin::parse("http://127.0.0.1:9001").unwrap();
        let forwarded = Forwarded {
            client: "127.0.0.1".parse().unwrap(),
            tls: false,
            host: parts.headers.get("host"),
        };
        let head = upstream_head(&parts, Some(5), &origin, identity, &forwarded).unwrap();
        assert_eq!(head.uri, "/b/k?part=2");
        let h = &head.headers;
        for gone in [
            "authorization",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "x-amz-decoded-content-length",
            "transfer-encoding",
            "expect",
        ] {
            assert!(!h.contains_key(gone), "{gone}");
        }
        assert_eq!(h["content-length"], "5");
        assert_eq!(h["content-encoding"], "gzip");
        assert_eq!(h["host"], "127.0.0.1:9001");
        assert_eq!(h["x-forwarded-host"], "gateway.local:9000");
        assert_eq!(h["x-canreq-principal"], "tenant-1");
        assert_eq!(h.get_all("x-canreq-principal").iter().count(), 1);
        assert_eq!(h["x-canreq-access-key"], "AKIDTENANT");
        assert_eq!(h["x-amz-meta-colour"], "blue");
    }
}

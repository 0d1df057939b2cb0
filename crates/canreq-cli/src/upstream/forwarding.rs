//! The headers a reverse proxy changes on the way through: hop-by-hop headers describe one
//! connection and stop at the proxy (RFC 9110, section 7.6.1); `X-Forwarded-*` tell the
//! upstream who asked, and how.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that concern only the connection they came on, whatever `Connection` names.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether `name` (lower case, as `http` keeps names) is a hop-by-hop header by itself.
pub fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.contains(&name) || name.starts_with("proxy-")
}

/// Removes the hop-by-hop headers: `Connection` and every header it names, `Keep-Alive`,
/// `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade`.
pub fn drop_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    let fixed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| is_hop_by_hop(name.as_str()))
        .cloned()
        .collect();
    for name in fixed {
        headers.remove(name);
    }
}

/// What the proxy saw of the client's request, for the `X-Forwarded-*` headers.
#[derive(Debug, Clone)]
pub struct Forwarded<'a> {
    /// The client's address.
    pub client: IpAddr,
    /// Whether the client reached the proxy over TLS.
    pub tls: bool,
    /// The `Host` the client asked for (the proxy's own name, as the client knows it).
    pub host: Option<&'a HeaderValue>,
}

/// Adds `X-Forwarded-For` (the client's address after any the client sent: each proxy appends
/// the address it saw), and sets `X-Forwarded-Proto` and `X-Forwarded-Host` to what this hop
/// saw.
pub fn add_forwarded(headers: &mut HeaderMap, forwarded: &Forwarded<'_>) {
    let client = forwarded.client.to_string();
    let earlier: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let chain = if earlier.is_empty() {
        client
    } else {
        format!("{}, {client}", earlier.join(", "))
    };
    if let Ok(value) = HeaderValue::from_str(&chain) {
        headers.insert("x-forwarded-for", value);
    }
    let proto = if forwarded.tls { "https" } else { "http" };
    headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
    match forwarded.host {
        Some(host) => {
            headers.insert("x-forwarded-host", host.clone());
        }
        None => {
            headers.remove("x-forwarded-host");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn names(map: &HeaderMap) -> Vec<&str> {
        let mut names: Vec<&str> = map.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut map = headers(&[
            ("Connection", "keep-alive, X-Secret-Hop"),
            ("Connection", "close"),
            ("X-Secret-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic abc"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Trailer", "x-amz-checksum-crc32"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("X-Amz-Date", "20250101T000000Z"),
        ]);
        drop_hop_by_hop(&mut map);
        assert_eq!(
            names(&map),
            ["content-length", "content-type", "x-amz-date"]
        );
    }

    #[test]
    fn a_connection_header_naming_nothing_valid_drops_only_itself() {
        let mut map = headers(&[("Connection", "bad header name, ,"), ("Accept", "*/*")]);
        drop_hop_by_hop(&mut map);
        assert_eq!(names(&map), ["accept"]);
    }

    #[test]
    fn forwarded_headers_append_the_client_and_name_this_hop() {
        let host = HeaderValue::from_static("proxy.local:8080");
        let mut map = headers(&[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-For", "198.51.100.2"),
            ("X-Forwarded-Proto", "https"),
        ]);
        add_forwarded(
            &mut map,
            &Forwarded {
                client: "127.0.0.1".parse().unwrap(),
                tls: false,
                host: Some(&host),
            },
        );
        assert_eq!(
            map["x-forwarded-for"],
            "203.0.113.7, 198.51.100.2, 127.0.0.1"
        );
        assert_eq!(map["x-forwarded-proto"], "http");
        assert_eq!(map["x-forwarded-host"], "proxy.local:8080");

        let mut map = headers(&[("X-Forwarded-Host", "forged")]);
        add_forwarded(
            &mut map,
            &Forwarded {
                client: "::1".parse().unwrap(),
                tls: true,
                host: None,
            },
        );
        assert_eq!(map["x-forwarded-for"], "::1");
        assert_eq!(map["x-forwarded-proto"], "https");
        assert!(!map.contains_key("x-forwarded-host"));
    }
}

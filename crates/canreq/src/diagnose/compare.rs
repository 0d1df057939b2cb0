//! The server's view against the client's: the canonical requests and strings to sign compared
//! part by part, each difference named.

use super::parse::{CanonicalParts, StringToSignParts};
use super::{Cause, CauseCode};
use crate::encode;

/// One side's steps, as far as they are known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Side<'t> {
    /// Its canonical request.
    pub canonical_request: Option<&'t str>,
    /// Its string to sign.
    pub string_to_sign: Option<&'t str>,
    /// Its signature (hex).
    pub signature: Option<&'t str>,
}

/// Names every difference between what the server computed and what the client signed.
///
/// ```
/// use canreq::diagnose::{CauseCode, Side, compare};
///
/// let server = "GET\n/\n\nhost:example.com\nx-amz-date:20150830T123600Z\nx-forwarded-for:\n\nhost;x-amz-date;x-forwarded-for\nUNSIGNED-PAYLOAD";
/// let client = "GET\n/\n\nhost:example.com\nx-amz-date:20150830T123600Z\nx-forwarded-for:10.0.0.1\n\nhost;x-amz-date;x-forwarded-for\nUNSIGNED-PAYLOAD";
/// let causes = compare(
///     &Side { canonical_request: Some(server), ..Side::default() },
///     &Side { canonical_request: Some(client), ..Side::default() },
/// );
/// assert_eq!(causes[0].code, CauseCode::HeaderMissing);
/// assert_eq!(causes[0].header.as_deref(), Some("x-forwarded-for"));
/// ```
pub fn compare(server: &Side<'_>, client: &Side<'_>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let mut steps_agree = true;
    if let (Some(s), Some(c)) = (server.canonical_request, client.canonical_request)
        && s != c
    {
        steps_agree = false;
        compare_canonical(
            &CanonicalParts::parse(s),
            &CanonicalParts::parse(c),
            &mut causes,
        );
        if causes.is_empty() {
            causes.push(Cause::new(
                CauseCode::CanonicalRequest,
                "The canonical requests differ in a way no single part explains.",
            ));
        }
    }
    if let (Some(s), Some(c)) = (server.string_to_sign, client.string_to_sign)
        && s != c
    {
        steps_agree = false;
        compare_string_to_sign(
            &StringToSignParts::parse(s),
            &StringToSignParts::parse(c),
            &mut causes,
        );
    }
    // The same steps on both sides (both known) and still a refusal: the key differs. With
    // both signatures at hand, only when they differ.
    let both_known = server.canonical_request.is_some()
        && client.canonical_request.is_some()
        && server.string_to_sign.is_some()
        && client.string_to_sign.is_some();
    let signatures_differ = match (server.signature, client.signature) {
        (Some(s), Some(c)) => !s.eq_ignore_ascii_case(c),
        _ => both_known,
    };
    if steps_agree && signatures_differ {
        let cause = Cause::new(
            CauseCode::SecretKey,
            "The canonical requests and strings to sign agree, the signatures do not: the server \
             holds another secret for this access key id (or the client derived its key wrongly).",
        );
        causes.push(match (server.signature, client.signature) {
            (Some(s), Some(c)) => cause.values(s, c),
            _ => cause,
        });
    }
    causes
}

fn compare_canonical(s: &CanonicalParts<'_>, c: &CanonicalParts<'_>, causes: &mut Vec<Cause>) {
    if s.method != c.method {
        causes
            .push(Cause::new(CauseCode::Method, "The method differs.").values(s.method, c.method));
    }
    if s.path != c.path {
        let same_path = decoded(s.path) == decoded(c.path)
            || decoded(&String::from_utf8_lossy(&decoded(s.path))) == decoded(c.path)
            || decoded(s.path) == decoded(&String::from_utf8_lossy(&decoded(c.path)));
        let (code, why) = if same_path {
            (
                CauseCode::PathEncoding,
                "The same path, percent-encoded differently (once against twice, or other characters \
                 escaped).",
            )
        } else {
            (
                CauseCode::Path,
                "The path differs: a proxy rewrote it, or a bucket or stage is missing from it.",
            )
        };
        causes.push(Cause::new(code, why).values(s.path, c.path));
    }
    if s.query != c.query {
        let (mut sq, mut cq) = (params(s.query), params(c.query));
        sq.sort();
        cq.sort();
        let (code, why) = if sq == cq {
            (
                CauseCode::QueryEncoding,
                "The same query parameters, encoded or ordered differently (`+` against `%20`, \
                 reserved characters, sorting).",
            )
        } else {
            (
                CauseCode::Query,
                "A query parameter was added, removed or changed.",
            )
        };
        causes.push(Cause::new(code, why).values(s.query, c.query));
    }
    for (name, server_value) in &s.headers {
        let client_value = c
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v);
        match client_value {
            None => causes.push(
                Cause::new(
                    CauseCode::HeaderAdded,
                    "The server signs a header the client did not.",
                )
                .header(name)
                .values(server_value, ""),
            ),
            Some(client_value) if client_value != *server_value => {
                causes.push(header_difference(name, server_value, client_value));
            }
            Some(_) => {}
        }
    }
    for (name, client_value) in &c.headers {
        if !s.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            causes.push(
                Cause::new(
                    CauseCode::HeaderMissing,
                    "The client signed a header the server's canonical request lacks.",
                )
                .header(name)
                .values("", client_value),
            );
        }
    }
    if s.signed_headers != c.signed_headers {
        causes.push(
            Cause::new(CauseCode::SignedHeaders, "The signed header lists differ.")
                .values(s.signed_headers, c.signed_headers),
        );
    }
    if !c.blank_line_found && s.blank_line_found {
        causes.push(Cause::new(
            CauseCode::CanonicalNewline,
            "The client's canonical request lacks the blank line after the headers, or has two.",
        ));
    }
    if s.payload_hash != c.payload_hash {
        let code = if s.payload_hash.eq_ignore_ascii_case(c.payload_hash) {
            CauseCode::PayloadHexCase
        } else {
            CauseCode::Payload
        };
        causes.push(
            Cause::new(
                code,
                "The payload hash differs: the body changed, or the declared hash is not the body's.",
            )
            .values(s.payload_hash, c.payload_hash),
        );
    }
}

/// A header both sides signed, with other values.
fn header_difference(name: &str, server: &str, client: &str) -> Cause {
    let squeezed = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
    let (code, why) = if name.eq_ignore_ascii_case("host") {
        (
            CauseCode::Host,
            "The host differs: a port added or dropped, virtual-host against path style, or a \
             proxy's own host.",
        )
    } else if name.eq_ignore_ascii_case("x-amz-security-token") {
        (CauseCode::Token, "The session token differs.")
    } else if server.is_empty() {
        (
            CauseCode::HeaderMissing,
            "The server did not receive this signed header (a proxy or client library dropped it).",
        )
    } else if squeezed(server) == squeezed(client) {
        (
            CauseCode::HeaderWhitespace,
            "The same header value, with other whitespace (trimming or folding).",
        )
    } else {
        (
            CauseCode::HeaderChanged,
            "The header's value changed between signing and the server (a proxy's usual work).",
        )
    };
    let cause = Cause::new(code, why).header(name);
    if code == CauseCode::Token {
        cause
    } else {
        cause.values(server, client)
    }
}

fn compare_string_to_sign(
    s: &StringToSignParts<'_>,
    c: &StringToSignParts<'_>,
    causes: &mut Vec<Cause>,
) {
    if s.time != c.time {
        causes.push(
            Cause::new(
                CauseCode::Clock,
                "The request time differs, or the clock is skewed.",
            )
            .values(s.time, c.time),
        );
    }
    let scope = [
        (
            s.date,
            c.date,
            CauseCode::ScopeDate,
            "The scope's date differs.",
        ),
        (
            s.region,
            c.region,
            CauseCode::ScopeRegion,
            "The scope's region differs.",
        ),
        (
            s.service,
            c.service,
            CauseCode::ScopeService,
            "The scope's service differs.",
        ),
    ];
    for (server, client, code, why) in scope {
        if server != client {
            causes.push(Cause::new(code, why).values(server, client));
        }
    }
}

/// Percent-decoded bytes (undecodable text as it is).
fn decoded(text: &str) -> Vec<u8> {
    encode::percent_decode(text).map_or_else(|_| text.as_bytes().to_vec(), |d| d.into_owned())
}

/// The query's parameters, each part decoded, `+` and space alike (one side may read `+` as a
/// space, the other as a plus: the same parameters, encoded otherwise).
fn params(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let part = |t: &str| {
        let mut bytes = decoded(t);
        for b in &mut bytes {
            if *b == b'+' {
                *b = b' ';
            }
        }
        bytes
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (part(k), part(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "GET\n/a%20b\nq=a%2Bb\nhost:example.com\nx-amz-date:20150830T123600Z\nx-tag:one two\n\nhost;x-amz-date;x-tag\nUNSIGNED-PAYLOAD";
    const STS: &str =
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\nHASH";

    fn codes(server: &str, client: &str) -> Vec<CauseCode> {
        let side = |creq| Side {
            canonical_request: Some(creq),
            ..Side::default()
        };
        compare(&side(server), &side(client))
            .into_iter()
            .map(|c| c.code)
            .collect()
    }

    #[test]
    fn each_part_of_the_canonical_request_is_named() {
        let cases = [
            (BASE.replace("GET\n", "PUT\n"), CauseCode::Method),
            (BASE.replace("/a%20b", "/a%2520b"), CauseCode::PathEncoding),
            (BASE.replace("/a%20b", "/other"), CauseCode::Path),
            (BASE.replace("q=a%2Bb", "q=a%20b"), CauseCode::QueryEncoding),
            (BASE.replace("q=a%2Bb", "q=c"), CauseCode::Query),
            (
                BASE.replace("host:example.com", "host:example.com:443"),
                CauseCode::Host,
            ),
            (
                BASE.replace("x-tag:one two", "x-tag:one  two"),
                CauseCode::HeaderWhitespace,
            ),
            (
                BASE.replace("x-tag:one two", "x-tag:three"),
                CauseCode::HeaderChanged,
            ),
            (
                BASE.replace("\n\nhost;", "\nhost;"),
                CauseCode::CanonicalNewline,
            ),
            (BASE.replace("UNSIGNED-PAYLOAD", "e3b0"), CauseCode::Payload),
        ];
        for (client, code) in cases {
            assert_eq!(codes(BASE, &client), [code], "{client}");
        }
        // A header the server received empty: dropped on the way.
        let server = BASE.replace("x-tag:one two", "x-tag:");
        assert_eq!(codes(&server, BASE), [CauseCode::HeaderMissing]);
    }

    #[test]
    fn the_string_to_sign_and_the_secret() {
        let side = |sts, signature| Side {
            canonical_request: Some(BASE),
            string_to_sign: Some(sts),
            signature: Some(signature),
        };
        let skewed = STS.replace("T123600Z", "T124600Z");
        let other_region = STS.replace("us-east-1", "eu-west-1");
        let found = |client: &Side<'_>| -> Vec<CauseCode> {
            compare(&side(STS, "aa"), client)
                .into_iter()
                .map(|c| c.code)
                .collect()
        };
        assert_eq!(found(&side(&skewed, "bb")), [CauseCode::Clock]);
        assert_eq!(found(&side(&other_region, "bb")), [CauseCode::ScopeRegion]);
        assert_eq!(found(&side(STS, "bb")), [CauseCode::SecretKey]);
        assert_eq!(found(&side(STS, "AA")), []);
        // Without signatures, agreeing steps still mean another key.
        let unsigned = Side {
            canonical_request: Some(BASE),
            string_to_sign: Some(STS),
            signature: None,
        };
        let codes: Vec<CauseCode> = compare(&unsigned, &unsigned)
            .into_iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(codes, [CauseCode::SecretKey]);
    }
}

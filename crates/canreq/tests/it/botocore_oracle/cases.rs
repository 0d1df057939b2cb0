//! The cases of `botocore_oracle.rs`: seeded random requests, kept inside what botocore signs
//! by AWS's rules. Each restriction says which botocore behaviour it steps around; everything
//! else is generated freely.

use std::collections::BTreeSet;

use canreq::SigningTime;
use serde_json::{Value, json};

use crate::common::Rng;
use crate::s3_path::{percent_decode, s3_key_path};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    SigV4,
    S3SigV4,
    SigV4Query,
    S3SigV4Query,
}

#[rustfmt::skip]
pub const KINDS: [Kind; 4] = [Kind::SigV4, Kind::S3SigV4, Kind::SigV4Query, Kind::S3SigV4Query];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::SigV4 => "SigV4Auth",
            Kind::S3SigV4 => "S3SigV4Auth",
            Kind::SigV4Query => "SigV4QueryAuth",
            Kind::S3SigV4Query => "S3SigV4QueryAuth",
        }
    }
    pub fn s3(self) -> bool {
        matches!(self, Kind::S3SigV4 | Kind::S3SigV4Query)
    }
    pub fn query(self) -> bool {
        matches!(self, Kind::SigV4Query | Kind::S3SigV4Query)
    }
}

/// What the payload hash line is, in botocore's terms (see the script).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Body {
    /// The body's SHA-256 (of nothing when `body` is `None`).
    Hashed,
    /// `UNSIGNED-PAYLOAD`, sent as `x-amz-content-sha256`.
    Unsigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (S3 with a trailing checksum).
    Trailer,
}

pub struct Case {
    pub id: usize,
    pub kind: Kind,
    pub method: &'static str,
    pub host: String,
    pub target: String,
    /// The query decoded, for botocore's `request.params` (header signers only). botocore's
    /// serializers hand it query parameters that way, and it encodes each itself; from the URL
    /// it would sort the pieces as sent, unencoded, which matches SigV4 only for a query
    /// already in SigV4 form.
    pub params: Option<Vec<(String, String)>>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub payload: Body,
    pub access_key: String,
    pub secret: String,
    pub token: Option<String>,
    pub service: &'static str,
    pub region: &'static str,
    pub time: SigningTime,
    pub expires: u32,
}

impl Case {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "signer": self.kind.name(),
            "method": self.method,
            "host": self.host,
            "target": self.target,
            "params": self.params,
            "headers": self.headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
            "body_hex": self.body.as_ref().map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
            "payload": match self.payload { Body::Hashed => "hashed", Body::Unsigned => "unsigned", Body::Trailer => "trailer" },
            "access_key": self.access_key,
            "secret_key": self.secret,
            "token": self.token,
            "service": self.service,
            "region": self.region,
            "amz_date": self.time.amz_date(),
            "expires": self.expires,
        })
    }
}

// botocore upper-cases the method (`request.method.upper()`); methods are case-sensitive
// tokens and canreq signs the one given, so only upper-case methods are generated.
#[rustfmt::skip]
const METHODS: &[&str] = &["GET", "GET", "PUT", "POST", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "PROPFIND"];
#[rustfmt::skip]
const SERVICES: &[&str] = &["iam", "ssm", "ec2", "dynamodb", "sts", "execute-api", "service"];
#[rustfmt::skip]
const S3_SERVICES: &[&str] = &["s3", "s3", "s3", "s3-object-lambda", "s3-outposts", "s3express"];
#[rustfmt::skip]
const REGIONS: &[&str] = &["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1", "us-gov-west-1", "il-central-1"];

/// Path pieces: plain, dots, reserved, raw bytes a client would escape, escapes valid or not
/// (no raw `?` or `#`: those end a path on the wire).
#[rustfmt::skip]
const PATH_ATOMS: &[&str] = &[
    "a", "key", "photos", "2024", "x_y", "a-b", "~user", "file.txt", "...", ".x", "x.",
    "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@", " ", "ü", "ሴ", "日本", "😀",
    "é", "[", "]", "{", "}", "|", "^", "`", "\"", "<", ">", "\\", "%20", "%2F", "%2f", "%2E",
    "%41", "%C3%BC", "%c3%bc", "%25", "%7E", "%FF", "%3F", "%23", "%",
];

/// Query pieces in SigV4 form: unreserved bytes and upper-case escapes of the others. `%FF`
/// (not UTF-8 on its own) stays last.
#[rustfmt::skip]
const CANONICAL_QUERY_ATOMS: &[&str] = &[
    "a", "b", "Action", "list-type", "prefix", "max-keys", "x_y", "~", ".", "2", "%20", "%2F",
    "%3D", "%26", "%2B", "%3F", "%C3%BC", "%E2%82%AC", "%00", "%FF",
];

/// Query pieces that are not in SigV4 form but mean one thing to every parser involved.
#[rustfmt::skip]
const LOOSE_QUERY_ATOMS: &[&str] = &[
    "!", "$", "'", "(", ")", "*", ",", ";", ":", "@", "/", "?", " ", "ü", "日", "%c3%bc", "%2f",
    "%e2%82%ac", "%7e", "%41",
];

#[rustfmt::skip]
const HEADER_NAMES: &[&str] = &[
    "Content-Type", "content-type", "X-Amz-Meta-Note", "x-amz-meta-note", "X-Custom", "x-custom",
    "X-CUSTOM", "Cache-Control", "Range", "If-Match", "Content-MD5", "Content-Encoding",
    "Content-Language", "Content-Length", "X-Amz-Target", "x-amz-server-side-encryption",
    "Accept", "My-Header1", "x.dotted_name", "x!#$%&'*+^`|~",
    // Left unsigned by both.
    "User-Agent", "Expect", "X-Amzn-Trace-Id", "Connection", "Keep-Alive", "TE", "Upgrade",
    "Transfer-Encoding",
    // botocore's SIGNED_HEADERS_BLACKLIST has these three, canreq's defaults do not; and
    // canreq leaves `proxy-connection` unsigned, botocore signs it. Neither list is an AWS rule
    // (both are client policy), so canreq is configured like botocore in `settings`.
    "baggage", "traceparent", "tracestate", "Proxy-Connection",
];

// botocore trims and collapses with `str.split()`, which also splits on Unicode whitespace
// (U+00A0, U+2003, U+3000, ...) and on bare `\v`, `\f`, `\r`, `\n`. SigV4 collapses spaces only
// (canreq keeps U+00A0 and rejects bare controls), so values hold ASCII space, tab and
// obs-fold line breaks, and non-ASCII text that is not whitespace.
#[rustfmt::skip]
const VALUE_WORDS: &[&str] = &[
    "a", "value", "text/plain", "application/json",
    "application/x-www-form-urlencoded; charset=utf-8", "100-continue", "bytes=0-9", "\"etag\"",
    "gzip", "ü", "日本", "😀", "x=y;z", "AES256", "DynamoDB_20120810.ListTables",
];
const VALUE_GAPS: &[&str] = &[" ", " ", "  ", "\t", " \t ", "\r\n ", "\r\n\t", "\n "];

pub fn gen_case(rng: &mut Rng, id: usize, kind: Kind) -> Case {
    let service = pick(rng, if kind.s3() { S3_SERVICES } else { SERVICES });
    let region = pick(rng, REGIONS);
    let host = match rng.below(5) {
        0 => "127.0.0.1:9000".to_owned(),
        1 => "Example.AmazonAWS.com".to_owned(),
        _ if kind.s3() => format!("bucket-{}.s3.{region}.amazonaws.com", rng.below(10)),
        _ => format!("{service}.{region}.amazonaws.com"),
    };
    let mut target = gen_path(rng, kind.s3());
    let loose = kind.query() || rng.chance(50);
    let query = if loose {
        gen_loose_query(rng, kind.query())
    } else {
        gen_canonical_query(rng)
    };
    let params = match &query {
        Some(query) if loose && !kind.query() => Some(decoded_params(query)),
        _ => None,
    };
    if let Some(query) = query {
        target.push('?');
        target.push_str(&query);
    }
    let token = rng.chance(40).then(|| {
        let len = 16 + rng.below(200);
        let mut t = random_text(rng, len, B64);
        t.push_str(["", "=", "=="][rng.below(3)]);
        t
    });
    let (payload, body) = gen_payload(rng, kind);
    let headers = gen_headers(rng, kind, &host, token.is_some(), payload);
    let access_key = if rng.chance(30) {
        "AKIDEXAMPLE".to_owned()
    } else {
        let prefix = if token.is_some() { "ASIA" } else { "AKIA" };
        format!("{prefix}{}", random_text(rng, 16, UPPER_DIGITS))
    };
    let seconds = 946_684_800 + (rng.next() % 3_155_760_000) as i64;
    let expires = match rng.below(3) {
        0 => *rng.pick(&[1, 60, 3600, 86_400, 604_800]),
        _ => 1 + (rng.next() % 604_800) as u32,
    };
    Case {
        id,
        kind,
        method: pick(rng, METHODS),
        host,
        target,
        params,
        headers,
        body,
        payload,
        access_key,
        secret: random_text(rng, 40, B64),
        token,
        service,
        region,
        time: SigningTime::from_unix_seconds(seconds).unwrap(),
        expires,
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// One of `items`: a `&str` out of the list, which `Rng::pick` would give as `&&str`.
fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

fn random_text(rng: &mut Rng, len: usize, alphabet: &[u8]) -> String {
    (0..len).map(|_| char::from(*rng.pick(alphabet))).collect()
}

fn gen_path(rng: &mut Rng, s3: bool) -> String {
    // botocore leaves an empty path empty in an S3 canonical request, while every HTTP client
    // sends at least `/` (the only path canreq signs then), so paths always start with `/`.
    let mut path = String::from("/");
    let segments = rng.below(5);
    for i in 0..segments {
        if i > 0 {
            path.push('/');
        }
        match rng.below(12) {
            0 => {}
            1 => path.push('.'),
            2 => path.push_str(".."),
            _ => {
                for _ in 0..1 + rng.below(3) {
                    match pick(rng, PATH_ATOMS) {
                        // canreq refuses a stray `%` in an S3 path: it cannot be on the wire.
                        "%" if s3 => path.push_str("%25"),
                        atom => path.push_str(atom),
                    }
                }
            }
        }
    }
    if segments > 0 && rng.chance(25) {
        path.push('/');
    }
    if !s3 {
        // Both double-encode the path as given (`%` included) and remove dot segments and
        // empty segments the same way, so any text goes.
        return path;
    }
    // botocore puts an S3 path into the canonical request byte for byte: it relies on its
    // serializer having escaped the key (`quote(key, safe='/~')`). S3 signs the key encoded
    // once, whatever the client wrote, and so does canreq. So S3 paths are given in that form,
    // as botocore's own serializer writes them.
    s3_key_path(&path)
}

/// The query as its decoded pairs, empty pieces left out (canreq ignores them).
fn decoded_params(query: &str) -> Vec<(String, String)> {
    let text = |s: &str| String::from_utf8(percent_decode(s)).expect("UTF-8 atoms only");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (text(k), text(v)))
        .collect()
}

fn gen_component(rng: &mut Rng, atoms: &[&'static str], max: usize) -> String {
    (0..1 + rng.below(max)).map(|_| pick(rng, atoms)).collect()
}

/// A query for a header signer that botocore reads from the URL. There it sorts the raw
/// `key=value` pieces as they are, without decoding and re-encoding them
/// (`_canonical_query_string_url`), and turns an empty piece (`a&&b`) into a `=` parameter.
/// AWS canonicalizes each parameter; the two agree only on queries already in SigV4 form, so
/// that is what this generates: repeats, empty keys and values, any byte escaped.
fn gen_canonical_query(rng: &mut Rng) -> Option<String> {
    if rng.chance(30) {
        return None;
    }
    let mut keys: Vec<String> = Vec::new();
    let mut pairs = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let key = match rng.below(10) {
            0 => String::new(),
            1 | 2 if !keys.is_empty() => rng.pick(&keys).clone(),
            _ => gen_component(rng, CANONICAL_QUERY_ATOMS, 3),
        };
        keys.push(key.clone());
        pairs.push(match rng.below(10) {
            0 if !key.is_empty() => key,
            1 => format!("{key}="),
            _ => format!("{key}={}", gen_component(rng, CANONICAL_QUERY_ATOMS, 4)),
        });
    }
    Some(pairs.join("&"))
}

/// A query in any spelling. For the query signers, botocore parses it with `parse_qs` and
/// writes it back encoded, with three catches: it keeps only the first value of a repeated key
/// (`{k: v[0]}`), so keys are unique (`presign`); `parse_qs` reads `+` as a space where SigV4
/// reads a literal `+`, so there is no raw `+`; and it decodes escapes as UTF-8 with
/// replacement, so every escape sequence is valid UTF-8. Empty pieces (`a=1&&b`) are dropped by
/// both. For the header signers the query goes to botocore decoded, as `request.params` (see
/// `Case::params`): repeats and `+` are fine there.
fn gen_loose_query(rng: &mut Rng, presign: bool) -> Option<String> {
    if rng.chance(25) {
        return None;
    }
    let atoms = |rng: &mut Rng| match rng.below(10) {
        0 if !presign => "+",
        0..5 => pick(rng, LOOSE_QUERY_ATOMS),
        // `%FF` alone is not UTF-8 text; the other canonical atoms are.
        _ => pick(
            rng,
            &CANONICAL_QUERY_ATOMS[..CANONICAL_QUERY_ATOMS.len() - 1],
        ),
    };
    let mut seen = BTreeSet::new();
    let mut keys: Vec<String> = Vec::new();
    let mut pieces: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(6) {
        if rng.chance(10) {
            pieces.push(String::new());
        }
        let key: String = match rng.below(12) {
            0 => String::new(),
            1 | 2 if !presign && !keys.is_empty() => rng.pick(&keys).clone(),
            _ => (0..1 + rng.below(3)).map(|_| atoms(rng)).collect(),
        };
        if !seen.insert(percent_decode(&key)) && presign {
            continue;
        }
        keys.push(key.clone());
        let value: String = (0..1 + rng.below(4)).map(|_| atoms(rng)).collect();
        pieces.push(match rng.below(10) {
            0 if !key.is_empty() => key,
            1 => format!("{key}="),
            // A raw `=` in a value is data to both.
            2 => format!("{key}=x=y"),
            _ => format!("{key}={value}"),
        });
    }
    Some(pieces.join("&"))
}

fn gen_payload(rng: &mut Rng, kind: Kind) -> (Body, Option<Vec<u8>>) {
    let body = |rng: &mut Rng| match rng.below(4) {
        0 => Vec::new(),
        1 => "{\"TableName\":\"ü\"}".as_bytes().to_vec(),
        _ => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
    };
    match kind {
        // botocore's query signers move a body into the query string (parsed as JSON), so
        // presigned requests have none; S3 presigns `UNSIGNED-PAYLOAD` whatever the body.
        Kind::SigV4Query => (Body::Hashed, None),
        Kind::S3SigV4Query => (Body::Unsigned, None),
        Kind::SigV4 | Kind::S3SigV4 => match rng.below(8) {
            0 | 1 => (Body::Hashed, None),
            2 => (Body::Unsigned, None),
            3 if kind.s3() => (Body::Trailer, None),
            _ => (Body::Hashed, Some(body(rng))),
        },
    }
}

fn gen_headers(
    rng: &mut Rng,
    kind: Kind,
    host: &str,
    token: bool,
    payload: Body,
) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let count = rng.below(7);
    let host_at = rng.below(count + 1);
    for i in 0..=count {
        if i == host_at {
            headers.push((
                rng.pick(&["Host", "host", "HOST"]).to_string(),
                host.to_owned(),
            ));
            continue;
        }
        let name = if !headers.is_empty() && rng.chance(20) {
            // A repeat, in another case: joined with `,` in order by both.
            let (prev, _): &(String, String) = rng.pick(&headers);
            if prev.eq_ignore_ascii_case("host") {
                "x-custom".to_owned()
            } else {
                prev.to_ascii_uppercase()
            }
        } else {
            rng.pick(HEADER_NAMES).to_string()
        };
        let value = gen_value(rng);
        // botocore's `SigV4QueryAuth` drops `Content-Type` when it holds exactly the form type
        // botocore itself sets, to keep it out of presigned URLs; a client quirk, not SigV4.
        if kind.query()
            && name.eq_ignore_ascii_case("content-type")
            && value == "application/x-www-form-urlencoded; charset=utf-8"
        {
            continue;
        }
        headers.push((name, value));
    }
    // Stale signature headers from an earlier attempt: both signers replace them. Only in the
    // header form: botocore's query signers keep and sign whatever headers are there (an old
    // `Authorization` included), where canreq leaves the signature's own headers out.
    if !kind.query() {
        if rng.chance(10) {
            headers.push(("Authorization".into(), "AWS4-HMAC-SHA256 stale".into()));
        }
        if rng.chance(10) {
            headers.push(("X-Amz-Date".into(), "19991231T235959Z".into()));
        }
        // botocore drops an old token header only when it has a new one.
        if token && rng.chance(20) {
            headers.push(("x-amz-security-token".into(), "stale".into()));
        }
        // Outside S3, botocore takes a present `X-Amz-Content-SHA256` as the payload hash and
        // replaces it only when it sends `UNSIGNED-PAYLOAD` itself.
        if (kind.s3() || payload == Body::Unsigned) && rng.chance(15) {
            headers.push(("X-Amz-Content-Sha256".into(), "stale".into()));
        }
    }
    // Not generated: `Date`. With it botocore signs a rewritten `Date` instead of sending
    // `X-Amz-Date`; canreq always sends `X-Amz-Date` (SigV4 accepts either), so the two would
    // differ by design.
    headers
}

fn gen_value(rng: &mut Rng) -> String {
    let mut value = String::new();
    if rng.chance(10) {
        return value;
    }
    if rng.chance(20) {
        value.push_str(pick(rng, VALUE_GAPS));
    }
    for i in 0..1 + rng.below(3) {
        if i > 0 {
            value.push_str(pick(rng, VALUE_GAPS));
        }
        value.push_str(pick(rng, VALUE_WORDS));
    }
    if rng.chance(20) {
        value.push_str(pick(rng, &[" ", "\t", "  ", "\r\n "]));
    }
    value
}

/// What [`features`] looks for; every one must turn up in a run.
pub const FEATURES: &[&str] = &[
    "session token",
    "body",
    "unsigned payload",
    "trailer",
    "repeated header",
    "header line fold",
    "decoded params",
    "repeated query key",
    "empty query value",
    "dot segment",
    "escape in path",
    "non-ASCII",
];

/// The features of a case worth counting.
pub fn features(case: &Case) -> Vec<&'static str> {
    let (path, query) = case.target.split_once('?').unwrap_or((&case.target, ""));
    let mut names: Vec<String> = case
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    let keys: Vec<&str> = query
        .split('&')
        .map(|p| p.split('=').next().unwrap_or(""))
        .collect();
    let text = || {
        case.target
            .chars()
            .chain(case.headers.iter().flat_map(|(_, v)| v.chars()))
    };
    let checks = [
        case.token.is_some(),
        case.body.as_ref().is_some_and(|b| !b.is_empty()),
        case.payload == Body::Unsigned,
        case.payload == Body::Trailer,
        names.windows(2).any(|w| w[0] == w[1]),
        case.headers.iter().any(|(_, v)| v.contains('\n')),
        case.params.is_some(),
        (1..keys.len()).any(|i| !keys[i].is_empty() && keys[..i].contains(&keys[i])),
        query
            .split('&')
            .any(|p| p.ends_with('=') || (!p.is_empty() && !p.contains('='))),
        path.split('/').any(|s| s == "." || s == ".."),
        path.contains('%'),
        text().any(|c| !c.is_ascii()),
    ];
    FEATURES
        .iter()
        .zip(checks)
        .filter(|(_, on)| *on)
        .map(|(f, _)| *f)
        .collect()
}

//! canreq against the `aws-sigv4` crate on random requests, in both signature locations.
//!
//! Each form (Authorization header, presigned query) signs 2,000 random requests with both
//! libraries and requires the same signature and the same headers to set (Authorization with
//! scope and signed header list, X-Amz-Date, x-amz-content-sha256, session token) or presign
//! parameters. The signature covers the whole canonical request, which aws-sigv4 does not
//! expose (it only logs a redacted copy through `tracing`).
//!
//! The random requests mix methods, services (S3 rules and the others), regions, secrets,
//! session tokens signed or added after signing, paths with unicode, reserved characters,
//! `%XY` escapes (either case), spaces, dot and empty segments, queries with repeated, empty
//! and `+`-holding keys and values, header names of any case, repeated headers, values with
//! space and tab runs, unicode values and every payload kind.
//!
//! Both libraries are given the request target as sent on the wire (`canreq::wire_target`).
//! Where aws-sigv4 departs from AWS, the case is not skipped: aws-sigv4 signs an equivalent
//! request that AWS canonicalizes the same way, and canreq's canonical request is checked for
//! AWS's form. These departures are named at [`AwsEquivalent`].

use crate::s3_path;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode as AwsTokenMode, SignableBody,
    SignableRequest, SignatureLocation, SigningSettings as AwsSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use canreq::{
    Credentials, DEFAULT_UNSIGNED_HEADERS, Payload, Request, Scope, SessionTokenMode, Signer,
    SigningSettings, SigningTime, wire_target,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

const AKID: &str = "AKIDEXAMPLE";
const AMZ_DATE: &str = "20150830T123600Z";
const UNIX: u64 = 1_440_938_160; // AMZ_DATE
const CASES: u32 = 2_000;

// ---------------------------------------------------------------------------------------------
// Random requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Bytes(Vec<u8>),
    Unsigned,
    Precomputed(String),
}

#[derive(Debug, Clone)]
struct Case {
    service: &'static str,
    region: &'static str,
    secret: String,
    token: Option<String>,
    token_after_signing: bool,
    method: String,
    host: &'static str,
    /// Path and query as the caller writes them: may hold raw unicode, spaces and controls,
    /// which only the wire form escapes.
    raw_target: String,
    /// In order; `Host` is among them.
    headers: Vec<(String, String)>,
    body: Body,
    expires: u32,
}

/// `%XY` of one byte, in either hex case (both are valid on the wire).
fn escape(byte: u8, lower: bool) -> String {
    let hex = format!("%{byte:02X}");
    if lower { hex.to_lowercase() } else { hex }
}

/// One of the space-separated `words` (an empty word where two spaces meet).
fn one_of(words: &'static str) -> impl Strategy<Value = &'static str> + Clone {
    select(words.split(' ').collect::<Vec<_>>())
}

/// A character as a client writes it raw (the wire form escapes what must be).
fn raw_char(forbidden: &'static str) -> impl Strategy<Value = String> {
    any::<char>()
        .prop_filter("separator", move |c| !forbidden.contains(*c))
        .prop_map(String::from)
}

fn path_segment() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        5 => "[a-zA-Z0-9]{1,6}",
        1 => "[-._~]{1,3}",
        2 => one_of("! $ & ' ( ) * + , ; = : @").prop_map(str::to_owned),
        2 => raw_char("?/%"),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(b, lower)| escape(b, lower)),
        1 => Just(" ".to_owned()),
    ];
    prop_oneof![
        8 => proptest::collection::vec(piece, 1..4).prop_map(|p| p.concat()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(String::new()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(path_segment(), 0..5),
        any::<bool>(),
    )
        .prop_map(|(segments, trailing_slash)| {
            let mut path: String = segments.iter().map(|s| format!("/{s}")).collect();
            if path.is_empty() || trailing_slash {
                path.push('/');
            }
            path
        })
}

/// A query key or value. Escapes stand for whole UTF-8 characters or ASCII bytes (a lone
/// non-UTF-8 byte is a separate, fixed test below).
fn query_component(is_key: bool) -> impl Strategy<Value = String> {
    let reserved = if is_key {
        "! $ ' ( ) * , ; : @ / ?"
    } else {
        "! $ ' ( ) * , ; : @ / ? ="
    };
    let piece = prop_oneof![
        5 => "[a-zA-Z0-9]{1,5}",
        1 => "[-._~]{1,2}",
        2 => one_of(reserved).prop_map(str::to_owned),
        2 => Just("+".to_owned()),
        2 => raw_char(if is_key { "&=%+" } else { "&%+" }),
        2 => (any::<char>(), any::<bool>()).prop_map(|(c, lower)| {
            c.to_string().bytes().map(|b| escape(b, lower)).collect()
        }),
        1 => (0u8..0x80, any::<bool>()).prop_map(|(b, lower)| escape(b, lower)),
    ];
    proptest::collection::vec(piece, 0..3).prop_map(|p| p.concat())
}

fn query() -> impl Strategy<Value = Option<String>> {
    // A few fixed keys make repeats (and the empty key) common.
    let key = prop_oneof![
        2 => one_of("a A key prefix x-id ").prop_map(str::to_owned),
        3 => query_component(true),
    ];
    let pair = prop_oneof![
        1 => Just(String::new()),
        2 => key.clone(),
        1 => key.clone().prop_map(|k| format!("{k}=")),
        5 => (key, query_component(false)).prop_map(|(k, v)| format!("{k}={v}")),
    ];
    proptest::option::weighted(0.8, proptest::collection::vec(pair, 0..6))
        .prop_map(|pairs| pairs.map(|p| p.join("&")))
}

fn header_name() -> impl Strategy<Value = String> {
    // Unsigned ones too (User-Agent, Connection, a stale Authorization …): both libraries are
    // given canreq's list of headers left unsigned.
    let pool = "Content-Type content-type CONTENT-TYPE X-Amz-Meta-Note x-amz-meta-note X-Custom \
                x-custom Accept X-Amz-Target Content-MD5 If-Match Cache-Control User-Agent \
                X-Amzn-Trace-Id Connection Expect Upgrade Authorization";
    prop_oneof![
        4 => one_of(pool).prop_map(str::to_owned),
        1 => "X-[A-Za-z0-9]{1,8}",
        1 => "x-[a-z0-9!#$%&'*+.^_`|~-]{1,6}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        5 => "[a-zA-Z0-9]{1,6}",
        3 => "[ ]{1,3}",
        1 => "[ \t]{1,3}",
        2 => "[!-/:-@\\[-`{-~]{1,3}",
        1 => any::<char>()
            .prop_filter("non-ASCII", |c| !c.is_ascii())
            .prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..5).prop_map(|p| p.concat())
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::Empty),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Body::Bytes),
        Just(Body::Unsigned),
        "[0-9a-f]{64}".prop_map(Body::Precomputed),
    ]
}

/// A random request; `header_form` adds a stale `X-Amz-Date` now and then, which both
/// libraries replace (in the query form aws-sigv4 would sign it).
fn case(header_form: bool) -> impl Strategy<Value = Case> {
    let services = one_of("s3 s3-outposts iam execute-api sts ssm service");
    let regions = one_of("us-east-1 eu-west-2 ap-southeast-3 cn-north-1");
    let hosts = one_of(
        "example.amazonaws.com bucket.s3.us-east-1.amazonaws.com localhost:9000 127.0.0.1:8080",
    );
    let methods = one_of("GET PUT POST DELETE HEAD PATCH OPTIONS");
    let scope = (services, regions, "[A-Za-z0-9+/]{40}");
    let token = (proptest::option::of("[A-Za-z0-9+/=]{16,64}"), any::<bool>());
    let method = prop_oneof![
        3 => methods.prop_map(str::to_owned),
        1 => "[A-Z][A-Za-z0-9_-]{0,9}",
    ];
    let host = (hosts, one_of("Host host HOST"), select(vec!["", " ", "  "]));
    let headers = (
        proptest::collection::vec((header_name(), header_value()), 0..6),
        any::<proptest::sample::Index>(),
        proptest::bool::weighted(0.2),
    );
    (
        scope,
        token,
        method,
        host,
        (path(), query()),
        headers,
        body(),
        1u32..=604_800,
    )
        .prop_map(
            move |(
                (service, region, secret),
                (token, token_after_signing),
                method,
                (host, host_name, pad),
                (path, query),
                (mut headers, at, stale_date),
                body,
                expires,
            )| {
                let host_at = at.index(headers.len() + 1);
                headers.insert(host_at, (host_name.to_owned(), format!("{pad}{host}{pad}")));
                if header_form && stale_date {
                    headers.push(("X-Amz-Date".to_owned(), "20000101T000000Z".to_owned()));
                }
                let raw_target = match query {
                    Some(q) => format!("{path}?{q}"),
                    None => path,
                };
                Case {
                    service,
                    region,
                    secret,
                    token,
                    token_after_signing,
                    method,
                    host,
                    raw_target,
                    headers,
                    body,
                    expires,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Where aws-sigv4 departs from AWS
// ---------------------------------------------------------------------------------------------

/// The request aws-sigv4 is given: the sent one, rewritten where aws-sigv4 would canonicalize
/// it unlike AWS into a form AWS canonicalizes identically and aws-sigv4 gets right.
struct AwsEquivalent {
    target: String,
    headers: Vec<(String, String)>,
    /// KNOWN aws-sigv4 BUG (`+` in the query): aws-sigv4 decodes the query as an HTML form
    /// (`form_urlencoded`), so a raw `+` becomes a space and is signed as `%20`. AWS takes a
    /// raw `+` literally (`%2B`), as the spec's "decode `%XY`, then UriEncode" and aws-c-auth
    /// do. aws-sigv4 signs the query with `+` written `%2B`, which AWS reads identically.
    plus: bool,
    /// aws-sigv4 DIFFERENCE (tabs in header values): aws-sigv4 trims and folds spaces only, so
    /// a leading, trailing or inner tab is signed as is. HTTP drops leading and trailing tabs
    /// (RFC 9110 optional whitespace), so a server never sees them, and aws-c-auth trims them.
    /// Inner tabs are folded to a space by botocore and the AWS SDK for Java
    /// (`appendCompactedString`), as canreq does; aws-c-auth keeps them; the suite has no tab.
    /// aws-sigv4 signs the value with tabs written as spaces.
    tab: bool,
    /// aws-sigv4 DIFFERENCE (a path ending in a `.` or `..` segment, normalized services):
    /// aws-sigv4 follows RFC 3986 literally and keeps a trailing slash (`/a/b/..` → `/a/`);
    /// aws-c-auth, which generated the AWS test suite, and botocore keep a trailing slash only
    /// when the path itself ends with `/` (`/a`), as canreq does. The suite has no case that
    /// tells them apart. aws-sigv4 signs the path normalized the aws-c-auth way.
    trailing_dot: bool,
    /// aws-sigv4 DIFFERENCE (S3 paths): aws-sigv4 signs an S3 path as it is given; S3 signs the
    /// object key encoded once (`=` as `%3D`, `%7e` as `~`), as its answer to curl issue 13754
    /// shows. The SDK for Rust always gives aws-sigv4 a key already so encoded. aws-sigv4 is
    /// given the path in that form, and canreq's canonical path is checked to be it.
    s3_key: Option<String>,
}

fn aws_equivalent(case: &Case, sent: &str, normalize: bool) -> AwsEquivalent {
    let (path, query) = sent
        .split_once('?')
        .map_or((sent, None), |(p, q)| (p, Some(q)));
    let last = path.rsplit('/').next().unwrap_or_default();
    let trailing_dot = normalize && (last == "." || last == "..");
    let s3_key = canreq::is_s3_family(case.service).then(|| s3_path::s3_key_path(path));
    let mut target = if trailing_dot {
        crt_normalize(path)
    } else if let Some(key) = &s3_key {
        key.clone()
    } else {
        path.to_owned()
    };
    let plus = query.is_some_and(|q| q.contains('+'));
    if let Some(q) = query {
        target.push('?');
        target.push_str(&q.replace('+', "%2B"));
    }
    let tab = case.headers.iter().any(|(_, v)| v.contains('\t'));
    let headers = case
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.replace('\t', " ")))
        .collect();
    AwsEquivalent {
        target,
        headers,
        plus,
        tab,
        trailing_dot,
        s3_key,
    }
}

/// aws-c-auth's path normalization: drop empty and `.` segments, pop on `..`, keep a trailing
/// slash only if the path ends with one.
fn crt_normalize(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            name => kept.push(name),
        }
    }
    let mut out = format!("/{}", kept.join("/"));
    if !kept.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// SigV4 `UriEncode` of a whole value (`/` included), to compare aws-sigv4's raw presign
/// parameter values with the encoded ones in canreq's URL.
fn uri_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Signing with both
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    agreed: AtomicUsize,
    plus: AtomicUsize,
    tab: AtomicUsize,
    trailing_dot: AtomicUsize,
    s3_key: AtomicUsize,
}

fn aws_settings(case: &Case, header_form: bool) -> AwsSettings {
    let mut s = AwsSettings::default();
    if canreq::is_s3_family(case.service) {
        s.percent_encoding_mode = PercentEncodingMode::Single;
        s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    // Both libraries leave the same headers unsigned.
    s.excluded_headers = Some(DEFAULT_UNSIGNED_HEADERS.iter().map(|&n| n.into()).collect());
    if case.token_after_signing {
        s.session_token_mode = AwsTokenMode::Exclude;
    }
    if !header_form {
        s.signature_location = SignatureLocation::QueryParams;
        s.expires_in = Some(Duration::from_secs(case.expires.into()));
    }
    s
}

/// aws-sigv4's output: the headers (lowercase name, value) or presign parameters (name,
/// value encoded as in a URL), sorted, and the signature.
fn aws_sign(case: &Case, eq: &AwsEquivalent, header_form: bool) -> (Vec<(String, String)>, String) {
    let identity: Identity =
        AwsCredentials::new(AKID, &case.secret, case.token.clone(), None, "differential").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name(case.service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(UNIX))
        .settings(aws_settings(case, header_form))
        .build()
        .expect("aws-sigv4 params")
        .into();
    let body = match &case.body {
        Body::Empty => SignableBody::empty(),
        Body::Bytes(b) => SignableBody::Bytes(b),
        Body::Unsigned => SignableBody::UnsignedPayload,
        Body::Precomputed(h) => SignableBody::Precomputed(h.clone()),
    };
    let uri = format!("https://{}{}", case.host, eq.target);
    let headers = eq.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let request =
        SignableRequest::new(&case.method, uri, headers, body).expect("aws-sigv4 request");
    let (instructions, signature) = aws_sigv4::http_request::sign(request, &params)
        .expect("aws-sigv4 sign")
        .into_parts();
    let out = if header_form {
        sorted(instructions.headers().map(|(n, v)| (n, v.to_owned())))
    } else {
        sorted(
            instructions
                .params()
                .iter()
                .map(|(n, v)| (*n, uri_encode(v))),
        )
    };
    (out, signature)
}

/// Name (lowercase) and value pairs, sorted: header names are case-insensitive.
fn sorted<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Vec<(String, String)> {
    let mut out: Vec<_> = pairs.map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
    out.sort();
    out
}

fn canreq_request<'a>(case: &'a Case, target: &'a str) -> Request<'a> {
    let mut req = Request::with_capacity(&case.method, target, case.headers.len());
    for (n, v) in &case.headers {
        req.push_header(n, v);
    }
    req
}

fn payload(body: &Body) -> Payload<'_> {
    match body {
        Body::Empty => Payload::Empty,
        Body::Bytes(b) => Payload::Bytes(b),
        Body::Unsigned => Payload::Unsigned,
        Body::Precomputed(h) => Payload::Precomputed(h),
    }
}

/// Signs `case` with both libraries in one form and compares everything they hand back.
fn check(case: &Case, header_form: bool, tally: &Tally) -> Result<(), TestCaseError> {
    let mut creds = Credentials::new(AKID, case.secret.as_str()).expect("credentials");
    if let Some(token) = &case.token {
        creds = creds.with_session_token(token.as_str()).expect("token");
    }
    let mut settings = SigningSettings::for_service(case.service);
    if case.token_after_signing {
        settings.session_token = SessionTokenMode::AddedAfterSigning;
    }
    let scope = Scope::new(case.region, case.service).expect("scope");
    let time = SigningTime::parse(AMZ_DATE).expect("time");
    let signer = Signer::new(&creds, scope, time).with_settings(settings);
    let sent = wire_target(&case.raw_target).into_owned();
    let eq = aws_equivalent(case, &sent, signer.settings().normalize_path);
    let req = canreq_request(case, &sent);

    let (ours, signature, creq) = if header_form {
        let signed = signer
            .sign(&req, payload(&case.body))
            .map_err(|e| TestCaseError::fail(format!("canreq sign: {e}")))?;
        let headers = sorted(signed.headers().iter().map(|(n, v)| (*n, v.clone())));
        let creq = signed.steps().canonical_request().as_str().to_owned();
        (headers, signed.signature().to_owned(), creq)
    } else {
        let presigned = signer
            .presign(&req, payload(&case.body), case.expires)
            .map_err(|e| TestCaseError::fail(format!("canreq presign: {e}")))?;
        let params = sorted(presigned.params().map(|(n, v)| (n, v.to_owned())));
        // The caller's path and parameters stay as sent, ahead of the presign parameters.
        let (path, query) = sent.split_once('?').unwrap_or((&sent, ""));
        let kept: String = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}&"))
            .collect();
        let prefix = format!("{path}?{kept}X-Amz-Algorithm=");
        prop_assert!(
            presigned.target().starts_with(&prefix),
            "presigned target {:?} does not start with {prefix:?}",
            presigned.target()
        );
        let creq = presigned.steps().canonical_request().as_str().to_owned();
        (params, presigned.signature().to_owned(), creq)
    };

    let (theirs, their_signature) = aws_sign(case, &eq, header_form);
    prop_assert_eq!(
        &signature,
        &their_signature,
        "signatures differ; aws-sigv4 signed target {:?}; canreq's canonical request:\n{}",
        eq.target,
        creq
    );
    prop_assert_eq!(&ours, &theirs);

    let query_line = creq.split('\n').nth(2).unwrap_or_default();
    if eq.plus {
        prop_assert!(
            query_line.contains("%2B"),
            "'+' not signed as %2B: {query_line:?}"
        );
        tally.plus.fetch_add(1, Ordering::Relaxed);
    }
    if eq.tab {
        prop_assert!(!creq.contains('\t'), "tab left in canonical request");
        tally.tab.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(key) = &eq.s3_key {
        let path_line = creq.split('\n').nth(1).unwrap_or_default();
        prop_assert_eq!(path_line, key.as_str(), "S3 path not the key encoded once");
        tally.s3_key.fetch_add(1, Ordering::Relaxed);
    }
    if eq.trailing_dot {
        let path_line = creq.split('\n').nth(1).unwrap_or_default();
        prop_assert!(
            !path_line.split('/').any(|s| s == "." || s == ".."),
            "dot segment left in {path_line:?}"
        );
        tally.trailing_dot.fetch_add(1, Ordering::Relaxed);
    }

    // S3 signs the path as sent: a target written raw signs as its wire form, so a caller
    // need not escape it first.
    if !signer.settings().normalize_path && sent != case.raw_target {
        let raw = canreq_request(case, &case.raw_target);
        let raw_signature = if header_form {
            signer
                .sign(&raw, payload(&case.body))
                .map(|s| s.signature().to_owned())
        } else {
            let p = signer.presign(&raw, payload(&case.body), case.expires);
            p.map(|p| p.signature().to_owned())
        };
        prop_assert_eq!(
            raw_signature.ok(),
            Some(signature),
            "raw target signs differently"
        );
    }
    tally.agreed.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn run(header_form: bool, seed: u64) {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let tally = Tally::default();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(header_form), |case| check(&case, header_form, &tally));
    result.unwrap_or_else(|e| panic!("{e}"));
    let agreed = tally.agreed.load(Ordering::Relaxed);
    assert_eq!(agreed, CASES as usize, "every case must have been compared");
    let form = if header_form { "header" } else { "query" };
    println!(
        "differential aws-sigv4 ({form}): {agreed} agreed, {} with '+' checked as AWS behaviour, \
         {} with tabs in header values, {} with a trailing dot segment, {} S3 paths checked \
         as the key encoded once",
        tally.plus.load(Ordering::Relaxed),
        tally.tab.load(Ordering::Relaxed),
        tally.trailing_dot.load(Ordering::Relaxed),
        tally.s3_key.load(Ordering::Relaxed),
    );
}

#[test]
fn header_form_agrees_with_aws_sigv4() {
    run(true, 0x5167_7634_6865_6164);
}

#[test]
fn query_form_agrees_with_aws_sigv4() {
    run(false, 0x5167_7634_7175_6572);
}

/// The departures above, and one aws-sigv4 cannot be given an equivalent request for, pinned
/// to exact canonical lines: those of aws-c-auth (which decodes `%XY` escapes to bytes and
/// re-encodes them, `+` being an ordinary byte) for query and path, and of botocore and the
/// AWS SDK for Java for tabs.
#[test]
fn aws_sigv4_departures_are_signed_the_aws_way() {
    let creds = Credentials::new(AKID, "secret").expect("credentials");
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").expect("scope"),
        SigningTime::parse(AMZ_DATE).expect("time"),
    );
    // Lines 1, 2 and 5: path, query, the `x-note` header.
    let canonical = |target: &str, header: &str| {
        let req = Request::new("GET", target)
            .header("Host", "example.amazonaws.com")
            .header("X-Note", header);
        let signed = signer.sign(&req, Payload::Empty).expect("sign");
        let text = signed.steps().canonical_request().as_str().to_owned();
        let line = |i: usize| text.split('\n').nth(i).unwrap_or_default().to_owned();
        (line(1), line(2), line(5))
    };

    // `+` is a literal plus in a query (aws-sigv4: a space, `%20`).
    let (_, query, _) = canonical("/?a+b=c+d&e=%2B", "x");
    assert_eq!(query, "a%2Bb=c%2Bd&e=%2B");
    // Tabs fold like spaces (aws-sigv4: kept).
    let (_, _, note) = canonical("/", "\tone\ttwo \t three\t");
    assert_eq!(note, "x-note:one two three");
    // A trailing dot segment leaves no trailing slash (aws-sigv4: `/a/` and `/a/b/`).
    assert_eq!(canonical("/a/b/..", "x").0, "/a");
    assert_eq!(canonical("/a/b/.", "x").0, "/a/b");
    assert_eq!(canonical("/a/b/../", "x").0, "/a/");
    // An escape of a byte that is not UTF-8 stays that byte. aws-sigv4 decodes the query into
    // UTF-8 lossily and signs U+FFFD (`%EF%BF%BD`) instead, a parameter that was never sent;
    // no equivalent request avoids that, so this case has no aws-sigv4 counterpart.
    let (_, query, _) = canonical("/?k=%FF&%c3%28=%fe", "x");
    assert_eq!(query, "%C3%28=%FE&k=%FF");
}

//! aws-sigv4 (its `sigv4a` feature) signs random requests with SigV4a; canreq's verifier
//! accepts every one, and refuses every one with one byte changed.
//!
//! Each form (Authorization header, presigned query) signs 300 requests with aws-sigv4: random
//! methods, services (S3 rules and others), region sets (one region, several, `*`), session
//! tokens, paths and queries of unreserved characters and `%20`, signed headers with values
//! of several words, bodies signed by hash, `UNSIGNED-PAYLOAD` or a precomputed hash. The
//! request as aws-sigv4 leaves it (its headers or query parameters added) goes to a canreq
//! verifier whose store holds the secret, and must verify; then one byte of it (the path, the
//! query, a signed header value, the region set, the date, the signature, or a signed body)
//! is changed and it must be refused. aws-sigv4's own departures from AWS (`+` in queries,
//! tabs, dot segments; see `differential_aws_sigv4`) are kept out of the requests, so every
//! request is one AWS would canonicalize as aws-sigv4 does.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings as AwsSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4a;
use aws_smithy_runtime_api::client::identity::Identity;
use canreq::verify::{Accept, PayloadMode, Verifier};
use canreq::{Algorithm, Credentials, Request, SigningTime};

use crate::common::Rng;
use crate::verify_round_trip::alphanumeric_positions;

const AKID: &str = "AKIDEXAMPLE";
const UNIX: u64 = 1_440_938_160; // 20150830T123600Z
const PER_FORM: usize = 300;

/// A random request, and what it is signed with.
#[derive(Debug, Clone)]
struct Case {
    service: &'static str,
    region_set: String,
    secret: String,
    token: Option<String>,
    method: &'static str,
    target: String,
    headers: Vec<(String, String)>,
    body: Body,
    query_form: bool,
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Unsigned,
    Precomputed(Vec<u8>),
}

fn word(rng: &mut Rng, alphabet: &[u8], max: usize) -> String {
    (0..1 + rng.below(max))
        .map(|_| char::from(*rng.pick(alphabet)))
        .collect()
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const UNRESERVED: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~";

fn case(rng: &mut Rng, query_form: bool) -> Case {
    let service = *rng.pick(&["s3", "s3", "execute-api", "events", "service"]);
    let region_set = match rng.below(3) {
        0 => "*".to_owned(),
        1 => rng.pick(&["us-east-1", "eu-west-1"]).to_string(),
        _ => "us-east-1,us-west-2".to_owned(),
    };
    let segments: Vec<String> = (0..1 + rng.below(3))
        .map(|_| {
            let mut s = word(rng, UNRESERVED, 8);
            if rng.chance(20) {
                s.push_str("%20");
                s.push_str(&word(rng, ALNUM, 3));
            }
            s
        })
        .collect();
    let mut target = format!("/{}", segments.join("/"));
    if rng.chance(60) {
        let params: Vec<String> = (0..1 + rng.below(3))
            .map(|_| format!("{}={}", word(rng, UNRESERVED, 6), word(rng, UNRESERVED, 6)))
            .collect();
        target = format!("{target}?{}", params.join("&"));
    }
    let mut headers = vec![("host".to_owned(), "example.amazonaws.com".to_owned())];
    for name in ["x-amz-meta-color", "content-type", "x-custom"] {
        if rng.chance(50) {
            let value = (0..1 + rng.below(3))
                .map(|_| word(rng, ALNUM, 6))
                .collect::<Vec<_>>()
                .join(" ");
            headers.push((name.to_owned(), value));
        }
    }
    let method = *rng.pick(&["GET", "PUT", "POST", "DELETE"]);
    let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
    let body = match (query_form, rng.below(3)) {
        // Presigned URLs sign UNSIGNED-PAYLOAD for S3 and the body's hash elsewhere, as the
        // verifier reads them by default.
        (true, _) if service == "s3" => Body::Unsigned,
        (true, _) | (false, 0) => Body::Bytes(bytes),
        // Only S3's signers send `x-amz-content-sha256`, without which a server cannot know
        // the payload was signed unsigned.
        (false, 1) if service == "s3" => Body::Unsigned,
        (false, _) => Body::Precomputed(bytes),
    };
    Case {
        service,
        region_set,
        secret: word(rng, ALNUM, 40),
        token: rng.chance(30).then(|| word(rng, ALNUM, 30)),
        method,
        target,
        headers,
        body,
        query_form,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A request as sent: target, headers, body.
type Sent = (String, Vec<(String, String)>, Vec<u8>);

/// The request as sent: target and headers with aws-sigv4's signature added, and the body.
fn aws_signed(case: &Case) -> Sent {
    let identity: Identity =
        AwsCredentials::new(AKID, &case.secret, case.token.clone(), None, "differential").into();
    let mut settings = AwsSettings::default();
    if case.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if case.query_form {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(900));
    }
    let params = v4a::SigningParams::builder()
        .identity(&identity)
        .region_set(&case.region_set)
        .name(case.service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(UNIX))
        .settings(settings)
        .build()
        .expect("aws-sigv4 params")
        .into();
    let (body, signable) = match &case.body {
        Body::Bytes(b) => (b.clone(), SignableBody::Bytes(b)),
        Body::Unsigned => (Vec::new(), SignableBody::UnsignedPayload),
        Body::Precomputed(b) => (b.clone(), SignableBody::Precomputed(sha256_hex(b))),
    };
    let uri = format!("https://example.amazonaws.com{}", case.target);
    let headers = case.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let request =
        SignableRequest::new(case.method, uri, headers, signable).expect("aws-sigv4 request");
    let (instructions, _) = aws_sigv4::http_request::sign(request, &params)
        .expect("aws-sigv4 sign")
        .into_parts();
    let mut target = case.target.clone();
    for (name, value) in instructions.params() {
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str(name);
        target.push('=');
        target.push_str(&encode_param(value));
    }
    let mut headers = case.headers.clone();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    (target, headers, body)
}

/// A query parameter value as a URL carries it (SigV4's encoding).
fn encode_param(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn verify(
    case: &Case,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<PayloadMode, String> {
    let mut creds = Credentials::new(AKID, case.secret.as_str()).unwrap();
    if let Some(token) = &case.token {
        creds = creds.with_session_token(token.as_str()).unwrap();
    }
    let verifier = Verifier::new(move |akid: &str| (akid == AKID).then(|| creds.clone())).regions(
        Accept::Only(vec![
            "us-west-2".into(),
            "eu-west-1".into(),
            "us-east-1".into(),
        ]),
    );
    let mut req = Request::new(case.method, target);
    for (n, v) in headers {
        req.push_header(n, v);
    }
    let now = SigningTime::from_unix_seconds(UNIX as i64 + 30).unwrap();
    match verifier.verify(&req, body, now) {
        Ok(verified) if verified.algorithm() == Algorithm::EcdsaP256Sha256 => {
            Ok(verified.payload())
        }
        Ok(verified) => Err(format!("verified as {}", verified.algorithm())),
        Err(e) => Err(e.to_string()),
    }
}

/// Another byte for `b`, never an equivalent one: alphanumerics stay alphanumeric and change
/// their lowercase form (a header name's or a hex digit's case is not significant).
fn other(b: u8) -> u8 {
    match b.to_ascii_lowercase() {
        b'q' => b'r',
        b'0'..=b'9' => b'0' + (b - b'0' + 1) % 10,
        _ => b'q',
    }
}

/// Changes the `pick`-th alphanumeric byte of `text` within `range`, outside `%XY` escapes.
fn change(text: &str, range: std::ops::Range<usize>, pick: usize) -> Option<String> {
    let eligible = alphanumeric_positions(text, range);
    let &at = eligible.get(pick % eligible.len().max(1))?;
    let mut out = text.as_bytes().to_vec();
    out[at] = other(out[at]);
    String::from_utf8(out).ok()
}

/// One byte of the request changed where it is signed: the `kind`-th part.
fn tampered(case: &Case, (target, headers, body): &Sent, kind: usize, pick: usize) -> Option<Sent> {
    let (mut target, mut headers, mut body) = (target.clone(), headers.clone(), body.clone());
    let header = |headers: &mut Vec<(String, String)>,
                  name: &str,
                  within: fn(&str) -> std::ops::Range<usize>| {
        let slot = headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        let range = within(&slot.1);
        slot.1 = change(&slot.1, range, pick)?;
        Some(())
    };
    let param = |target: &mut String, name: &str| {
        let start = target.find(&format!("{name}="))? + name.len() + 1;
        let end = target[start..]
            .find('&')
            .map_or(target.len(), |i| start + i);
        *target = change(target, start..end, pick)?;
        Some(())
    };
    let path_end = target.find('?').unwrap_or(target.len());
    match kind {
        0 => target = change(&target, 1..path_end, pick)?,
        1 => {
            let user_end = target.find("X-Amz-").map_or(target.len(), |i| i - 1);
            target = change(&target, path_end + 1..user_end, pick)?;
        }
        2 => {
            let names = ["x-amz-meta-color", "content-type", "x-custom"];
            let name = names
                .iter()
                .find(|n| headers.iter().any(|(h, _)| h == *n))?;
            header(&mut headers, name, |v| 0..v.len())?;
        }
        3 if case.query_form => param(&mut target, "X-Amz-Region-Set")?,
        3 => header(&mut headers, "x-amz-region-set", |v| 0..v.len())?,
        4 if case.query_form => param(&mut target, "X-Amz-Date")?,
        4 => header(&mut headers, "x-amz-date", |v| 0..v.len())?,
        5 if case.query_form => param(&mut target, "X-Amz-Signature")?,
        5 => header(&mut headers, "authorization", |v| {
            v.find("Signature=").map_or(0..0, |i| i + 10..v.len())
        })?,
        _ => {
            if matches!(case.body, Body::Unsigned) || body.is_empty() {
                return None;
            }
            let at = pick % body.len();
            body[at] ^= 1 << (pick % 8);
        }
    }
    Some((target, headers, body))
}

fn run(query_form: bool, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut changed = 0;
    for i in 0..PER_FORM {
        let case = case(&mut rng, query_form);
        let sent = aws_signed(&case);
        if let Err(e) = verify(&case, &sent.0, &sent.1, &sent.2) {
            panic!("case {i}: aws-sigv4's signature refused: {e}\n{case:?}\n{sent:?}");
        }
        for kind in 0..7 {
            let Some(bad) = tampered(&case, &sent, kind, rng.next() as usize) else {
                continue;
            };
            changed += 1;
            assert!(
                verify(&case, &bad.0, &bad.1, &bad.2).is_err(),
                "case {i}: changed part {kind} accepted\n{case:?}\n{bad:?}"
            );
        }
    }
    assert!(changed >= PER_FORM * 4, "only {changed} changes were made");
    eprintln!(
        "aws-sigv4 sigv4a ({}): {PER_FORM} signed requests verified, {changed} one-byte changes refused",
        if query_form { "query" } else { "header" }
    );
}

#[test]
fn canreq_verifies_aws_sigv4s_sigv4a_headers_and_refuses_any_change() {
    run(false, 0x5147_4134);
}

#[test]
fn canreq_verifies_aws_sigv4s_sigv4a_presigned_urls_and_refuses_any_change() {
    run(true, 0x5147_4135);
}

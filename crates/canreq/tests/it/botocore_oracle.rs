//! botocore as a second, independent signing oracle (the AWS suite is the first and the
//! authority).
//!
//! Seeded random requests are signed by canreq and by botocore's `SigV4Auth`, `S3SigV4Auth`,
//! `SigV4QueryAuth` and `S3SigV4QueryAuth` at the same frozen time; one Python process
//! (`botocore_oracle/botocore_sign.py`) signs them all. The canonical request, the string to sign,
//! the signature and the request as sent (headers, or the presigned URL) must agree.
//!
//! botocore does not follow AWS's documented rules everywhere. Where it does not, the generator
//! (`botocore_oracle/cases.rs`) stays inside what botocore gets right, or canreq is configured the
//! way botocore behaves (`settings` here); each such place has a comment naming the botocore
//! behaviour. Everything else is generated freely.
//!
//! `CANREQ_ORACLE_SEED` replays or explores another seed.
//!
//! `sigv4a_reverse` signs the same cases with SigV4a and has them checked in Python; it shares
//! the generator, canreq's side and the script runner here.

pub(crate) mod cases;
use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::s3_path::percent_decode;
use canreq::{Algorithm, Credentials, Payload, Request, Scope, Signer, SigningSettings};
use cases::{Body, Case, KINDS, gen_case};
use common::Rng;
use serde_json::Value;

const SEED: u64 = 0x0b07_0c0e_5167_0004;
const PER_SIGNER: usize = 150;

// ---- canreq's side -------------------------------------------------------------------------

/// What canreq made of a case.
pub(crate) struct Ours {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    /// SigV4a: the public key of the derived key, uncompressed, in hex.
    pub public_key: Option<String>,
    /// Header form: the request headers after the signature headers are applied.
    pub headers: Vec<(String, String)>,
    /// Query form: the presigned target.
    pub target: String,
}

pub(crate) fn settings(case: &Case) -> SigningSettings {
    // botocore's unsigned-header list, not canreq's (see `HEADER_NAMES` in cases.rs).
    let mut settings = SigningSettings::for_service(case.service)
        .unsign_header("baggage")
        .and_then(|s| s.unsign_header("traceparent"))
        .and_then(|s| s.unsign_header("tracestate"))
        .unwrap()
        .sign_header("proxy-connection");
    if case.payload == Body::Unsigned && !case.kind.query() {
        // botocore sends `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD` whenever it does not sign
        // the payload, outside S3 too.
        settings.content_sha256_header = true;
    }
    settings
}

fn canreq_sign(case: &Case) -> Result<Ours, canreq::Error> {
    let scope = Scope::new(case.region, case.service)?;
    canreq_sign_as(case, scope, Algorithm::HmacSha256)
}

/// The case signed by canreq for `scope` with `algorithm` (SigV4a takes a region-set scope).
pub(crate) fn canreq_sign_as(
    case: &Case,
    scope: Scope,
    algorithm: Algorithm,
) -> Result<Ours, canreq::Error> {
    let mut creds = Credentials::new(&*case.access_key, &*case.secret)?;
    if let Some(token) = &case.token {
        creds = creds.with_session_token(&**token)?;
    }
    let signer = Signer::new(&creds, scope, case.time)
        .with_settings(settings(case))
        .with_algorithm(algorithm);
    let mut request = Request::new(case.method, &case.target);
    for (name, value) in &case.headers {
        request.push_header(name, value);
    }
    let payload = match (case.payload, &case.body) {
        (Body::Hashed, None) => Payload::Empty,
        (Body::Hashed, Some(body)) => Payload::Bytes(body),
        (Body::Unsigned, _) => Payload::Unsigned,
        (Body::Trailer, _) => Payload::StreamingUnsignedTrailer,
    };
    let ours = |steps: &canreq::Steps, headers, target| Ours {
        canonical_request: steps.canonical_request().as_str().to_owned(),
        string_to_sign: steps.string_to_sign().to_owned(),
        signature: steps.signature().to_owned(),
        public_key: steps.ecdsa_key().map(|k| k.public_key().to_hex()),
        headers,
        target,
    };
    if case.kind.query() {
        let presigned = signer.presign(&request, payload, case.expires)?;
        let target = presigned.target().to_owned();
        Ok(ours(presigned.steps(), case.headers.clone(), target))
    } else {
        let signed = signer.sign(&request, payload)?;
        let mut headers = case.headers.clone();
        signed.apply(&mut headers);
        Ok(ours(signed.steps(), headers, case.target.clone()))
    }
}

// ---- comparison ----------------------------------------------------------------------------

/// Header multiset, names lower-cased: botocore appends what it sets, canreq replaces in place.
pub(crate) fn header_set(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<_> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    out.sort();
    out
}

/// The headers a script answered with (`[[name, value], ...]`), as botocore left them.
pub(crate) fn headers_of(answer: &Value) -> Vec<(String, String)> {
    answer["headers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                .collect()
        })
        .unwrap_or_default()
}

/// A query parameter, key and value percent-decoded.
pub(crate) type DecodedParam = (Vec<u8>, Vec<u8>);

/// A query split into the presign parameters (raw, as written) and the caller's parameters
/// (decoded: botocore re-encodes them, canreq sends them as given).
pub(crate) fn split_query(query: &str) -> (Vec<String>, Vec<DecodedParam>) {
    let mut presign = Vec::new();
    let mut own = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        if piece.starts_with("X-Amz-") {
            presign.push(piece.to_owned());
        } else {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            own.push((percent_decode(k), percent_decode(v)));
        }
    }
    presign.sort();
    own.sort();
    (presign, own)
}

fn compare(case: &Case, ours: &Ours, theirs: &Value, out: &mut Vec<String>) {
    let field = |name: &str| theirs[name].as_str().unwrap_or("<missing>").to_owned();
    let mut check = |what: &str, ours: &dyn std::fmt::Debug, theirs: &dyn std::fmt::Debug| {
        let (o, t) = (format!("{ours:?}"), format!("{theirs:?}"));
        if o != t {
            out.push(format!("{what}\n    canreq:   {o}\n    botocore: {t}"));
        }
    };
    check(
        "canonical request",
        &ours.canonical_request,
        &field("canonical_request"),
    );
    check(
        "string to sign",
        &ours.string_to_sign,
        &field("string_to_sign"),
    );
    check("signature", &ours.signature, &field("signature"));
    let their_headers = headers_of(theirs);
    check(
        "headers as sent",
        &header_set(&ours.headers),
        &header_set(&their_headers),
    );
    if !case.kind.query() {
        let auth = |h: &[(String, String)]| {
            h.iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        check("Authorization", &auth(&ours.headers), &auth(&their_headers));
        return;
    }
    let url = field("url");
    let origin = format!("https://{}", case.host);
    let Some(their_target) = url.strip_prefix(&origin) else {
        out.push(format!("presigned URL {url:?} is not on {origin}"));
        return;
    };
    let split = |t: &str| -> (String, String) {
        let (p, q) = t.split_once('?').unwrap_or((t, ""));
        (p.to_owned(), q.to_owned())
    };
    let ((our_path, our_query), (their_path, their_query)) =
        (split(&ours.target), split(their_target));
    check("presigned URL path", &our_path, &their_path);
    check(
        "presign parameters",
        &split_query(&our_query).0,
        &split_query(&their_query).0,
    );
    check(
        "request parameters (decoded)",
        &split_query(&our_query).1,
        &split_query(&their_query).1,
    );
    let last = |q: &str| {
        q.rsplit('&')
            .next()
            .unwrap_or("")
            .split('=')
            .next()
            .map(str::to_owned)
    };
    check("last URL parameter", &last(&our_query), &last(&their_query));
}

// ---- the oracle ----------------------------------------------------------------------------

pub(crate) fn python() -> Option<PathBuf> {
    let why = match std::env::var_os("CANREQ_PYTHON") {
        None => "CANREQ_PYTHON is not set (a python with botocore)".to_owned(),
        Some(p) if !Path::new(&p).is_file() => {
            format!("CANREQ_PYTHON={} is not a file", Path::new(&p).display())
        }
        Some(p) => return Some(PathBuf::from(p)),
    };
    if common::in_ci() {
        panic!("{why}; in CI a missing peer is a failure");
    }
    eprintln!("skipped: {why}");
    None
}

/// Runs botocore_sign.py once over all cases; its answers, in case order.
fn botocore_sign(python: &Path, cases: &[Case]) -> Vec<Value> {
    let lines: Vec<Value> = cases.iter().map(Case::to_json).collect();
    run_script(python, "botocore_oracle/botocore_sign.py", &lines)
}

/// Runs `script` (under tests/it/) once, one JSON line in per case (each with its `id`), and
/// returns its answers: one JSON line per case, in the same order.
pub(crate) fn run_script(python: &Path, script: &str, cases: &[Value]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it")
        .join(script);
    let mut child = Command::new(python)
        .arg(&script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let mut input = String::new();
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    // Written from another thread: the script answers while it reads, and a full stdout pipe
    // would otherwise stall both sides.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    assert!(
        output.status.success(),
        "{} failed ({}; writing its input: {written:?})",
        script.display(),
        output.status
    );
    let text = String::from_utf8(output.stdout).expect("the script writes UTF-8");
    let answers: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    for (case, answer) in cases.iter().zip(&answers) {
        assert_eq!(answer["id"], case["id"], "answers in order");
    }
    answers
}

#[test]
fn canreq_and_botocore_sign_alike() {
    let Some(python) = python() else {
        return;
    };
    let seed = std::env::var("CANREQ_ORACLE_SEED")
        .ok()
        .map(|s| {
            let s = s.trim_start_matches("0x");
            u64::from_str_radix(s, 16).expect("CANREQ_ORACLE_SEED is hex")
        })
        .unwrap_or(SEED);
    let mut rng = Rng::new(seed);
    let cases: Vec<Case> = (0..PER_SIGNER * KINDS.len())
        .map(|id| gen_case(&mut rng, id, KINDS[id % KINDS.len()]))
        .collect();
    // The generator's reach, so that a change to it cannot quietly stop covering something.
    let mut reach = std::collections::BTreeMap::new();
    for case in &cases {
        for feature in cases::features(case) {
            *reach.entry(feature).or_insert(0usize) += 1;
        }
    }
    for feature in cases::FEATURES {
        assert!(reach.contains_key(feature), "no case has: {feature}");
    }
    let answers = botocore_sign(&python, &cases);

    let mut failures = Vec::new();
    let mut agreed = [0usize; 4];
    for (case, theirs) in cases.iter().zip(&answers) {
        let mut diffs = Vec::new();
        match (canreq_sign(case), theirs["error"].as_str()) {
            (Err(e), _) => diffs.push(format!("canreq refused it: {e}")),
            (_, Some(e)) => diffs.push(format!("botocore refused it: {e}")),
            (Ok(ours), None) => compare(case, &ours, theirs, &mut diffs),
        }
        if diffs.is_empty() {
            agreed[KINDS.iter().position(|&k| k == case.kind).unwrap()] += 1;
        } else {
            failures.push(format!(
                "case {} ({}, seed {seed:#x}):\n  {}\n  case: {}",
                case.id,
                case.kind.name(),
                diffs.join("\n  "),
                case.to_json()
            ));
        }
    }
    let total: usize = agreed.iter().sum();
    let per_kind: Vec<String> = KINDS
        .iter()
        .zip(agreed)
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect();
    println!(
        "botocore oracle: {total} agreed ({}) [botocore {}, seed {seed:#x}]",
        per_kind.join(", "),
        answers[0]["botocore"].as_str().unwrap_or("?"),
    );
    println!("cases with: {reach:?}");
    for failure in &failures {
        eprintln!("{failure}\n");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from botocore (listed above)",
        failures.len(),
        cases.len()
    );
    assert!(total >= 500, "only {total} cases compared");
}

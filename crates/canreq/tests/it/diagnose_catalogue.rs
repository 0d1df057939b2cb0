//! The catalogue names each mistake a real client makes: an independent SigV4 signer written in
//! Python from AWS's documentation (`diagnose/mistaken_signer.py`) signs with one mistake (or two)
//! switched on, and `canreq::diagnose::search` must name exactly that mistake from the request
//! and the secret alone.

use std::io::Write;
use std::process::{Command, Stdio};

use canreq::diagnose::{CauseCode, Verdict, search};
use canreq::{Credentials, Request};
use serde_json::{Value, json};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AMZ_DATE: &str = "20150830T123600Z";

/// The Python to run: `CANREQ_PYTHON` when set, else the machine's `python3` (the signer needs
/// only the standard library).
fn python() -> String {
    std::env::var("CANREQ_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// What the mistaken client sends as `Authorization` for `request` with `mistakes`.
fn mistaken_authorization(request: &Value, mistakes: &[&str]) -> String {
    let mut input = request.clone();
    input["mistakes"] = json!(mistakes);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/diagnose/mistaken_signer.py"
    );
    let mut child = Command::new(python())
        .arg(script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the mistaken signer failed for {mistakes:?}"
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// IAM, with a path to normalize and encode, an unsorted query with `+` and an escape, a header
/// name in mixed case and a value with blanks, and a session token.
fn iam_get() -> Value {
    json!({
        "method": "GET", "path": "/x/./y//a%20b", "s3": false,
        "query": "Version=2010-05-08&Action=ListUsers&Marker=a+b&PathPrefix=%2Fteam",
        "host": "iam.amazonaws.com",
        "headers": [
            ["Host", "iam.amazonaws.com"],
            ["X-Amz-Date", AMZ_DATE],
            ["X-Custom-Tag", "  two   spaces "],
        ],
        "token": "SESSION-TOKEN", "body": "",
        "akid": AKID, "secret": SECRET, "amz_date": AMZ_DATE,
        "region": "us-east-1", "service": "iam",
    })
}

/// STS, a form body whose hash is signed.
fn sts_post() -> Value {
    json!({
        "method": "POST", "path": "/", "s3": false, "query": "",
        "host": "sts.amazonaws.com",
        "headers": [
            ["Host", "sts.amazonaws.com"],
            ["Content-Type", "application/x-www-form-urlencoded"],
            ["X-Amz-Date", AMZ_DATE],
        ],
        "body": "Action=GetCallerIdentity&Version=2011-06-15",
        "akid": AKID, "secret": SECRET, "amz_date": AMZ_DATE,
        "region": "us-east-1", "service": "sts",
    })
}

/// S3, whose path is the object key encoded once.
fn s3_get() -> Value {
    json!({
        "method": "GET", "path": "/bucket/my%20report.pdf", "s3": true, "query": "",
        "host": "s3.amazonaws.com",
        "headers": [
            ["Host", "s3.amazonaws.com"],
            ["x-amz-content-sha256", "UNSIGNED-PAYLOAD"],
            ["X-Amz-Date", AMZ_DATE],
        ],
        "body": "",
        "akid": AKID, "secret": SECRET, "amz_date": AMZ_DATE,
        "region": "us-east-1", "service": "s3",
    })
}

/// What `search` concludes for `request` signed with `mistakes`.
fn diagnose(request: &Value, mistakes: &[&str]) -> (Verdict, Vec<CauseCode>) {
    let authorization = mistaken_authorization(request, mistakes);
    let query = request["query"].as_str().unwrap();
    let target = if query.is_empty() {
        request["path"].as_str().unwrap().to_owned()
    } else {
        format!("{}?{query}", request["path"].as_str().unwrap())
    };
    let mut received = Request::new(request["method"].as_str().unwrap(), &target);
    let headers: Vec<(String, String)> = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (name, value) in &headers {
        received.push_header(name, value);
    }
    if let Some(token) = request["token"].as_str() {
        received.push_header("X-Amz-Security-Token", token);
    }
    received.push_header("Authorization", &authorization);
    let mut creds = Credentials::new(AKID, SECRET).unwrap();
    if let Some(token) = request["token"].as_str() {
        creds = creds.with_session_token(token).unwrap();
    }
    let body = request["body"].as_str().unwrap().as_bytes();
    let diagnosis = search(&received, body, &creds).unwrap();
    (
        diagnosis.verdict,
        diagnosis.causes.iter().map(|c| c.code).collect(),
    )
}

#[test]
fn a_correct_signature_matches_and_needs_no_explanation() {
    for request in [iam_get(), sts_post(), s3_get()] {
        assert_eq!(diagnose(&request, &[]).0, Verdict::SignatureMatches);
    }
}

#[test]
fn every_catalogued_mistake_is_named() {
    let cases: [(Value, &str, CauseCode); 20] = [
        (
            sts_post(),
            "hmac-argument-order",
            CauseCode::HmacArgumentOrder,
        ),
        (sts_post(), "key-not-prefixed", CauseCode::KeyNotPrefixed),
        (sts_post(), "key-hex-step", CauseCode::KeyHexStep),
        (sts_post(), "scope-date-format", CauseCode::ScopeDateFormat),
        (
            sts_post(),
            "region-service-swapped",
            CauseCode::RegionServiceSwapped,
        ),
        (
            s3_get(),
            "path-double-encoded",
            CauseCode::PathDoubleEncoded,
        ),
        (iam_get(), "path-not-encoded", CauseCode::PathNotEncoded),
        (
            iam_get(),
            "path-not-normalized",
            CauseCode::PathNotNormalized,
        ),
        (iam_get(), "query-unsorted", CauseCode::QueryUnsorted),
        (
            iam_get(),
            "query-plus-as-space",
            CauseCode::QueryPlusAsSpace,
        ),
        (iam_get(), "query-not-encoded", CauseCode::QueryNotEncoded),
        (iam_get(), "header-name-case", CauseCode::HeaderNameCase),
        (
            iam_get(),
            "header-value-untrimmed",
            CauseCode::HeaderValueUntrimmed,
        ),
        (
            iam_get(),
            "signed-headers-unsorted",
            CauseCode::SignedHeadersUnsorted,
        ),
        (sts_post(), "canonical-newline", CauseCode::CanonicalNewline),
        (
            sts_post(),
            "payload-empty-hash",
            CauseCode::PayloadEmptyHash,
        ),
        (sts_post(), "payload-hex-case", CauseCode::PayloadHexCase),
        (sts_post(), "host-port", CauseCode::HostPort),
        (iam_get(), "token-signed", CauseCode::TokenSigned),
        (iam_get(), "token-not-signed", CauseCode::TokenNotSigned),
    ];
    let mut missed = Vec::new();
    for (request, mistake, code) in &cases {
        let (verdict, causes) = diagnose(request, &[mistake]);
        if verdict != Verdict::MistakeFound || causes != [*code] {
            missed.push(format!("{mistake}: {verdict:?} {causes:?}"));
        }
    }
    assert!(missed.is_empty(), "not named:\n{}", missed.join("\n"));
}

#[test]
fn a_pair_of_mistakes_is_named_together() {
    let (verdict, causes) = diagnose(&iam_get(), &["path-not-normalized", "hmac-argument-order"]);
    assert_eq!(verdict, Verdict::MistakeFound);
    assert_eq!(
        causes,
        [CauseCode::PathNotNormalized, CauseCode::HmacArgumentOrder]
    );
}

#[test]
fn another_secret_is_not_mistaken_for_a_catalogued_mistake() {
    let mut request = sts_post();
    request["secret"] = json!("another-secret");
    let (verdict, causes) = diagnose(&request, &[]);
    assert_eq!((verdict, causes), (Verdict::NoKnownMistake, vec![]));
}

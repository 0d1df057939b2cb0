//! Issue 25: `canreq gateway` in front of a recording upstream. boto3, the AWS CLI and curl
//! `--aws-sigv4` requests pass through with their bodies intact, the client's signature taken
//! out and the verified identity put in; each with one byte changed (a header, the path, the
//! body) is refused in its service's words, and the upstream's count of complete requests
//! does not move.

use crate::clients;
use crate::peer;

use clients::{
    AKID, KEY, OBJECT_PATH, SECRET, Serve, TEMP_AKID, TEMP_KEY, TEMP_SECRET, TOKEN, aws, boto,
    curl, python, refused, sha256_hex, wire_status,
};
use peer::{Recorded, Recorder};

/// What serve_client.py puts.
const OBJECT: &[u8] = b"hello from boto3 to canreq serve\n";

/// The key file: a permanent key (principal named) and a temporary one.
pub fn key_file() -> String {
    format!(
        "[[keys]]\naccess_key_id = \"{AKID}\"\nsecret_access_key = \"{SECRET}\"\n\
         principal = \"team-a\"\n\n\
         [[keys]]\naccess_key_id = \"{TEMP_AKID}\"\nsecret_access_key = \"{TEMP_SECRET}\"\n\
         session_token = \"{TOKEN}\"\n"
    )
}

/// `aws s3api put-object` of object.txt to `key`.
fn put_object(key: &str) -> [&str; 8] {
    [
        "s3api",
        "put-object",
        "--bucket",
        "canreq-bucket",
        "--key",
        key,
        "--body",
        "object.txt",
    ]
}

/// The request reached the upstream as a verified request should: no client signature or
/// token, the identity the gateway vouches for.
fn assert_forwarded(what: &str, got: &Recorded, akid: &str, principal: &str) {
    for gone in ["authorization", "x-amz-security-token"] {
        assert_eq!(
            got.header(gone),
            None,
            "{what}: {gone} reached the upstream"
        );
    }
    assert!(
        !got.target.contains("X-Amz-Signature"),
        "{what}: {}",
        got.target
    );
    assert_eq!(got.header("x-canreq-access-key"), Some(akid), "{what}");
    assert_eq!(got.header("x-canreq-principal"), Some(principal), "{what}");
    assert_eq!(got.header("x-forwarded-for"), Some("127.0.0.1"), "{what}");
}

#[test]
fn boto3_aws_cli_and_curl_pass_through_with_their_bodies() {
    let Some(python) = python() else { return };
    let upstream = Recorder::start();
    let gateway = Serve::gateway("clients", &upstream.url(), &key_file(), &[]);

    // S3 PUT: the body covered by a declared x-amz-content-sha256, streamed through.
    let a = boto(&python, &gateway, KEY, "s3-put", &[]);
    assert_eq!(a.status, 200, "{}", a.all);
    let got = upstream.last();
    assert_eq!(
        (got.method.as_str(), got.target.as_str()),
        ("PUT", OBJECT_PATH)
    );
    assert_eq!(got.body, OBJECT);
    assert_forwarded("boto3 PutObject", &got, AKID, "team-a");

    // And back: the upstream's answer streamed to the client.
    let a = boto(&python, &gateway, KEY, "s3-get", &[]);
    assert_eq!(a.status, 200, "{}", a.all);
    assert_eq!(a.body.as_bytes(), OBJECT, "{}", a.all);

    // A larger body, several times the part held back.
    let a = boto(&python, &gateway, KEY, "s3-put", &["--size", "3000000"]);
    assert_eq!(a.status, 200, "{}", a.all);
    let got = upstream.last();
    assert_eq!(got.body.len(), 3_000_000);
    assert_eq!(
        got.header("x-amz-content-sha256"),
        Some(sha256_hex(&got.body).as_str()),
        "the body arrived as it was signed"
    );

    // IAM: a form body signed by its own hash, held until the signature matched.
    let a = boto(&python, &gateway, KEY, "iam-list-users", &[]);
    assert_eq!(a.status, 200, "{}", a.all);
    let got = upstream.last();
    assert_eq!(got.method, "POST");
    assert_eq!(
        std::str::from_utf8(&got.body).unwrap(),
        "Action=ListUsers&Version=2010-05-08"
    );
    assert_forwarded("boto3 IAM ListUsers", &got, AKID, "team-a");

    // A temporary key: its token is checked, and not passed on.
    let a = boto(&python, &gateway, TEMP_KEY, "sts-get-caller-identity", &[]);
    assert_eq!(a.status, 200, "{}", a.all);
    assert_forwarded(
        "boto3 STS with a token",
        &upstream.last(),
        TEMP_AKID,
        TEMP_AKID,
    );

    // The AWS CLI.
    let text = "hello from the AWS CLI\n";
    std::fs::write(gateway.dir.path().join("object.txt"), text).unwrap();
    let put = put_object("cli.txt");
    let out = aws(&python, &gateway, &put, None, None);
    out.expect_code(0, "aws s3api put-object through the gateway");
    let got = upstream.last();
    assert_eq!(got.target, "/canreq-bucket/cli.txt");
    assert_eq!(got.body, text.as_bytes());
    assert_forwarded("aws s3api put-object", &got, AKID, "team-a");

    // curl --aws-sigv4: an S3 PUT with its hash declared, and an API call signed by its body.
    let user = format!("{AKID}:{SECRET}");
    let body = b"hello from curl --aws-sigv4\n";
    let file = gateway.dir.path().join("curl.txt");
    std::fs::write(&file, body).unwrap();
    let data = format!("@{}", file.display());
    let hash = format!("x-amz-content-sha256: {}", sha256_hex(body));
    let put = ["-X", "PUT", "--data-binary", &data, "-H", &hash];
    let (status, answer) = curl(&gateway, "s3", &user, &put, "/canreq-bucket/curl.txt");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(upstream.last().body, body);
    let post = [
        "--data-binary",
        r#"{"q":"curl"}"#,
        "-H",
        "Content-Type: application/json",
    ];
    let (status, answer) = curl(&gateway, "execute-api", &user, &post, "/prod/items");
    assert_eq!(status, 200, "{answer}");
    let got = upstream.last();
    assert_eq!(
        (got.method.as_str(), got.body.as_slice()),
        ("POST", &br#"{"q":"curl"}"#[..])
    );
    assert_forwarded("curl execute-api POST", &got, AKID, "team-a");
    assert_eq!(upstream.count(), 8, "{:#?}", upstream.requests());
}

#[test]
fn one_changed_byte_is_refused_and_nothing_reaches_the_upstream() {
    let Some(python) = python() else { return };
    let upstream = Recorder::start();
    let gateway = Serve::gateway("tamper", &upstream.url(), &key_file(), &[]);
    let cases: [(&str, &[&str], u16, &str); 7] = [
        (
            "s3-put",
            &["--tamper", "body"],
            400,
            "XAmzContentSHA256Mismatch",
        ),
        (
            "s3-put",
            &["--tamper", "body", "--size", "3000000"],
            400,
            "XAmzContentSHA256Mismatch",
        ),
        (
            "s3-put",
            &["--tamper", "path"],
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "s3-put",
            &["--tamper", "header:X-Amz-Content-SHA256"],
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "iam-list-users",
            &["--tamper", "body"],
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "ssm-get-parameter",
            &["--tamper", "header:X-Amz-Target"],
            400,
            "InvalidSignatureException",
        ),
        (
            "sts-get-caller-identity",
            // The last character of the date: no longer a date at all.
            &["--tamper", "header:X-Amz-Date"],
            403,
            "AccessDenied",
        ),
    ];
    for (scenario, extra, status, code) in cases {
        let what = format!("{scenario} {extra:?}");
        let a = boto(&python, &gateway, KEY, scenario, extra);
        refused(&what, a.status, &a.body, status, code);
        assert_eq!(a.client_code(), Some(code), "{what}");
    }
    // The AWS CLI with the tamper plugin.
    std::fs::write(gateway.dir.path().join("object.txt"), "x".repeat(1000)).unwrap();
    let config = gateway.dir.path().join("config");
    std::fs::write(&config, "[plugins]\ncanreq_tamper = serve_client\n").unwrap();
    let put = put_object("k.txt");
    let out = aws(&python, &gateway, &put, Some(&config), Some("body"));
    assert_ne!(out.code, Some(0), "the CLI succeeded");
    assert_eq!(wire_status(&out, "PUT", "/canreq-bucket/k.txt"), 400);
    assert!(
        out.stderr.contains("(XAmzContentSHA256Mismatch)"),
        "{}",
        out.stderr
    );

    // curl with a wrong secret (a form body: the Query protocol's words).
    let user = format!("{AKID}:not-the-secret");
    let (status, answer) = curl(&gateway, "execute-api", &user, &["--data", "x=1"], "/p");
    refused(
        "curl with a wrong secret",
        status,
        &answer,
        403,
        "SignatureDoesNotMatch",
    );

    // Settle: an aborted upstream request is never counted, however late its connection ends.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(upstream.count(), 0, "{:#?}", upstream.requests());
}

//! The CLI's contract outside the happy path: one clear line and exit code 2 for bad input, 3 for
//! network failures, never a panic; and `demo`, completions and the man page.

use crate::peer;

use std::path::PathBuf;

// A private HOME and no AWS environment: the credential chain finds nothing and never
// leaves the machine.
use peer::{canreq, output_checked as run};

pub(crate) const AK: &str = "AKIDEXAMPLE";
pub(crate) const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub(crate) fn temp_home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canreq-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let home = temp_home("bad");
    let body_file = home.join("missing-body");
    let keys = ["--access-key", AK, "--secret-key", SK];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["sign", "GET", "ftp://example.com/"], "scheme \"ftp\""),
        (vec!["sign", "GET", "https://exa mple.com/"], "bad URL"),
        (vec!["sign", "GET", "https://h:70000/"], "bad host or port"),
        (
            vec!["sign", "GET", "https://iam.amazonaws.com/", "-H", "NoColon"],
            "bad header",
        ),
        (
            vec![
                "sign",
                "GET",
                "https://iam.amazonaws.com/",
                "-H",
                "X-A: a\u{1}b",
            ],
            "x-a",
        ),
        (
            vec![
                "sign",
                "GET",
                "https://iam.amazonaws.com/",
                "--date",
                "yesterday",
            ],
            "yesterday",
        ),
        (
            vec![
                "sign",
                "GET",
                "https://iam.amazonaws.com/",
                "--query",
                "--expires",
                "0",
            ],
            "0",
        ),
        (
            vec![
                "sign",
                "GET",
                "https://iam.amazonaws.com/",
                "--query",
                "--expires",
                "604801",
            ],
            "604801",
        ),
        (vec!["sign", "GET", "https://example.com/"], "--service"),
        (vec!["sign", "G T", "https://iam.amazonaws.com/"], "method"),
        (vec!["sign", "GET", "https://iam.amazonaws.com/%zz"], "%zz"),
        (
            vec!["sign", "--request-file", "/nonexistent/req.txt"],
            "/nonexistent/req.txt",
        ),
        (vec!["sign"], "METHOD and URL"),
        (
            vec![
                "presign",
                "GET",
                "https://iam.amazonaws.com/",
                "--expires",
                "-1",
            ],
            "-1",
        ),
        (
            vec![
                "sign",
                "GET",
                "https://iam.amazonaws.com/",
                "--unsign-header",
                "x-amz-meta-a",
            ],
            "x-amz-meta-a",
        ),
        (
            vec!["sign", "GET", "https://iam.amazonaws.com/", "--bogus-flag"],
            "--bogus-flag",
        ),
        (
            vec![
                "request",
                "PUT",
                "http://127.0.0.1:9/b/k",
                "--region",
                "us-east-1",
                "--service",
                "s3",
                "-d",
                "x",
                "--chunked",
                "--chunk-size",
                "100",
            ],
            "chunk size 100",
        ),
        (
            vec![
                "request",
                "PUT",
                "http://127.0.0.1:9/b/k",
                "--region",
                "us-east-1",
                "--service",
                "s3",
                "-d",
                "x",
                "--chunked",
                "--checksum",
                "md5",
            ],
            // clap names the value and offers the algorithms (as completion does).
            "invalid value 'md5' for '--checksum <ALG>'",
        ),
    ];
    for (args, needle) in cases {
        let with_keys = !args.contains(&"--bogus-flag");
        let mut cmd = canreq(&home);
        cmd.args(&args);
        if with_keys {
            cmd.args(keys);
        }
        let (out, stderr) = run(&mut cmd);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle:?} not in {stderr:?}"
        );
        assert!(!stderr.contains(SK), "{args:?}: secret in the message");
    }
    let (out, stderr) = run(canreq(&home)
        .args(["request", "PUT", "https://s3.amazonaws.com/b/k", "-d"])
        .arg(format!("@{}", body_file.display()))
        .args(keys));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing-body"), "{stderr}");
}

#[test]
fn missing_credentials_say_where_they_were_looked_for() {
    let home = temp_home("nocreds");
    let (out, stderr) = run(canreq(&home).args(["sign", "GET", "https://iam.amazonaws.com/"]));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for place in [
        "AWS_ACCESS_KEY_ID",
        "~/.aws/credentials",
        "SSO",
        "credential_process",
        "instance metadata",
    ] {
        assert!(stderr.contains(place), "{place} not named in {stderr}");
    }
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn network_failure_has_its_own_exit_code() {
    let home = temp_home("net");
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (out, stderr) = run(canreq(&home).args([
        "request",
        "GET",
        "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        "--endpoint-url",
        &format!("http://127.0.0.1:{port}"),
        "--access-key",
        AK,
        "--secret-key",
        SK,
    ]));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
}

#[test]
fn demo_accepts_the_signed_requests_and_refuses_the_tampered_one() {
    let home = temp_home("demo");
    let (out, stderr) = run(canreq(&home).arg("demo"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}\n{text}");
    for expected in [
        "=== 1. IAM ListUsers: GET, Query protocol ===",
        "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com",
        "content-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "=== 2. SSM GetParameter: POST, JSON protocol ===",
        "content-type;host;x-amz-date;x-amz-target",
        "\"verified\": true",
        "Endpoint's verdict: 400 InvalidSignatureException",
        "The canonical requests differ at line 7:",
        "signed by the client:    x-amz-target:AmazonSSM.GetParameter",
        "computed by the server:  x-amz-target:AmazonSSM.DeleteParameter",
        "=== 4. S3 GetObject through a Multi-Region Access Point: SigV4a ===",
        "(scope ",
        "Algorithm:         AWS4-ECDSA-P256-SHA256",
        "Region set:        * (an access point is valid in every region)",
        // The public key AWS's SigV4a suite derives from the example key.
        "Public key:        04b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518",
        "Private key:       <redacted",
        "Endpoint's verdict: 200, verified: AWS4-ECDSA-P256-SHA256, region set *",
        "The signed requests (SigV4 and SigV4a) were accepted and the changed one was refused.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.contains("/s3/aws4_request),"),
        "a region-less scope: {text}"
    );
    assert_eq!(text.matches("Endpoint's verdict: 200").count(), 3, "{text}");
}

#[test]
fn completions_and_man_page() {
    let home = temp_home("docs");
    for shell in ["bash", "zsh", "fish"] {
        let (out, stderr) = run(canreq(&home).args(["completions", shell]));
        assert!(out.status.success(), "{stderr}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("presign") && text.contains("endpoint-url"),
            "{shell}"
        );
    }
    let (out, _) = run(canreq(&home).arg("man"));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH canreq"));
}

#[test]
fn dry_run_prints_request_and_curl_without_sending() {
    let home = temp_home("dry");
    let (out, stderr) = run(canreq(&home).args([
        "request",
        "POST",
        "https://ssm.us-west-2.amazonaws.com/",
        "--target",
        "AmazonSSM.GetParameter",
        "-d",
        r#"{"Name":"x"}"#,
        "--dry-run",
        "--date",
        "20150830T123600Z",
        "--access-key",
        AK,
        "--secret-key",
        SK,
        "--session-token",
        "TOKEN-VALUE",
    ]));
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("POST / HTTP/1.1\nHost: ssm.us-west-2.amazonaws.com\n"),
        "{text}"
    );
    assert!(
        text.contains("Content-Type: application/x-amz-json-1.1"),
        "{text}"
    );
    assert!(
        text.contains("X-Amz-Target: AmazonSSM.GetParameter"),
        "{text}"
    );
    // The Authorization header is a secret header: the request and the curl command hide it,
    // and the steps on stderr say what it holds.
    assert!(
        stderr.contains(
            "Authorization:     AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/ssm/aws4_request"
        ),
        "{stderr}"
    );
    assert!(
        text.contains("\nAuthorization: <redacted: --show-secrets shows it>\n"),
        "{text}"
    );
    assert!(
        text.contains("curl -X POST https://ssm.us-west-2.amazonaws.com/"),
        "{text}"
    );
    assert!(
        text.contains("-H 'Authorization: <redacted: --show-secrets shows it>'"),
        "{text}"
    );
    assert!(
        !text.contains("TOKEN-VALUE") && !stderr.contains("TOKEN-VALUE"),
        "token shown"
    );
    assert!(stderr.contains("Canonical request:"), "{stderr}");

    // An aws-chunked upload has no curl equivalent; the dry run says what would be sent.
    let file = home.join("body.bin");
    std::fs::write(&file, vec![b'x'; 100_000]).unwrap();
    let (out, stderr) = run(canreq(&home).args([
        "request",
        "PUT",
        "https://s3.us-east-1.amazonaws.com/bucket/key",
        "-d",
        &format!("@{}", file.display()),
        "--chunked",
        "--checksum",
        "crc32c",
        "--dry-run",
        "--date",
        "20150830T123600Z",
        "--access-key",
        AK,
        "--secret-key",
        SK,
    ]));
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Content-Encoding: aws-chunked\n"), "{text}");
    assert!(
        text.contains("x-amz-decoded-content-length: 100000\n"),
        "{text}"
    );
    assert!(
        text.contains("x-amz-trailer: x-amz-checksum-crc32c\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: 100387 bytes on the wire, 2 chunk(s)"
        ),
        "{text}"
    );
    assert!(!text.contains("curl -X"), "{text}");
}

/// Cookie and Authorization are secrets (`canreq::SECRET_HEADERS`): `sign` and `request -v`
/// print them only with --show-secrets.
#[test]
fn cookie_and_authorization_are_shown_only_when_asked() {
    const COOKIE: &str = "session=COOKIE-SECRET";
    const BEARER: &str = "Bearer AUTHORIZATION-SECRET";
    let home = temp_home("secret-headers");
    let keys = [
        "--access-key",
        AK,
        "--secret-key",
        SK,
        "--date",
        "20150830T123600Z",
    ];
    let cookie = format!("Cookie: {COOKIE}");
    let bearer = format!("Authorization: {BEARER}");

    // Query form leaves a given Authorization header in the request, beside the signed Cookie.
    for format in ["text", "json"] {
        let sign = |show: &[&str]| {
            let (out, stderr) = run(canreq(&home)
                .args(["sign", "--query", "--format", format, "GET"])
                .args(["https://iam.amazonaws.com/", "-H", &cookie, "-H", &bearer])
                .args(keys)
                .args(show));
            assert!(out.status.success(), "{stderr}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let hidden = sign(&[]);
        assert!(
            !hidden.contains("COOKIE-SECRET") && !hidden.contains("AUTHORIZATION-SECRET"),
            "{format}: a secret header shown:\n{hidden}"
        );
        assert!(
            hidden.contains("<redacted: --show-secrets shows it>"),
            "{hidden}"
        );
        let shown = sign(&["--show-secrets"]);
        assert!(
            shown.contains(COOKIE) && shown.contains(BEARER),
            "{format}: --show-secrets hides a header:\n{shown}"
        );
    }

    // request -v prints the request it sends on stderr: its Authorization (the signature) and
    // Cookie headers are hidden.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", server.local_addr().unwrap());
    let answering = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        for _ in 0..2 {
            let (stream, _) = server.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
                line.clear();
            }
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
        }
    });
    let request = |show: &[&str]| {
        let (out, stderr) = run(canreq(&home)
            .args([
                "request",
                "-v",
                "GET",
                "https://iam.amazonaws.com/?Action=ListUsers",
            ])
            .args(["--endpoint-url", &endpoint, "-H", &cookie])
            .args(keys)
            .args(show));
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let hidden = request(&[]);
    assert!(!hidden.contains("COOKIE-SECRET"), "{hidden}");
    for line in [
        "> Cookie: <redacted: --show-secrets shows it>\n",
        "> Authorization: <redacted: --show-secrets shows it>\n",
    ] {
        assert!(hidden.contains(line), "missing {line:?} in:\n{hidden}");
    }
    let shown = request(&["--show-secrets"]);
    for line in [
        format!("> {cookie}\n"),
        "> Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/".to_owned(),
    ] {
        assert!(shown.contains(&line), "missing {line:?} in:\n{shown}");
    }
    answering.join().unwrap();
}

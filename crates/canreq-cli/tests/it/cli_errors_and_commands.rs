//! The CLI's contract outside the happy path: one clear line and exit code 2 for bad input, 3 for
//! network failures, never a panic; and `demo`, `verify`, completions and the man page.

use crate::peer;

use std::path::{Path, PathBuf};
use std::process::Output;

// A private HOME and no AWS environment: the credential chain finds nothing and never
// leaves the machine.
use peer::{canreq, output_checked as run};

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn temp_home(name: &str) -> PathBuf {
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
            "\"md5\"",
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
fn demo_accepts_both_requests_and_refuses_the_tampered_one() {
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
        "Endpoint's verdict: 403 SignatureDoesNotMatch",
        "The canonical requests differ at line 7:",
        "signed by the client:    x-amz-target:AmazonSSM.GetParameter",
        "computed by the server:  x-amz-target:AmazonSSM.DeleteParameter",
        "Both signed requests were accepted and the changed one was refused.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_eq!(text.matches("Endpoint's verdict: 200").count(), 2, "{text}");
}

#[test]
fn verify_checks_a_captured_request() {
    let home = temp_home("verify");
    // Sign with the CLI, write the signed request as raw HTTP, verify it, then tamper. The
    // capture needs the Authorization header as sent: --show-secrets.
    let (out, stderr) = run(canreq(&home).args([
        "sign",
        "--show-secrets",
        "POST",
        "https://sts.amazonaws.com/",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "-d",
        "Action=GetCallerIdentity&Version=2011-06-15",
        "--date",
        "20240102T030405Z",
        "--access-key",
        AK,
        "--secret-key",
        SK,
        "--format",
        "json",
    ]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut raw = "POST / HTTP/1.1\r\n".to_owned();
    for pair in v["headers"].as_array().unwrap() {
        raw.push_str(&format!(
            "{}: {}\r\n",
            pair[0].as_str().unwrap(),
            pair[1].as_str().unwrap()
        ));
    }
    raw.push_str("\r\nAction=GetCallerIdentity&Version=2011-06-15");
    let file = home.join("captured.http");
    std::fs::write(&file, &raw).unwrap();
    let verify = |file: &PathBuf, date: &str| {
        run(canreq(&home)
            .args(["verify", "--request-file"])
            .arg(file)
            .args(["--access-key", AK, "--secret-key", SK, "--date", date]))
    };
    let (out, stderr) = verify(&file, "request");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}{text}");
    assert!(text.contains("Verdict:           valid"), "{text}");
    assert!(
        text.contains("Scope:             20240102/us-east-1/sts"),
        "{text}"
    );

    // Now is years later: the same request is too old.
    let (out, _) = verify(&file, "2026-01-01T00:00:00Z");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("RequestTimeTooSkewed"));

    let tampered = home.join("tampered.http");
    std::fs::write(
        &tampered,
        raw.replace("GetCallerIdentity", "GetSessionToken"),
    )
    .unwrap();
    let (out, stderr) = verify(&tampered, "request");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Code:              SignatureDoesNotMatch (HTTP 403)"),
        "{text}"
    );
    assert!(text.contains("CanonicalRequest:\nPOST\n/\n"), "{text}");
    assert!(
        stderr.contains("invalid: SignatureDoesNotMatch"),
        "{stderr}"
    );
}

/// A streaming upload as a client would capture it: signed head, then the aws-chunked body.
/// Returns the head and the body.
fn chunked_capture(upload: canreq::chunked::StreamingUpload, data: &[u8]) -> (String, Vec<u8>) {
    let creds = canreq::Credentials::new(AK, SK).unwrap();
    let time = canreq::SigningTime::parse("20240102T030405Z").unwrap();
    let signer = canreq::Signer::new(&creds, canreq::Scope::new("us-east-1", "s3").unwrap(), time);
    let plan_headers = upload.headers(data.len() as u64);
    let mut request = canreq::Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    for (name, value) in &plan_headers {
        request.push_header(name, value);
    }
    let signed = signer.sign(&request, upload.payload()).unwrap();
    let mut body = Vec::new();
    let mut encoder = upload.encoder(&signed).unwrap();
    encoder.push(data, &mut body);
    encoder.finish(&mut body);
    let mut head = "PUT /bucket/key HTTP/1.1\r\nHost: s3.amazonaws.com\r\n".to_owned();
    for (name, value) in plan_headers.iter().chain(signed.headers()) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    (head, body)
}

/// `canreq verify` on a capture written to `home/name`: its output and stderr.
fn verify_capture(home: &Path, name: &str, capture: &[u8]) -> (Output, String) {
    let file = home.join(name);
    std::fs::write(&file, capture).unwrap();
    run(canreq(home)
        .args(["verify", "--request-file"])
        .arg(&file)
        .args(["--access-key", AK, "--secret-key", SK, "--date", "request"]))
}

#[test]
fn verify_checks_a_captured_chunked_upload() {
    use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
    let home = temp_home("verify-chunked");
    let upload = StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32c);
    let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (head, body) = chunked_capture(upload, &data);
    let capture =
        |name: &str, body: &[u8]| verify_capture(&home, name, &[head.as_bytes(), body].concat());
    let (out, stderr) = capture("chunked.http", &body);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}{text}");
    assert!(
        text.contains("Decoded body:      20000 bytes in 3 chunks, every signature checked"),
        "{text}"
    );
    assert!(text.contains("Checksum:          crc32c "), "{text}");

    // One data byte changed inside the second chunk: its signature no longer matches.
    let mut tampered = body.clone();
    let second_chunk_data = body.windows(2).position(|w| w == b"\r\n").unwrap() + 2 + 8192 + 2 + 90;
    tampered[second_chunk_data + 10] ^= 1;
    let (out, _) = capture("tampered-chunked.http", &tampered);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
}

#[test]
fn verify_says_what_covers_an_unsigned_trailer_body() {
    use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
    let home = temp_home("verify-unsigned-trailer");
    let data = vec![5u8; 10_000];
    let plain = StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192).unwrap();
    for (upload, covered) in [
        (
            plain.with_checksum(ChecksumAlgorithm::Sha256),
            "2 chunks, chunks unsigned, covered by the trailing checksum only",
        ),
        (
            plain,
            "2 chunks, chunks unsigned and no checksum: the data is not covered",
        ),
    ] {
        let (head, body) = chunked_capture(upload, &data);
        let (out, stderr) =
            verify_capture(&home, "unsigned.http", &[head.as_bytes(), &body].concat());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stderr}{text}");
        assert!(text.contains(covered), "{text}");
        assert!(!text.contains("every signature checked"), "{text}");
    }
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

#[test]
fn verify_reads_the_time_from_date_when_there_is_no_x_amz_date() {
    // The 2011 edition of AWS's suite (get-vanilla): the time only in a signed Date header.
    let home = temp_home("verify-date-header");
    let capture = "GET / HTTP/1.1\r\nHost: host.foo.com\r\nDate: Mon, 09 Sep 2011 23:36:00 GMT\r\n\
        Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, \
        SignedHeaders=date;host, Signature=b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470\r\n\r\n";
    let file = home.join("date.http");
    std::fs::write(&file, capture).unwrap();
    let (out, stderr) = run(canreq(&home)
        .args(["verify", "--format", "json", "--request-file"])
        .arg(&file)
        .args([
            "--access-key",
            "AKIDEXAMPLE",
            "--secret-key",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ])
        .args(["--date", "request"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["valid"], true, "{text}");
    // The suite's string to sign for this case.
    assert_eq!(
        answer["string_to_sign"],
        "AWS4-HMAC-SHA256\n20110909T233600Z\n20110909/us-east-1/host/aws4_request\n\
         366b91fb121d72a00f46bbe8d395f53a102b06dfb7e79636515208ed3fa606b1"
    );
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

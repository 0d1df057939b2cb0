//! `canreq explain` and the causes `verify` names: from `canreq serve`'s answer to a request
//! changed in flight (the test plays the proxy: a header rewritten or stripped, the path
//! re-encoded, the host changed), and from the request and the secret alone for a client that
//! really makes a mistake (an independent Python signer with the mistake written in).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::peer::{
    SERVE_AKID, SERVE_SECRET, TempDir, canreq, output_checked as run, serve_one_key,
};

const AMZ_DATE: &str = "20150830T123600Z";

/// `GET path` to `host`, signed now for S3 with a custom header: the request as the client sent
/// it, as raw HTTP (head only).
fn signed_s3_get(host: &str, path: &str) -> String {
    let creds = canreq::Credentials::new(SERVE_AKID, SERVE_SECRET).unwrap();
    let request = canreq::Request::new("GET", path)
        .header("Host", host)
        .header("X-Amz-Meta-Color", "blue")
        .header("X-Tag", "t");
    let signer = canreq::Signer::new(
        &creds,
        canreq::Scope::new("us-east-1", "s3").unwrap(),
        canreq::SigningTime::now(),
    );
    let signed = signer.sign(&request, canreq::Payload::Unsigned).unwrap();
    let mut head =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Amz-Meta-Color: blue\r\nX-Tag: t\r\n");
    for (name, value) in signed.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

/// Sends `head` (changed by `proxy`) to `port` and returns the answer's body.
fn send(port: u16, head: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(format!("{head}Connection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// A cause code, with the header it names.
type Named = (&'static str, Option<&'static str>);

/// `canreq explain --response … --request-file … --format json`: the cause codes, with the
/// header each names.
fn explain_codes(dir: &Path, answer: &str, sent: &str) -> Vec<(String, Option<String>)> {
    let (answer_file, sent_file) = (dir.join("answer.txt"), dir.join("sent.http"));
    std::fs::write(&answer_file, answer).unwrap();
    std::fs::write(&sent_file, format!("{sent}\r\n")).unwrap();
    let (out, stderr) = run(canreq(dir)
        .args(["explain", "--format", "json", "--response"])
        .arg(&answer_file)
        .arg("--request-file")
        .arg(&sent_file));
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "causes-found", "{report}");
    report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["header"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn a_request_changed_in_flight_is_explained_from_the_servers_answer() {
    let (serve, dir) = serve_one_key("explain-server-view", &[]);
    let host = format!("127.0.0.1:{}", serve.port);
    let sent = signed_s3_get(&host, "/bucket/a%20key?list=a%20b");
    let authorization = sent
        .lines()
        .find_map(|l| l.strip_prefix("Authorization: "))
        .unwrap()
        .to_owned();
    let amz_date = sent
        .lines()
        .find_map(|l| l.strip_prefix("X-Amz-Date: "))
        .unwrap()
        .to_owned();
    let one_second_later = canreq::SigningTime::from_unix_seconds(
        canreq::SigningTime::parse(&amz_date)
            .unwrap()
            .unix_seconds()
            + 1,
    )
    .unwrap();
    // Each change a proxy (or a client's own later step) makes, and the causes explain names.
    let changes: Vec<(&str, String, Vec<Named>)> = vec![
        (
            "header rewritten",
            sent.replace("X-Amz-Meta-Color: blue", "X-Amz-Meta-Color: red"),
            vec![("header-changed", Some("x-amz-meta-color"))],
        ),
        (
            "header stripped",
            sent.replace("X-Amz-Meta-Color: blue\r\n", ""),
            vec![("header-missing", Some("x-amz-meta-color"))],
        ),
        (
            "path re-encoded",
            sent.replace("/bucket/a%20key", "/bucket/a%2520key"),
            vec![("path-encoding", None)],
        ),
        (
            "path changed",
            sent.replace("/bucket/a%20key", "/bucket/other"),
            vec![("path", None)],
        ),
        (
            "host changed",
            sent.replace(&format!("Host: {host}"), "Host: proxy.internal"),
            vec![("host", Some("host"))],
        ),
        (
            "method changed",
            sent.replacen("GET ", "DELETE ", 1),
            vec![("method", None)],
        ),
        (
            "query changed",
            sent.replace("list=a%20b", "list=c"),
            vec![("query", None)],
        ),
        (
            "query re-encoded",
            sent.replace("list=a%20b", "list=a+b"),
            vec![("query-encoding", None)],
        ),
        (
            "payload hash changed",
            sent.replace(
                "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            vec![
                ("header-changed", Some("x-amz-content-sha256")),
                ("payload", None),
            ],
        ),
        (
            "time changed",
            sent.replace(&amz_date, one_second_later.amz_date()),
            vec![("header-changed", Some("x-amz-date")), ("clock", None)],
        ),
        (
            "scope region changed",
            sent.replace(
                &authorization,
                &authorization.replace("/us-east-1/", "/us-west-2/"),
            ),
            vec![("scope-region", None)],
        ),
        (
            "scope service changed",
            sent.replace(
                &authorization,
                &authorization.replace("/s3/aws4_request", "/s3-outposts/aws4_request"),
            ),
            vec![("scope-service", None)],
        ),
        (
            "signed header list cut",
            sent.replace(&authorization, &authorization.replace(";x-tag", "")),
            vec![("header-missing", Some("x-tag")), ("signed-headers", None)],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, changed, expected) in changes {
        let answer = send(serve.port, &changed);
        assert!(answer.contains("SignatureDoesNotMatch"), "{what}: {answer}");
        let codes = explain_codes(dir.path(), &answer, &sent);
        let expected: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(c, h)| (c.to_string(), h.map(str::to_owned)))
            .collect();
        if codes != expected {
            wrong.push(format!("{what}: {codes:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A request signed at `amz_date` by the independent Python signer with `mistakes`, as raw HTTP.
fn mistaken_capture(mistakes: &[&str], amz_date: &str) -> String {
    let request = serde_json::json!({
        "method": "POST", "path": "/", "s3": false, "query": "",
        "host": "sts.amazonaws.com",
        "headers": [
            ["Host", "sts.amazonaws.com"],
            ["Content-Type", "application/x-www-form-urlencoded"],
            ["X-Amz-Date", amz_date],
        ],
        "body": "Action=GetCallerIdentity&Version=2011-06-15",
        "akid": SERVE_AKID, "secret": SERVE_SECRET, "amz_date": amz_date,
        "region": "us-east-1", "service": "sts", "mistakes": mistakes,
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../canreq/tests/it/diagnose/mistaken_signer.py"
    );
    let python = std::env::var("CANREQ_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let authorization = String::from_utf8(out.stdout).unwrap();
    format!(
        "POST / HTTP/1.1\r\nHost: sts.amazonaws.com\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Amz-Date: {amz_date}\r\nContent-Length: 43\r\nAuthorization: {}\r\n\r\n\
         Action=GetCallerIdentity&Version=2011-06-15",
        authorization.trim()
    )
}

#[test]
fn a_clients_mistake_is_named_from_the_request_and_the_secret() {
    let dir = TempDir::new("explain-catalogue");
    let file = dir.path().join("mistaken.http");
    // The seeds' own case: crypto-js takes HMAC's key and message in the other order.
    std::fs::write(&file, mistaken_capture(&["hmac-argument-order"], AMZ_DATE)).unwrap();
    let (out, stderr) = run(canreq(dir.path())
        .args(["explain", "--request-file"])
        .arg(&file)
        .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}{text}");
    assert!(text.contains("hmac-argument-order"), "{text}");
    assert!(text.contains("crypto-js"), "{text}");

    // verify names it too, after the refusal.
    let (out, _) = run(canreq(dir.path())
        .args(["verify", "--request-file"])
        .arg(&file)
        .args([
            "--access-key",
            SERVE_AKID,
            "--secret-key",
            SERVE_SECRET,
            "--date",
            "request",
        ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Cause:             hmac-argument-order"),
        "{text}"
    );

    // A correct signature: nothing to explain.
    std::fs::write(&file, mistaken_capture(&[], AMZ_DATE)).unwrap();
    let (out, _) = run(canreq(dir.path())
        .args(["explain", "--format", "json", "--request-file"])
        .arg(&file)
        .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "signature-matches", "{report}");
}

/// `canreq serve` names the mistake in its refusal: it holds the secret.
#[test]
fn serve_names_the_clients_mistake_in_its_refusal() {
    let (serve, _dir) = serve_one_key("explain-serve", &["--explain"]);
    let now = canreq::SigningTime::now();
    let capture = mistaken_capture(&["key-not-prefixed"], now.amz_date());
    let (head, body) = capture.split_once("\r\n\r\n").unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    stream
        .write_all(format!("{head}\r\nConnection: close\r\n\r\n{body}").as_bytes())
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("SignatureDoesNotMatch"), "{answer}");
    assert!(
        answer.contains("<CanreqDiagnosis>key-not-prefixed: "),
        "{answer}"
    );
}

/// A one-connection relay on loopback that rewrites `from` into `to` in the request it passes
/// on to `port`, as a meddling proxy would; its address.
fn meddling_proxy(port: u16, from: &'static str, to: &'static str) -> String {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let changed = String::from_utf8_lossy(&head).replace(from, to);
        let mut server = TcpStream::connect(("127.0.0.1", port)).unwrap();
        server.write_all(changed.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = server.read_to_end(&mut answer);
        let _ = client.write_all(&answer);
    });
    address
}

/// `canreq request` whose signature is refused says why, from the server's answer.
#[test]
fn request_says_why_its_signature_was_refused() {
    let (serve, dir) = serve_one_key("explain-request", &[]);
    let request = |endpoint: &str, secret: &str| {
        run(canreq(dir.path())
            .args(["request", "https://s3.us-east-1.amazonaws.com/bucket/key"])
            .args(["-H", "X-Amz-Meta-Color: blue", "-H", "Connection: close"])
            .args(["--access-key", SERVE_AKID, "--secret-key", secret])
            .args(["--endpoint-url", endpoint]))
    };
    // A proxy rewrote a signed header on the way (hyper writes header names in lower case).
    let proxy = meddling_proxy(
        serve.port,
        "x-amz-meta-color: blue",
        "x-amz-meta-color: red",
    );
    let (out, stderr) = request(&proxy, SERVE_SECRET);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("why: header-changed (x-amz-meta-color)")
            && stderr.contains("server: \"red\", signed: \"blue\""),
        "{stderr}"
    );
    // Signed with another secret: the server computed the same steps.
    let (out, stderr) = request(&serve.endpoint(), "another-secret");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("why: secret-key: "), "{stderr}");
}

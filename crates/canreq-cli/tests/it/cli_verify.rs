//! `canreq verify` on captured requests: valid, too old, tampered; aws-chunked captures; the time
//! from `Date`; and the path rules a client signed with, told with the flags `sign` has.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli_errors_and_commands::{AK, SK, temp_home};
use crate::peer::{canreq, output_checked as run};

/// `canreq sign METHOD ARGS…` at a fixed time, written back as the raw request the client sent:
/// `METHOD TARGET`, the signed headers (Authorization as sent: --show-secrets), then `body`.
fn signed_capture(home: &Path, method: &str, target: &str, args: &[&str], body: &str) -> String {
    let (out, stderr) = run(canreq(home)
        .args(["sign", "--show-secrets", method])
        .args(args)
        .args([
            "--date",
            "20240102T030405Z",
            "--access-key",
            AK,
            "--secret-key",
            SK,
        ])
        .args(["--format", "json"]));
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut raw = format!("{method} {target} HTTP/1.1\r\n");
    for pair in v["headers"].as_array().unwrap() {
        raw.push_str(&format!(
            "{}: {}\r\n",
            pair[0].as_str().unwrap(),
            pair[1].as_str().unwrap()
        ));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    raw
}

#[test]
fn verify_checks_a_captured_request() {
    let home = temp_home("verify");
    // Sign with the CLI, write the signed request as raw HTTP, verify it, then tamper. The
    // capture needs the Authorization header as sent: --show-secrets.
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let raw = signed_capture(
        &home,
        "POST",
        "/",
        &[
            "https://sts.amazonaws.com/",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "-d",
            body,
        ],
        body,
    );
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

/// A streaming upload as a client would capture it: signed head (by the algorithm that signs
/// the chunks), then the aws-chunked body. Returns the head and the body.
fn chunked_capture(upload: canreq::chunked::StreamingUpload, data: &[u8]) -> (String, Vec<u8>) {
    let creds = canreq::Credentials::new(AK, SK).unwrap();
    let time = canreq::SigningTime::parse("20240102T030405Z").unwrap();
    let signer = canreq::Signer::new(&creds, canreq::Scope::new("us-east-1", "s3").unwrap(), time)
        .with_algorithm(upload.mode().chunk_algorithm().unwrap_or_default());
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
    let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for mode in [
        StreamingMode::SignedWithTrailer,
        StreamingMode::SignedV4aWithTrailer,
    ] {
        let upload = StreamingUpload::new(mode, 8192)
            .unwrap()
            .with_checksum(ChecksumAlgorithm::Crc32c);
        let (head, body) = chunked_capture(upload, &data);
        let capture = |name: &str, body: &[u8]| {
            verify_capture(&home, name, &[head.as_bytes(), body].concat())
        };
        let (out, stderr) = capture("chunked.http", &body);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{mode}: {stderr}{text}");
        assert!(
            text.contains("Decoded body:      20000 bytes in 3 chunks, every signature checked"),
            "{mode}: {text}"
        );
        assert!(text.contains("Checksum:          crc32c "), "{text}");
        assert!(text.contains(mode.marker()), "{text}");

        // One data byte changed inside the second chunk: its signature no longer matches.
        let line_end =
            |from: usize| from + body[from..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let second_chunk_data = line_end(line_end(0) + 8192 + 2);
        let mut tampered = body.clone();
        tampered[second_chunk_data + 10] ^= 1;
        let (out, _) = capture("tampered-chunked.http", &tampered);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{mode}: {text}");
        assert!(text.contains("SignatureDoesNotMatch"), "{mode}: {text}");
        assert!(text.contains("chunk 1"), "{mode}: {text}");
    }
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

/// A request signed with `sign --no-normalize-path` (or `--single-encoding`) for a service that
/// normalizes (and double-encodes) verifies only when `verify` is told the same.
#[test]
fn verify_takes_the_path_rules_the_client_signed_with() {
    let home = temp_home("verify-path-rules");
    for flag in ["--no-normalize-path", "--single-encoding"] {
        let raw = signed_capture(
            &home,
            "GET",
            "/stage/./a%20b//c",
            &[
                "https://execute-api.us-east-1.amazonaws.com/stage/./a%20b//c",
                flag,
            ],
            "",
        );
        let file = home.join("path-rules.http");
        std::fs::write(&file, &raw).unwrap();
        let verify = |extra: &[&str]| {
            run(canreq(&home)
                .args(["verify", "--request-file"])
                .arg(&file)
                .args(["--access-key", AK, "--secret-key", SK, "--date", "request"])
                .args(extra))
        };
        let (out, _) = verify(&[]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{flag}: {text}");
        assert!(text.contains("SignatureDoesNotMatch"), "{flag}: {text}");
        let (out, stderr) = verify(&[flag]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{flag}: {stderr}{text}");
        assert!(text.contains("Verdict:           valid"), "{flag}: {text}");
    }
}

/// A request signed for `body` (its hash in the canonical request: no x-amz-content-sha256),
/// as `(head lines without the blank line, body)`; `token` is signed when given.
fn signed_post(body: &[u8], token: Option<&str>) -> String {
    let mut creds = canreq::Credentials::new(AK, SK).unwrap();
    if let Some(token) = token {
        creds = creds.with_session_token(token).unwrap();
    }
    let time = canreq::SigningTime::parse("20240102T030405Z").unwrap();
    let scope = canreq::Scope::new("us-east-1", "sts").unwrap();
    let request = canreq::Request::new("POST", "/")
        .header("Host", "sts.amazonaws.com")
        .header("Content-Type", "application/x-www-form-urlencoded");
    let signed = canreq::Signer::new(&creds, scope, time)
        .sign(&request, canreq::Payload::Bytes(body))
        .unwrap();
    let mut head = "POST / HTTP/1.1\r\nHost: sts.amazonaws.com\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n"
        .to_owned();
    for (name, value) in signed.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

const FORM: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";

/// The verdict and the text `verify` printed for `capture`.
fn verdict(home: &Path, name: &str, capture: &[u8], extra: &[&str]) -> (Option<i32>, String) {
    let file = home.join(name);
    std::fs::write(&file, capture).unwrap();
    let (out, stderr) = run(canreq(home)
        .args(["verify", "--request-file"])
        .arg(&file)
        .args(["--access-key", AK, "--secret-key", SK, "--date", "request"])
        .args(extra));
    let text = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    (out.status.code(), text)
}

/// `verify` reads a capture's body as a server does: by Content-Length or the chunked transfer
/// coding, not as "everything after the head".
#[test]
fn verify_frames_a_capture_as_a_server_does() {
    let home = temp_home("verify-framing");
    let head = signed_post(FORM, None);
    let length = format!("Content-Length: {}\r\n\r\n", FORM.len());

    // Framed by Content-Length: valid.
    let capture = [head.as_bytes(), length.as_bytes(), FORM].concat();
    let (code, text) = verdict(&home, "length.http", &capture, &[]);
    assert_eq!(code, Some(0), "{text}");

    // The same with a second, unsigned request after it: a server would run both.
    let smuggled = [
        &capture[..],
        b"DELETE /everything HTTP/1.1\r\nHost: sts.amazonaws.com\r\n\r\n",
    ]
    .concat();
    let (code, text) = verdict(&home, "second.http", &smuggled, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("a second request follows, not covered by this signature"),
        "{text}"
    );
    assert!(text.contains("DELETE /everything HTTP/1.1"), "{text}");

    // A signature over body + second request, sent with a short Content-Length: what the
    // signature covers is not what a server reads as the body.
    let both = [FORM, b"GET /x HTTP/1.1\r\n\r\n"].concat();
    let head_both = signed_post(&both, None);
    let capture = [head_both.as_bytes(), length.as_bytes(), &both[..]].concat();
    let (code, text) = verdict(&home, "short-length.http", &capture, &[]);
    assert_eq!(code, Some(1), "{text}");

    // Chunked transfer coding, decoded: the signature covers the data, not the framing.
    let chunked = |head: &str| {
        let mut c = format!("{head}Transfer-Encoding: chunked\r\n\r\n").into_bytes();
        for piece in FORM.chunks(10) {
            c.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            c.extend_from_slice(piece);
            c.extend_from_slice(b"\r\n");
        }
        c.extend_from_slice(b"0\r\n\r\n");
        c
    };
    let (code, text) = verdict(&home, "chunked.http", &chunked(&head), &[]);
    assert_eq!(code, Some(0), "{text}");
    // Signed over the framing itself: refused, as a server would.
    let framed = chunked(&head);
    let wire_body = &framed[framed.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let (code, text) = verdict(
        &home,
        "framing-hashed.http",
        &chunked(&signed_post(wire_body, None)),
        &[],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");

    // Both headers: the classic smuggling shape.
    let both_headers = [
        head.as_bytes(),
        format!("Content-Length: {}\r\n", FORM.len()).as_bytes(),
        &chunked("")[..],
    ]
    .concat();
    let (code, text) = verdict(&home, "both.http", &both_headers, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("request smuggling"), "{text}");

    // An HTTP trailer naming an x-amz-* field: nothing can sign it.
    let mut trailer = chunked(&head);
    trailer.truncate(trailer.len() - 2);
    trailer.extend_from_slice(b"x-amz-checksum-crc32: AAAAAA==\r\n\r\n");
    let (code, text) = verdict(&home, "trailer.http", &trailer, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("HTTP trailer field x-amz-checksum-crc32 cannot be signed"),
        "{text}"
    );
}

/// A header value is compared as a server reads it (blanks around it trimmed), and a target
/// with a fragment is refused.
#[test]
fn verify_reads_header_values_and_targets_as_a_server_does() {
    let home = temp_home("verify-token-fragment");
    let head = signed_post(FORM, Some("THE-TOKEN"));
    assert!(
        head.contains("X-Amz-Security-Token: THE-TOKEN\r\n"),
        "{head}"
    );
    let capture = [head.as_bytes(), b"\r\n", FORM].concat();
    let (code, text) = verdict(
        &home,
        "token.http",
        &capture,
        &["--session-token", "THE-TOKEN"],
    );
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verdict(
        &home,
        "token-wrong.http",
        &capture,
        &["--session-token", "OTHER"],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("InvalidToken"), "{text}");

    let with_fragment = [
        head.replacen("POST / HTTP/1.1", "POST /#section HTTP/1.1", 1)
            .as_bytes(),
        b"\r\n",
        FORM,
    ]
    .concat();
    let (code, text) = verdict(&home, "fragment.http", &with_fragment, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("InvalidRequest (HTTP 400)"), "{text}");
    assert!(text.contains("a URL's fragment is never sent"), "{text}");
}

//! `canreq serve` against clients that misbehave at the HTTP level, over raw loopback sockets:
//! one that never reads its answers, a target that names another host than `Host`, a target
//! with a fragment, an `x-amz-*` HTTP trailer, a request without a host, and a head over the
//! size limit. Each test starts its own server.

use crate::peer;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};

use peer::{SERVE_AKID as AKID, SERVE_SECRET as SECRET, serve_one_key as serve};

/// The signature headers for `method target` with these headers, signed now.
fn signed(method: &str, target: &str, headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        SigningTime::now(),
    );
    let mut request = Request::new(method, target);
    for &(name, value) in headers {
        request.push_header(name, value);
    }
    let out = signer.sign(&request, Payload::Empty).unwrap();
    out.headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

/// Sends `head` (request line and headers, without the blank line) and reads the answer
/// until the server closes or `wait` passes.
fn exchange(port: u16, head: &str, wait: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream
        .write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn head_of(request_line: &str, headers: &[(&str, &str)], auth: &[(String, String)]) -> String {
    let mut head = request_line.to_owned();
    for (n, v) in headers {
        head.push_str(&format!("\r\n{n}: {v}"));
    }
    for (n, v) in auth {
        head.push_str(&format!("\r\n{n}: {v}"));
    }
    head
}

#[test]
fn a_client_that_never_reads_its_answers_loses_its_slot() {
    let (server, _dir) = serve("stall", &["--max-connections", "1", "--timeout", "2"]);
    // Each request is refused with its canonical request echoed (the padding XML-escaped to
    // five times its size), so a client that does not read fills the socket buffers fast.
    let pad = "&".repeat(40_000);
    let now = SigningTime::now();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{}/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date;x-pad, Signature={}",
        now.date(),
        "0".repeat(64)
    );
    let request = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX-Amz-Date: {}\r\nX-Pad: {pad}\r\nAuthorization: {auth}\r\n\r\n",
        now.amz_date()
    );
    // From another address than the client that then waits for the slot: one address's share
    // is closed at once when it is full, and this is about the one slot of the whole server.
    let mut stalled = crate::peer::connect_from(std::net::Ipv4Addr::new(127, 0, 0, 2), server.port);
    stalled
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(8) {
        match stalled.write_all(request.as_bytes()) {
            Ok(()) => sent += 1,
            Err(_) => break,
        }
    }
    assert!(sent > 1, "the server stopped reading at once ({sent} sent)");

    // The only slot is the stalled client's, until the server gives up writing to it.
    let asked = Instant::now();
    let answer = exchange(
        server.port,
        "GET / HTTP/1.1\r\nHost: h",
        Duration::from_secs(20),
    );
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "no answer after {:?} ({sent} requests stalled): {answer:?}\n{}",
        asked.elapsed(),
        server.log()
    );
    assert!(
        server.log().contains("read nothing of the answer"),
        "the dropped connection has its log line:\n{}",
        server.log()
    );
    drop(stalled);
}

#[test]
fn the_host_is_the_one_the_request_names() {
    let (server, _dir) = serve("host", &[]);
    let wait = Duration::from_secs(10);
    let headers = [("Host", "good.example")];
    let auth = signed("GET", "/", &headers);

    // The valid twin, in origin form and in absolute form naming the same host.
    let answer = exchange(
        server.port,
        &head_of("GET / HTTP/1.1", &headers, &auth),
        wait,
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let line = "GET http://good.example/ HTTP/1.1";
    let answer = exchange(server.port, &head_of(line, &headers, &auth), wait);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // An absolute-form target naming another host than the signed `Host`. (Signed for a REST
    // service other than S3, the answer is a REST-JSON error.)
    let line = "GET http://evil.example/ HTTP/1.1";
    let answer = exchange(server.port, &head_of(line, &headers, &auth), wait);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("\"__type\":\"InvalidRequest\"") && answer.contains("evil.example"),
        "{answer}"
    );

    // No host at all (HTTP/1.0 needs none): `host` is listed as signed, so it must be sent.
    let answer = exchange(server.port, &head_of("GET / HTTP/1.0", &[], &auth), wait);
    assert!(answer.starts_with("HTTP/1.0 400"), "{answer}");
    assert!(answer.contains("no Host header"), "{answer}");
}

#[test]
fn a_head_over_the_limit_gets_a_body_and_its_log_line() {
    let (server, _dir) = serve("head", &["--max-header-bytes", "8192"]);
    let head = format!(
        "GET /too-large HTTP/1.1\r\nHost: h\r\nX-Pad: {}",
        "a".repeat(20_000)
    );
    let answer = exchange(server.port, &head, Duration::from_secs(10));
    // Refused before hyper reads it, with S3's code for it and a body (server/head.rs).
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(
        answer.contains("<Code>RequestHeaderSectionTooLarge</Code>"),
        "{answer:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .log()
        .contains("GET /too-large 400 RequestHeaderSectionTooLarge")
    {
        assert!(Instant::now() < deadline, "no log line:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A target with a fragment (never sent by an HTTP client; hyper would drop it and the rest be
/// verified as if it were not there) is refused before it is read.
#[test]
fn a_target_with_a_fragment_is_refused() {
    let (server, _dir) = serve("fragment", &[]);
    let auth = signed("GET", "/a", &[("Host", "h")]);
    let head = head_of("GET /a#frag HTTP/1.1", &[("Host", "h")], &auth);
    let answer = exchange(server.port, &head, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("fragment is never sent"), "{answer}");
}

/// An HTTP trailer field named `x-amz-*` after a chunked body cannot be signed: refused.
#[test]
fn an_x_amz_http_trailer_is_refused() {
    let (server, _dir) = serve("http-trailer", &[]);
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "s3").unwrap(),
        SigningTime::now(),
    );
    let request = Request::new("PUT", "/bucket/key").header("Host", "h");
    let auth: Vec<(String, String)> = signer
        .sign(&request, Payload::Unsigned)
        .unwrap()
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    let head = head_of(
        "PUT /bucket/key HTTP/1.1",
        &[
            ("Host", "h"),
            ("Transfer-Encoding", "chunked"),
            ("Trailer", "x-amz-checksum-crc32"),
        ],
        &auth,
    );
    let send = |trailer: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let wire = format!("{head}\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n{trailer}\r\n");
        stream.write_all(wire.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    let answer = send("x-amz-checksum-crc32: NhCmhg==\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("HTTP trailer field x-amz-checksum-crc32 cannot be signed"),
        "{answer}"
    );
    // The same body without the trailer is verified (UNSIGNED-PAYLOAD: the body is not covered).
    let answer = send("");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

//! `canreq serve` at the edges of HTTP/1.1 connection handling, over raw loopback sockets: a
//! client that half-closes its side once its request is sent, and the log lines of
//! keep-alive connections. Each test starts its own server.

use crate::peer;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
use canreq::{Credentials, Payload, Request, Scope, SignedRequest, Signer, SigningTime};
use peer::Server;

use peer::{SERVE_AKID as AKID, SERVE_SECRET as SECRET, serve_one_key as serve};

fn sign(request: &Request<'_>, payload: Payload<'_>) -> SignedRequest {
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let scope = Scope::new("us-east-1", "s3").unwrap();
    let signer = Signer::new(&creds, scope, SigningTime::now());
    signer.sign(request, payload).unwrap()
}

/// The head (blank line included) of `method path` with `headers` and the signature's headers.
fn head(method: &str, path: &str, headers: &[(&str, String)], signed: &[(&str, String)]) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in headers.iter().chain(signed) {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// A signed `GET path` with no body.
fn signed_get(port: u16, path: &str, connection: &str) -> Vec<u8> {
    let headers = [
        ("Host", format!("127.0.0.1:{port}")),
        ("Connection", connection.to_owned()),
    ];
    let mut request = Request::new("GET", path);
    for (n, v) in &headers {
        request.push_header(n, v);
    }
    let signed = sign(&request, Payload::Empty);
    head("GET", path, &headers, signed.headers()).into_bytes()
}

/// A signed aws-chunked `PUT path` of `data` with a CRC32C trailer, head and body.
fn chunked_put(port: u16, path: &str, data: &[u8]) -> Vec<u8> {
    let plan = StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32c);
    let mut headers = vec![
        ("Host", format!("127.0.0.1:{port}")),
        ("Connection", "close".to_owned()),
    ];
    headers.extend(plan.headers(data.len() as u64));
    let mut request = Request::new("PUT", path);
    for (n, v) in &headers {
        request.push_header(n, v);
    }
    let signed = sign(&request, plan.payload());
    let mut encoder = plan.encoder(&signed).unwrap();
    let mut wire = head("PUT", path, &headers, signed.headers()).into_bytes();
    encoder.push(data, &mut wire);
    encoder.finish(&mut wire);
    wire
}

/// Sends `request`, optionally half-closes, and reads until the server closes (or 10 s pass).
fn send(port: u16, request: &[u8], half_close: bool) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    if half_close {
        stream.shutdown(Shutdown::Write).unwrap();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Waits (at most 10 s) for the log to hold `lines` lines, then returns it.
fn log_with_lines(server: &Server, lines: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log();
        if log.lines().count() >= lines || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_request_followed_by_a_half_close_is_answered() {
    // A client may shut down its sending side once the request is out (`nc -N`, scripts
    // that signal the end of their input) and still read the answer. The request is whole:
    // it must be verified and answered, and logged as what it was.
    let (server, _dir) = serve("half-close", &[]);
    let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
    let rounds = 5;
    for round in 0..rounds {
        let get = signed_get(server.port, "/bucket/get", "close");
        let answer = send(server.port, &get, true);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "GET {round}, then half-close: {answer:?}\n{}",
            server.log()
        );
        let put = chunked_put(server.port, "/bucket/put", &data);
        let answer = send(server.port, &put, true);
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("<DecodedLength>20000<"),
            "aws-chunked PUT {round}, then half-close: {answer:?}\n{}",
            server.log()
        );
    }
    let log = log_with_lines(&server, 1 + 2 * rounds);
    assert_eq!(
        log.matches(" GET /bucket/get 200 ok ").count(),
        rounds,
        "{log}"
    );
    assert_eq!(
        log.matches(" PUT /bucket/put 200 ok ").count(),
        rounds,
        "{log}"
    );
    assert!(!log.contains("IncompleteRequest"), "{log}");
}

/// Reads one answer (head and `content-length` bytes of body) from a kept-alive connection.
fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "the answer's head ended early"
        );
        answer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    let length: usize = peer::between(&head, "content-length: ", "\r\n")
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    answer.extend_from_slice(&body);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn an_idle_keep_alive_connection_closes_without_a_log_line() {
    // SDKs keep their connections open between calls. When the server closes one that sent
    // nothing since its last answer, no request timed out: the log keeps one line per request.
    // A second head that was started and not finished in time still gets its line.
    let (server, _dir) = serve("idle", &["--timeout", "1"]);
    for partial in [false, true] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let path = format!("/kept/{partial}");
        stream
            .write_all(&signed_get(server.port, &path, "keep-alive"))
            .unwrap();
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        if partial {
            stream
                .write_all(b"GET /next HTTP/1.1\r\nHost: h\r\n")
                .unwrap();
        }
        // The server closes the connection once the timeout passes.
        let started = Instant::now();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(
            rest.is_empty() && started.elapsed() < Duration::from_secs(8),
            "after {:?}: {:?}",
            started.elapsed(),
            String::from_utf8_lossy(&rest)
        );
    }
    // The server logs a connection's line when the connection ends: wait for the lines
    // expected, then a little more for any that should not be there.
    log_with_lines(&server, 4);
    std::thread::sleep(Duration::from_millis(500));
    let log = server.log();
    assert_eq!(log.matches(" 200 ok ").count(), 2, "{log}");
    assert_eq!(
        log.matches("RequestTimeout").count(),
        1,
        "only the unfinished head timed out:\n{log}"
    );
    assert_eq!(log.lines().count(), 4, "{log}");
}

/// The head of the aws-chunked `PUT` the AWS SDK for JavaScript v3 (3.1174) sends for a
/// stream body over HTTP (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, CRC32 trailer), signed with
/// `secret` (the signature adds `x-amz-content-sha256`), kept alive as Node's agent keeps it.
fn js_sdk_stream_put_head(port: u16, secret: &str, decoded_length: usize) -> String {
    let headers = [
        ("content-type", "application/octet-stream".to_owned()),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_owned()),
        ("content-encoding", "aws-chunked".to_owned()),
        ("transfer-encoding", "chunked".to_owned()),
        ("x-amz-decoded-content-length", decoded_length.to_string()),
        ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
        ("x-amz-user-agent", "aws-sdk-js/3.1174.0".to_owned()),
        ("host", format!("127.0.0.1:{port}")),
        ("amz-sdk-request", "attempt=1; max=3".to_owned()),
        ("Connection", "keep-alive".to_owned()),
    ];
    let path = "/bkt/st?x-id=PutObject";
    let mut request = Request::new("PUT", path);
    for (n, v) in headers.iter().filter(|(n, _)| *n != "Connection") {
        request.push_header(n, v);
    }
    let creds = Credentials::new(AKID, secret).unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "s3").unwrap(),
        SigningTime::now(),
    );
    let signed = signer
        .sign(&request, Payload::StreamingUnsignedTrailer)
        .unwrap();
    head("PUT", path, &headers, signed.headers())
}

#[test]
fn a_refusal_that_leaves_the_body_unread_says_connection_close() {
    // The JS SDK's stream upload signed with a wrong secret: refused from its head, its body
    // not read. The server then closes the connection, and must say so: without
    // `Connection: close`, Node's agent put the socket back in its pool and the client's next
    // call on it failed with EPIPE or ECONNRESET (the SDK surfaced `TimeoutError: write EPIPE`
    // for a stream body, which it cannot retry, instead of SignatureDoesNotMatch).
    let (server, _dir) = serve("refused-unread", &[]);
    let (mut stream, head) = wrongly_signed_upload(&server, 8);
    // The head and the first aws-chunk (3 bytes): the rest of the body is not sent yet.
    stream
        .write_all(format!("{head}8\r\n3\r\nabc\r\n\r\n").as_bytes())
        .unwrap();
    let answer = read_answer(&mut stream);
    assert!(
        answer.starts_with("HTTP/1.1 403") && answer.contains("<Code>SignatureDoesNotMatch<"),
        "{answer}"
    );
    let answer_head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        answer_head.contains("\r\nconnection: close\r\n"),
        "the server closes this connection, so its answer must say so:\n{answer_head}"
    );
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[test]
fn a_client_still_sending_after_a_refusal_is_read_before_the_close() {
    // A refused upload whose client keeps writing (Node's does, the whole body, before it
    // reads): if the server closed with that body arriving, the kernel would reset the
    // connection, and the client would fail its writes with EPIPE instead of reading the 403
    // already sent. The server ends its side, then reads the rest for a bounded time.
    let (server, _dir) = serve("refused-lingering", &[]);
    let megabytes = 8;
    let (mut stream, head) = wrongly_signed_upload(&server, megabytes << 20);
    stream.write_all(head.as_bytes()).unwrap();
    let answer = read_answer(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");

    // The body, still coming as HTTP chunks after the answer: every write is taken.
    let piece = [b'a'; 64 * 1024];
    for i in 0..megabytes * 16 {
        let sent = stream
            .write_all(b"10000\r\n")
            .and_then(|()| stream.write_all(&piece))
            .and_then(|()| stream.write_all(b"\r\n"));
        assert!(sent.is_ok(), "write {i} after the answer failed: {sent:?}");
    }
    stream.shutdown(Shutdown::Write).unwrap();
    // Then the server's close: the end of the stream, no reset.
    let mut rest = Vec::new();
    let read = stream.read_to_end(&mut rest);
    assert!(read.is_ok() && rest.is_empty(), "{read:?} {rest:?}");
}

/// A connection to `server` and the head of the JS SDK's stream upload of `decoded_length`
/// bytes, signed with a wrong secret (refused from its head).
fn wrongly_signed_upload(server: &Server, decoded_length: usize) -> (TcpStream, String) {
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let wrong = SECRET.replace("KEY", "KEX");
    (
        stream,
        js_sdk_stream_put_head(server.port, &wrong, decoded_length),
    )
}

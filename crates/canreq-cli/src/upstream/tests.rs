use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

fn options(url: &str) -> UpstreamOptions {
    UpstreamOptions {
        origin: Origin::parse(url).unwrap(),
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_millis(500),
        ca_file: None,
    }
}

fn get(target: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder()
        .uri(target)
        .header("host", "example")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

#[test]
fn an_origin_is_a_scheme_and_an_authority() {
    let o = Origin::parse("https://search-logs.us-east-1.es.amazonaws.com/").unwrap();
    assert!(o.is_tls());
    assert_eq!(o.host(), "search-logs.us-east-1.es.amazonaws.com");
    assert_eq!(o.host_header(), "search-logs.us-east-1.es.amazonaws.com");
    assert_eq!(
        o.to_string(),
        "https://search-logs.us-east-1.es.amazonaws.com"
    );
    let o = Origin::parse("http://127.0.0.1:9000").unwrap();
    assert_eq!(
        (o.is_tls(), o.host_header()),
        (false, "127.0.0.1:9000".into())
    );
    // A default port is not part of the Host header; IPv6 keeps its brackets.
    assert_eq!(Origin::parse("https://h:443").unwrap().host_header(), "h");
    assert_eq!(
        Origin::parse("http://[::1]:80").unwrap().host_header(),
        "[::1]"
    );
    assert_eq!(Origin::parse("http://[::1]:81").unwrap().host(), "[::1]");
    for bad in [
        "ftp://h",
        "h:80",
        "http://h/prefix",
        "http://h/?a=b",
        "http://user:pw@h",
        "not a url",
    ] {
        let e = Origin::parse(bad).expect_err(bad);
        assert!(e.to_string().contains("--upstream"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let upstream = Upstream::new(options(&format!("http://127.0.0.1:{port}"))).unwrap();
    let e = upstream.send(get("/")).await.unwrap_err();
    assert_eq!(e.failure, Failure::Unreachable, "{e}");
    assert!(e.message.contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stream);
    });
    let upstream = Upstream::new(options(&format!("http://127.0.0.1:{port}"))).unwrap();
    let e = upstream.send(get("/")).await.unwrap_err();
    assert_eq!(e.failure, Failure::TimedOut, "{e}");
    assert!(e.message.contains("--upstream-timeout"), "{e}");
    held.abort();
}

/// Reads one request head (through the blank line) from `stream`; returns it.
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[tokio::test]
async fn connections_are_kept_and_the_target_is_sent_as_given() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        // One connection for both requests.
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut heads = Vec::new();
        for _ in 0..2 {
            heads.push(read_head(&mut stream).await);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
        }
        heads
    });
    let upstream = Upstream::new(options(&format!("http://127.0.0.1:{port}"))).unwrap();
    let target = "/b/a%20b%2Bc/%E2%82%AC?list-type=2&prefix=%2F";
    for _ in 0..2 {
        let answer = upstream.send(get(target)).await.unwrap();
        assert_eq!(answer.status(), 200);
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok");
    }
    let heads = server.await.unwrap();
    for head in heads {
        assert!(
            head.starts_with(&format!("GET {target} HTTP/1.1\r\n")),
            "{head}"
        );
        assert!(head.contains("host: example\r\n"), "{head}");
    }
}

#[tokio::test]
async fn a_body_that_fails_aborts_the_request_before_it_is_complete() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let head = read_head(&mut stream).await;
        let mut body = Vec::new();
        // The connection ends (closed or reset) before the 10 declared bytes.
        let _ = stream.read_to_end(&mut body).await;
        (head, body)
    });
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        let _ = tx.send(Ok(Frame::data(Bytes::from_static(b"12345")))).await;
        // Time for the head and the first piece to reach the upstream.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let failed: BoxError = Box::new(BodyFailed::new(
            400,
            "IncompleteBody",
            "the client went away",
        ));
        let _ = tx.send(Err(failed)).await;
    });
    let body = Frames(rx);
    let request = hyper::Request::builder()
        .method("PUT")
        .uri("/b/k")
        .header("host", "example")
        .header("content-length", "10")
        .body(body)
        .unwrap();
    let upstream = Upstream::new(options(&format!("http://127.0.0.1:{port}"))).unwrap();
    let e = upstream.send(request).await.unwrap_err();
    assert_eq!(
        e.failure,
        Failure::RequestBody {
            status: 400,
            code: "IncompleteBody"
        },
        "{e:?}"
    );
    assert!(e.message.contains("the client went away"), "{e}");
    let (head, body) = server.await.unwrap();
    assert!(head.starts_with("PUT /b/k HTTP/1.1\r\n"), "{head}");
    assert_eq!(
        body, b"12345",
        "the upstream saw only what came before the failure"
    );
}

/// A body handing out the frames a task sends.
struct Frames(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, BoxError>>);

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0.poll_recv(cx)
    }
}

//! `canreq proxy` when things go wrong, with real processes on 127.0.0.1: an upstream nobody
//! listens on (502), one too slow (504), a client gone mid-upload (the upstream request is
//! aborted, never completed), SIGTERM (the request in flight is answered, then exit 0), and the
//! admin listener's `/healthz` and `/metrics` counting all of it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::peer::{self, Arrivals, Server, TempDir};

/// `canreq proxy` on a free port in front of `upstream`, signing for S3 with the example key,
/// with `extra` arguments; its log in the returned directory.
pub fn proxy(name: &str, upstream: &str, extra: &[String]) -> (Server, TempDir) {
    let dir = TempDir::new(name);
    // Ready once listening: a probe request (start_http's) would pass through to the upstream
    // and count in what the tests count.
    let server = Server::start("canreq proxy", &dir.path().join("proxy.log"), |port| {
        let mut cmd = peer::canreq(dir.path());
        cmd.args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", upstream])
            .args(["--service", "s3", "--region", "us-east-1"])
            .args(["--access-key", peer::SERVE_AKID])
            .env("CANREQ_SECRET_KEY", peer::SERVE_SECRET)
            .args(extra);
        cmd
    });
    (server, dir)
}

/// A request through the proxy on a connection of its own: the status and the body.
pub fn exchange(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// `GET path` with `Connection: close`.
pub fn get(port: u16, path: &str) -> (u16, String) {
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    exchange(port, &head, b"")
}

/// The value of the metric line `name{labels}` in a Prometheus text, if present.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn an_unreachable_upstream_is_a_502_naming_the_cause() {
    let dead = peer::free_port();
    let admin = peer::free_port();
    let (proxy, _dir) = proxy(
        "proxy-unreachable",
        &format!("http://127.0.0.1:{dead}"),
        &["--admin-listen".into(), format!("127.0.0.1:{admin}")],
    );
    let (status, body) = get(proxy.port, "/bucket/key");
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("<Code>BadGateway</Code>"), "{body}");
    assert!(
        body.contains(&format!("cannot connect to http://127.0.0.1:{dead}")),
        "the cause: {body}"
    );
    let (_, metrics) = get(admin, "/metrics");
    assert_eq!(
        metric(
            &metrics,
            r#"canreq_errors_total{command="proxy",code="BadGateway"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    let log = proxy.log();
    assert!(
        log.lines()
            .any(|l| l.contains("GET /bucket/key 502 BadGateway")),
        "an access line: {log}"
    );
}

#[test]
fn a_slow_upstream_is_a_504_after_the_upstream_timeout() {
    let upstream = Arrivals::start(Duration::from_secs(5));
    let (proxy, _dir) = proxy(
        "proxy-slow",
        &upstream.endpoint(),
        &["--upstream-timeout".into(), "1s".into()],
    );
    let started = Instant::now();
    let (status, body) = get(proxy.port, "/bucket/key");
    let took = started.elapsed();
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("<Code>GatewayTimeout</Code>"), "{body}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(4),
        "answered after {took:?}"
    );
    assert_eq!(upstream.seen().len(), 1, "the request reached the upstream");
}

#[test]
fn a_client_gone_mid_upload_aborts_the_upstream_request() {
    let upstream = Arrivals::start(Duration::ZERO);
    let (proxy, _dir) = proxy("proxy-abort", &upstream.endpoint(), &[]);
    let length = 4 * 1024 * 1024;
    let mut client = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    let head = format!(
        "PUT /bucket/cut HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {length}\r\n\r\n",
        proxy.port
    );
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(&vec![7u8; 1024 * 1024]).unwrap();
    // The proxy streams: the upstream has the head and the start of the body.
    let seen = upstream
        .wait_for(Duration::from_secs(10), |seen| {
            seen.iter()
                .any(|r| r.target == "/bucket/cut" && r.body_bytes > 0)
        })
        .unwrap_or_else(|seen| panic!("the upload never reached the upstream: {seen:?}"));
    assert_eq!(seen.len(), 1, "{seen:?}");
    drop(client);
    let seen = upstream
        .wait_for(Duration::from_secs(10), |seen| {
            seen.iter().all(|r| r.cut_off)
        })
        .unwrap_or_else(|seen| {
            panic!(
                "the upstream request was not cut off: {seen:?}\n{}",
                proxy.log()
            )
        });
    assert!(
        seen.iter().all(|r| !r.complete),
        "a complete body reached the upstream: {seen:?}"
    );
}

#[test]
fn sigterm_drains_the_request_in_flight_then_exits_0() {
    let upstream = Arrivals::start(Duration::from_secs(2));
    let (mut proxy, _dir) = proxy("proxy-drain", &upstream.endpoint(), &[]);
    let port = proxy.port;
    let in_flight = std::thread::spawn(move || get(port, "/bucket/slow"));
    upstream
        .wait_for(Duration::from_secs(10), |seen| {
            seen.iter().any(|r| r.complete)
        })
        .unwrap_or_else(|seen| panic!("the request never reached the upstream: {seen:?}"));
    proxy.terminate();
    proxy.wait_refusing(Duration::from_secs(5));
    let (status, body) = in_flight.join().unwrap();
    assert_eq!((status, body.as_str()), (200, "ok"));
    let status = proxy
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("still running: {}", proxy.state()));
    assert!(status.success(), "{status}\n{}", proxy.log());
}

#[test]
fn the_admin_listener_answers_health_and_counts_requests() {
    let upstream = Arrivals::start(Duration::ZERO);
    let admin = peer::free_port();
    let (proxy, _dir) = proxy(
        "proxy-admin",
        &upstream.endpoint(),
        &[
            "--admin-listen".into(),
            format!("127.0.0.1:{admin}"),
            "--log-format".into(),
            "json".into(),
        ],
    );
    assert_eq!(get(admin, "/healthz"), (200, "ok".to_owned()));
    let series = r#"canreq_requests_total{command="proxy",status="200"}"#;
    let before = metric(&get(admin, "/metrics").1, series).unwrap_or(0.0);
    let body = b"0123456789";
    for _ in 0..3 {
        let head = format!(
            "PUT /bucket/k?X-Amz-Signature=feedface HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        assert_eq!(exchange(proxy.port, &head, body), (200, "ok".to_owned()));
    }
    let metrics = get(admin, "/metrics").1;
    assert_eq!(metric(&metrics, series), Some(before + 3.0), "{metrics}");
    let received = metric(&metrics, r#"canreq_received_bytes_total{command="proxy"}"#);
    assert_eq!(received, Some(30.0), "{metrics}");
    let sent = metric(&metrics, r#"canreq_sent_bytes_total{command="proxy"}"#);
    assert_eq!(sent, Some(6.0), "{metrics}");
    assert!(
        metric(
            &metrics,
            r#"canreq_request_duration_seconds_count{command="proxy"}"#
        ) >= Some(3.0),
        "{metrics}"
    );
    // One JSON access line per request, the presigned signature's value left out.
    let log = proxy.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["method"] == "PUT")
        .collect();
    assert_eq!(lines.len(), 3, "{log}");
    for line in &lines {
        assert_eq!(line["status"], 200, "{line}");
        assert_eq!(line["bytes_in"], 10, "{line}");
        assert_eq!(line["path"], "/bucket/k?X-Amz-Signature=REDACTED", "{line}");
    }
    assert!(!log.contains("feedface"), "{log}");
    // Upstream, the client's presign parameters are gone and the proxy's signature is there.
    let seen = upstream.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for request in &seen {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("PUT", "/bucket/k")
        );
        let authorization = request.header("authorization").unwrap_or_default();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{request:?}"
        );
    }
}

//! Issue 25: the gateway's keys. Each allow-list field of a key (services, regions, methods,
//! path prefixes) refuses what it does not name with AccessDenied, before anything reaches
//! the upstream; the key file is reloaded while requests run, none of them failing, and a
//! removed key is refused within a second; a malformed file keeps the keys; SIGHUP reloads.

use crate::clients;
use crate::peer;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
use clients::{AKID, SECRET, Serve};
use peer::Recorder;

/// A request signed with `akid`/`secret` for `region`/`service`, sent to `port`: its status
/// and answer.
fn send(
    port: u16,
    (akid, secret): (&str, &str),
    (region, service): (&str, &str),
    method: &str,
    path: &str,
) -> (u16, String) {
    let creds = Credentials::new(akid, secret).unwrap();
    let host = format!("127.0.0.1:{port}");
    let request = Request::new(method, path).header("Host", &host);
    let scope = Scope::new(region, service).unwrap();
    let signed = Signer::new(&creds, scope, SigningTime::now())
        .sign(&request, Payload::Empty)
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    if matches!(method, "PUT" | "POST") {
        head.push_str("Content-Length: 0\r\n");
    }
    exchange(port, head, signed.headers(), b"")
}

/// Sends `head` (request line and first headers), then `headers`, then `body` on a fresh
/// connection to `port`, closed after the answer; the answer's status and text. A refused
/// body may not be read to its end: the answer still comes.
pub fn exchange(
    port: u16,
    mut head: String,
    headers: &[(impl std::fmt::Display, impl std::fmt::Display)],
    body: &[u8],
) -> (u16, String) {
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    (status, text)
}

fn port_of(gateway: &Serve) -> u16 {
    gateway
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn entry(akid: &str, secret: &str, policy: &str) -> String {
    format!("[[keys]]\naccess_key_id = \"{akid}\"\nsecret_access_key = \"{secret}\"\n{policy}\n")
}

#[test]
fn each_allow_list_refuses_what_it_does_not_name() {
    let upstream = Recorder::start();
    let keys = [
        entry("AKIDSERVICES", "s1", "services = [\"execute-api\"]"),
        entry("AKIDREGIONS", "s2", "regions = [\"eu-west-1\"]"),
        entry("AKIDMETHODS", "s3", "methods = [\"GET\", \"HEAD\"]"),
        entry("AKIDPATHS", "s4", "path_prefixes = [\"/tenant-1/\"]"),
    ]
    .concat();
    let gateway = Serve::gateway("policy", &upstream.url(), &keys, &[]);
    let port = port_of(&gateway);
    let api = ("us-east-1", "execute-api");
    // (key, scope, method, path), allowed then refused, for each field.
    let cases = [
        // S3 declares its payload hash: the key is proven, and refused, from the head alone.
        (
            ("AKIDSERVICES", "s1"),
            api,
            "GET",
            "/a",
            ("us-east-1", "s3"),
            "GET",
            "/b/k",
        ),
        (
            ("AKIDSERVICES", "s1"),
            api,
            "GET",
            "/a",
            ("us-east-1", "lambda"),
            "GET",
            "/a",
        ),
        (
            ("AKIDREGIONS", "s2"),
            ("eu-west-1", "execute-api"),
            "GET",
            "/a",
            api,
            "GET",
            "/a",
        ),
        (("AKIDMETHODS", "s3"), api, "HEAD", "/a", api, "PUT", "/a"),
        (
            ("AKIDMETHODS", "s3"),
            ("us-east-1", "s3"),
            "GET",
            "/b/k",
            ("us-east-1", "s3"),
            "PUT",
            "/b/k",
        ),
        (
            ("AKIDPATHS", "s4"),
            api,
            "GET",
            "/tenant-1/a",
            api,
            "GET",
            "/tenant-2/a",
        ),
        (
            ("AKIDPATHS", "s4"),
            api,
            "GET",
            "/tenant-1/b",
            api,
            "GET",
            "/tenant-1/../tenant-2/a",
        ),
    ];
    for (key, scope, method, path, refused_scope, refused_method, refused_path) in cases {
        let before = upstream.count();
        let (status, answer) = send(port, key, scope, method, path);
        assert_eq!(status, 200, "{key:?} {scope:?} {method} {path}: {answer}");
        assert_eq!(upstream.count(), before + 1);
        let (status, answer) = send(port, key, refused_scope, refused_method, refused_path);
        let what = format!("{key:?} {refused_scope:?} {refused_method} {refused_path}");
        assert_eq!(status, 403, "{what}: {answer}");
        assert!(answer.contains("AccessDenied"), "{what}: {answer}");
        assert_eq!(upstream.count(), before + 1, "{what} reached the upstream");
    }
}

/// Writes `text` to `path` as configuration management does: a new file renamed into place.
fn replace(path: &Path, text: &str) {
    let new = path.with_extension("new");
    std::fs::write(&new, text).unwrap();
    std::fs::rename(&new, path).unwrap();
}

/// Sends `key`'s requests until one gets `want`; how long that took.
fn until_status(port: u16, key: (&str, &str), want: u16) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _) = send(port, key, ("us-east-1", "execute-api"), "GET", "/poll");
        if status == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never {want}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn keys_reload_under_load_without_a_failed_request() {
    let upstream = Recorder::start();
    let steady = entry(AKID, SECRET, "");
    let gateway = Serve::gateway("reload", &upstream.url(), &steady, &[]);
    let port = port_of(&gateway);
    let file = gateway.dir.path().join("keys.toml");
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let scope = ("us-east-1", "execute-api");
                    let (status, answer) = send(port, (AKID, SECRET), scope, "GET", "/load");
                    assert_eq!(status, 200, "a request failed during a reload: {answer}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let extra = ("AKIDADDED", "added-secret");
    for _ in 0..3 {
        replace(&file, &(steady.clone() + &entry(extra.0, extra.1, "")));
        let added = until_status(port, extra, 200);
        replace(&file, &steady);
        let removed = until_status(port, extra, 403);
        assert!(
            removed < Duration::from_secs(1),
            "refused after {removed:?}"
        );
        assert!(added < Duration::from_secs(1), "accepted after {added:?}");
    }
    // A file that does not parse keeps the keys (the load goes on succeeding).
    replace(&file, "[[keys]]\naccess_key_id = ");
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().expect("no request failed");
    }
    assert!(done.load(Ordering::Relaxed) > 20, "too little load");
    let log = gateway.log();
    assert!(log.contains("keeping the previous keys"), "{log}");
    assert!(!log.contains(SECRET), "a secret in the log");
    // SIGHUP reloads the (repaired) file.
    replace(&file, &steady);
    std::thread::sleep(Duration::from_millis(600));
    let reloads = |log: &str| log.matches("reloaded 1 keys").count();
    let before = reloads(&gateway.log());
    let pid = gateway.pid().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    while reloads(&gateway.log()) == before {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no reload on SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

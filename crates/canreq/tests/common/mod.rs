//! Shared by the integration tests: where the test data is, and a lenient reader for the AWS
//! suite's `request.txt` files (which are not always valid HTTP/1.1).

#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/testdata` from the project root, or `CANREQ_TESTDATA`. In CI (`CI=true`) a
/// missing directory is a failure; elsewhere the caller may skip with a message.
pub fn testdata() -> Option<PathBuf> {
    let dir = match std::env::var_os("CANREQ_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "test data not found at {} (set CANREQ_TESTDATA to the shared/testdata directory)",
        dir.display()
    );
    if in_ci() {
        panic!("{msg}; in CI this is a failure");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A request read from the suite: each header keeps its raw value (folded lines joined with
/// `\n`), in order.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn parse(bytes: &[u8]) -> RawRequest {
        let text = bytes;
        let (head, body) = match find(text, b"\n\n") {
            Some(i) => (&text[..i], text[i + 2..].to_vec()),
            None => (text, Vec::new()),
        };
        let head = String::from_utf8(head.to_vec()).expect("suite request heads are UTF-8");
        let mut lines = head.split('\n');
        let request_line = lines.next().expect("request line");
        // The path may hold raw spaces (get-space): the method ends at the first space and the
        // version starts at the last.
        let (method, rest) = request_line.split_once(' ').expect("method");
        let target = rest.rsplit_once(' ').map_or(rest, |(t, _)| t);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                // Obsolete line folding: keep it, the signer must unfold it.
                let last = headers.last_mut().expect("continuation after a header");
                last.1.push('\n');
                last.1.push_str(line);
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.to_string(), value.to_string()));
            }
        }
        RawRequest {
            method: method.to_string(),
            target: target.to_string(),
            headers,
            body,
        }
    }

    pub fn view(&self) -> canreq::Request<'_> {
        let mut req = canreq::Request::new(&self.method, &self.target);
        for (n, v) in &self.headers {
            req.push_header(n, v);
        }
        req
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A small deterministic generator, so property-style tests that run outside proptest are
/// reproducible from their seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

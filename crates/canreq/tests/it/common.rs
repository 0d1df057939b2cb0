//! Shared by the integration tests: where the test data is, and a seeded generator.

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

/// The S3 documentation's signed aws-chunked upload (`streaming/s3-chunked-upload-example.json`):
/// its JSON, credentials and signing time. `None` when the test data is missing outside CI.
pub struct ChunkedExample {
    pub json: serde_json::Value,
    pub credentials: canreq::Credentials,
    pub time: canreq::SigningTime,
}

impl ChunkedExample {
    pub fn load() -> Option<ChunkedExample> {
        let path = testdata()?.join("streaming/s3-chunked-upload-example.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).expect("example JSON");
        let credentials = canreq::Credentials::new(
            json["credentials"]["access_key_id"].as_str().unwrap(),
            json["credentials"]["secret_access_key"].as_str().unwrap(),
        )
        .unwrap();
        let time = canreq::SigningTime::parse(json["timestamp"].as_str().unwrap()).unwrap();
        Some(ChunkedExample {
            json,
            credentials,
            time,
        })
    }

    /// A signer for the example's scope and time.
    pub fn signer(&self) -> canreq::Signer<'_> {
        let scope = canreq::Scope::new(
            self.json["region"].as_str().unwrap(),
            self.json["service"].as_str().unwrap(),
        )
        .unwrap();
        canreq::Signer::new(&self.credentials, scope, self.time)
    }

    /// The example's request head, as signed.
    pub fn request(&self) -> canreq::Request<'_> {
        let r = &self.json["request"];
        let mut req =
            canreq::Request::new(r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
        for h in r["headers"].as_array().unwrap() {
            req.push_header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
        }
        req
    }

    /// The example's signing key.
    pub fn signing_key(&self) -> canreq::SigningKey {
        let scope = self.signer().scope().clone();
        canreq::SigningKey::derive(
            self.credentials.secret_access_key().expose(),
            self.time.date(),
            scope.region(),
            scope.service(),
        )
    }
}

/// An S3 request path as S3 itself canonicalizes it: the object key (the path with its `%XY`
/// escapes decoded) encoded once, every byte but `A-Za-z0-9-._~` and `/` as `%XY`. S3's own
/// answer to curl issue 13754 shows it: a path sent as `/b/asset_id=x` is signed by S3 as
/// `/b/asset_id%3Dx`. The SDKs send keys already in this form; the oracles (botocore,
/// aws-sigv4) sign an S3 path as they are given it, so they are given it in this form.
pub fn s3_key_path(path: &str) -> String {
    let key = percent_decode(path);
    let mut out = String::with_capacity(key.len() * 3);
    for b in key {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XY` escapes decoded; anything else kept as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

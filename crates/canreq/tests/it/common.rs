//! Shared by the integration tests of both crates (the CLI's include this file by path): where
//! the test data is, whether this is CI, and a seeded generator.

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
}

#[allow(
    dead_code,
    reason = "used by canreq's tests; the CLI's include this file and use `next`"
)]
impl Rng {
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

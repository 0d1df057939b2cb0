//! The AWS SDK for JavaScript v3 (`@aws-sdk/client-dynamodb`, run by Node) against `canreq
//! serve` with its clock 20 minutes off: its first request is refused as skewed, in DynamoDB's
//! words (400 InvalidSignatureException), and the SDK sets its clock by the answer's `Date`,
//! as against AWS. A clock behind gets "Signature expired", which this SDK retries (its
//! `isTransientError` looks for those words), so the call succeeds on its retry; a clock ahead
//! gets "Signature not yet current", which it does not retry, so that call fails and the next
//! one, with the corrected clock, succeeds. The SDK is installed by .ci/run from .ci/node into
//! a cached directory named by CANREQ_NODE_MODULES.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::clients::{AKID, KEY, Serve, aws_env};
use crate::common;
use crate::peer::run;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/clients/js_clock.cjs");

/// The installed SDK's node_modules, or `None` (skipped) outside CI.
fn node_modules() -> Option<PathBuf> {
    let why = match std::env::var_os("CANREQ_NODE_MODULES") {
        None => "CANREQ_NODE_MODULES is not set (the AWS SDK for JavaScript of .ci/run)".to_owned(),
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.join("@aws-sdk/client-dynamodb/package.json").is_file() {
                return Some(dir);
            }
            format!("{} holds no @aws-sdk/client-dynamodb", dir.display())
        }
    };
    if common::in_ci() {
        panic!("{why}; in CI a missing peer is a failure");
    }
    eprintln!("skipped: {why}");
    None
}

fn call(modules: &Path, serve: &Serve, offset_ms: i64) -> Value {
    let mut cmd = Command::new("node");
    aws_env(&mut cmd, serve.dir.path(), KEY);
    cmd.env("CANREQ_NODE_MODULES", modules)
        .arg(SCRIPT)
        .arg(serve.endpoint())
        .arg(offset_ms.to_string());
    let out = run(&mut cmd);
    out.expect_code(0, "node js_clock.cjs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout_text()))
}

#[test]
fn the_js_sdk_corrects_its_clock_from_the_date_and_its_retry_succeeds() {
    let Some(modules) = node_modules() else {
        return;
    };
    let serve = Serve::with_key("js-clock");
    let twenty_minutes = 20 * 60 * 1000;
    // Behind: the call succeeds on its retry, with the clock corrected.
    let r = call(&modules, &serve, -twenty_minutes);
    for (i, attempts) in [(0, 2), (1, 1)] {
        let c = &r["calls"][i];
        assert_eq!((&c["ok"], &c["status"]), (&true.into(), &200.into()), "{r}");
        assert_eq!(c["attempts"], attempts, "call {i}: {r}");
        assert_corrected(c, &r);
    }
    // Ahead: refused once, not retried; the clock is corrected, and the next call succeeds.
    let r = call(&modules, &serve, twenty_minutes);
    let first = &r["calls"][0];
    assert_eq!(first["ok"], false, "{r}");
    assert_eq!(first["code"], "InvalidSignatureException", "{r}");
    assert_eq!(first["status"], 400, "{r}");
    let said = first["message"].as_str().unwrap_or("");
    assert!(said.starts_with("Signature not yet current: "), "{r}");
    assert_corrected(first, &r);
    let second = &r["calls"][1];
    assert_eq!(
        (&second["ok"], &second["attempts"]),
        (&true.into(), &1.into()),
        "{r}"
    );
    let log = serve.log();
    let refused = log
        .lines()
        .filter(|l| l.contains(" POST / 400 InvalidSignatureException "))
        .count();
    let accepted = log
        .lines()
        .filter(|l| l.contains(&format!(" POST / 200 ok {AKID} ")))
        .count();
    assert_eq!((refused, accepted), (2, 3), "{log}");
}

/// After `call`, the SDK's clock is the server's, to within the second of the Date header.
fn assert_corrected(call: &Value, all: &Value) {
    let after = call["offsetAfter"].as_i64().unwrap();
    assert!(after.abs() < 5_000, "still {after} ms off: {all}");
}

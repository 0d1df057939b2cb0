//! Golden tests: `canreq sign --request-file` on every `v4-crt` case of the AWS suite, header and
//! query form, JSON and text, against the suite's expected files byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

/// The suite's `v4-crt` cases; `None` (skipped) without test data outside CI.
fn crt_suite() -> Option<PathBuf> {
    Some(common::testdata()?.join("aws-sigv4-test-suite/v4-crt"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `canreq sign` arguments a case's context.json calls for.
fn case_args(dir: &Path, context: &Value) -> Vec<String> {
    let creds = &context["credentials"];
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let mut args = vec![
        "sign".to_owned(),
        "--request-file".to_owned(),
        dir.join("request.txt").display().to_string(),
        "--date".to_owned(),
        s(&context["timestamp"]),
        "--region".to_owned(),
        s(&context["region"]),
        "--service".to_owned(),
        s(&context["service"]),
        "--access-key".to_owned(),
        s(&creds["access_key_id"]),
        "--secret-key".to_owned(),
        s(&creds["secret_access_key"]),
        "--show-secrets".to_owned(),
    ];
    if let Some(token) = creds.get("token") {
        args.extend(["--session-token".to_owned(), s(token)]);
    }
    if context["normalize"] == Value::Bool(false) {
        args.push("--no-normalize-path".to_owned());
    }
    if context["sign_body"] == Value::Bool(true) {
        args.push("--content-sha256".to_owned());
    }
    if context.get("omit_session_token") == Some(&Value::Bool(true)) {
        args.push("--token-after-signing".to_owned());
    }
    args
}

fn canreq(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_canreq"))
        .args(args)
        .env_remove("CANREQ_ACCESS_KEY")
        .env_remove("CANREQ_SECRET_KEY")
        .env_remove("CANREQ_SESSION_TOKEN")
        .output()
        .expect("canreq runs")
}

/// `METHOD target HTTP/1.1`, `Name:value` lines, blank line, body: the suite's signed-request form.
fn rendered(out: &Value, body: &str) -> String {
    let url = out["url"].as_str().unwrap();
    let after_scheme = url.split_once("://").unwrap().1;
    let target = &after_scheme[after_scheme.find('/').unwrap()..];
    let mut text = format!("{} {} HTTP/1.1\n", out["method"].as_str().unwrap(), target);
    for pair in out["headers"].as_array().unwrap() {
        text.push_str(&format!(
            "{}:{}\n",
            pair[0].as_str().unwrap(),
            pair[1].as_str().unwrap()
        ));
    }
    text.push('\n');
    text.push_str(body);
    text
}

#[test]
fn every_crt_case_in_both_forms_matches_the_suite() {
    let Some(suite) = crt_suite() else { return };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").is_file())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 38, "the suite has 38 v4-crt cases");
    let mut failures = Vec::new();
    let mut passed = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let context: Value = serde_json::from_str(&read(&dir.join("context.json"))).unwrap();
        let request = read(&dir.join("request.txt"));
        let body = request.split_once("\n\n").map_or("", |(_, b)| b).to_owned();
        for form in ["header", "query"] {
            let mut args = case_args(dir, &context);
            if form == "query" {
                let expires = context["expiration_in_seconds"]
                    .as_u64()
                    .unwrap()
                    .to_string();
                args.extend(["--query".to_owned(), "--expires".to_owned(), expires]);
            }
            args.extend(["--format".to_owned(), "json".to_owned()]);
            let output = canreq(&args);
            if !output.status.success() {
                failures.push(format!(
                    "{name} ({form}): exit {:?}: {}",
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr)
                ));
                continue;
            }
            let out: Value = serde_json::from_slice(&output.stdout).unwrap();
            let expect = |file: &str| read(&dir.join(format!("{form}-{file}")));
            let checks = [
                (
                    "canonical request",
                    out["canonical_request"].as_str().unwrap().to_owned(),
                    expect("canonical-request.txt"),
                ),
                (
                    "string to sign",
                    out["string_to_sign"].as_str().unwrap().to_owned(),
                    expect("string-to-sign.txt"),
                ),
                (
                    "signature",
                    out["signature"].as_str().unwrap().to_owned(),
                    expect("signature.txt").trim_end().to_owned(),
                ),
                (
                    "signed request",
                    rendered(&out, &body),
                    expect("signed-request.txt"),
                ),
            ];
            let mut ok = true;
            for (what, got, want) in checks {
                if got != want {
                    ok = false;
                    failures.push(format!(
                        "{name} ({form}) {what}:\n--- got\n{got}\n--- want\n{want}"
                    ));
                }
            }
            passed += usize::from(ok);
        }
    }
    println!("cli golden: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(passed, 76);
}

#[test]
fn text_output_is_labelled() {
    let Some(suite) = crt_suite() else { return };
    let dir = suite.join("get-vanilla-query-order-key-case");
    let context: Value = serde_json::from_str(&read(&dir.join("context.json"))).unwrap();
    let output = canreq(&case_args(&dir, &context));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let creq = read(&dir.join("header-canonical-request.txt"));
    let sts = read(&dir.join("header-string-to-sign.txt"));
    let sig = read(&dir.join("header-signature.txt"));
    for expected in [
        "Amazon timestamp:  20150830T123600Z\n".to_owned(),
        "Date:              20150830\n".to_owned(),
        "Credential scope:  20150830/us-east-1/service/aws4_request\n".to_owned(),
        format!("Canonical request:\n{creq}\n"),
        format!("String to sign:\n{sts}\n"),
        format!("Signature:         {}\n", sig.trim_end()),
        "Signing key:       938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75\n"
            .to_owned(),
        format!(
            "Authorization:     AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={}\n",
            sig.trim_end()
        ),
        "Signed request:\nGET /?Param2=value2&Param1=value1 HTTP/1.1\n".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn canonical_request_mode_signs_what_it_is_given() {
    let Some(suite) = crt_suite() else { return };
    let dir = suite.join("get-vanilla");
    let output = canreq(&[
        "sign".into(),
        "--canonical-request".into(),
        format!("@{}", dir.join("header-canonical-request.txt").display()),
        "--secret-key".into(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        "--region".into(),
        "us-east-1".into(),
        "--service".into(),
        "service".into(),
        "--format".into(),
        "json".into(),
        "--show-secrets".into(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The time comes from the canonical request's x-amz-date line when --date is not given.
    assert_eq!(
        out["string_to_sign"],
        read(&dir.join("header-string-to-sign.txt"))
    );
    assert_eq!(
        out["signature"],
        read(&dir.join("header-signature.txt")).trim_end()
    );
    assert_eq!(
        out["credential_scope"],
        "20150830/us-east-1/service/aws4_request"
    );
    assert_eq!(
        out["signing_key"],
        "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
    );
}

#[test]
fn session_token_is_redacted_unless_asked() {
    let Some(suite) = crt_suite() else { return };
    let dir = suite.join("get-vanilla-with-session-token");
    let context: Value = serde_json::from_str(&read(&dir.join("context.json"))).unwrap();
    let token = context["credentials"]["token"].as_str().unwrap();
    let mut args = case_args(&dir, &context);
    args.retain(|a| a != "--show-secrets");
    let output = canreq(&args);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains(token), "token leaked:\n{text}");
    assert!(!text.contains("wJalrXUtnFEMI"), "secret leaked");
    assert!(text.contains("<redacted: --show-secrets shows it>"));
    // The signature is still the suite's: redaction is display only.
    assert!(text.contains(read(&dir.join("header-signature.txt")).trim_end()));
}

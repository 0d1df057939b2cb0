//! Defects found auditing the command line: inputs that made `canreq` panic, or echo a secret
//! into an error message. Each test names what once went wrong.

mod peer;

use std::process::{Command, Output};

use peer::{TempDir, canreq};

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Runs `cmd`; fails on a panic or a backtrace hint. Returns the output and stderr.
fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().expect("canreq runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "backtrace hint: {stderr}"
    );
    (out, stderr)
}

/// A `%` followed by a character of more than one byte was cut inside that character to be
/// quoted, and the slice panicked.
#[test]
fn a_bad_escape_before_a_multibyte_character_is_an_error_not_a_panic() {
    let dir = TempDir::new("escape");
    for (url, endpoint) in [
        ("https://iam.amazonaws.com/%aé", None),
        ("https://iam.amazonaws.com/?a=%é", None),
        ("https://iam.amazonaws.com/", Some("http://127.0.0.1:9/%aé")),
    ] {
        let mut cmd = canreq(dir.path());
        cmd.args(["sign", "GET", url, "--access-key", AK, "--secret-key", SK]);
        if let Some(e) = endpoint {
            cmd.args(["--endpoint-url", e]);
        }
        let (out, stderr) = run(&mut cmd);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains("is not a percent-escape"),
            "{url}: {stderr}"
        );
    }
}

/// The URL's user information was refused, and the whole URL quoted back: password included.
/// A secret key holds `/` as often as not, which ends the authority before the `@`.
#[test]
fn user_information_in_a_url_is_not_echoed() {
    let dir = TempDir::new("userinfo");
    for secret in [SK, "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"] {
        let (out, stderr) = run(canreq(dir.path()).args([
            "sign",
            "GET",
            &format!("https://{AK}:{secret}@iam.amazonaws.com/"),
            "--access-key",
            AK,
            "--secret-key",
            SK,
        ]));
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("bad URL"), "{stderr}");
        assert!(stderr.contains("iam.amazonaws.com"), "{stderr}");
        assert!(
            !stderr.contains("wJalrXUtnFEMI"),
            "the password is echoed: {stderr}"
        );
    }
}

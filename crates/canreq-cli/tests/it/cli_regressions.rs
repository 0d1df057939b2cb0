//! Defects found auditing the command line: inputs that made `canreq` panic, or echo a secret
//! into an error message. Each test names what once went wrong.

use crate::peer;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use peer::{Server, TempDir, canreq, output_checked as run};

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Runs a `serve` that must refuse to start; one still running after 20 s is killed and fails.
fn run_refused(cmd: &mut Command) -> (Output, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("canreq runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "started instead of refusing: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
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

/// `serve --timeout` took any u64; hyper adds it to `Instant::now()`, and a huge one panicked
/// the connection's task on every request (and 0 timed out every body at once).
#[test]
fn serve_refuses_a_timeout_out_of_range() {
    let dir = TempDir::new("timeout");
    for timeout in ["18446744073709551615", "0"] {
        let (out, stderr) = run_refused(canreq(dir.path()).args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--access-key",
            AK,
            "--secret-key",
            SK,
            "--timeout",
            timeout,
        ]));
        assert_eq!(out.status.code(), Some(2), "{timeout}: {stderr}");
        assert!(stderr.contains(timeout), "{timeout}: {stderr}");
        assert!(stderr.contains("--timeout"), "{timeout}: {stderr}");
    }
}

/// `CANREQ_SECRET_KEY`, exported as `sign` and `request` advise, made `serve --credentials FILE`
/// refuse to start: clap took the variable for a `--secret-key` given with `--credentials`.
#[test]
fn serve_credentials_file_works_with_canreq_secret_key_exported() {
    let dir = TempDir::new("envkey");
    let file = dir.path().join("keys.toml");
    std::fs::write(
        &file,
        format!("[[keys]]\naccess_key_id = \"{AK}\"\nsecret_access_key = \"{SK}\"\n"),
    )
    .unwrap();
    let server = Server::start("canreq serve", &dir.path().join("serve.log"), |port| {
        let mut cmd = canreq(dir.path());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--credentials")
            .arg(&file)
            .env("CANREQ_SECRET_KEY", "another-secret");
        cmd
    });
    assert!(server.log().contains("keys: 1"), "{}", server.log());
    drop(server);
    // A secret typed next to the file is still refused, without being echoed.
    let (out, stderr) = run_refused(
        canreq(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--secret-key", SK])
            .arg("--credentials")
            .arg(&file),
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--credentials"), "{stderr}");
    assert!(!stderr.contains(SK), "{stderr}");
}

/// A captured request with a byte that is not UTF-8 in its head was refused with the head's
/// start quoted: its session token with it.
#[test]
fn verify_does_not_quote_a_session_token_from_a_head_that_is_not_utf8() {
    let dir = TempDir::new("nonutf8");
    let file = dir.path().join("request.txt");
    let token = "FQoGZXIvYXdzEXAMPLETOKEN";
    std::fs::write(
        &file,
        [
            b"GET / HTTP/1.1\r\nHost: iam.amazonaws.com\r\n".as_slice(),
            format!("X-Amz-Security-Token: {token}\r\n").as_bytes(),
            b"X-Odd: \xff\r\n\r\n",
        ]
        .concat(),
    )
    .unwrap();
    for sub in [
        &["verify"][..],
        &["sign", "--region", "r", "--service", "s"],
    ] {
        let (out, stderr) = run(canreq(dir.path())
            .args(sub)
            .args(["--access-key", AK, "--secret-key", SK, "--request-file"])
            .arg(&file));
        assert_eq!(out.status.code(), Some(2), "{sub:?}: {stderr}");
        assert!(stderr.contains("X-Odd"), "{sub:?}: {stderr}");
        assert!(
            !stderr.contains(token),
            "{sub:?}: the token is quoted: {stderr}"
        );
    }
}

/// Output to a full disk or a closed pipe (`canreq sign … | head -1`) panicked in `println!`
/// (and in clap_complete's writer); it is now one line and a non-zero exit.
#[test]
fn a_stdout_that_cannot_be_written_is_an_error_not_a_panic() {
    // Linux's always-full device; the project's tests run on Linux.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let dir = TempDir::new("full");
    let iam = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
    let keys = ["--access-key", AK, "--secret-key", SK];
    let cases: Vec<Vec<&str>> = vec![
        vec!["sign", "GET", iam],
        vec!["sign", "GET", iam, "--format", "json"],
        vec!["presign", "GET", iam],
        vec!["request", "GET", iam, "--dry-run"],
        vec!["completions", "bash"],
        vec!["completions", "fish"],
        vec!["verify"],
        vec!["demo"],
    ];
    for args in cases {
        let mut cmd = canreq(dir.path());
        cmd.args(&args)
            .stdout(full.try_clone().unwrap())
            .stdin(Stdio::null());
        if !matches!(args[0], "completions" | "demo") {
            cmd.args(keys);
        }
        if args[0] == "verify" {
            let request = dir.path().join("request.txt");
            std::fs::write(
                &request,
                "GET / HTTP/1.1\r\nHost: iam.amazonaws.com\r\n\r\n",
            )
            .unwrap();
            cmd.arg("--request-file").arg(&request);
        }
        let (out, stderr) = run(&mut cmd);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{args:?}: {stderr}"
        );
    }
}

/// A bad entry of `serve --credentials` (empty secret, a token with a control byte) was refused
/// without naming the file or the entry; the secret itself still never appears.
#[test]
fn a_bad_credentials_entry_names_its_file_and_key() {
    let dir = TempDir::new("entry");
    for (n, (entry, needle)) in [
        ("secret_access_key = \"\"", "secret access key is empty"),
        (
            "secret_access_key = \"SECRETxyz\"\nsession_token = \"TOK\\u0001EN\"",
            "control byte",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.path().join(format!("keys{n}.toml"));
        let text = format!("[[keys]]\naccess_key_id = \"{AK}\"\n{entry}\n");
        std::fs::write(&file, text).unwrap();
        let (out, stderr) = run_refused(
            canreq(dir.path())
                .args(["serve", "--listen", "127.0.0.1:0", "--credentials"])
                .arg(&file),
        );
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(stderr.contains(&format!("keys{n}.toml")), "{stderr}");
        assert!(stderr.contains(AK), "{stderr}");
        assert!(
            !stderr.contains("SECRETxyz") && !stderr.contains("TOK"),
            "{stderr}"
        );
    }
}

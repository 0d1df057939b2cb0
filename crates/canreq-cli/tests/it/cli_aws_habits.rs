//! `canreq request` with the AWS CLI's habits (issue 21 §6, §8, §9, §10): endpoints from
//! `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` and the profile, in the documented order;
//! `--no-sign-request`; credential errors that name their cause; region hints; presigned URLs
//! that say what to send with them, checked by `verify --url` and used by curl. The peer is
//! `canreq serve` on 127.0.0.1 (its answer repeats the request it verified).

use std::path::Path;

use crate::cli_curl_habits::stub;
use crate::peer::{SERVE_AKID, SERVE_SECRET, canreq, run, serve_one_key};

/// A loopback port nobody listens on: a request that went there fails.
fn dead_endpoint() -> String {
    format!("http://127.0.0.1:{}", crate::peer::free_port())
}

fn write_config(home: &Path, text: &str) {
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(home.join(".aws/config"), text).unwrap();
}

/// `--endpoint-url`, then `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then the profile's
/// `services` section, then its `endpoint_url`: each case puts the right endpoint at one level
/// and a dead one at every level below it.
#[test]
fn configured_endpoints_in_the_documented_order() {
    let (serve, home) = serve_one_key("endpoints", &[]);
    let live = serve.endpoint();
    let dead = dead_endpoint();
    let profile = |services: &str, global: &str| {
        format!(
            "[profile local]\nservices = local-s3\nendpoint_url = {global}\n\n\
             [services local-s3]\ns3 =\n  endpoint_url = {services}\n"
        )
    };
    // (level, environment, flags, ~/.aws/config)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str], String);
    let cases: [Case; 5] = [
        (
            "--endpoint-url",
            &[("AWS_ENDPOINT_URL_S3", &dead)],
            &["--endpoint-url", &live],
            profile(&dead, &dead),
        ),
        (
            "AWS_ENDPOINT_URL_S3",
            &[("AWS_ENDPOINT_URL_S3", &live), ("AWS_ENDPOINT_URL", &dead)],
            &[],
            profile(&dead, &dead),
        ),
        (
            "AWS_ENDPOINT_URL",
            &[("AWS_ENDPOINT_URL", &live)],
            &[],
            profile(&dead, &dead),
        ),
        ("services section", &[], &[], profile(&live, &dead)),
        (
            "profile endpoint_url",
            &[],
            &[],
            format!("[profile local]\nendpoint_url = {live}\n"),
        ),
    ];
    for (level, env, flags, config) in cases {
        write_config(home.path(), &config);
        let out = run(canreq(home.path())
            .args([
                "request",
                "https://s3.us-east-1.amazonaws.com/bucket/key",
                "--raw",
                "-v",
            ])
            .args(["--profile", "local", "--access-key", SERVE_AKID])
            .env("CANREQ_SECRET_KEY", SERVE_SECRET)
            .envs(env.iter().copied())
            .args(flags));
        out.expect_code(0, level);
        // The server's verdict, in whichever dialect it answers.
        let verdict = out.stdout_text().to_ascii_lowercase();
        assert!(verdict.contains("verified"), "{level}: {verdict}");
        assert!(
            out.stderr.contains(&format!("* sending to {live}")),
            "{level}: {}",
            out.stderr
        );
    }
}

/// `--no-sign-request` sends no signature and looks for no credentials.
#[test]
fn no_sign_request_sends_the_request_unsigned() {
    let (serve, home) = serve_one_key("unsigned", &[]);
    let out = run(canreq(home.path())
        .args([
            "request",
            "https://s3.us-east-1.amazonaws.com/public/key",
            "--no-sign-request",
        ])
        .arg("--endpoint-url")
        .arg(serve.endpoint())
        .arg("-v"));
    out.expect_code(1, "refused by a verifying server");
    // S3's answer to a request with no authentication at all (serve speaks S3's dialect here).
    assert!(out.stderr.contains("403 AccessDenied"), "{}", out.stderr);
    assert!(
        !out.stderr.to_ascii_lowercase().contains("> authorization"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("credentials"), "{}", out.stderr);
}

/// A named profile that is nowhere, a credential_process that fails, a --session-token the
/// keys cannot use: each says its cause. Nothing reaches the server.
#[test]
fn credential_errors_name_the_cause() {
    let (serve, home) = serve_one_key("cred-errors", &[]);
    let request = || {
        let mut cmd = canreq(home.path());
        cmd.args([
            "request",
            "https://s3.us-east-1.amazonaws.com/b/k",
            "--endpoint-url",
        ])
        .arg(serve.endpoint());
        cmd
    };
    write_config(home.path(), "[profile other]\nregion = eu-west-1\n");
    let out = run(request().args(["--profile", "missing"]));
    out.expect_code(2, "a missing profile");
    for part in [
        "\"missing\"",
        "--profile",
        "~/.aws/config",
        "~/.aws/credentials (not found)",
    ] {
        assert!(out.stderr.contains(part), "{part} not in {}", out.stderr);
    }
    let out = run(request().env("AWS_PROFILE", "gone"));
    out.expect_code(2, "a missing AWS_PROFILE");
    assert!(
        out.stderr.contains("\"gone\" (from AWS_PROFILE)"),
        "{}",
        out.stderr
    );

    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'the SSO token expired: run aws sso login' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    write_config(
        home.path(),
        &format!(
            "[profile proc]\ncredential_process = {}\n",
            script.display()
        ),
    );
    let out = run(request().args(["--profile", "proc"]));
    out.expect_code(2, "a failing credential_process");
    assert!(
        out.stderr
            .contains("the SSO token expired: run aws sso login"),
        "{}",
        out.stderr
    );

    let out = run(request()
        .args(["--session-token", "a-token"])
        .env("AWS_ACCESS_KEY_ID", SERVE_AKID)
        .env("AWS_SECRET_ACCESS_KEY", SERVE_SECRET));
    out.expect_code(2, "--session-token with keys from the environment");
    assert!(out.stderr.contains("--session-token"), "{}", out.stderr);
    assert!(
        !serve.log().contains("GET /"),
        "nothing was sent: {}",
        serve.log()
    );
}

/// The region an answer names becomes a `--region` hint.
#[test]
fn region_hints_name_the_region_to_use() {
    let (serve, home) = serve_one_key("region-hint", &["--region", "eu-west-1"]);
    let out = run(canreq(home.path())
        .args([
            "request",
            "https://s3.us-east-1.amazonaws.com/b/k",
            "--endpoint-url",
        ])
        .arg(serve.endpoint())
        .args(["--access-key", SERVE_AKID])
        .env("CANREQ_SECRET_KEY", SERVE_SECRET));
    out.expect_code(1, "the wrong region");
    assert!(
        out.stderr.contains("AuthorizationHeaderMalformed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint:") && out.stderr.contains("--region eu-west-1"),
        "{}",
        out.stderr
    );

    let scoped = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>\
        <Message>Credential should be scoped to a valid region. </Message></Error></ErrorResponse>";
    let port = stub(Some(format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{scoped}",
        scoped.len()
    )));
    let out = run(canreq(home.path())
        .args([
            "request",
            "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        ])
        .arg("--endpoint-url")
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--region", "us-east-2", "--access-key", SERVE_AKID])
        .env("CANREQ_SECRET_KEY", SERVE_SECRET));
    out.expect_code(1, "an invalid scope region");
    assert!(
        out.stderr.contains("hint:") && out.stderr.contains("us-east-1"),
        "{}",
        out.stderr
    );
}

/// `presign PUT … -H 'Content-Type: text/plain'` says, on stderr, the header to send and a
/// curl line; the URL works with curl and `verify --url` checks it.
#[test]
fn presigned_urls_tell_what_to_send() {
    let (serve, home) = serve_one_key("presign", &[]);
    let presign = |extra: &[&str]| {
        run(canreq(home.path())
            .args([
                "presign",
                "PUT",
                "https://notes.s3.us-east-1.amazonaws.com/today.txt",
            ])
            .arg("--endpoint-url")
            .arg(serve.endpoint())
            .args(["-H", "Content-Type: text/plain", "--expires", "15m"])
            .args(["--access-key", SERVE_AKID])
            .env("CANREQ_SECRET_KEY", SERVE_SECRET)
            .args(extra))
    };
    let out = presign(&[]);
    out.expect_code(0, "presign");
    let url = out.stdout_text().trim_end().to_owned();
    assert_eq!(
        out.stdout_text().lines().count(),
        1,
        "stdout is the URL alone"
    );
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    assert!(url.contains("/notes/today.txt?"), "path style: {url}");
    assert!(
        out.stderr.contains("  Content-Type: text/plain\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "curl -T FILE -H 'Content-Type: text/plain' '{url}'"
        )),
        "{}",
        out.stderr
    );
    let json: serde_json::Value =
        serde_json::from_slice(&presign(&["--format", "json"]).stdout).unwrap();
    assert_eq!(
        json["headers_to_send"],
        serde_json::json!([["Content-Type", "text/plain"]])
    );
    assert!(
        json["curl"].as_str().unwrap().starts_with("curl -T FILE"),
        "{json}"
    );

    // curl with the header is let in; the one-line check says the same of the URL alone.
    let file = home.path().join("today.txt");
    std::fs::write(&file, "plain text").unwrap();
    let out = run(std::process::Command::new("curl")
        .args(["-sS", "-T"])
        .arg(&file)
        .args(["-H", "Content-Type: text/plain", &url]));
    out.expect_code(0, "curl with the presigned URL");
    assert!(
        out.stdout_text().to_ascii_lowercase().contains("verified"),
        "{}",
        out.stdout_text()
    );

    let verify = |headers: &[&str]| {
        run(canreq(home.path())
            .args([
                "verify", "--url", &url, "--method", "PUT", "--date", "request",
            ])
            .args(["--access-key", SERVE_AKID])
            .env("CANREQ_SECRET_KEY", SERVE_SECRET)
            .args(headers))
    };
    let out = verify(&["-H", "Content-Type: text/plain"]);
    out.expect_code(0, "verify --url with its header");
    assert!(
        out.stdout_text().contains("Verdict:           valid"),
        "{}",
        out.stdout_text()
    );
    verify(&[]).expect_code(1, "verify --url without the signed header");
}

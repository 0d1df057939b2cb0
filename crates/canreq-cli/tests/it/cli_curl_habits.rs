//! `canreq request` with curl's habits (issue 21 §5, §7, §12 and the manual): the method left
//! out or given with -X, -T, --data-binary, -s/-S, -L re-signing for where a redirect leads, -k,
//! -m and --read-timeout ending in exit 28, virtual-hosted S3 URLs sent path style to a custom
//! endpoint, --checksum on a plain PUT, and the small refusals. The peers: s3s-fs, `canreq
//! serve` (HTTPS for -k), and tiny servers on 127.0.0.1 that redirect or never answer.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::cli_against_s3s::{BUCKET, KEY_ID, S3, SECRET, Style};
use crate::clients::{self, Serve};
use crate::peer::{TempDir, canreq, run};

/// A server on 127.0.0.1 that reads each request's head and answers `answer` (raw HTTP), or
/// nothing at all when `answer` is `None`, holding the connection open.
pub(crate) fn stub(answer: Option<String>) -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            read_head(&mut stream);
            match &answer {
                Some(text) => {
                    let _ = stream.write_all(text.as_bytes());
                }
                None => held.push(stream),
            }
        }
    });
    port
}

fn read_head(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
}

/// The method may be left out (GET; PUT with -T) or given with -X; --data-binary is -d.
#[test]
fn curl_method_habits_against_s3s() {
    let Some(s3) = S3::start("curl-methods") else {
        return;
    };
    let file = s3.dir.path().join("upload.txt");
    std::fs::write(&file, "uploaded with -T\n").unwrap();
    let url = |key: &str| format!("{}/{BUCKET}/{key}", s3.server.endpoint());
    let cmd = || {
        let mut cmd = canreq(s3.dir.path());
        cmd.arg("request")
            .args(["--region", "us-east-1", "--service", "s3"])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET, "--raw"]);
        cmd
    };
    let out = run(cmd().arg("-T").arg(&file).arg(url("t.txt")).arg("-v"));
    s3.check_ok(&out, "-T FILE URL");
    assert!(
        out.stderr.contains("> PUT /canreq-bucket/t.txt HTTP/1.1"),
        "{}",
        out.stderr
    );
    let out = run(cmd().arg(url("t.txt")));
    s3.check_ok(&out, "URL alone");
    assert_eq!(out.stdout_text(), "uploaded with -T\n");

    let out = run(cmd()
        .args(["-X", "PUT", "--data-binary", "binary body"])
        .arg(url("d.txt")));
    s3.check_ok(&out, "-X PUT --data-binary");
    let out = run(cmd().args(["-X", "GET"]).arg(url("d.txt")));
    s3.check_ok(&out, "-X GET URL");
    assert_eq!(out.stdout_text(), "binary body");
    // Today's form still works.
    let out = run(cmd().arg("GET").arg(url("d.txt")));
    s3.check_ok(&out, "GET URL");
    assert_eq!(out.stdout_text(), "binary body");

    let out = run(cmd().args(["-X", "PUT", "GET"]).arg(url("d.txt")));
    out.expect_code(2, "two methods");
    assert!(out.stderr.contains("two methods"), "{}", out.stderr);

    // -s: the exit code alone; -S brings the message back.
    let out = run(cmd().arg("-s").arg(url("missing")));
    out.expect_code(1, "-s on a 404");
    assert_eq!(out.stderr, "", "-s prints nothing");
    let out = run(cmd().arg("-sS").arg(url("missing")));
    out.expect_code(1, "-sS on a 404");
    assert!(out.stderr.contains("404 NoSuchKey"), "{}", out.stderr);
}

/// `GET https://BUCKET.s3.REGION.amazonaws.com/KEY --endpoint-url LOCAL` sends `GET
/// /BUCKET/KEY`, as the AWS CLI does; `--addressing virtual` keeps the bucket in the host.
#[test]
fn virtual_hosted_urls_keep_their_bucket_on_a_custom_endpoint() {
    let Some(s3) = S3::start("virtual-hosted") else {
        return;
    };
    let out = run(s3
        .request(
            "PUT",
            &format!("{BUCKET}/kept.txt"),
            Style::AwsUrlWithEndpoint,
        )
        .args(["-d", "the bucket was kept"]));
    s3.check_ok(&out, "PUT");
    let out = run(canreq(s3.dir.path())
        .args(["request", "GET"])
        .arg(format!(
            "https://{BUCKET}.s3.us-east-1.amazonaws.com/kept.txt"
        ))
        .arg("--endpoint-url")
        .arg(s3.server.endpoint())
        .args([
            "--access-key",
            KEY_ID,
            "--secret-key",
            SECRET,
            "--raw",
            "-v",
        ]));
    s3.check_ok(&out, "GET virtual-hosted URL");
    assert_eq!(out.stdout_text(), "the bucket was kept");
    assert!(
        out.stderr
            .contains(&format!("> GET /{BUCKET}/kept.txt HTTP/1.1")),
        "{}",
        out.stderr
    );

    let (serve, dir) = crate::peer::serve_one_key("virtual", &[]);
    let out = run(canreq(dir.path())
        .args([
            "request",
            "https://photos.s3.eu-west-1.amazonaws.com/cat.jpg",
        ])
        .arg("--endpoint-url")
        .arg(serve.endpoint())
        .args(["--addressing", "virtual", "--raw"])
        .args(["--access-key", crate::peer::SERVE_AKID])
        .env("CANREQ_SECRET_KEY", crate::peer::SERVE_SECRET));
    out.expect_code(0, "--addressing virtual");
    let text = out.stdout_text();
    assert!(
        text.contains(&format!(
            "GET\n/cat.jpg\n\nhost:photos.127.0.0.1:{}\n",
            serve.port
        )),
        "{text}"
    );
    assert!(text.contains("<Region>eu-west-1</Region>"), "{text}");
}

/// -L follows a redirect, signing again for the host it names and the region the answer
/// names (`x-amz-bucket-region`); without -L the redirect is the answer.
#[test]
fn location_follows_a_redirect_signing_for_the_new_region() {
    let Some(s3) = S3::start("redirect") else {
        return;
    };
    let out = run(s3
        .request(
            "PUT",
            &format!("{BUCKET}/moved.txt"),
            Style::LoopbackUrlWithScope,
        )
        .args(["-d", "found after a redirect"]));
    s3.check_ok(&out, "PUT");
    let target = format!("{}/{BUCKET}/moved.txt", s3.server.endpoint());
    let port = stub(Some(format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {target}\r\nx-amz-bucket-region: eu-west-1\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )));
    let cmd = || {
        let mut cmd = canreq(s3.dir.path());
        cmd.args([
            "request",
            &format!("http://127.0.0.1:{port}/{BUCKET}/moved.txt"),
        ])
        .args(["--region", "us-east-1", "--service", "s3", "--raw"])
        .args(["--access-key", KEY_ID, "--secret-key", SECRET]);
        cmd
    };
    let out = run(cmd().args(["-L", "-v"]));
    s3.check_ok(&out, "-L");
    assert_eq!(out.stdout_text(), "found after a redirect");
    assert!(out.stderr.contains("* 301: following to"), "{}", out.stderr);
    assert!(
        out.stderr.contains("/eu-west-1/s3/aws4_request"),
        "signed again for the bucket's region: {}",
        out.stderr
    );
    let out = run(&mut cmd());
    out.expect_code(1, "a 301 without -L");
    assert!(out.stderr.contains("--region eu-west-1"), "{}", out.stderr);
}

/// A server that accepts and never answers ends in exit 28 (curl's), by --read-timeout or -m.
#[test]
fn a_server_that_never_answers_times_out_with_exit_28() {
    let home = TempDir::new("never-answers");
    let port = stub(None);
    for (flags, says) in [
        (&["--read-timeout", "1"][..], "--read-timeout"),
        (&["-m", "1.5"][..], "--max-time"),
    ] {
        let started = Instant::now();
        let out = run(canreq(home.path())
            .args(["request", &format!("http://127.0.0.1:{port}/")])
            .args(["--region", "us-east-1", "--service", "s3"])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET])
            .args(flags));
        out.expect_code(28, says);
        assert!(out.stderr.contains(says), "{}", out.stderr);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}

/// -k accepts a certificate no one vouches for, and warns; AWS_CA_BUNDLE trusts it properly.
#[test]
fn insecure_and_the_ca_bundle_against_serve_over_https() {
    let serve = Serve::with_tls("insecure");
    let cmd = || {
        let mut cmd = canreq(serve.dir.path());
        cmd.args(["request", &format!("{}/bucket/key", serve.endpoint())])
            .args(["--region", "us-east-1", "--service", "s3", "--raw"])
            .args([
                "--access-key",
                clients::AKID,
                "--secret-key",
                clients::SECRET,
            ]);
        cmd
    };
    let out = run(&mut cmd());
    out.expect_code(3, "an unknown certificate");
    assert!(out.stderr.contains("-k"), "{}", out.stderr);
    let out = run(cmd().arg("-k"));
    out.expect_code(0, "-k");
    assert!(out.stderr.contains("warning: -k"), "{}", out.stderr);
    let out = run(cmd().env("AWS_CA_BUNDLE", serve.cert()));
    out.expect_code(0, "AWS_CA_BUNDLE");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// --checksum without --chunked sends an x-amz-checksum-ALG header with the body's checksum.
#[test]
fn checksum_header_on_a_plain_put() {
    let Some(s3) = S3::start("checksum") else {
        return;
    };
    let out = run(s3
        .request(
            "PUT",
            &format!("{BUCKET}/sum.txt"),
            Style::AwsUrlWithEndpoint,
        )
        .args(["-d", "hello world", "--checksum", "crc32", "-v"]));
    s3.check_ok(&out, "PUT --checksum crc32");
    assert!(
        out.stderr.contains("> x-amz-checksum-crc32: DUoRhQ==\n"),
        "{}",
        out.stderr
    );
    let (out, _) = crate::peer::output_checked(canreq(s3.dir.path()).args(["completions", "bash"]));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("crc32 crc32c crc64nvme sha1 sha256"),
        "completion offers the algorithms"
    );
}

/// `-d @`, a lowercase method and a URL where the method goes are refused, saying why;
/// `sign` redacts the signing key unless --show-secrets.
#[test]
fn small_refusals_and_the_redacted_signing_key() {
    let home = TempDir::new("small-ones");
    let request = |args: &[&str]| {
        run(canreq(home.path()).arg("request").args(args).args([
            "--access-key",
            KEY_ID,
            "--secret-key",
            SECRET,
        ]))
    };
    let out = request(&["-d", "@", "-X", "PUT", "https://s3.amazonaws.com/b/k"]);
    out.expect_code(2, "-d @");
    assert!(out.stderr.contains("-d @ names no file"), "{}", out.stderr);
    let out = request(&["get", "https://s3.amazonaws.com/b/k"]);
    out.expect_code(2, "lowercase method");
    assert!(out.stderr.contains("did you mean GET?"), "{}", out.stderr);

    let sign = |extra: &[&str]| {
        run(canreq(home.path())
            .args([
                "sign",
                "https://iam.amazonaws.com/",
                "--date",
                "20150830T123600Z",
            ])
            .args(["--access-key", "AKIDEXAMPLE"])
            .args(["--secret-key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"])
            .args(extra))
    };
    let key = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9";
    let out = sign(&[]);
    out.expect_code(0, "sign");
    assert!(!out.stdout_text().contains(key), "{}", out.stdout_text());
    assert!(out.stdout_text().contains("Signing key:       <redacted"));
    let out = sign(&["--show-secrets"]);
    assert!(out.stdout_text().contains(key), "{}", out.stdout_text());
    let out = sign(&["--format", "json"]);
    assert!(!out.stdout_text().contains(key), "{}", out.stdout_text());
}

/// `canreq man --dir` writes a page per subcommand with EXIT STATUS, ENVIRONMENT and EXAMPLES.
#[test]
fn a_manual_page_for_every_subcommand() {
    let home = TempDir::new("man");
    let dir = home.path().join("man1");
    let out = run(canreq(home.path()).args(["man", "--dir"]).arg(&dir));
    out.expect_code(0, "man --dir");
    for page in [
        "canreq",
        "canreq-sign",
        "canreq-presign",
        "canreq-request",
        "canreq-verify",
        "canreq-serve",
        "canreq-demo",
    ] {
        let text = std::fs::read_to_string(dir.join(format!("{page}.1")))
            .unwrap_or_else(|e| panic!("{page}.1: {e}"));
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH EXAMPLES",
            ".SH OPTIONS",
        ] {
            assert!(text.contains(section), "{page}: no {section}");
        }
        assert!(text.contains(&format!(".TH {page} ")), "{page}: title");
    }
    let out = run(canreq(home.path()).args(["man", "request"]));
    out.expect_code(0, "man request");
    let text = out.stdout_text();
    assert!(
        text.contains("canreq\\-request") && text.contains("\\-\\-read\\-timeout"),
        "{text}"
    );
}

//! `canreq request` and `canreq presign` against s3s-fs 0.14.1 (an S3 server storing objects as
//! files; `.ci/run` installs it and sets `CANREQ_S3S_FS`). s3s checks SigV4 (header form, signed
//! and unsigned payloads, presigned URLs), so a 200 means canreq's S3 rules match a real
//! implementation's; the wrong-secret case shows the server does check.
//!
//! Both URL styles are used: the AWS URL with `--endpoint-url` (scope inferred from the host),
//! and the loopback URL with `--region us-east-1 --service s3`.

use crate::peer;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::Rng;
use peer::{Run, Server, TempDir, canreq, peer, run};
use sha2::{Digest, Sha256};

pub(crate) const KEY_ID: &str = "AKIDS3SFSTEST";
pub(crate) const SECRET: &str = "s3s-fs/secret+key=for-tests";
pub(crate) const BUCKET: &str = "canreq-bucket";
const TEN_MIB: usize = 10 * 1024 * 1024;

pub(crate) struct S3 {
    pub(crate) server: Server,
    pub(crate) dir: TempDir,
}

/// Which of the two ways to address the server a command uses.
#[derive(Clone, Copy)]
pub(crate) enum Style {
    /// `https://s3.us-east-1.amazonaws.com/…` and `--endpoint-url http://127.0.0.1:PORT`.
    AwsUrlWithEndpoint,
    /// `http://127.0.0.1:PORT/…` and `--region us-east-1 --service s3`.
    LoopbackUrlWithScope,
}

impl S3 {
    /// s3s-fs on a fresh root with `BUCKET` created through canreq; `None` when skipped.
    pub(crate) fn start(name: &str) -> Option<S3> {
        let binary = peer("CANREQ_S3S_FS", "path of the s3s-fs 0.14.1 binary")?;
        let dir = TempDir::new(name);
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let server = Server::start_http("s3s-fs", &dir.path().join("s3s.log"), |port| {
            let mut cmd = Command::new(&binary);
            // Its start ("server is running at …") and stop in the log, for failure messages.
            cmd.env("RUST_LOG", "s3s_fs=info")
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", KEY_ID, "--secret-key", SECRET])
                .arg(&root);
            cmd
        });
        let s3 = S3 { server, dir };
        let out = run(&mut s3.request("PUT", BUCKET, Style::AwsUrlWithEndpoint));
        s3.check_ok(&out, "create bucket");
        assert!(
            s3.root().join(BUCKET).is_dir(),
            "PUT /{BUCKET} made no bucket"
        );
        Some(s3)
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// `canreq request METHOD …/PATH` in `style`, signed with the server's key.
    pub(crate) fn request(&self, method: &str, path: &str, style: Style) -> Command {
        let mut cmd = canreq(self.dir.path());
        cmd.args(["request", method]);
        self.address(&mut cmd, path, style);
        cmd.args(["--access-key", KEY_ID, "--secret-key", SECRET]);
        cmd
    }

    fn address(&self, cmd: &mut Command, path: &str, style: Style) {
        match style {
            Style::AwsUrlWithEndpoint => {
                cmd.arg(format!("https://s3.us-east-1.amazonaws.com/{path}"))
                    .arg("--endpoint-url")
                    .arg(self.server.endpoint());
            }
            Style::LoopbackUrlWithScope => {
                cmd.arg(format!("{}/{path}", self.server.endpoint())).args([
                    "--region",
                    "us-east-1",
                    "--service",
                    "s3",
                ]);
            }
        }
    }

    pub(crate) fn check_ok(&self, out: &Run, what: &str) {
        assert_eq!(
            out.code,
            Some(0),
            "{what}\nstdout: {}\nstderr: {}\ns3s-fs: {}\ns3s-fs log:\n{}",
            out.stdout_text(),
            out.stderr,
            self.server.state(),
            self.server.log_of_every_attempt()
        );
    }

    /// PUTs `file` to `key`, GETs it back into another file and compares the bytes.
    /// Returns the PUT's `-v` output (stderr).
    fn round_trip(&self, file: &Path, key: &str, put: Style, get: Style, extra: &[&str]) -> String {
        let mut cmd = self.request("PUT", &format!("{BUCKET}/{key}"), put);
        let put_out = run(cmd
            .arg("-d")
            .arg(format!("@{}", file.display()))
            .args(extra)
            .arg("-v"));
        self.check_ok(&put_out, &format!("PUT {key}"));
        let back = self.dir.path().join("back.bin");
        let _ = std::fs::remove_file(&back);
        let out = run(self
            .request("GET", &format!("{BUCKET}/{key}"), get)
            .arg("-o")
            .arg(&back));
        self.check_ok(&out, &format!("GET {key}"));
        let sent = std::fs::read(file).unwrap();
        let got = std::fs::read(&back).unwrap();
        assert!(
            sent == got,
            "{key}: {} bytes sent, {} bytes back, contents differ",
            sent.len(),
            got.len()
        );
        put_out.stderr
    }
}

/// A file of `len` seeded pseudo-random bytes.
fn random_file(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let mut rng = Rng::new(seed);
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        data.extend_from_slice(&rng.next().to_le_bytes());
    }
    data.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    path
}

fn sha256_hex(path: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of header `name` in `-v` output (`> Name: value` lines, any case).
fn sent_header(verbose: &str, name: &str) -> Option<String> {
    verbose.lines().find_map(|l| {
        let (n, v) = l.strip_prefix("> ")?.split_once(": ")?;
        n.eq_ignore_ascii_case(name).then(|| v.to_owned())
    })
}

#[test]
fn s3s_put_get_10_mib_with_signed_payload() {
    let Some(s3) = S3::start("signed") else {
        return;
    };
    let file = random_file(s3.dir.path(), "ten.bin", TEN_MIB, 1);
    let verbose = s3.round_trip(
        &file,
        "signed/ten.bin",
        Style::AwsUrlWithEndpoint,
        Style::LoopbackUrlWithScope,
        &[],
    );
    // The body's own hash was signed and sent, not UNSIGNED-PAYLOAD.
    assert_eq!(
        sent_header(&verbose, "x-amz-content-sha256").as_deref(),
        Some(sha256_hex(&file).as_str()),
        "{verbose}"
    );
    assert_eq!(
        std::fs::read(s3.root().join(BUCKET).join("signed/ten.bin")).unwrap(),
        std::fs::read(&file).unwrap(),
        "the stored object differs from the file"
    );
    eprintln!(
        "s3s-fs: 10 MiB PUT (signed payload, --endpoint-url) and GET (-o, --region/--service): identical"
    );
}

#[test]
fn s3s_put_get_10_mib_with_unsigned_payload() {
    let Some(s3) = S3::start("unsigned") else {
        return;
    };
    let file = random_file(s3.dir.path(), "ten.bin", TEN_MIB, 2);
    let verbose = s3.round_trip(
        &file,
        "unsigned/ten.bin",
        Style::LoopbackUrlWithScope,
        Style::AwsUrlWithEndpoint,
        &["--unsigned-payload"],
    );
    assert_eq!(
        sent_header(&verbose, "x-amz-content-sha256").as_deref(),
        Some("UNSIGNED-PAYLOAD"),
        "{verbose}"
    );
    eprintln!(
        "s3s-fs: 10 MiB PUT (--unsigned-payload, --region/--service) and GET (-o, --endpoint-url): identical"
    );
}

/// A key with a space and a non-ASCII letter, typed raw or percent-encoded: one object, stored
/// under the decoded name (so the key was encoded once, as S3 wants, not twice).
#[test]
fn s3s_key_with_spaces_and_unicode() {
    let Some(s3) = S3::start("unicode") else {
        return;
    };
    let file = random_file(s3.dir.path(), "small.bin", 4099, 3);
    s3.round_trip(
        &file,
        "dir/a b ü.txt",
        Style::AwsUrlWithEndpoint,
        Style::LoopbackUrlWithScope,
        &[],
    );
    let stored = s3.root().join(BUCKET).join("dir").join("a b ü.txt");
    assert_eq!(
        std::fs::read(&stored).unwrap_or_else(|e| panic!("{}: {e}", stored.display())),
        std::fs::read(&file).unwrap()
    );
    // The encoded spelling names the same object.
    let back = s3.dir.path().join("encoded.bin");
    let out = run(s3
        .request(
            "GET",
            &format!("{BUCKET}/dir/a%20b%20%C3%BC.txt"),
            Style::AwsUrlWithEndpoint,
        )
        .arg("-o")
        .arg(&back));
    s3.check_ok(&out, "GET by the encoded key");
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&file).unwrap());
    eprintln!("s3s-fs: key 'dir/a b ü.txt' round trip (raw and percent-encoded): identical");
}

/// A key with reserved characters typed raw (a Hive-style partition `dt=…`, sub-delims): S3
/// signs the key encoded once (`=` as `%3D`), and so does canreq; s3s-fs, an independent
/// verifier, accepts the request and stores the object under the key as typed.
#[test]
fn s3s_key_with_reserved_characters() {
    let Some(s3) = S3::start("reserved") else {
        return;
    };
    let file = random_file(s3.dir.path(), "part.bin", 1000, 5);
    let key = "dt=2024-05-22/a!b(c)*'d,e;f@g$h+i.txt";
    s3.round_trip(
        &file,
        key,
        Style::AwsUrlWithEndpoint,
        Style::LoopbackUrlWithScope,
        &[],
    );
    let stored = s3.root().join(BUCKET).join(key);
    assert_eq!(
        std::fs::read(&stored).unwrap_or_else(|e| panic!("{}: {e}", stored.display())),
        std::fs::read(&file).unwrap()
    );
}

/// `canreq presign GET` gives a URL curl fetches as is; a tampered one is refused.
#[test]
fn s3s_presigned_get_fetched_with_curl() {
    let Some(s3) = S3::start("presign") else {
        return;
    };
    let Some(curl) = find_curl() else {
        return;
    };
    let file = random_file(s3.dir.path(), "ten.bin", TEN_MIB, 4);
    let key = "presigned/a b ü.bin";
    let out = run(s3
        .request("PUT", &format!("{BUCKET}/{key}"), Style::AwsUrlWithEndpoint)
        .arg("-d")
        .arg(format!("@{}", file.display())));
    s3.check_ok(&out, "PUT for presign");

    for style in [Style::AwsUrlWithEndpoint, Style::LoopbackUrlWithScope] {
        let mut cmd = canreq(s3.dir.path());
        cmd.args(["presign", "GET"]);
        s3.address(&mut cmd, &format!("{BUCKET}/{key}"), style);
        let out = run(cmd.args(["--expires", "300"]).args([
            "--access-key",
            KEY_ID,
            "--secret-key",
            SECRET,
        ]));
        s3.check_ok(&out, "presign");
        let url = out.stdout_text().trim().to_owned();
        let prefix = format!(
            "{}/{BUCKET}/presigned/a%20b%20%C3%BC.bin?",
            s3.server.endpoint()
        );
        assert!(url.starts_with(&prefix), "{url}");
        assert!(url.contains("X-Amz-Expires=300"), "{url}");

        let back = s3.dir.path().join("curl.bin");
        let _ = std::fs::remove_file(&back);
        let status = Command::new(&curl)
            .args(["-sf", "--globoff", &url, "-o"])
            .arg(&back)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "curl {url}: {status}\n{}",
            s3.server.log_of_every_attempt()
        );
        assert!(
            std::fs::read(&back).unwrap() == std::fs::read(&file).unwrap(),
            "presigned GET returned other bytes"
        );

        // One hex digit of the signature changed: s3s must refuse (403), or the test proves nothing.
        let (head, last) = url.split_at(url.len() - 1);
        let tampered = format!("{head}{}", if last == "0" { '1' } else { '0' });
        let output = Command::new(&curl)
            .args([
                "-s",
                "--globoff",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &tampered,
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout), "403", "{tampered}");
    }
    eprintln!(
        "s3s-fs: presigned GET (both URL styles) fetched with curl: identical; tampered signature: 403"
    );
}

/// The server checks signatures: a wrong secret gets S3's 403 SignatureDoesNotMatch, shown.
#[test]
fn s3s_refuses_a_wrong_secret() {
    let Some(s3) = S3::start("refused") else {
        return;
    };
    let mut cmd = canreq(s3.dir.path());
    cmd.args(["request", "PUT"]);
    s3.address(
        &mut cmd,
        &format!("{BUCKET}/nope.txt"),
        Style::AwsUrlWithEndpoint,
    );
    let out = run(cmd.args(["-d", "never stored"]).args([
        "--access-key",
        KEY_ID,
        "--secret-key",
        "not-the-secret",
    ]));
    out.expect_code(1, "wrong secret");
    assert!(
        out.stderr.starts_with("canreq: 403 SignatureDoesNotMatch"),
        "{}",
        out.stderr
    );
    assert!(!s3.root().join(BUCKET).join("nope.txt").exists());
    eprintln!("s3s-fs: wrong secret -> 403 SignatureDoesNotMatch, nothing stored");
}

/// curl from PATH; missing: a failure in CI, else skipped.
fn find_curl() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("curl"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if crate::common::in_ci() {
            panic!("curl is not on PATH; in CI a missing peer is a failure");
        }
        eprintln!("skipped: curl is not on PATH");
    }
    found
}

#[test]
fn s3s_accepts_chunked_uploads_in_every_mode() {
    let Some(s3) = S3::start("chunked") else {
        return;
    };
    // Not a multiple of the chunk size: the last chunk is short.
    let file = random_file(s3.dir.path(), "chunked.bin", 3 * 1024 * 1024 + 12_345, 5);
    let cases: [(&str, &[&str], &str); 5] = [
        ("signed", &[], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (
            "signed-crc32c",
            &["--checksum", "crc32c"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            "signed-sha256",
            &["--checksum", "sha256", "--chunk-size", "100000"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            "signed-crc64nvme",
            &["--checksum", "crc64nvme"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            "unsigned-crc32",
            &["--unsigned-payload", "--checksum", "crc32"],
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ),
    ];
    for (name, flags, marker) in cases {
        let mut extra = vec!["--chunked"];
        extra.extend_from_slice(flags);
        let key = format!("chunked/{name}.bin");
        let verbose = s3.round_trip(
            &file,
            &key,
            Style::LoopbackUrlWithScope,
            Style::LoopbackUrlWithScope,
            &extra,
        );
        assert_eq!(
            sent_header(&verbose, "x-amz-content-sha256").as_deref(),
            Some(marker),
            "{name}: {verbose}"
        );
        assert_eq!(
            sent_header(&verbose, "content-encoding").as_deref(),
            Some("aws-chunked"),
            "{name}"
        );
        assert_eq!(
            std::fs::read(s3.root().join(BUCKET).join(&key)).unwrap(),
            std::fs::read(&file).unwrap(),
            "{name}: the stored object differs from the file"
        );
    }
    eprintln!(
        "s3s-fs: --chunked uploads accepted and stored intact in 5 modes (signed, signed+trailer x3, unsigned+trailer)"
    );
}

//! Issue 6: aws-chunked uploads from real clients through `canreq serve`.
//!
//! - boto3 `put_object` and `upload_file` with the flexible checksums CRC32, SHA1 and SHA256,
//!   over HTTPS, where botocore sends `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: accepted, with the
//!   decoded length, chunk count and checksum the server reports matching what was sent;
//! - the same uploads with one data byte changed after signing: `400 BadDigest`;
//! - (ignored; run in release) the peak memory of both ends of a 1 GiB `canreq request
//!   --chunked` upload.

use crate::clients;
use crate::peer;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use canreq::chunked::ChecksumAlgorithm;
use clients::{AKID, KEY, OBJECT_PATH, SECRET, Serve, boto, python, refused, verified_s3_xml};
use peer::{Server, TempDir, canreq, run, vm_hwm_kib};
use serde_json::Value;

/// A few MiB with a short last chunk: botocore cuts it into several chunks.
const SIZE: u64 = 3 * 1024 * 1024 + 4321;
/// What botocore sends over TLS for an upload with a flexible checksum.
const UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
const ALGORITHMS: [&str; 3] = ["crc32", "sha1", "sha256"];
const SCENARIOS: [&str; 2] = ["s3-put", "s3-upload-file"];

/// `serve_client.py SCENARIO --algorithm ALG --size SIZE` over HTTPS, plus `extra`.
fn upload(
    python: &Path,
    serve: &Serve,
    scenario: &str,
    alg: &str,
    extra: &[&str],
) -> clients::Answer {
    let cert = serve.cert().display().to_string();
    let size = SIZE.to_string();
    let args = [
        &["--verify", &cert, "--algorithm", alg, "--size", &size][..],
        extra,
    ]
    .concat();
    boto(python, serve, KEY, scenario, &args)
}

/// botocore built one aws-chunked PutObject with a trailing `alg` checksum, in the mode it
/// keeps for TLS.
fn assert_sent_chunked(what: &str, a: &clients::Answer, alg: &str) {
    let expect = [
        ("method", Value::from("PUT")),
        ("x-amz-content-sha256", UNSIGNED_TRAILER.into()),
        ("content-encoding", "aws-chunked".into()),
        ("x-amz-trailer", format!("x-amz-checksum-{alg}").into()),
        ("x-amz-decoded-content-length", SIZE.to_string().into()),
        ("object-length", SIZE.into()),
    ];
    for (field, want) in expect {
        assert_eq!(a.sent(field), &want, "{what}: {field}: {}", a.all);
    }
    // One PutObject, not a multipart upload (whose requests carry a query).
    let url = a.sent("url").as_str().unwrap_or_default();
    assert!(url.ends_with(OBJECT_PATH), "{what}: sent to {url}");
}

#[test]
fn boto3_flexible_checksums_over_tls_are_verified() {
    let Some(python) = python() else { return };
    let serve = Serve::with_tls("chunked-boto");
    for scenario in SCENARIOS {
        for alg in ALGORITHMS {
            let what = format!("{scenario} with ChecksumAlgorithm={alg}");
            let a = upload(&python, &serve, scenario, alg, &[]);
            assert_sent_chunked(&what, &a, alg);
            let report = verified_s3_xml(&what, a.status, &a.body, AKID);
            assert_eq!(report.get("Payload"), UNSIGNED_TRAILER, "{what}: {report}");
            assert_eq!(report.get("DecodedLength"), SIZE.to_string(), "{report}");
            assert_eq!(report.get("BodyLength"), SIZE.to_string(), "{report}");
            assert_eq!(report.get("ChecksumAlgorithm"), alg, "{what}: {report}");
            // The server's checksum of the data equals the one computed from the object itself.
            let checksum = a.sent("object-checksum").as_str().unwrap();
            assert_eq!(report.get("Checksum"), checksum, "{what}: {report}");
            let chunk = a.sent("chunk-size").as_u64().unwrap();
            let chunks = SIZE.div_ceil(chunk);
            assert!(
                chunks > 1,
                "{what}: {SIZE} bytes fit one {chunk}-byte chunk"
            );
            assert_eq!(report.get("Chunks"), chunks.to_string(), "{what}: {report}");
            assert_eq!(a.all["client_error"], Value::Null, "{what}: {}", a.all);
        }
    }
    let log = serve.log();
    let accepted = format!(" PUT {OBJECT_PATH} 200 ok {AKID} ");
    assert_eq!(log.matches(&accepted).count(), 6, "{log}");
}

#[test]
fn boto3_chunked_upload_with_one_data_byte_changed_is_bad_digest() {
    let Some(python) = python() else { return };
    let serve = Serve::with_tls("chunked-tamper");
    for scenario in SCENARIOS {
        for alg in ALGORITHMS {
            let what = format!("{scenario} ({alg}) with one data byte changed after signing");
            let a = upload(&python, &serve, scenario, alg, &["--tamper", "chunk-data"]);
            assert_sent_chunked(&what, &a, alg);
            refused(&what, a.status, &a.body, 400, "BadDigest");
            assert_eq!(a.client_code(), Some("BadDigest"), "{what}: {}", a.all);
            // The trailer still holds the checksum of the object as it was signed; the server
            // computed another one from the data it got.
            let sent = a.sent("object-checksum").as_str().unwrap();
            let client = peer::between(&a.body, "<ClientChecksum>", "</ClientChecksum>");
            assert_eq!(client, Some(sent), "{what}: {}", a.body);
            let computed = peer::between(&a.body, "<CalculatedChecksum>", "</CalculatedChecksum>");
            assert!(
                computed.is_some_and(|c| c != sent && c.len() == sent.len()),
                "{what}: {}",
                a.body
            );
        }
    }
    let log = serve.log();
    let refusal = format!(" PUT {OBJECT_PATH} 400 BadDigest {AKID} ");
    assert_eq!(log.matches(&refusal).count(), 6, "{log}");
    assert!(!log.contains(" 200 ok "), "{log}");
}

const GIB: u64 = 1 << 30;
/// The bound on either end's peak resident memory, in KiB.
const MEMORY_LIMIT_KIB: u64 = 64 * 1024;

#[test]
#[ignore = "sends 1 GiB; run in release: cargo test --release -p canreq-cli --test serve_chunked -- --ignored"]
fn one_gib_chunked_upload_memory() {
    let dir = TempDir::new("gib-upload");
    let file = dir.path().join("upload.bin");
    let crc32c = write_big_file(&file, GIB);
    let server = Server::start("canreq serve", &dir.path().join("serve.log"), |port| {
        let mut cmd = canreq(dir.path());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--access-key", AKID, "--secret-key", SECRET]);
        cmd
    });
    let before = vm_hwm_kib(server.pid()).expect("the server's VmHWM");

    let mut request = canreq(dir.path());
    request
        .args(["request", "PUT"])
        .arg(format!(
            "http://127.0.0.1:{}/canreq-bucket/big.bin",
            server.port
        ))
        .args(["--region", "us-east-1", "--service", "s3"])
        .args(["--access-key", AKID, "--secret-key", SECRET])
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .args(["--chunked", "--checksum", "crc32c"]);
    let started = Instant::now();
    let (out, client_kib) = run_measured(&mut request, dir.path());
    let elapsed = started.elapsed();
    let server_kib = vm_hwm_kib(server.pid()).expect("the server's VmHWM");
    out.expect_code(0, "canreq request --chunked, 1 GiB");

    let report = verified_s3_xml("1 GiB upload", 200, &out.stdout_text(), AKID);
    assert_eq!(
        report.get("Payload"),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    assert_eq!(report.get("DecodedLength"), GIB.to_string(), "{report}");
    let chunks = GIB.div_ceil(canreq::chunked::DEFAULT_CHUNK_SIZE as u64);
    assert_eq!(report.get("Chunks"), chunks.to_string(), "{report}");
    assert_eq!(report.get("ChecksumAlgorithm"), "crc32c", "{report}");
    assert_eq!(report.get("Checksum"), crc32c, "{report}");

    println!(
        "1 GiB aws-chunked upload ({chunks} chunks, crc32c trailer) in {:.1} s: \
         server VmHWM {before} KiB before, {server_kib} KiB after; client max RSS {client_kib} KiB",
        elapsed.as_secs_f64()
    );
    for (who, kib) in [("server", server_kib), ("client", client_kib)] {
        assert!(
            kib < MEMORY_LIMIT_KIB,
            "{who} peaked at {kib} KiB, over {MEMORY_LIMIT_KIB} KiB"
        );
    }
}

/// Writes `len` bytes that no compressor or deduplicator would shrink (a xorshift block, each
/// MiB stamped with its index); returns their CRC-32C as S3 writes it.
pub(crate) fn write_big_file(path: &Path, len: u64) -> String {
    const BLOCK: usize = 1 << 20;
    let mut block = peer::incompressible_mib(0x9e37_79b9_7f4a_7c15);
    let mut sum = ChecksumAlgorithm::Crc32c.start();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for index in 0..len.div_ceil(BLOCK as u64) {
        block[..8].copy_from_slice(&index.to_le_bytes());
        let take = (len - index * BLOCK as u64).min(BLOCK as u64) as usize;
        sum.update(&block[..take]);
        out.write_all(&block[..take]).unwrap();
    }
    out.flush().unwrap();
    sum.finish_base64()
}

/// Runs `cmd` to the end and returns its peak resident set in KiB: exact from `/usr/bin/time -v`
/// when the machine has it, else the highest `VmHWM` seen while polling.
fn run_measured(cmd: &mut Command, dir: &Path) -> (peer::Run, u64) {
    let time = Path::new("/usr/bin/time");
    if time.is_file() {
        let report = dir.join("time.txt");
        let mut timed = Command::new(time);
        timed.arg("-v").arg("-o").arg(&report);
        timed.arg(cmd.get_program()).args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => timed.env(key, v),
                None => timed.env_remove(key),
            };
        }
        let out = run(&mut timed);
        let text = std::fs::read_to_string(&report).unwrap();
        let kib = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no maximum RSS in /usr/bin/time's report: {text}"));
        return (out, kib);
    }
    let stdout = dir.join("client.out");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after 600 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    let out = peer::Run {
        code: status.code(),
        stdout: std::fs::read(&stdout).unwrap(),
        stderr,
    };
    (out, peak)
}

//! Issue 25: aws-chunked uploads through `canreq gateway`, built with canreq's own encoder and
//! sent byte for byte: in each streaming mode, SigV4's and SigV4a's, the decoded data reaches the upstream as a plain
//! body with its `Content-Length`; with one byte of a chunk or of the trailer changed, the
//! upload is refused and the upstream, which had started to receive the data, never gets a
//! complete request.

use crate::clients;
use crate::gateway_clients::key_file;
use crate::gateway_keys::exchange;
use crate::peer;

use std::io::Read;
use std::time::Duration;

use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
use canreq::{Algorithm, Credentials, Request, Scope, Signer, SigningTime};
use clients::{AKID, SECRET, Serve};
use peer::Recorder;

/// Five 64 KiB chunks and a short one: the first ones are forwarded before the middle one.
const SIZE: usize = 5 * 64 * 1024 + 1234;
const PATH: &str = "/canreq-bucket/chunked.bin";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forgery {
    None,
    ChunkData,
    Trailer,
}

/// A signed aws-chunked PUT of `data` in `mode`, forged as asked, sent to `port`; the status
/// and body of the answer.
fn upload(port: u16, mode: StreamingMode, data: &[u8], forgery: Forgery) -> (u16, String) {
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let mut plan = StreamingUpload::new(mode, 64 * 1024).unwrap();
    if mode.has_trailer() {
        plan = plan.with_checksum(ChecksumAlgorithm::Crc32);
    }
    let host = format!("127.0.0.1:{port}");
    let mut request = Request::new("PUT", PATH).header("Host", &host);
    let framing = plan.headers(data.len() as u64);
    for (name, value) in &framing {
        request = request.header(name, value);
    }
    // A SigV4a mode is signed for a region set naming the gateway's region among others.
    let (scope, algorithm) = match mode.chunk_algorithm() {
        Some(Algorithm::EcdsaP256Sha256) => (
            Scope::for_region_set(["us-west-2", "us-east-1"], "s3").unwrap(),
            Algorithm::EcdsaP256Sha256,
        ),
        _ => (
            Scope::new("us-east-1", "s3").unwrap(),
            Algorithm::HmacSha256,
        ),
    };
    let signed = Signer::new(&creds, scope, SigningTime::now())
        .with_algorithm(algorithm)
        .sign(&request, plan.payload())
        .unwrap();
    let mut wire = Vec::new();
    let mut encoder = plan.encoder(&signed).unwrap();
    encoder.push(data, &mut wire);
    encoder.finish(&mut wire);
    match forgery {
        Forgery::None => {}
        // The middle byte of the whole encoding lies in the data of the third chunk.
        Forgery::ChunkData => {
            let at = wire.len() / 2;
            wire[at] ^= 0x01;
        }
        Forgery::Trailer => {
            let name = b"x-amz-checksum-crc32:";
            let at = wire
                .windows(name.len())
                .rposition(|w| w == name)
                .expect("a checksum trailer");
            wire[at + name.len() + 1] ^= 0x01;
        }
    }
    let mut head = format!("PUT {PATH} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in &framing {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    exchange(port, head, signed.headers(), &wire)
}

#[test]
fn decoded_chunks_go_upstream_plain_and_a_forged_one_leaves_nothing() {
    let upstream = Recorder::start();
    let gateway = Serve::gateway("chunked", &upstream.url(), &key_file(), &[]);
    let port: u16 = gateway
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
    let modes = [
        StreamingMode::Signed,
        StreamingMode::SignedWithTrailer,
        StreamingMode::UnsignedWithTrailer,
        StreamingMode::SignedV4a,
        StreamingMode::SignedV4aWithTrailer,
    ];
    for (n, mode) in modes.into_iter().enumerate() {
        let (status, answer) = upload(port, mode, &data, Forgery::None);
        assert_eq!(status, 200, "{mode:?}: {answer}");
        assert_eq!(upstream.count(), n + 1, "{mode:?}");
        let got = upstream.last();
        assert_eq!(got.target, PATH);
        assert!(got.body == data, "{mode:?}: the data arrived changed");
        assert_eq!(
            got.header("content-length"),
            Some(SIZE.to_string().as_str())
        );
        for gone in [
            "content-encoding",
            "x-amz-decoded-content-length",
            "x-amz-trailer",
            "x-amz-content-sha256",
            "authorization",
            "transfer-encoding",
        ] {
            assert_eq!(got.header(gone), None, "{mode:?}: {gone}");
        }
        assert_eq!(got.header("x-canreq-principal"), Some("team-a"));
    }
    let forged = [
        (
            StreamingMode::Signed,
            Forgery::ChunkData,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            StreamingMode::SignedWithTrailer,
            Forgery::ChunkData,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            StreamingMode::SignedWithTrailer,
            Forgery::Trailer,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            StreamingMode::SignedV4a,
            Forgery::ChunkData,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            StreamingMode::SignedV4aWithTrailer,
            Forgery::Trailer,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            StreamingMode::UnsignedWithTrailer,
            Forgery::ChunkData,
            400,
            "BadDigest",
        ),
        (
            StreamingMode::UnsignedWithTrailer,
            Forgery::Trailer,
            400,
            "BadDigest",
        ),
    ];
    for (mode, forgery, want, code) in forged {
        let (status, answer) = upload(port, mode, &data, forgery);
        let what = format!("{mode:?} with {forgery:?} forged");
        assert_eq!(status, want, "{what}: {answer}");
        assert!(
            answer.contains(&format!("<Code>{code}</Code>")),
            "{what}: {answer}"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        upstream.count(),
        modes.len(),
        "{:#?}",
        upstream.requests().len()
    );
}

const GIB: u64 = 1 << 30;

#[test]
#[ignore = "sends 1 GiB; run in release: cargo test --release -p canreq-cli --test it gateway_chunked -- --ignored"]
fn one_gib_chunked_upload_through_the_gateway_in_bounded_memory() {
    let upstream = Recorder::hashing();
    let gateway = Serve::gateway("gib", &upstream.url(), &key_file(), &[]);
    let file = gateway.dir.path().join("upload.bin");
    crate::serve_chunked::write_big_file(&file, GIB);
    let mut request = peer::canreq(gateway.dir.path());
    request
        .args(["request", "PUT"])
        .arg(format!("{}/canreq-bucket/big.bin", gateway.endpoint()))
        .args(["--region", "us-east-1", "--service", "s3"])
        .args(["--access-key", AKID, "--secret-key", SECRET])
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .args(["--chunked", "--checksum", "crc32c"]);
    let started = std::time::Instant::now();
    let out = peer::run(&mut request);
    let elapsed = started.elapsed();
    out.expect_code(0, "canreq request --chunked, 1 GiB, through the gateway");
    let kib = peer::vm_hwm_kib(gateway.pid()).expect("the gateway's VmHWM");
    let got = upstream.last();
    assert_eq!(got.length, GIB);
    assert_eq!(got.header("content-length"), Some(GIB.to_string().as_str()));
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut source = std::fs::File::open(&file).unwrap();
    let mut piece = vec![0; 1 << 20];
    loop {
        let n = source.read(&mut piece).unwrap();
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &piece[..n]);
    }
    let sha256: String = sha2::Digest::finalize(hasher)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got.sha256, sha256, "the data arrived changed");
    println!(
        "1 GiB aws-chunked upload through the gateway in {:.1} s: gateway VmHWM {kib} KiB",
        elapsed.as_secs_f64()
    );
    assert!(kib < 64 * 1024, "the gateway peaked at {kib} KiB");
}

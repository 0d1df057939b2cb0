//! `--sigv4a`: `canreq sign` and `presign` show SigV4a's steps (the derived public key shown,
//! the private key redacted unless asked), and `canreq request --sigv4a` is accepted by
//! `canreq serve` where the region set names one of its regions, or is `*` (an S3 Multi-Region
//! Access Point host), and refused where it names none. `canreq request --sigv4a --chunked`
//! uploads SigV4a-signed chunks (and a signed trailer) that `canreq serve` verifies, and refuses
//! with one byte changed on the way.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;

use canreq::EcdsaPublicKey;
use canreq::chunked::ChecksumAlgorithm;

use crate::clients::verified_s3_xml;
use crate::peer::{Run, SERVE_AKID, SERVE_SECRET, TempDir, canreq, run, serve_one_key};

/// The AWS SigV4a suite's public key for these credentials.
const SUITE_PUBLIC_KEY: &str = "04b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518";

#[test]
fn sign_shows_sigv4as_steps_and_the_public_key() {
    let home = TempDir::new("sigv4a-sign");
    let sign = |extra: &[&str]| {
        let out = run(canreq(home.path())
            .args([
                "sign",
                "GET",
                "https://example.amazonaws.com/",
                "--service",
                "service",
            ])
            .args([
                "--region",
                "us-east-1",
                "--date",
                "20150830T123600Z",
                "--sigv4a",
            ])
            .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET])
            .args(extra));
        out.expect_code(0, "sign --sigv4a");
        out.stdout_text()
    };
    let json: serde_json::Value = serde_json::from_str(&sign(&["--format", "json"])).unwrap();
    assert_eq!(json["algorithm"], "AWS4-ECDSA-P256-SHA256");
    assert_eq!(json["region_set"], "us-east-1");
    assert_eq!(json["public_key"], SUITE_PUBLIC_KEY);
    assert_eq!(json["credential_scope"], "20150830/service/aws4_request");
    // The suite's get-vanilla string to sign, byte for byte.
    let sts = json["string_to_sign"].as_str().unwrap();
    assert_eq!(
        sts,
        "AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\n\
         cf59db423e841c8b7e3444158185aa261b724a5c27cbe762676f3eed19f4dc02"
    );
    let key = EcdsaPublicKey::from_hex(SUITE_PUBLIC_KEY).unwrap();
    assert!(key.verify(sts.as_bytes(), json["signature"].as_str().unwrap()));

    let text = sign(&[]);
    assert!(
        text.contains(&format!("Public key:        {SUITE_PUBLIC_KEY}")),
        "{text}"
    );
    assert!(text.contains("Private key:       <redacted"), "{text}");
    let private = canreq::EcdsaKey::derive(SERVE_AKID, SERVE_SECRET)
        .unwrap()
        .expose_private_key_hex();
    assert!(!text.contains(&private), "{text}");
    let shown = sign(&["--show-secrets"]);
    assert!(
        shown.contains(&format!("Private key:       {private}")),
        "{shown}"
    );

    // --region-set without --sigv4a is a usage error.
    let out = run(canreq(home.path())
        .args([
            "sign",
            "GET",
            "https://example.amazonaws.com/",
            "--region-set",
            "*",
        ])
        .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET]));
    assert_ne!(out.code, Some(0), "{}", out.stdout_text());
}

#[test]
fn presign_carries_the_region_set() {
    let home = TempDir::new("sigv4a-presign");
    let out = run(canreq(home.path())
        .args([
            "presign",
            "GET",
            "https://bucket.s3.us-east-1.amazonaws.com/key",
        ])
        .args([
            "--sigv4a",
            "--region-set",
            "us-east-1,us-west-2",
            "--format",
            "json",
        ])
        .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET]));
    out.expect_code(0, "presign --sigv4a");
    let json: serde_json::Value = serde_json::from_str(&out.stdout_text()).unwrap();
    assert_eq!(json["region_set"], "us-east-1,us-west-2");
    let url = json["url"].as_str().unwrap();
    assert!(
        url.contains("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&"),
        "{url}"
    );
    assert!(
        url.contains("&X-Amz-Region-Set=us-east-1%2Cus-west-2&X-Amz-Signature=30"),
        "{url}"
    );
}

#[test]
fn serve_accepts_sigv4a_requests_for_its_regions_and_refuses_others() {
    let (serve, _dir) = serve_one_key("sigv4a-serve", &["--region", "us-west-2"]);
    let home = TempDir::new("sigv4a-request");
    let request = |url: &str, extra: &[&str]| {
        run(canreq(home.path())
            .args([
                "request",
                "GET",
                url,
                "--endpoint-url",
                &serve.endpoint(),
                "--sigv4a",
            ])
            .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET])
            .args(extra))
    };
    // An MRAP host: region set `*`, service s3.
    let mrap = "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/key";
    let out = request(mrap, &[]);
    out.expect_code(0, "MRAP host, region set *");
    let out = request(mrap, &["--region-set", "us-east-1,us-west-2"]);
    out.expect_code(0, "a set holding the served region");
    let out = request(mrap, &["--region-set", "eu-west-1"]);
    assert_ne!(
        out.code,
        Some(0),
        "a set without the served region: {}",
        out.stdout_text()
    );
    let answer = format!("{}{}", out.stdout_text(), out.stderr);
    assert!(answer.contains("AuthorizationHeaderMalformed"), "{answer}");
    assert!(answer.contains("eu-west-1"), "{answer}");
    // S3's error carries the region the endpoint expects, as for SigV4.
    assert!(answer.contains("<Region>us-west-2</Region>"), "{answer}");

    // A Query service's words name the region set: a SigV4a credential has no region (its
    // third part is the service, which must not be read as one).
    let sts = "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15";
    let out = request(sts, &["--region-set", "eu-west-1,ap-south-1"]);
    let answer = format!("{}{}", out.stdout_text(), out.stderr);
    assert!(
        answer.contains(
            "<Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to a valid \
             region, not &apos;eu-west-1,ap-south-1&apos;.</Message><Region>us-west-2</Region>"
        ),
        "{answer}"
    );

    // A verified request's S3 report: the algorithm and the region set, no empty Region.
    let out = request(
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/?list-type=2",
        &[],
    );
    out.expect_code(0, "MRAP ListObjectsV2");
    let report = out.stdout_text();
    assert!(
        report.contains(
            "<Service>s3</Service><Algorithm>AWS4-ECDSA-P256-SHA256</Algorithm>\
             <RegionSet>*</RegionSet><Auth>header</Auth>"
        ),
        "{report}"
    );
    assert!(!report.contains("<Region>"), "{report}");
}

/// 2 full chunks of 8 KiB and a short one.
const UPLOAD_LEN: usize = 2 * 8192 + 1000;

/// `canreq request --sigv4a --chunked` of `file` to `port`, with `extra` flags.
fn chunked_upload(home: &Path, port: u16, file: &Path, extra: &[&str]) -> Run {
    run(canreq(home)
        .args(["request", "PUT"])
        .arg(format!("http://127.0.0.1:{port}/bucket/object.bin"))
        .args(["--region", "us-east-1", "--service", "s3", "--sigv4a"])
        .args(["--access-key", SERVE_AKID, "--secret-key", SERVE_SECRET])
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .args(["--chunked", "--chunk-size", "8192"])
        .args(extra))
}

#[test]
fn serve_verifies_sigv4a_chunked_uploads_and_refuses_a_changed_byte() {
    let (serve, _dir) = serve_one_key("sigv4a-chunked", &["--region", "us-east-1"]);
    let home = TempDir::new("sigv4a-chunked-request");
    let data: Vec<u8> = (0..UPLOAD_LEN).map(|i| (i * 7 % 251) as u8).collect();
    let file = home.path().join("upload.bin");
    std::fs::write(&file, &data).unwrap();
    let mut crc32 = ChecksumAlgorithm::Crc32.start();
    crc32.update(&data);
    let crc32 = crc32.finish_base64();

    for (extra, marker) in [
        (&[][..], "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
        (
            &["--checksum", "crc32"][..],
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        ),
    ] {
        let out = chunked_upload(home.path(), serve.port, &file, extra);
        out.expect_code(0, marker);
        let report = verified_s3_xml(marker, 200, &out.stdout_text(), SERVE_AKID);
        // A SigV4a head: its region set is signed.
        assert!(
            report
                .get("CanonicalRequest")
                .contains("\nx-amz-region-set:us-east-1\n"),
            "{report}"
        );
        assert_eq!(report.get("Payload"), marker, "{report}");
        assert_eq!(
            report.get("DecodedLength"),
            UPLOAD_LEN.to_string(),
            "{report}"
        );
        assert_eq!(report.get("Chunks"), "3", "{report}");
        if extra.is_empty() {
            assert_eq!(report.field("Checksum"), None, "{report}");
        } else {
            assert_eq!(report.get("ChecksumAlgorithm"), "crc32", "{report}");
            assert_eq!(report.get("Checksum"), crc32, "{report}");
        }
    }

    // The same upload through a relay that changes one byte of the body on the way: a byte of
    // the second chunk's data, then one of the trailer's signature. Each size line is the hex
    // size, `;chunk-signature=` and 144 characters of padded signature, then CRLF.
    let line = |hex_digits: usize| hex_digits + ";chunk-signature=".len() + 144 + 2;
    let second_chunk_data = line(4) + 8192 + 2 + line(4);
    // Sizes 2000, 2000, 3e8, then the final 0.
    let encoded = 2 * line(4) + line(3) + UPLOAD_LEN + 3 * 2 + line(1);
    let trailer_signature = encoded
        + "x-amz-checksum-crc32:".len()
        + crc32.len()
        + 2
        + "x-amz-trailer-signature:".len()
        + 10;
    for (what, offset, message) in [
        (
            "a data byte of chunk 2",
            second_chunk_data + 100,
            "chunk signature we calculated for chunk 1",
        ),
        (
            "a byte of the trailer signature",
            trailer_signature,
            "trailer signature we calculated",
        ),
    ] {
        let relay = FlippingRelay::start(serve.port, offset);
        let out = chunked_upload(home.path(), relay.port, &file, &["--checksum", "crc32"]);
        assert_ne!(out.code, Some(0), "{what}: accepted: {}", out.stdout_text());
        let answer = format!("{}{}", out.stdout_text(), out.stderr);
        assert!(answer.contains("SignatureDoesNotMatch"), "{what}: {answer}");
        assert!(answer.contains(message), "{what}: {answer}");
        assert!(relay.flipped(), "{what}: the relay changed nothing");
    }
}

/// `byte` changed, a hex digit into another hex digit: a signature so changed is still well
/// formed, so its refusal is the signature check's, whatever digit the run's signature has
/// there (`^ 1` would turn an `a` or an `f` into a character that is not hex).
fn changed(byte: u8) -> u8 {
    match byte {
        b'0' => b'1',
        b'0'..=b'9' | b'a'..=b'f' => b'0',
        other => other ^ 0x01,
    }
}

/// A one-connection TCP relay to a local port that changes one byte of the request body
/// (`offset` bytes after the blank line that ends the head) on its way to the server.
struct FlippingRelay {
    port: u16,
    done: std::thread::JoinHandle<bool>,
}

impl FlippingRelay {
    fn start(upstream: u16, offset: usize) -> FlippingRelay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let done = std::thread::spawn(move || {
            let (mut client, _) = listener.accept().unwrap();
            let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
            let (mut client_out, mut server_in) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let answers = std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_in, &mut client_out);
                let _ = client_out.shutdown(Shutdown::Write);
            });
            let mut seen: Vec<u8> = Vec::new();
            let mut body_start = None;
            let mut flipped = false;
            let mut buffer = [0u8; 16 * 1024];
            loop {
                let n = match client.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let piece = &mut buffer[..n];
                let at = seen.len();
                if body_start.is_none() {
                    seen.extend_from_slice(piece);
                    body_start = seen
                        .windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .map(|p| p + 4);
                } else {
                    seen.resize(at + n, 0);
                }
                if let Some(start) = body_start {
                    let target = start + offset;
                    if (at..at + n).contains(&target) {
                        piece[target - at] = changed(piece[target - at]);
                        flipped = true;
                    }
                }
                if server.write_all(piece).is_err() {
                    break;
                }
            }
            let _ = server.shutdown(Shutdown::Write);
            let _ = answers.join();
            flipped
        });
        FlippingRelay { port, done }
    }

    /// Whether the byte was there to change (waits for the exchange to end).
    fn flipped(self) -> bool {
        self.done.join().unwrap()
    }
}

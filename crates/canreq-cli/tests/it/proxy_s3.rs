//! `canreq proxy` in front of S3 (s3s-fs, which checks every signature) and of `canreq serve`
//! (which reports what it verified): clients that do not sign at all (curl), and clients that
//! sign with placeholder keys (`canreq request --chunked`, boto3's aws-chunked uploads), all
//! re-signed by the proxy, the objects stored byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::cli_against_s3s::{BUCKET, KEY_ID, S3, SECRET};
use crate::clients::{self, Serve};
use crate::peer::{Server, TempDir, canreq, incompressible_mib, run};

/// A running `canreq proxy`, killed on drop.
pub(crate) struct Proxy {
    pub(crate) server: Server,
    scheme: &'static str,
}

impl Proxy {
    /// `canreq proxy --upstream UPSTREAM EXTRA…` on a free port, its output in `dir`.
    pub(crate) fn start(dir: &Path, upstream: &str, extra: &[&str]) -> Proxy {
        let tls = extra.contains(&"--tls-cert");
        // One log per proxy: a test may run several in one directory.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let log = dir.join(format!(
            "proxy-{}.log",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let make = |port: u16| {
            let mut cmd = canreq(dir);
            cmd.args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
                .args(["--upstream", upstream])
                .args(extra);
            cmd
        };
        // A probe over plain HTTP would be a bad request to a TLS listener: wait for the port.
        let server = if tls {
            Server::start("canreq proxy", &log, make)
        } else {
            Server::start_http("canreq proxy", &log, make)
        };
        Proxy {
            server,
            scheme: if tls { "https" } else { "http" },
        }
    }

    /// The proxy in front of `s3`, signing with its key.
    pub(crate) fn for_s3(s3: &S3, extra: &[&str]) -> Proxy {
        let mut args = vec![
            "--service",
            "s3",
            "--region",
            "us-east-1",
            "--access-key",
            KEY_ID,
            "--secret-key",
            SECRET,
        ];
        args.extend_from_slice(extra);
        Proxy::start(s3.dir.path(), &s3.server.endpoint(), &args)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.server.port)
    }

    pub(crate) fn log(&self) -> String {
        self.server.log()
    }
}

/// curl, not signing: the answer's head (every status line, `100 Continue` included) and
/// body, and the final status.
pub(crate) struct Curled {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn curl(args: &[&str], url: &str, dir: &Path) -> Curled {
    let body_file = dir.join("curl-body");
    let _ = std::fs::remove_file(&body_file);
    let out = run(Command::new("/usr/bin/curl")
        .args(["-sS", "--noproxy", "*", "-D", "-", "-o"])
        .arg(&body_file)
        .args(["-w", "\n%{http_code}"])
        .args(args)
        .arg(url));
    out.expect_code(0, &format!("curl {args:?} {url}"));
    let text = out.stdout_text();
    let (head, status) = text.rsplit_once('\n').unwrap();
    Curled {
        status: status.parse().unwrap(),
        head: head.to_owned(),
        body: std::fs::read(&body_file).unwrap_or_default(),
    }
}

/// Keys with S3's awkward characters: reserved in URLs, spaces, `+`, non-ASCII. Each as sent in
/// the URL (percent-encoded) and as stored.
const KEYS: [(&str, &str); 4] = [
    ("plain.txt", "plain.txt"),
    ("dir/a%20b%2Bc.txt", "dir/a b+c.txt"),
    (
        "reserved%21%24%26%27%28%29%2A%2C%3B%3D%40%3A~.txt",
        "reserved!$&'()*,;=@:~.txt",
    ),
    ("%E2%82%AC/%C3%BCber%20caf%C3%A9.txt", "€/über café.txt"),
];

#[test]
fn curl_through_the_proxy_puts_gets_lists_and_deletes_on_s3() {
    let Some(s3) = S3::start("proxy-curl") else {
        return;
    };
    let proxy = Proxy::for_s3(&s3, &[]);
    let dir = s3.dir.path();
    for (i, (sent, stored)) in KEYS.iter().enumerate() {
        let data = format!("object {i}: {stored}\n");
        let file = dir.join("small.txt");
        std::fs::write(&file, &data).unwrap();
        let url = proxy.url(&format!("/{BUCKET}/{sent}"));
        let put = curl(&["-T", file.to_str().unwrap()], &url, dir);
        assert_eq!(put.status, 200, "PUT {sent}: {}\n{}", put.head, proxy.log());
        let on_disk = s3.root().join(BUCKET).join(stored);
        assert_eq!(
            std::fs::read_to_string(&on_disk).unwrap_or_default(),
            data,
            "{stored}"
        );
        let get = curl(&[], &url, dir);
        assert_eq!(
            (get.status, get.body),
            (200, data.into_bytes()),
            "GET {sent}"
        );
        let listed = curl(&[], &proxy.url(&format!("/{BUCKET}?list-type=2")), dir);
        let listing = String::from_utf8_lossy(&listed.body).into_owned();
        let escaped = stored.replace('&', "&amp;").replace('\'', "&apos;");
        assert!(
            listed.status == 200
                && (listing.contains(&format!("<Key>{stored}</Key>"))
                    || listing.contains(&format!("<Key>{escaped}</Key>"))),
            "{stored} not listed: {listing}"
        );
        let delete = curl(&["-X", "DELETE"], &url, dir);
        assert_eq!(delete.status, 204, "DELETE {sent}: {}", delete.head);
        assert!(!on_disk.exists(), "{stored} still there");
    }
    // The proxy's access line names each request; no secret is in the log.
    let log = proxy.log();
    assert!(log.contains("PUT /canreq-bucket/plain.txt 200"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
}

/// 3 MiB: sent on as signed aws-chunked chunks. With a length (and `Expect: 100-continue`,
/// which the proxy answers), and with chunked transfer coding (no length: collected first).
#[test]
fn bodies_of_known_and_unknown_length_reach_s3_intact() {
    let Some(s3) = S3::start("proxy-bodies") else {
        return;
    };
    let proxy = Proxy::for_s3(&s3, &["--buffer", "1MiB"]);
    let dir = s3.dir.path();
    let data: Vec<u8> = (0..3).flat_map(incompressible_mib).collect();
    let file = dir.join("three.bin");
    std::fs::write(&file, &data).unwrap();
    let file = file.to_str().unwrap();
    for (key, args) in [
        ("expect", vec!["-T", file, "-H", "Expect: 100-continue"]),
        (
            "chunked",
            vec!["-T", file, "-H", "Transfer-Encoding: chunked"],
        ),
    ] {
        let url = proxy.url(&format!("/{BUCKET}/{key}.bin"));
        let put = curl(&args, &url, dir);
        assert_eq!(put.status, 200, "{key}: {}\n{}", put.head, proxy.log());
        if key == "expect" {
            assert!(
                put.head.starts_with("HTTP/1.1 100 Continue"),
                "{key}: {}",
                put.head
            );
        }
        let stored = std::fs::read(s3.root().join(BUCKET).join(format!("{key}.bin"))).unwrap();
        assert!(stored == data, "{key}: {} bytes stored", stored.len());
        let get = curl(&[], &url, dir);
        assert!(get.status == 200 && get.body == data, "GET {key}");
    }
}

/// A client that signs with keys the upstream does not know: its signature and token are
/// dropped, its aws-chunked body decoded and its chunks signed anew, its CRC32 trailer carried
/// (recomputed, and checked against the client's).
#[test]
fn clients_signing_with_placeholder_keys_are_re_signed() {
    let Some(s3) = S3::start("proxy-placeholder") else {
        return;
    };
    let dir = s3.dir.path().to_owned();
    let data: Vec<u8> = (0..2).flat_map(|i| incompressible_mib(i + 7)).collect();
    let file = dir.join("two.bin");
    std::fs::write(&file, &data).unwrap();

    // canreq itself, signed aws-chunked with a placeholder key, with and without a trailer.
    let proxy = Proxy::for_s3(&s3, &[]);
    for (key, extra) in [
        ("signed-trailer", &["--checksum", "crc32"][..]),
        ("signed", &[][..]),
    ] {
        let out = run(canreq(&dir)
            .args(["request", "PUT", &proxy.url(&format!("/{BUCKET}/{key}"))])
            .arg("-d")
            .arg(format!("@{}", file.display()))
            .args(["--chunked", "--service", "s3", "--region", "us-east-1"])
            .args([
                "--access-key",
                "AKIDPLACEHOLDER",
                "--secret-key",
                "placeholder",
            ])
            .args(["-i", "--session-token", "placeholder-token"])
            .args(extra));
        out.expect_code(0, key);
        let answer = out.stdout_text();
        assert!(answer.starts_with("HTTP/1.1 200"), "{key}: {answer}");
        let stored = std::fs::read(s3.root().join(BUCKET).join(key)).unwrap();
        assert!(stored == data, "{key}: {} bytes stored", stored.len());
    }

    // boto3 over TLS (its aws-chunked uploads need it): STREAMING-UNSIGNED-PAYLOAD-TRAILER
    // with a CRC32 trailer, from an SDK whose keys are placeholders.
    let Some(python) = clients::python() else {
        return;
    };
    let (cert, key) = self_signed(&dir);
    let tls = Proxy::for_s3(
        &s3,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let script = r#"
import hashlib, sys, boto3
from botocore.config import Config
endpoint, cert, path = sys.argv[1:4]
c = boto3.client("s3", endpoint_url=endpoint, verify=cert, region_name="us-east-1",
                 aws_access_key_id="AKIDPLACEHOLDER", aws_secret_access_key="placeholder",
                 config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
seen = {}
def before_send(request, **_):
    seen.update({k.lower(): v.decode() if isinstance(v, bytes) else v
                 for k, v in request.headers.items()})
c.meta.events.register("before-send", before_send)
data = open(path, "rb").read()
c.put_object(Bucket="canreq-bucket", Key="boto/obj €.bin", Body=data)
print(seen.get("content-encoding"), seen.get("x-amz-content-sha256"), seen.get("x-amz-trailer"))
got = c.get_object(Bucket="canreq-bucket", Key="boto/obj €.bin")["Body"].read()
print(hashlib.sha256(got).hexdigest())
keys = [o["Key"] for o in c.list_objects_v2(Bucket="canreq-bucket", Prefix="boto/")["Contents"]]
print(keys)
"#;
    let mut cmd = Command::new(&python);
    clients::aws_env(
        &mut cmd,
        &dir,
        clients::Key {
            id: "AKIDPLACEHOLDER",
            secret: "placeholder",
            token: None,
        },
    );
    let out = run(cmd
        .args(["-c", script, &tls.url(""), cert.to_str().unwrap()])
        .arg(&file));
    out.expect_code(0, &format!("boto3 through the proxy\n{}", tls.log()));
    let lines: Vec<String> = out.stdout_text().lines().map(str::to_owned).collect();
    assert_eq!(
        lines[0], "aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER x-amz-checksum-crc32",
        "boto3 did not send what this test is about"
    );
    assert_eq!(lines[1], clients::sha256_hex(&data));
    assert_eq!(lines[2], "['boto/obj €.bin']");
    let stored = std::fs::read(s3.root().join(BUCKET).join("boto/obj €.bin")).unwrap();
    assert!(stored == data, "{} bytes stored", stored.len());
}

/// A self-signed certificate for 127.0.0.1, and its key.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert_file, key_file) = (dir.join("proxy-cert.pem"), dir.join("proxy-key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    (cert_file, key_file)
}

/// In front of `canreq serve`, which reports what it verified: the proxy's signature, the
/// upstream's host, an S3 body as signed chunks, another service's body hashed, the
/// client's presign parameters gone, and `X-Forwarded-*` sent unsigned.
#[test]
fn what_the_proxy_signs_is_what_serve_verifies() {
    let serve = Serve::with_key("proxy-serve");
    let dir = TempDir::new("proxy-serve");
    let keys = [
        "--access-key",
        clients::AKID,
        "--secret-key",
        clients::SECRET,
    ];
    let s3 = Proxy::start(
        dir.path(),
        &serve.endpoint(),
        &[&["--service", "s3", "--region", "eu-west-1"][..], &keys].concat(),
    );
    let body = dir.path().join("body.bin");
    std::fs::write(&body, incompressible_mib(3)).unwrap();
    let put = curl(
        &[
            "-T",
            body.to_str().unwrap(),
            "-H",
            "X-Forwarded-For: 192.0.2.1",
        ],
        &s3.url("/b/k?X-Amz-Signature=stale&X-Amz-Credential=x&versionId=1"),
        dir.path(),
    );
    let report = clients::verified_s3_xml(
        "PUT through the proxy",
        put.status,
        &String::from_utf8_lossy(&put.body),
        clients::AKID,
    );
    assert_eq!(report.get("Region"), "eu-west-1");
    assert_eq!(report.get("Payload"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert_eq!(report.get("DecodedLength"), (1 << 20).to_string());
    assert_eq!(
        report.get("Chunks"),
        "16",
        "1 MiB in 64 KiB chunks: {report}"
    );
    let canonical = report.get("CanonicalRequest");
    assert!(
        canonical.starts_with("PUT\n/b/k\nversionId=1\n"),
        "{canonical}"
    );
    assert!(
        canonical.contains(&format!(
            "\nhost:{}\n",
            serve.endpoint().trim_start_matches("http://")
        )),
        "{canonical}"
    );
    assert!(!canonical.contains("x-forwarded"), "{canonical}");

    let ssm = Proxy::start(
        dir.path(),
        &serve.endpoint(),
        &[&["--service", "ssm", "--region", "us-east-1"][..], &keys].concat(),
    );
    let json = r#"{"Name":"/canreq/param"}"#;
    let post = curl(
        &[
            "-H",
            "Content-Type: application/x-amz-json-1.1",
            "-H",
            "X-Amz-Target: AmazonSSM.GetParameter",
            "--data-binary",
            json,
        ],
        &ssm.url("/"),
        dir.path(),
    );
    let text = String::from_utf8_lossy(&post.body).into_owned();
    let report = clients::verified_json(
        "SSM through the proxy",
        post.status,
        &text,
        clients::AKID,
        "ssm",
    );
    // The body's own hash is what was signed.
    assert_eq!(report["payload"], "sha256", "{report}");
    let canonical = report["canonical_request"].as_str().unwrap();
    assert!(
        canonical.ends_with(&format!("\n{}", clients::sha256_hex(json.as_bytes()))),
        "{canonical}"
    );
}

/// Mistakes named before anything is sent: `--unsigned-payload` to a plain-HTTP upstream
/// (nothing would protect the body), and, with `--host-routing`, a host that is not AWS's (the
/// proxy is no open relay).
#[test]
fn the_proxy_refuses_what_it_must_not_forward() {
    let dir = TempDir::new("proxy-refusals");
    let out = run(canreq(dir.path()).args([
        "proxy",
        "--upstream",
        "http://127.0.0.1:9",
        "--service",
        "s3",
        "--region",
        "us-east-1",
        "--access-key",
        "AKID",
        "--secret-key",
        "secret",
        "--unsigned-payload",
    ]));
    out.expect_code(2, "--unsigned-payload over plain HTTP");
    assert!(out.stderr.contains("https://"), "{}", out.stderr);

    let log = dir.path().join("routing.log");
    let server = Server::start_http("canreq proxy --host-routing", &log, |port| {
        let mut cmd = canreq(dir.path());
        cmd.args([
            "proxy",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--host-routing",
        ])
        .args(["--access-key", "AKID", "--secret-key", "secret"]);
        cmd
    });
    let answer = curl(
        &["-H", "Host: example.com"],
        &format!("http://127.0.0.1:{}/", server.port),
        dir.path(),
    );
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    assert_eq!(answer.status, 400, "{body}");
    assert!(
        body.contains("<Code>InvalidRequest</Code>") && body.contains("not one"),
        "{body}"
    );
}

/// An HTTPS upstream with a private certificate: trusted with `--upstream-ca`, else the
/// handshake fails and the client gets `502 BadGateway` naming the cause.
#[test]
fn a_private_tls_upstream_is_trusted_through_upstream_ca() {
    let serve = Serve::with_tls("proxy-tls-upstream");
    let dir = TempDir::new("proxy-tls-upstream");
    let keys = [
        "--service",
        "execute-api",
        "--region",
        "us-east-1",
        "--access-key",
        clients::AKID,
        "--secret-key",
        clients::SECRET,
    ];
    let cert = serve.cert();
    let trusted = Proxy::start(
        dir.path(),
        &serve.endpoint(),
        &[&keys[..], &["--upstream-ca", cert.to_str().unwrap()]].concat(),
    );
    let answer = curl(&[], &trusted.url("/prod/items?id=1"), dir.path());
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    clients::verified_json(
        "GET over TLS",
        answer.status,
        &text,
        clients::AKID,
        "execute-api",
    );

    let untrusted = Proxy::start(dir.path(), &serve.endpoint(), &keys);
    let answer = curl(&[], &untrusted.url("/prod/items"), dir.path());
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    assert_eq!(answer.status, 502, "{text}");
    assert!(
        text.contains("<Code>BadGateway</Code>") && text.contains("certificate"),
        "{text}"
    );
}

//! Shared by serve_clients, serve_chunked and serve_protocols: `canreq serve` started per test,
//! the keys it accepts, the three clients (serve_client.py for boto3, the AWS CLI, curl) run in
//! an environment that holds no AWS setting of the machine, and the checks of the server's
//! answers.

// Each test crate that includes this module uses only part of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::peer::{Run, Server, TempDir, canreq, peer, run};

pub const AKID: &str = "AKIDCANREQSERVE";
pub const SECRET: &str = "serve/secret+key/EXAMPLE0123456789";
/// A temporary key from the key file: its requests must carry `TOKEN`.
pub const TEMP_AKID: &str = "ASIACANREQSERVE";
pub const TEMP_SECRET: &str = "temp/secret+key/EXAMPLE9876543210";
pub const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDCanreqTokenWith+/=odd=chars";
/// The object serve_client.py puts, and where.
pub const OBJECT_LEN: u64 = 33;
pub const OBJECT_PATH: &str = "/canreq-bucket/dir/hello%20world.txt";

pub const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/serve_client.py"
);

/// The credentials a client signs with.
#[derive(Clone, Copy)]
pub struct Key {
    pub id: &'static str,
    pub secret: &'static str,
    pub token: Option<&'static str>,
}

pub const KEY: Key = Key {
    id: AKID,
    secret: SECRET,
    token: None,
};
pub const TEMP_KEY: Key = Key {
    id: TEMP_AKID,
    secret: TEMP_SECRET,
    token: Some(TOKEN),
};

/// `canreq serve` on a free port, plus the private directory of the test.
pub struct Serve {
    server: Server,
    pub dir: TempDir,
    scheme: &'static str,
}

impl Serve {
    /// One key from the command line.
    pub fn with_key(name: &str) -> Serve {
        Serve::start(name, "http", |_| {
            ["--access-key", AKID, "--secret-key", SECRET]
                .map(str::to_owned)
                .to_vec()
        })
    }

    /// A key file with a permanent key and a temporary one that needs `TOKEN`.
    pub fn with_key_file(name: &str) -> Serve {
        Serve::with_key_file_and(name, &[])
    }

    /// [`Serve::with_key_file`] with more options of `serve`.
    pub fn with_key_file_and(name: &str, extra: &[&str]) -> Serve {
        Serve::start(name, "http", |dir| {
            let file = dir.join("keys.toml");
            let text = format!(
                "[[keys]]\naccess_key_id = \"{AKID}\"\nsecret_access_key = \"{SECRET}\"\n\n\
                 [[keys]]\naccess_key_id = \"{TEMP_AKID}\"\nsecret_access_key = \"{TEMP_SECRET}\"\n\
                 session_token = \"{TOKEN}\"\n"
            );
            std::fs::write(&file, text).unwrap();
            let mut args = vec!["--credentials".into(), file.display().to_string()];
            args.extend(extra.iter().map(|a| a.to_string()));
            args
        })
    }

    /// HTTPS with a fresh self-signed certificate for 127.0.0.1 and localhost.
    pub fn with_tls(name: &str) -> Serve {
        Serve::start(name, "https", |dir| {
            let mut args: Vec<String> = ["--access-key", AKID, "--secret-key", SECRET]
                .map(str::to_owned)
                .to_vec();
            args.extend(self_signed(dir));
            args
        })
    }

    /// [`Serve::gateway`] over HTTPS, with a fresh self-signed certificate ([`Serve::cert`]).
    pub fn gateway_tls(name: &str, upstream: &str, keys: &str, extra: &[&str]) -> Serve {
        Serve::launch(name, "https", "gateway", |dir| {
            let mut args = gateway_args(dir, upstream, keys, extra);
            args.extend(self_signed(dir));
            args
        })
    }

    /// `canreq gateway --upstream UPSTREAM` with `keys` (the text of its key file) and
    /// `extra`: to a client, one more endpoint that verifies.
    pub fn gateway(name: &str, upstream: &str, keys: &str, extra: &[&str]) -> Serve {
        Serve::launch(name, "http", "gateway", |dir| {
            gateway_args(dir, upstream, keys, extra)
        })
    }

    fn start(name: &str, scheme: &'static str, keys: impl FnOnce(&Path) -> Vec<String>) -> Serve {
        Serve::launch(name, scheme, "serve", keys)
    }

    fn launch(
        name: &str,
        scheme: &'static str,
        command: &str,
        keys: impl FnOnce(&Path) -> Vec<String>,
    ) -> Serve {
        let dir = TempDir::new(&format!("{command}-{name}"));
        let keys = keys(dir.path());
        let what = format!("canreq {command}");
        let log = dir.path().join(format!("{command}.log"));
        let server = Server::start(&what, &log, |port| {
            let mut cmd = canreq(dir.path());
            cmd.args([command, "--listen", &format!("127.0.0.1:{port}")])
                .args(&keys);
            cmd
        });
        Serve {
            server,
            dir,
            scheme,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.server.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// The server logged `METHOD PATH STATUS CODE AKID` for a request (the log line is written
    /// before the answer is sent, so it is there once the client has its answer).
    pub fn assert_logged(&self, method: &str, path: &str, status: u16, code: &str, akid: &str) {
        let want = format!(" {method} {path} {status} {code} {akid} ");
        let log = self.server.log();
        assert!(log.contains(&want), "server log lacks `{want}`:\n{log}");
    }
}

/// What a client run reported, from serve_client.py's JSON line.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub all: Value,
}

impl Answer {
    pub fn sent(&self, field: &str) -> &Value {
        &self.all["sent"][field]
    }

    /// The error code the client itself made of the answer, if it raised.
    pub fn client_code(&self) -> Option<&str> {
        self.all["client_error"]["code"].as_str()
    }
}

/// `--upstream UPSTREAM --credentials DIR/keys.toml` (the file holding `keys`) and `extra`.
fn gateway_args(dir: &Path, upstream: &str, keys: &str, extra: &[&str]) -> Vec<String> {
    let file = dir.join("keys.toml");
    std::fs::write(&file, keys).unwrap();
    let mut args = vec![
        "--upstream".to_owned(),
        upstream.to_owned(),
        "--credentials".into(),
        file.display().to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// A fresh self-signed certificate for 127.0.0.1 and localhost in `dir`, as TLS flags.
fn self_signed(dir: &Path) -> Vec<String> {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let cert = rcgen::generate_simple_self_signed(names).expect("a self-signed cert");
    std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let mut args = Vec::new();
    for (flag, file) in [("--tls-cert", "cert.pem"), ("--tls-key", "key.pem")] {
        args.push(flag.into());
        args.push(dir.join(file).display().to_string());
    }
    args
}

/// The venv python, or `None` (skipped) outside CI.
pub fn python() -> Option<PathBuf> {
    peer(
        "CANREQ_PYTHON",
        "the venv python of .ci/run, with boto3 and awscli",
    )
}

/// An environment with no AWS setting of the machine: a private HOME, no config files, only the
/// given key, no instance metadata; and botocore's own Python signers, not the CRT's, which
/// botocore would take for SigV4 whenever awscrt is installed (serve_client.py's `--mrap` turns
/// the CRT back on: only it signs SigV4a).
pub fn aws_env(cmd: &mut Command, home: &Path, key: Key) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BOTO_DISABLE_CRT", "true")
        .env("AWS_ACCESS_KEY_ID", key.id)
        .env("AWS_SECRET_ACCESS_KEY", key.secret);
    if let Some(token) = key.token {
        cmd.env("AWS_SESSION_TOKEN", token);
    }
}

/// One serve_client.py scenario (`--tamper KIND` and the like in `extra`).
pub fn boto(python: &Path, serve: &Serve, key: Key, scenario: &str, extra: &[&str]) -> Answer {
    let mut cmd = Command::new(python);
    aws_env(&mut cmd, serve.dir.path(), key);
    cmd.arg(SCRIPT)
        .arg(scenario)
        .arg(serve.endpoint())
        .args(extra);
    let out = run(&mut cmd);
    let what = format!("serve_client.py {scenario} {extra:?}");
    out.expect_code(0, &what);
    let all: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", out.stdout_text()));
    let status = all["status"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: no HTTP status, so no answer: {all}"));
    Answer {
        status: u16::try_from(status).unwrap(),
        body: all["body"].as_str().unwrap_or_default().to_owned(),
        all,
    }
}

/// The server verified the request and said so in its JSON report; returns the report.
pub fn verified_json(what: &str, status: u16, body: &str, akid: &str, service: &str) -> Value {
    assert_eq!(status, 200, "{what}: the server refused: {body}");
    let report: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{what}: the 200 body is not the JSON report ({e}): {body}"));
    assert_eq!(report["verified"], true, "{what}: {report}");
    assert_eq!(report["access_key_id"], akid, "{what}: {report}");
    assert_eq!(report["service"], service, "{what}: {report}");
    report
}

/// The same for a Query-protocol request, whose report is XML.
pub fn verified_xml(what: &str, status: u16, body: &str, akid: &str, service: &str) {
    assert_eq!(status, 200, "{what}: the server refused: {body}");
    for want in [
        "<Verified>true</Verified>".to_owned(),
        format!("<AccessKeyId>{akid}</AccessKeyId>"),
        format!("<Service>{service}</Service>"),
    ] {
        assert!(body.contains(&want), "{what}: no {want} in {body}");
    }
}

/// The server's report on a verified S3 write: an XML document rooted at `CanreqVerified`.
pub struct XmlReport(String);

impl XmlReport {
    /// The text of element `name`, unescaped; `None` when the report has no such element.
    pub fn field(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = self.0.find(&open)? + open.len();
        let len = self.0[start..].find(&close)?;
        let text = &self.0[start..start + len];
        Some(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    }

    /// The text of element `name`, which must be there.
    pub fn get(&self, name: &str) -> String {
        self.field(name)
            .unwrap_or_else(|| panic!("no <{name}> in the report: {}", self.0))
    }
}

impl std::fmt::Display for XmlReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The server verified an S3 write and said so in its XML report (not an `Error` document, so
/// SDKs take it as success); returns the report.
pub fn verified_s3_xml(what: &str, status: u16, body: &str, akid: &str) -> XmlReport {
    assert_eq!(status, 200, "{what}: the server refused: {body}");
    assert!(
        body.contains("<CanreqVerified xmlns=") && !body.contains("<Error>"),
        "{what}: the 200 body is not the XML report: {body}"
    );
    let report = XmlReport(body.to_owned());
    assert_eq!(report.get("AccessKeyId"), akid, "{what}: {report}");
    assert_eq!(report.get("Service"), "s3", "{what}: {report}");
    report
}

/// The server refused with `status` and the AWS error `code` (XML or JSON error document).
pub fn refused(what: &str, status: u16, body: &str, want_status: u16, code: &str) {
    assert_eq!(
        status, want_status,
        "{what}: the server must refuse with {code}: {body}"
    );
    assert!(
        body.contains(&format!("<Code>{code}</Code>"))
            || body.contains(&format!("\"__type\":\"{code}\"")),
        "{what}: error code is not {code}: {body}"
    );
}

/// `aws --debug --endpoint-url … ARGS`, region eu-west-1, no retries; `config` replaces
/// /dev/null as AWS_CONFIG_FILE (for the tamper plugin).
pub fn aws(
    python: &Path,
    serve: &Serve,
    args: &[&str],
    config: Option<&Path>,
    tamper: Option<&str>,
) -> Run {
    let mut cmd = Command::new(python.with_file_name("aws"));
    aws_env(&mut cmd, serve.dir.path(), KEY);
    cmd.env("AWS_DEFAULT_REGION", "eu-west-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_RETRY_MODE", "standard")
        .current_dir(serve.dir.path())
        .args(["--debug", "--endpoint-url", &serve.endpoint()])
        .args(args);
    if let Some(config) = config {
        let clients = Path::new(SCRIPT).parent().unwrap();
        cmd.env("AWS_CONFIG_FILE", config)
            .env("PYTHONPATH", clients);
    }
    if let Some(kind) = tamper {
        cmd.env("CANREQ_TAMPER", kind);
    }
    run(&mut cmd)
}

/// urllib3's debug line for the answer: `"PUT /path HTTP/1.1" 200`.
pub fn wire_status(out: &Run, method: &str, path: &str) -> u16 {
    let start = format!("\"{method} {path} HTTP/1.1\" ");
    let line = out
        .stderr
        .lines()
        .find_map(|l| l.split_once(&start).map(|(_, rest)| rest.to_owned()))
        .unwrap_or_else(|| panic!("no `{start}` in the --debug output:\n{}", out.stderr));
    line.split(' ').next().unwrap().parse().unwrap()
}

/// The body botocore logged (`Response body:` then the bytes' repr on the next line).
pub fn logged_body(out: &Run) -> &str {
    let after = out
        .stderr
        .split_once("Response body:\n")
        .map_or("", |(_, b)| b);
    after.lines().next().unwrap_or("")
}

/// curl with `--aws-sigv4`; returns the status and the body.
pub fn curl(serve: &Serve, service: &str, user: &str, args: &[&str], path: &str) -> (u16, String) {
    let mut cmd = Command::new("/usr/bin/curl");
    cmd.args(["-sS", "--noproxy", "*", "-w", "\n%{http_code}"])
        .arg("--aws-sigv4")
        .arg(format!("aws:amz:us-east-1:{service}"))
        .args(["--user", user])
        .args(args)
        .arg(format!("{}{path}", serve.endpoint()));
    let out = run(&mut cmd);
    out.expect_code(0, &format!("curl {args:?}"));
    let text = out.stdout_text();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), body.to_owned())
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

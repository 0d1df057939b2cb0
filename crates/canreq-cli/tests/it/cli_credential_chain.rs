//! The AWS credential chain's sources that run a program or ask a server: `credential_process`,
//! the container endpoint (plain HTTP) and STS (HTTPS) for web identity and assume-role. The
//! servers are small stand-ins on 127.0.0.1; STS's certificate is self-signed and trusted
//! through `SSL_CERT_FILE`, so the chain's own TLS client (rustls on ring) does the handshake.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::peer::{TempDir, canreq, output_checked as run};

const EXPIRATION: &str = "2099-01-01T00:00:00Z";

/// Signs a request offline (`sign` with `flags`) with whatever the chain found and returns the
/// access key id the `Authorization` header names.
fn signed_with(cmd: &mut std::process::Command, flags: &[&str]) -> String {
    let (out, stderr) = run(cmd
        .args(["sign", "GET", "https://iam.amazonaws.com/"])
        .args(flags));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    let (_, after) = stdout
        .split_once("Credential=")
        .unwrap_or_else(|| panic!("no Credential= in {stdout}"));
    after.split('/').next().unwrap().to_owned()
}

#[test]
fn credential_process_from_a_profile() {
    let home = TempDir::new("chain-process");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDFROMPROCESS\", \
         \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\"}'\n",
    )
    .unwrap();
    make_executable(&script);
    write_aws_config(
        home.path(),
        &format!(
            "[profile proc]\ncredential_process = {}\n",
            script.display()
        ),
    );
    let akid = signed_with(&mut canreq(home.path()), &["--profile", "proc"]);
    assert_eq!(akid, "AKIDFROMPROCESS");
}

#[test]
fn container_endpoint_over_http() {
    let home = TempDir::new("chain-container");
    let body = format!(
        "{{\"AccessKeyId\": \"AKIDFROMCONTAINER\", \"SecretAccessKey\": \"container-secret\", \
         \"Token\": \"container-token\", \"Expiration\": \"{EXPIRATION}\"}}"
    );
    let server = Stub::start(None, move |_| ("application/json", body.clone()));
    let akid = signed_with(
        canreq(home.path()).env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://127.0.0.1:{}/creds", server.port),
        ),
        &[],
    );
    assert_eq!(akid, "AKIDFROMCONTAINER");
    assert_eq!(server.request_lines(), ["GET /creds HTTP/1.1"]);
}

#[test]
fn web_identity_and_assume_role_through_sts_over_https() {
    let home = TempDir::new("chain-sts");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let ca_file = home.path().join("ca.pem");
    std::fs::write(&ca_file, cert.cert.pem()).unwrap();
    let sts = Stub::start(Some(tls_config(&cert)), sts_answer);
    let sts_env = [
        (
            "AWS_ENDPOINT_URL_STS",
            format!("https://127.0.0.1:{}", sts.port),
        ),
        ("SSL_CERT_FILE", ca_file.display().to_string()),
    ];

    let token_file = home.path().join("token");
    std::fs::write(&token_file, "a-web-identity-token").unwrap();
    let akid = signed_with(
        canreq(home.path())
            .envs(sts_env.clone())
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
            .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web")
            .env("AWS_ROLE_SESSION_NAME", "canreq-test"),
        &[],
    );
    assert_eq!(akid, "ASIAFROMWEBIDENTITY");

    write_aws_config(
        home.path(),
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n\n\
         [profile role]\nrole_arn = arn:aws:iam::123456789012:role/assumed\nsource_profile = base\n",
    );
    let akid = signed_with(canreq(home.path()).envs(sts_env), &["--profile", "role"]);
    assert_eq!(akid, "ASIAFROMASSUMEROLE");
    assert_eq!(
        sts.request_lines(),
        ["POST / HTTP/1.1", "POST / HTTP/1.1"],
        "one STS call for each"
    );
}

/// STS's answer to either action, told apart by the form body.
fn sts_answer(body: &str) -> (&'static str, String) {
    let (action, akid) = if body.contains("Action=AssumeRoleWithWebIdentity") {
        ("AssumeRoleWithWebIdentity", "ASIAFROMWEBIDENTITY")
    } else if body.contains("Action=AssumeRole") {
        ("AssumeRole", "ASIAFROMASSUMEROLE")
    } else {
        panic!("unexpected STS request: {body}")
    };
    let xml = format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
         <Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey>\
         <SessionToken>sts-token</SessionToken><Expiration>{EXPIRATION}</Expiration></Credentials>\
         </{action}Result></{action}Response>"
    );
    ("text/xml", xml)
}

fn write_aws_config(home: &Path, text: &str) {
    let dir = home.join(".aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), text).unwrap();
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn tls_config(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> Arc<rustls::ServerConfig> {
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    Arc::new(config)
}

/// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 that answers every request with
/// `answer(body)` and closes the connection. It keeps each request line for the test to check.
struct Stub {
    port: u16,
    request_lines: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    fn start(
        tls: Option<Arc<rustls::ServerConfig>>,
        answer: impl Fn(&str) -> (&'static str, String) + Send + 'static,
    ) -> Stub {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let request_lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&request_lines);
        // Left running when the test ends: the test process exits with it.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let result = match &tls {
                    Some(config) => {
                        let conn = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
                        exchange(rustls::StreamOwned::new(conn, stream), &answer, &seen)
                    }
                    None => exchange(stream, &answer, &seen),
                };
                // A client that gives up mid-request is the test's failure to report, not ours.
                let _ = result;
            }
        });
        Stub {
            port,
            request_lines,
        }
    }

    fn request_lines(&self) -> Vec<String> {
        self.request_lines.lock().unwrap().clone()
    }
}

/// Reads one request (head and `Content-Length` body) and writes the answer.
fn exchange<S: Read + Write>(
    stream: S,
    answer: &impl Fn(&str) -> (&'static str, String),
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    seen.lock().unwrap().push(line.trim_end().to_owned());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (content_type, text) = answer(&String::from_utf8_lossy(&body));
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

//! `canreq request` against moto (`moto_server` from the venv of `.ci/run`) with authentication
//! enforced: moto recomputes every signature with botocore and refuses a mismatch, so a 200
//! here means canreq signed exactly as the AWS SDKs do.
//!
//! `INITIAL_NO_AUTH_ACTION_COUNT=3` lets the first three actions through unchecked; they create
//! a user, give it an allow-all policy (without one moto answers AccessDenied) and create its
//! access key. Those three go through canreq too, so the test needs nothing but the server.

use crate::peer;

use std::process::Command;

use peer::{Run, Server, TempDir, between, canreq, peer, run};

pub(crate) const USER: &str = "canreq-tester";
/// Unchecked by moto during setup; never valid afterwards.
const SETUP_KEY: (&str, &str) = ("AKIDSETUPONLY", "setup-secret");

pub(crate) struct Moto {
    pub(crate) server: Server,
    /// HOME of the canreq runs (and of moto, so it reads no profile of the machine).
    pub(crate) home: TempDir,
    pub(crate) key_id: String,
    pub(crate) secret: String,
}

impl Moto {
    /// moto with auth enforced and a user whose key may do anything; `None` when skipped.
    pub(crate) fn start(name: &str) -> Option<Moto> {
        let python = peer(
            "CANREQ_PYTHON",
            "the venv python of .ci/run, beside moto_server",
        )?;
        let moto = python.with_file_name("moto_server");
        if !moto.is_file() {
            let why = format!("{} not found beside CANREQ_PYTHON", moto.display());
            if crate::common::in_ci() {
                panic!("{why}; in CI a missing peer is a failure");
            }
            eprintln!("skipped: {why}");
            return None;
        }
        let home = TempDir::new(name);
        // Ready once its port accepts, not on an HTTP probe (`Server::start_http`): moto counts
        // every request against INITIAL_NO_AUTH_ACTION_COUNT, and a probe would use one up.
        let server = Server::start("moto_server", &home.path().join("moto.log"), |port| {
            let mut cmd = Command::new(&moto);
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("AWS_") {
                    cmd.env_remove(&key);
                }
            }
            cmd.env("HOME", home.path())
                .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            cmd
        });
        let mut moto = Moto {
            server,
            home,
            key_id: String::new(),
            secret: String::new(),
        };
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let setup: [&[&str]; 3] = [
            &[
                "--action",
                "CreateUser",
                "--param",
                &format!("UserName={USER}"),
            ],
            &[
                "--action",
                "PutUserPolicy",
                "--param",
                &format!("UserName={USER}"),
                "--param",
                "PolicyName=everything",
                "--param",
                &format!("PolicyDocument={policy}"),
            ],
            &[
                "--action",
                "CreateAccessKey",
                "--param",
                &format!("UserName={USER}"),
            ],
        ];
        let mut answer = String::new();
        for args in setup {
            let out = run(moto
                .cmd("POST", "https://iam.amazonaws.com/")
                .args(args)
                .args(["--access-key", SETUP_KEY.0, "--secret-key", SETUP_KEY.1]));
            moto.check_ok(&out, args[1]);
            answer = out.stdout_text();
        }
        moto.key_id = between(&answer, "<AccessKeyId>", "</AccessKeyId>")
            .unwrap_or_else(|| panic!("no AccessKeyId in {answer}"))
            .to_owned();
        moto.secret = between(&answer, "<SecretAccessKey>", "</SecretAccessKey>")
            .unwrap_or_else(|| panic!("no SecretAccessKey in {answer}"))
            .to_owned();
        Some(moto)
    }

    /// `canreq request METHOD URL --endpoint-url moto -i --raw`, no credentials yet.
    fn cmd(&self, method: &str, url: &str) -> Command {
        let mut cmd = canreq(self.home.path());
        cmd.args(["request", method, url, "--endpoint-url"])
            .arg(self.server.endpoint())
            .args(["-i", "--raw"]);
        cmd
    }

    /// As `cmd`, signed with the user's key.
    pub(crate) fn signed(&self, method: &str, url: &str) -> Command {
        let mut cmd = self.cmd(method, url);
        cmd.args(["--access-key", &self.key_id, "--secret-key", &self.secret]);
        cmd
    }

    /// Exit 0 and a 200 status line; returns the body after the headers.
    pub(crate) fn check_ok(&self, out: &Run, what: &str) -> String {
        let text = out.stdout_text();
        assert!(
            out.code == Some(0) && text.starts_with("HTTP/1.1 200 OK\n"),
            "{what}: exit {:?}\nstdout: {text}\nstderr: {}\nmoto: {}\nmoto log:\n{}",
            out.code,
            out.stderr,
            self.server.state(),
            self.server.log_of_every_attempt()
        );
        text.split_once("\n\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }
}

/// IAM and EC2 are Query protocol, SSM JSON 1.1, DynamoDB JSON 1.0; all must come back 200.
#[test]
fn moto_accepts_query_and_json_protocol_requests() {
    let Some(moto) = Moto::start("services") else {
        return;
    };

    // The form the SDKs send: the parameters as a form body.
    let body = moto.check_ok(
        &run(moto
            .signed("POST", "https://iam.amazonaws.com/")
            .args(["--action", "ListUsers"])),
        "IAM ListUsers (POST)",
    );
    assert!(
        body.contains(&format!("<UserName>{USER}</UserName>")),
        "{body}"
    );

    // The seeds' GET form. moto rebuilds a GET's body from its parsed query string before
    // hashing it, so the true empty-body hash must be stated in x-amz-content-sha256 (which
    // botocore then takes as given); real IAM needs no such header.
    let body = moto.check_ok(
        &run(moto.signed("GET", "https://iam.amazonaws.com/").args([
            "--action",
            "ListUsers",
            "--content-sha256",
        ])),
        "IAM ListUsers (GET)",
    );
    assert!(
        body.contains(&format!("<UserName>{USER}</UserName>")),
        "{body}"
    );

    let ssm = "https://ssm.us-east-1.amazonaws.com/";
    let value = "canreq → ssm, ü & \"quoted\"";
    let put = serde_json::json!({"Name": "/canreq/greeting", "Value": value, "Type": "String"});
    let body = moto.check_ok(
        &run(moto.signed("POST", ssm).args([
            "--target",
            "AmazonSSM.PutParameter",
            "-d",
            &put.to_string(),
        ])),
        "SSM PutParameter",
    );
    let answer: serde_json::Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(answer["Version"], 1, "{body}");
    let body = moto.check_ok(
        &run(moto.signed("POST", ssm).args([
            "--target",
            "AmazonSSM.GetParameter",
            "-d",
            r#"{"Name":"/canreq/greeting"}"#,
        ])),
        "SSM GetParameter",
    );
    let answer: serde_json::Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(answer["Parameter"]["Value"], value, "{body}");

    let body = moto.check_ok(
        &run(moto
            .signed("POST", "https://ec2.us-east-1.amazonaws.com/")
            .args(["--action", "DescribeRegions"])),
        "EC2 DescribeRegions",
    );
    assert!(
        body.contains("<regionName>us-east-1</regionName>"),
        "{body}"
    );

    let table = serde_json::json!({
        "TableName": "canreq-table",
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    });
    let out = run(moto
        .signed("POST", "https://dynamodb.us-east-1.amazonaws.com/")
        .args([
            "--target",
            "DynamoDB_20120810.CreateTable",
            "-d",
            &table.to_string(),
            "-v",
        ]));
    let body = moto.check_ok(&out, "DynamoDB CreateTable");
    assert!(
        out.stderr
            .to_ascii_lowercase()
            .contains("\n> content-type: application/x-amz-json-1.0\n"),
        "DynamoDB must be sent as JSON 1.0: {}",
        out.stderr
    );
    let answer: serde_json::Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(
        answer["TableDescription"]["TableName"], "canreq-table",
        "{body}"
    );
    eprintln!(
        "moto: IAM ListUsers (POST, GET), SSM PutParameter/GetParameter, EC2 DescribeRegions, DynamoDB CreateTable: 200"
    );
}

/// A wrong secret is refused and the user sees the code; so is a key moto never issued.
#[test]
fn moto_refuses_a_wrong_secret() {
    let Some(moto) = Moto::start("refused") else {
        return;
    };
    // The right secret with its last character changed.
    let (head, last) = moto.secret.split_at(moto.secret.len() - 1);
    let bad_secret = format!("{head}{}", if last == "x" { 'y' } else { 'x' });
    let (iam, ssm, ec2) = (
        "https://iam.amazonaws.com/",
        "https://ssm.us-east-1.amazonaws.com/",
        "https://ec2.us-east-1.amazonaws.com/",
    );
    let list_users: &[&str] = &["--action", "ListUsers"];
    let get_parameter: &[&str] = &[
        "--target",
        "AmazonSSM.GetParameter",
        "-d",
        r#"{"Name":"x"}"#,
    ];
    let cases = [
        (
            iam,
            list_users,
            (moto.key_id.as_str(), bad_secret.as_str()),
            "403 SignatureDoesNotMatch",
        ),
        (
            ssm,
            get_parameter,
            (moto.key_id.as_str(), bad_secret.as_str()),
            "403 SignatureDoesNotMatch",
        ),
        // EC2 names a bad signature AuthFailure, with 401, as real EC2 does.
        (
            ec2,
            &["--action", "DescribeRegions"],
            (moto.key_id.as_str(), bad_secret.as_str()),
            "401 AuthFailure",
        ),
        (iam, list_users, SETUP_KEY, "403 InvalidClientTokenId"),
    ];
    for (url, args, (key, secret), expected) in cases {
        let out = run(moto.cmd("POST", url).args(args).args([
            "--access-key",
            key,
            "--secret-key",
            secret,
        ]));
        out.expect_code(1, expected);
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with("canreq: "))
            .unwrap_or_else(|| panic!("no error line: {}", out.stderr));
        assert!(
            line.starts_with(&format!("canreq: {expected}: ")),
            "expected {expected:?}, got {line:?}"
        );
        assert!(
            out.stdout_text()
                .starts_with(&format!("HTTP/1.1 {} ", &expected[..3])),
            "{}",
            out.stdout_text()
        );
    }
    eprintln!(
        "moto: wrong secret -> 403 SignatureDoesNotMatch (IAM, SSM), 401 AuthFailure (EC2); unknown key -> 403 InvalidClientTokenId"
    );
}

/// No `--access-key`: the key comes from the environment, or from a named profile of
/// `~/.aws/credentials` (the default profile there holds a wrong secret, so only the named one
/// can succeed).
#[test]
fn moto_accepts_keys_from_the_credential_chain() {
    let Some(moto) = Moto::start("chain") else {
        return;
    };
    let iam = "https://iam.amazonaws.com/";

    let body = moto.check_ok(
        &run(moto
            .cmd("POST", iam)
            .args(["--action", "ListUsers"])
            .env("AWS_ACCESS_KEY_ID", &moto.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &moto.secret)),
        "keys from the environment",
    );
    assert!(
        body.contains(&format!("<UserName>{USER}</UserName>")),
        "{body}"
    );

    let aws = moto.home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[default]\naws_access_key_id = {id}\naws_secret_access_key = not-the-secret\n\n\
             [canreq-test]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n",
            id = moto.key_id,
            secret = moto.secret
        ),
    )
    .unwrap();
    let body = moto.check_ok(
        &run(moto
            .cmd("POST", iam)
            .args(["--action", "ListUsers", "--profile", "canreq-test"])),
        "keys from --profile canreq-test",
    );
    assert!(
        body.contains(&format!("<UserName>{USER}</UserName>")),
        "{body}"
    );

    // Proof the file is read at all: the default profile's wrong secret is refused.
    let out = run(moto.cmd("POST", iam).args(["--action", "ListUsers"]));
    out.expect_code(1, "default profile");
    assert!(
        out.stderr.contains("canreq: 403 SignatureDoesNotMatch"),
        "{}",
        out.stderr
    );
    eprintln!(
        "moto: credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and from --profile in ~/.aws/credentials: 200"
    );
}

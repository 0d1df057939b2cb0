//! `canreq proxy` in front of moto with authentication on (moto checks every signature with
//! botocore): the Query protocol (IAM, GET and POST) and the JSON protocols (SSM, DynamoDB) from
//! clients that cannot sign, curl and Python's `urllib`.

use std::process::Command;

use crate::cli_against_moto::{Moto, USER};
use crate::clients;
use crate::peer::run;
use crate::proxy_s3::{Proxy, curl};

/// The proxy in front of `moto` for `service`, signing with the user's key.
fn proxy(moto: &Moto, service: &str) -> Proxy {
    let args = [
        "--service",
        service,
        "--region",
        "us-east-1",
        "--access-key",
        &moto.key_id,
        "--secret-key",
        &moto.secret,
    ];
    Proxy::start(moto.home.path(), &moto.server.endpoint(), &args)
}

/// A JSON-protocol call from Python's urllib, no SDK: the status and the body.
fn urllib(url: &str, target: &str, content_type: &str, body: &str) -> (u16, String) {
    let Some(python) = clients::python() else {
        panic!("moto ran, so its python is there");
    };
    let script = r#"
import sys, urllib.request, urllib.error
url, target, content_type, body = sys.argv[1:5]
request = urllib.request.Request(url, data=body.encode(), method="POST",
    headers={"X-Amz-Target": target, "Content-Type": content_type})
try:
    with urllib.request.urlopen(request) as answer:
        print(answer.status); print(answer.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
"#;
    let out = run(Command::new(python).args(["-c", script, url, target, content_type, body]));
    out.expect_code(0, &format!("urllib {target}"));
    let text = out.stdout_text();
    let (status, body) = text.split_once('\n').unwrap();
    (status.trim().parse().unwrap(), body.to_owned())
}

#[test]
fn query_and_json_protocols_through_the_proxy_reach_moto() {
    let Some(moto) = Moto::start("proxy-moto") else {
        return;
    };
    let dir = moto.home.path();

    // IAM, the Query protocol: a GET (moto hashes a GET's body from its query, so the proxy's
    // x-amz-content-sha256 matters) and the SDKs' form POST.
    let iam = proxy(&moto, "iam");
    let get = curl(&[], &iam.url("/?Action=ListUsers&Version=2010-05-08"), dir);
    let post = curl(
        &["--data", "Action=ListUsers&Version=2010-05-08"],
        &iam.url("/"),
        dir,
    );
    for (what, answer) in [("GET", get), ("POST", post)] {
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        assert!(
            answer.status == 200 && body.contains(&format!("<UserName>{USER}</UserName>")),
            "IAM ListUsers ({what}): {}\n{body}\n{}",
            answer.status,
            iam.log()
        );
    }

    // SSM, JSON 1.1: written with curl, read back with urllib.
    let ssm = proxy(&moto, "ssm");
    let json11 = "application/x-amz-json-1.1";
    let put = curl(
        &[
            "-H",
            &format!("Content-Type: {json11}"),
            "-H",
            "X-Amz-Target: AmazonSSM.PutParameter",
            "--data-binary",
            r#"{"Name":"/canreq/proxy","Value":"through the proxy €","Type":"String"}"#,
        ],
        &ssm.url("/"),
        dir,
    );
    assert_eq!(
        put.status,
        200,
        "SSM PutParameter: {}",
        String::from_utf8_lossy(&put.body)
    );
    let (status, body) = urllib(
        &ssm.url("/"),
        "AmazonSSM.GetParameter",
        json11,
        r#"{"Name":"/canreq/proxy"}"#,
    );
    assert!(
        status == 200 && body.contains("through the proxy"),
        "SSM GetParameter: {status} {body}"
    );

    // DynamoDB, JSON 1.0: created with urllib, listed with curl.
    let dynamodb = proxy(&moto, "dynamodb");
    let json10 = "application/x-amz-json-1.0";
    let table = r#"{"TableName":"canreq-proxy","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    let (status, body) = urllib(
        &dynamodb.url("/"),
        "DynamoDB_20120810.CreateTable",
        json10,
        table,
    );
    assert_eq!(status, 200, "DynamoDB CreateTable: {body}");
    let list = curl(
        &[
            "-H",
            &format!("Content-Type: {json10}"),
            "-H",
            "X-Amz-Target: DynamoDB_20120810.ListTables",
            "--data-binary",
            "{}",
        ],
        &dynamodb.url("/"),
        dir,
    );
    let body = String::from_utf8_lossy(&list.body).into_owned();
    assert!(
        list.status == 200 && body.contains("canreq-proxy"),
        "DynamoDB ListTables: {} {body}",
        list.status
    );
}

/// `--role-arn`: the proxy assumes a role (STS AssumeRole, through aws-config) with the chain's
/// credentials, and signs with the role's: the caller moto sees is the assumed role.
#[test]
fn the_proxy_signs_as_the_role_it_assumed() {
    let Some(moto) = Moto::start("proxy-role") else {
        return;
    };
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    let allow =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let iam = "https://iam.amazonaws.com/";
    let created = moto.check_ok(
        &run(moto.signed("POST", iam).args([
            "--action",
            "CreateRole",
            "--param",
            "RoleName=canreq-proxy-role",
            "--param",
            &format!("AssumeRolePolicyDocument={trust}"),
        ])),
        "CreateRole",
    );
    let role = crate::peer::between(&created, "<Arn>", "</Arn>")
        .unwrap_or_else(|| panic!("no role Arn in {created}"))
        .to_owned();
    moto.check_ok(
        &run(moto.signed("POST", iam).args([
            "--action",
            "PutRolePolicy",
            "--param",
            "RoleName=canreq-proxy-role",
            "--param",
            "PolicyName=everything",
            "--param",
            &format!("PolicyDocument={allow}"),
        ])),
        "PutRolePolicy",
    );
    let dir = moto.home.path();
    let endpoint = moto.server.endpoint();
    let log = dir.join("proxy-role.log");
    let server = crate::peer::Server::start_http("canreq proxy --role-arn", &log, |port| {
        let mut cmd = crate::peer::canreq(dir);
        // The chain's key (the user's), and STS at moto.
        cmd.env("AWS_ACCESS_KEY_ID", &moto.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &moto.secret)
            .env("AWS_ENDPOINT_URL_STS", &endpoint)
            .args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", &endpoint, "--service", "sts"])
            .args(["--region", "us-east-1", "--role-arn", &role]);
        cmd
    });
    let who = curl(
        &["--data", "Action=GetCallerIdentity&Version=2011-06-15"],
        &format!("http://127.0.0.1:{}/", server.port),
        dir,
    );
    let body = String::from_utf8_lossy(&who.body).into_owned();
    assert!(
        who.status == 200 && body.contains(":assumed-role/canreq-proxy-role/canreq-proxy</Arn>"),
        "GetCallerIdentity through the proxy: {} {body}\n{}",
        who.status,
        server.log()
    );
}

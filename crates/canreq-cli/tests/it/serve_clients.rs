//! Real AWS clients against `canreq serve`: boto3/botocore (tests/it/clients/serve_client.py), the
//! AWS CLI and curl's `--aws-sigv4`. Each test starts its own server on a free loopback port.
//!
//! A verified request gets `200` and a report: XML for the Query protocol (IAM/STS) and for S3
//! writes (which SDKs parse as success), JSON otherwise. It is not the service's real answer,
//! so the tests read what the server said on the wire (botocore's history recorder,
//! `aws --debug`, curl's status) and the server's own log line. Every accepted request is also
//! sent with one byte changed after signing, which the server must refuse. The aws-chunked
//! uploads of issue 6, with larger objects, are in serve_chunked.rs.

use crate::clients;

use clients::{
    AKID, KEY, Key, OBJECT_LEN, OBJECT_PATH, SECRET, Serve, TEMP_AKID, TEMP_KEY, TEMP_SECRET,
    TOKEN, aws, boto, curl, logged_body, python, refused, sha256_hex, verified_json,
    verified_s3_xml, verified_xml, wire_status,
};

#[test]
fn boto3_query_and_json_protocol_calls_verify() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("boto-api");

    let a = boto(&python, &serve, KEY, "iam-list-users", &[]);
    verified_xml("IAM ListUsers", a.status, &a.body, AKID, "iam");
    assert!(
        a.body.contains("<Payload>body-hash</Payload>"),
        "{}",
        a.body
    );
    serve.assert_logged("POST", "/", 200, "ok", AKID);

    let a = boto(&python, &serve, KEY, "ssm-get-parameter", &[]);
    let report = verified_json("SSM GetParameter", a.status, &a.body, AKID, "ssm");
    assert_eq!(report["region"], "us-east-1", "{report}");
    assert!(
        report["signed_headers"]
            .as_array()
            .unwrap()
            .contains(&"x-amz-target".into()),
        "{report}"
    );

    // The STS answer has the fields a client wants, so botocore parses it completely.
    let a = boto(&python, &serve, KEY, "sts-get-caller-identity", &[]);
    verified_xml("STS GetCallerIdentity", a.status, &a.body, AKID, "sts");
    assert_eq!(a.all["parsed"]["UserId"], AKID, "{}", a.all);
    assert_eq!(a.all["parsed"]["Account"], "000000000000", "{}", a.all);

    // One byte changed after signing: in the form body, in a signed header.
    // Each in its service's words: SSM is a JSON service.
    for (scenario, tamper, status, code) in [
        ("iam-list-users", "body", 403, "SignatureDoesNotMatch"),
        (
            "ssm-get-parameter",
            "header:X-Amz-Target",
            400,
            "InvalidSignatureException",
        ),
        (
            "sts-get-caller-identity",
            "body",
            403,
            "SignatureDoesNotMatch",
        ),
    ] {
        let a = boto(&python, &serve, KEY, scenario, &["--tamper", tamper]);
        let what = format!("{scenario} with one byte of the {tamper} changed");
        refused(&what, a.status, &a.body, status, code);
        assert_eq!(a.client_code(), Some(code), "{what}");
    }
}

#[test]
fn boto3_s3_path_style_put_then_get_verify() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("boto-s3");

    let a = boto(&python, &serve, KEY, "s3-put", &[]);
    let report = verified_s3_xml("S3 PutObject", a.status, &a.body, AKID);
    assert_eq!(report.get("Payload"), "sha256", "{report}");
    assert_eq!(report.get("Auth"), "header", "{report}");
    assert_eq!(report.get("BodyLength"), OBJECT_LEN.to_string(), "{report}");
    // Over plain HTTP botocore puts its CRC32 in a signed header, not in an aws-chunked trailer.
    assert_eq!(
        a.sent("content-encoding"),
        &serde_json::Value::Null,
        "{}",
        a.all
    );
    assert!(
        report
            .get("SignedHeaders")
            .split(';')
            .any(|h| h == "x-amz-checksum-crc32"),
        "{report}"
    );
    assert_eq!(report.field("DecodedLength"), None, "{report}");
    assert_eq!(a.sent("url"), &format!("{}{OBJECT_PATH}", serve.endpoint()));
    serve.assert_logged("PUT", OBJECT_PATH, 200, "ok", AKID);
    // The answer is S3-shaped XML, so the client takes the PutObject as done.
    assert_eq!(a.all["client_error"], serde_json::Value::Null, "{}", a.all);

    let a = boto(&python, &serve, KEY, "s3-get", &[]);
    let report = verified_json("S3 GetObject", a.status, &a.body, AKID, "s3");
    assert_eq!(report["body_length"], 0, "{report}");
    assert_eq!(a.client_code(), None, "{}", a.all);
    serve.assert_logged("GET", OBJECT_PATH, 200, "ok", AKID);

    let cases = [
        ("s3-put", "body", 400, "XAmzContentSHA256Mismatch"),
        ("s3-put", "path", 403, "SignatureDoesNotMatch"),
        ("s3-get", "path", 403, "SignatureDoesNotMatch"),
        (
            "s3-get",
            "header:x-amz-checksum-mode",
            403,
            "SignatureDoesNotMatch",
        ),
    ];
    for (scenario, tamper, status, code) in cases {
        let a = boto(&python, &serve, KEY, scenario, &["--tamper", tamper]);
        let what = format!("{scenario} with one byte of the {tamper} changed");
        refused(&what, a.status, &a.body, status, code);
        assert_eq!(a.client_code(), Some(code), "{what}");
    }
}

#[test]
fn boto3_presigned_urls_fetched_with_urllib_verify() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("boto-presign");

    // The GET's report is JSON (a GET's body is the object); the PUT's is S3-style XML.
    let a = boto(&python, &serve, KEY, "s3-presign-get", &[]);
    let report = verified_json("s3-presign-get", a.status, &a.body, AKID, "s3");
    assert_eq!(report["auth"], "query", "{report}");
    assert_eq!(report["payload"], "unsigned", "{report}");
    assert_eq!(report["expires"], 300, "{report}");
    assert_eq!(report["body_length"], 0, "{report}");
    serve.assert_logged("GET", OBJECT_PATH, 200, "ok", AKID);

    let a = boto(&python, &serve, KEY, "s3-presign-put", &[]);
    let report = verified_s3_xml("s3-presign-put", a.status, &a.body, AKID);
    assert_eq!(report.get("Auth"), "query", "{report}");
    assert_eq!(report.get("Payload"), "unsigned", "{report}");
    assert_eq!(report.get("Expires"), "300", "{report}");
    assert_eq!(report.get("BodyLength"), OBJECT_LEN.to_string(), "{report}");
    serve.assert_logged("PUT", OBJECT_PATH, 200, "ok", AKID);

    for (scenario, tamper) in [
        ("s3-presign-get", "path"),
        ("s3-presign-put", "query:X-Amz-Expires"),
    ] {
        let a = boto(&python, &serve, KEY, scenario, &["--tamper", tamper]);
        let what = format!("{scenario} with one byte of the {tamper} changed");
        refused(&what, a.status, &a.body, 403, "SignatureDoesNotMatch");
        // urllib labels the PUT body form-encoded; the answer must still be S3's error shape.
        assert!(a.body.contains("\n<Error><Code>"), "{what}: {}", a.body);
    }

    // STS GetCallerIdentity presigned as a GET (the EKS token): botocore signs the empty body's
    // hash there, not UNSIGNED-PAYLOAD, and the verifier reads it so for services other than S3.
    let a = boto(&python, &serve, KEY, "sts-presign-get", &[]);
    verified_xml("STS presigned GET", a.status, &a.body, AKID, "sts");
    assert!(
        a.body.contains("<Payload>body-hash</Payload>"),
        "{}",
        a.body
    );
    assert!(a.body.contains("<Auth>query</Auth>"), "{}", a.body);
    let a = boto(
        &python,
        &serve,
        KEY,
        "sts-presign-get",
        &["--tamper", "query:Action"],
    );
    refused(
        "STS presigned GET, Action changed",
        a.status,
        &a.body,
        403,
        "SignatureDoesNotMatch",
    );

    // A presigned S3 URL signs UNSIGNED-PAYLOAD: the body is not covered, so a changed body passes.
    let a = boto(
        &python,
        &serve,
        KEY,
        "s3-presign-put",
        &["--tamper", "body"],
    );
    let report = verified_s3_xml("presigned PUT, body changed", a.status, &a.body, AKID);
    assert_eq!(report.get("Payload"), "unsigned", "{report}");
}

#[test]
fn boto3_session_token_from_key_file() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key_file("boto-token");

    let a = boto(&python, &serve, TEMP_KEY, "sts-get-caller-identity", &[]);
    verified_xml(
        "STS with a session token",
        a.status,
        &a.body,
        TEMP_AKID,
        "sts",
    );
    assert_eq!(a.sent("has-security-token"), true, "{}", a.all);
    assert!(
        a.body.contains("x-amz-security-token") && !a.body.contains(TOKEN),
        "the token is signed, and redacted in the report: {}",
        a.body
    );

    let a = boto(&python, &serve, TEMP_KEY, "s3-presign-get", &[]);
    verified_json(
        "presigned GET with a token",
        a.status,
        &a.body,
        TEMP_AKID,
        "s3",
    );
    assert_eq!(a.sent("has-security-token"), true, "{}", a.all);

    // The permanent key of the same file needs no token.
    let a = boto(&python, &serve, KEY, "iam-list-users", &[]);
    verified_xml("IAM with the permanent key", a.status, &a.body, AKID, "iam");

    let a = boto(
        &python,
        &serve,
        TEMP_KEY,
        "sts-get-caller-identity",
        &["--tamper", "header:X-Amz-Security-Token"],
    );
    // STS's words for a token it does not know; S3's below.
    refused(
        "token header changed",
        a.status,
        &a.body,
        403,
        "InvalidClientTokenId",
    );
    let a = boto(
        &python,
        &serve,
        TEMP_KEY,
        "s3-presign-get",
        &["--tamper", "query:X-Amz-Security-Token"],
    );
    refused(
        "token parameter changed",
        a.status,
        &a.body,
        400,
        "InvalidToken",
    );
    let no_token = Key {
        token: None,
        ..TEMP_KEY
    };
    let a = boto(&python, &serve, no_token, "sts-get-caller-identity", &[]);
    refused(
        "temporary key without its token",
        a.status,
        &a.body,
        403,
        "InvalidClientTokenId",
    );
    serve.assert_logged("POST", "/", 403, "InvalidClientTokenId", TEMP_AKID);
}

#[test]
fn boto3_s3_over_tls() {
    let Some(python) = python() else { return };
    let serve = Serve::with_tls("boto-tls");
    let cert = serve.cert().display().to_string();

    // Over HTTPS botocore's default flexible checksum sends PutObject as an aws-chunked body
    // with a trailing CRC32; the server decodes it and checks the checksum.
    let a = boto(&python, &serve, KEY, "s3-put", &["--verify", &cert]);
    let marker = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    assert_eq!(a.sent("x-amz-content-sha256"), marker, "{}", a.all);
    assert_eq!(a.sent("content-encoding"), "aws-chunked", "{}", a.all);
    let report = verified_s3_xml("aws-chunked PutObject", a.status, &a.body, AKID);
    assert_eq!(report.get("Payload"), marker, "{report}");
    assert_eq!(
        report.get("DecodedLength"),
        OBJECT_LEN.to_string(),
        "{report}"
    );
    assert_eq!(report.get("BodyLength"), OBJECT_LEN.to_string(), "{report}");
    assert_eq!(report.get("Chunks"), "1", "{report}");
    assert_eq!(report.get("ChecksumAlgorithm"), "crc32", "{report}");
    assert_eq!(
        &report.get("Checksum"),
        a.sent("object-checksum"),
        "{report}"
    );
    assert_eq!(a.all["client_error"], serde_json::Value::Null, "{}", a.all);
    serve.assert_logged("PUT", OBJECT_PATH, 200, "ok", AKID);

    // Checksums only when required: a plain signed PUT, over TLS.
    let plain = ["--verify", cert.as_str(), "--checksum", "when_required"];
    let a = boto(&python, &serve, KEY, "s3-put", &plain);
    let report = verified_s3_xml("S3 PutObject over TLS", a.status, &a.body, AKID);
    assert_eq!(report.get("Payload"), "sha256", "{report}");
    assert_eq!(report.get("BodyLength"), OBJECT_LEN.to_string(), "{report}");
    assert_eq!(report.field("ChecksumAlgorithm"), None, "{report}");

    let tampered = [plain.as_slice(), &["--tamper", "body"]].concat();
    let a = boto(&python, &serve, KEY, "s3-put", &tampered);
    refused(
        "PutObject over TLS, body changed",
        a.status,
        &a.body,
        400,
        "XAmzContentSHA256Mismatch",
    );
}

#[test]
fn aws_cli_commands_verify() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("aws-cli");
    std::fs::write(
        serve.dir.path().join("object.txt"),
        "hello from the AWS CLI\n",
    )
    .unwrap();
    let key_path = "/canreq-bucket/cli/object.txt";

    for (args, service) in [
        (&["iam", "list-users"][..], "iam"),
        (&["sts", "get-caller-identity"], "sts"),
    ] {
        let out = aws(&python, &serve, args, None, None);
        out.expect_code(0, &format!("aws {args:?}"));
        let body = logged_body(&out);
        verified_xml(
            &format!("aws {args:?}"),
            wire_status(&out, "POST", "/"),
            body,
            AKID,
            service,
        );
        assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");
    }

    let put_facts = [
        format!("<AccessKeyId>{AKID}</AccessKeyId>"),
        "<Service>s3</Service>".to_owned(),
        "<BodyLength>23</BodyLength>".to_owned(),
    ];
    let json_facts = |fact: &str| [format!(r#""access_key_id":"{AKID}""#), fact.to_owned()];
    let s3 = [
        (
            &[
                "s3api",
                "put-object",
                "--bucket",
                "canreq-bucket",
                "--key",
                "cli/object.txt",
                "--body",
                "object.txt",
            ][..],
            "PUT",
            put_facts.to_vec(),
        ),
        (
            &[
                "s3api",
                "get-object",
                "--bucket",
                "canreq-bucket",
                "--key",
                "cli/object.txt",
                "got.txt",
            ],
            "GET",
            json_facts(r#""body_length":0"#).to_vec(),
        ),
        (
            &["ssm", "get-parameter", "--name", "/canreq/param"],
            "POST",
            json_facts(r#""service":"ssm""#).to_vec(),
        ),
    ];
    for (args, method, facts) in s3 {
        let out = aws(&python, &serve, args, None, None);
        let path = if method == "POST" { "/" } else { key_path };
        assert_eq!(
            wire_status(&out, method, path),
            200,
            "aws {args:?}: {}",
            out.stderr
        );
        serve.assert_logged(method, path, 200, "ok", AKID);
        // The report is logged as a bytes repr (GetObject's streamed body is not logged): XML
        // for the PutObject, JSON for the rest.
        let body = if method == "GET" {
            std::fs::read_to_string(serve.dir.path().join("got.txt")).unwrap()
        } else {
            logged_body(&out).to_owned()
        };
        for want in &facts {
            assert!(body.contains(want), "aws {args:?}: no {want} in {body}");
        }
        // Every command succeeds, put-object included: its answer is S3-shaped XML.
        out.expect_code(0, &format!("aws {args:?}"));
    }
}

#[test]
fn aws_cli_with_one_byte_changed_by_a_plugin_is_refused() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("aws-cli-tamper");
    std::fs::write(
        serve.dir.path().join("object.txt"),
        "hello from the AWS CLI\n",
    )
    .unwrap();
    // The tamper hook of serve_client.py, loaded as an AWS CLI plugin.
    let config = serve.dir.path().join("config");
    std::fs::write(&config, "[plugins]\ncanreq_tamper = serve_client\n").unwrap();
    let put = [
        "s3api",
        "put-object",
        "--bucket",
        "canreq-bucket",
        "--key",
        "k.txt",
        "--body",
        "object.txt",
    ];
    let cases = [
        (
            &["iam", "list-users"][..],
            "body",
            "POST",
            "/",
            403,
            "SignatureDoesNotMatch",
        ),
        // SSM is a JSON service: its code for a wrong signature, with 400.
        (
            &["ssm", "get-parameter", "--name", "/p"],
            "header:X-Amz-Target",
            "POST",
            "/",
            400,
            "InvalidSignatureException",
        ),
        (
            &put,
            "body",
            "PUT",
            "/canreq-bucket/k.txt",
            400,
            "XAmzContentSHA256Mismatch",
        ),
        (
            &put,
            "path",
            "PUT",
            "/canreq-bucket/k.txa",
            403,
            "SignatureDoesNotMatch",
        ),
    ];
    for (args, tamper, method, path, status, code) in cases {
        let what = format!("aws {args:?} with one byte of the {tamper} changed");
        let out = aws(&python, &serve, args, Some(&config), Some(tamper));
        assert_ne!(out.code, Some(0), "{what}: the CLI succeeded");
        assert_eq!(wire_status(&out, method, path), status, "{what}");
        assert!(
            out.stderr.contains(&format!("An error occurred ({code})")),
            "{what}: {}",
            out.stderr
        );
        serve.assert_logged(method, path, status, code, AKID);
    }
}

#[test]
fn curl_aws_sigv4_s3_and_sts() {
    let serve = Serve::with_key_file("curl");
    let user = format!("{AKID}:{SECRET}");
    let body = b"hello from curl --aws-sigv4\n";
    let file = serve.dir.path().join("object.txt");
    std::fs::write(&file, body).unwrap();
    let data = format!("@{}", file.display());
    let path = "/canreq-bucket/curl/object.txt";

    // curl declares no payload hash unless told; S3 requires one.
    let (status, answer) = curl(&serve, "s3", &user, &[], path);
    refused(
        "curl S3 GET without x-amz-content-sha256",
        status,
        &answer,
        400,
        "InvalidRequest",
    );
    assert!(
        answer.contains("Missing required header for this request: x-amz-content-sha256"),
        "{answer}"
    );

    // As curl users do: state the hash in a header, which curl then signs.
    let hash = format!("x-amz-content-sha256: {}", sha256_hex(body));
    let put = [
        "-X",
        "PUT",
        "--data-binary",
        data.as_str(),
        "-H",
        hash.as_str(),
    ];
    let (status, answer) = curl(&serve, "s3", &user, &put, path);
    let report = verified_s3_xml("curl S3 PUT", status, &answer, AKID);
    assert_eq!(report.get("Payload"), "sha256", "{report}");
    assert_eq!(report.get("BodyLength"), body.len().to_string(), "{report}");
    let empty = format!("x-amz-content-sha256: {}", sha256_hex(b""));
    let (status, answer) = curl(&serve, "s3", &user, &["-H", &empty], path);
    verified_json("curl S3 GET", status, &answer, AKID, "s3");

    // A Query-protocol call: curl hashes the form body itself.
    let form = ["--data", "Action=GetCallerIdentity&Version=2011-06-15"];
    let (status, answer) = curl(&serve, "sts", &user, &form, "/");
    verified_xml("curl STS", status, &answer, AKID, "sts");

    // The temporary key with its token as a signed header.
    let temp_user = format!("{TEMP_AKID}:{TEMP_SECRET}");
    let token = format!("x-amz-security-token: {TOKEN}");
    let with_token = [&form[..], &["-H", token.as_str()]].concat();
    let (status, answer) = curl(&serve, "sts", &temp_user, &with_token, "/");
    verified_xml(
        "curl STS with a session token",
        status,
        &answer,
        TEMP_AKID,
        "sts",
    );

    // One byte changed: of the secret (for S3 and STS), of the body under its declared hash.
    let mut wrong = SECRET.to_owned();
    wrong.replace_range(0..1, "t");
    let wrong_user = format!("{AKID}:{wrong}");
    let (status, answer) = curl(&serve, "s3", &wrong_user, &put, path);
    refused(
        "curl S3 PUT, secret changed",
        status,
        &answer,
        403,
        "SignatureDoesNotMatch",
    );
    let (status, answer) = curl(&serve, "sts", &wrong_user, &form, "/");
    refused(
        "curl STS, secret changed",
        status,
        &answer,
        403,
        "SignatureDoesNotMatch",
    );
    let mut changed = body.to_vec();
    changed[0] ^= 0x01;
    std::fs::write(&file, &changed).unwrap();
    let (status, answer) = curl(&serve, "s3", &user, &put, path);
    refused(
        "curl S3 PUT, body changed",
        status,
        &answer,
        400,
        "XAmzContentSHA256Mismatch",
    );
    serve.assert_logged("PUT", path, 400, "XAmzContentSHA256Mismatch", AKID);
}

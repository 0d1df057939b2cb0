//! boto3 with the CRT (`botocore[crt]`) signs SigV4a for an S3 Multi-Region Access Point ARN
//! bucket, and `canreq serve` verifies it.
//!
//! botocore sends an MRAP ARN's requests to the access point's global host whatever
//! `endpoint_url` says, so serve_client.py's `--mrap` redirects each signed request to the
//! server with a `before-send` hook that keeps the signed `Host` header. The server stands for
//! `us-east-1` and `us-west-2`; the requests' region set is `*`. `ListObjectsV2`, `GetObject` and
//! `PutObject` (aws-chunked `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with a CRC32 trailer, behind
//! `Expect: 100-continue`) are accepted, and refused with S3's code when one byte of a header,
//! the path, the query or the body is changed after signing.

use crate::clients;

use clients::{
    AKID, KEY, OBJECT_LEN, Serve, TEMP_AKID, TEMP_KEY, boto, python, refused, verified_json,
    verified_s3_xml,
};
use serde_json::Value;

/// The access point's global host, which botocore signs and the redirect keeps.
const MRAP_HOST: &str = "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com";
const ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";
const OBJECT: &str = "/dir/hello%20world.txt";

/// botocore signed `a` with SigV4a for every region, for the access point's host.
fn assert_sigv4a(what: &str, a: &clients::Answer) {
    assert_eq!(a.sent("algorithm"), ALGORITHM, "{what}: {}", a.all);
    assert_eq!(a.sent("x-amz-region-set"), "*", "{what}: {}", a.all);
    assert_eq!(a.sent("host"), MRAP_HOST, "{what}: {}", a.all);
    let signed = a.sent("signed-headers").as_str().unwrap_or_default();
    assert!(
        signed.split(';').any(|h| h == "x-amz-region-set")
            && signed.split(';').any(|h| h == "host"),
        "{what}: signed headers {signed}"
    );
}

fn serve() -> Serve {
    Serve::with_key_file_and("mrap", &["--region", "us-east-1", "--region", "us-west-2"])
}

#[test]
fn boto3_crt_sigv4a_list_get_and_chunked_put_on_an_mrap_are_verified() {
    let Some(python) = python() else { return };
    let serve = serve();
    let mrap = ["--mrap"];

    let a = boto(&python, &serve, KEY, "s3-list-objects", &mrap);
    assert_sigv4a("ListObjectsV2", &a);
    let report = verified_s3_xml("ListObjectsV2", a.status, &a.body, AKID);
    assert_eq!(report.get("Auth"), "header", "{report}");
    assert_eq!(report.get("Algorithm"), ALGORITHM, "{report}");
    assert_eq!(report.get("RegionSet"), "*", "{report}");
    assert_eq!(
        report.field("Region"),
        None,
        "SigV4a names no region: {report}"
    );
    serve.assert_logged("GET", "/", 200, "ok", AKID);

    // A temporary key: its session token is signed too.
    let a = boto(&python, &serve, TEMP_KEY, "s3-list-objects", &mrap);
    assert_sigv4a("ListObjectsV2 with a session token", &a);
    assert_eq!(a.sent("has-security-token"), true, "{}", a.all);
    verified_s3_xml("ListObjectsV2 (token)", a.status, &a.body, TEMP_AKID);

    let a = boto(&python, &serve, KEY, "s3-get", &mrap);
    assert_sigv4a("GetObject", &a);
    let report = verified_json("GetObject", a.status, &a.body, AKID, "s3");
    assert_eq!(report["algorithm"], ALGORITHM, "{report}");
    assert_eq!(report["region_set"], "*", "{report}");
    assert_eq!(report["region"], Value::Null, "{report}");
    assert_eq!(a.client_code(), None, "{}", a.all);
    serve.assert_logged("GET", OBJECT, 200, "ok", AKID);

    let a = boto(&python, &serve, KEY, "s3-put", &mrap);
    assert_sigv4a("PutObject", &a);
    for (field, want) in [
        ("method", Value::from("PUT")),
        (
            "x-amz-content-sha256",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
        ),
        ("content-encoding", "aws-chunked".into()),
        ("x-amz-trailer", "x-amz-checksum-crc32".into()),
        ("expect", "100-continue".into()),
        (
            "x-amz-decoded-content-length",
            OBJECT_LEN.to_string().into(),
        ),
    ] {
        assert_eq!(a.sent(field), &want, "PutObject: {field}: {}", a.all);
    }
    let report = verified_s3_xml("PutObject", a.status, &a.body, AKID);
    assert_eq!(
        report.get("Payload"),
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "{report}"
    );
    assert_eq!(
        report.get("DecodedLength"),
        OBJECT_LEN.to_string(),
        "{report}"
    );
    assert_eq!(report.get("ChecksumAlgorithm"), "crc32", "{report}");
    let checksum = a.sent("object-checksum").as_str().unwrap();
    assert_eq!(report.get("Checksum"), checksum, "{report}");
    assert_eq!(a.all["client_error"], Value::Null, "{}", a.all);
    serve.assert_logged("PUT", OBJECT, 200, "ok", AKID);
}

#[test]
fn boto3_crt_sigv4a_requests_with_one_byte_changed_are_refused() {
    let Some(python) = python() else { return };
    let serve = serve();
    let cases = [
        // The signed Host the redirect kept, the query, the path, a signed header.
        (
            "s3-list-objects",
            "header:host",
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "s3-list-objects",
            "query:list-type",
            403,
            "SignatureDoesNotMatch",
        ),
        ("s3-get", "path", 403, "SignatureDoesNotMatch"),
        (
            "s3-get",
            "header:x-amz-checksum-mode",
            403,
            "SignatureDoesNotMatch",
        ),
        // `*` changed to a region set this server does not stand for.
        (
            "s3-get",
            "header:X-Amz-Region-Set",
            400,
            "AuthorizationHeaderMalformed",
        ),
        ("s3-put", "path", 403, "SignatureDoesNotMatch"),
        (
            "s3-put",
            "header:X-Amz-Decoded-Content-Length",
            403,
            "SignatureDoesNotMatch",
        ),
        // The chunks are unsigned: the CRC32 trailer catches a changed data byte.
        ("s3-put", "chunk-data", 400, "BadDigest"),
    ];
    for (scenario, tamper, status, code) in cases {
        let a = boto(
            &python,
            &serve,
            KEY,
            scenario,
            &["--mrap", "--tamper", tamper],
        );
        let what = format!("MRAP {scenario} with one byte of the {tamper} changed");
        // `sent` is the request as tampered with: only what no tamper here changes.
        assert_eq!(a.sent("algorithm"), ALGORITHM, "{what}: {}", a.all);
        refused(&what, a.status, &a.body, status, code);
        assert_eq!(a.client_code(), Some(code), "{what}: {}", a.all);
    }
    let refusals = serve
        .log()
        .lines()
        .filter(|l| l.contains(&format!(" {AKID} ")) && !l.contains(" 200 ok "))
        .count();
    assert_eq!(refusals, cases.len(), "{}", serve.log());
}

//! `--sigv4a`: `canreq sign` and `presign` show SigV4a's steps (the derived public key shown,
//! the private key redacted unless asked), and `canreq request --sigv4a` is accepted by
//! `canreq serve` where the region set names one of its regions, or is `*` (an S3 Multi-Region
//! Access Point host), and refused where it names none.

use canreq::EcdsaPublicKey;

use crate::peer::{SERVE_AKID, SERVE_SECRET, TempDir, canreq, run, serve_one_key};

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

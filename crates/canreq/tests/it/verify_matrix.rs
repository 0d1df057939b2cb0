//! The adversarial matrix: each tampered or malformed request is rejected with the exact AWS
//! error code, and each valid twin is accepted.

use canreq::Credentials;
use canreq::verify::{Accept, Begun, ErrorCode, Verifier};

use crate::verify_support;
use verify_support::*;

#[test]
fn adversarial_matrix() {
    let c = creds();
    let token_creds = creds().with_session_token("THE-TOKEN").unwrap();
    let iam = sign(iam_get(), &c, "us-east-1", "iam", NOW);
    let ssm = sign(ssm_post(), &c, "us-east-1", "ssm", NOW);
    let put = sign(s3_put(), &c, "us-east-1", "s3", NOW);
    let pre = presign(s3_get("/bucket/key.txt"), &c, "s3", NOW, 3600);
    let ok = Ok(());
    use ErrorCode::*;

    let cases: Vec<(&str, Received, Result<(), ErrorCode>)> = vec![
        // Valid twins.
        ("valid iam GET", iam.clone(), ok),
        ("valid ssm POST (body hash)", ssm.clone(), ok),
        ("valid s3 PUT (declared sha256)", put.clone(), ok),
        (
            "valid s3 GET (unsigned payload)",
            sign(s3_get("/bucket/a%20b"), &c, "us-east-1", "s3", NOW),
            ok,
        ),
        ("valid presigned s3 GET", pre.clone(), ok),
        (
            "valid with session token",
            sign(iam_get(), &token_creds, "us-east-1", "iam", NOW),
            ok,
        ),
        (
            "valid presign with session token",
            presign(s3_get("/b/k"), &token_creds, "s3", NOW, 60),
            ok,
        ),
        (
            "skew +14 min accepted",
            sign(iam_get(), &c, "us-east-1", "iam", "20150830T125000Z"),
            ok,
        ),
        (
            "skew -14 min accepted",
            sign(iam_get(), &c, "us-east-1", "iam", "20150830T122200Z"),
            ok,
        ),
        (
            "non-S3 /a/../b is /b by AWS's normalization",
            sign(
                iam_get().map_target(|_| "/a/../b".into()),
                &c,
                "us-east-1",
                "iam",
                NOW,
            ),
            ok,
        ),
        // Signature and algorithm.
        (
            "one nibble of the signature flipped",
            iam.clone().map_authorization(flip_last_nibble),
            Err(SignatureDoesNotMatch),
        ),
        (
            "truncated signature",
            iam.clone()
                .map_authorization(|a| a[..a.len() - 1].to_owned()),
            Err(SignatureDoesNotMatch),
        ),
        (
            "uppercase hex signature",
            iam.clone().map_authorization(|a| {
                let (head, sig) = a.rsplit_once('=').unwrap();
                format!("{head}={}", sig.to_uppercase())
            }),
            Err(SignatureDoesNotMatch),
        ),
        (
            "wrong algorithm",
            iam.clone()
                .map_authorization(|a| a.replacen("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1)),
            Err(IncompleteSignature),
        ),
        (
            // SigV4a's credential has no region: a SigV4 credential under its name is malformed
            // (before SigV4a was implemented, this was NotImplemented).
            "SigV4a algorithm with a SigV4 credential",
            iam.clone()
                .map_authorization(|a| a.replacen("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1)),
            Err(AuthorizationHeaderMalformed),
        ),
        (
            "Signature component missing",
            iam.clone()
                .map_authorization(|a| a.rsplit_once(", Signature=").unwrap().0.to_owned()),
            Err(IncompleteSignature),
        ),
        (
            "malformed Credential",
            iam.clone()
                .map_authorization(|a| a.replace("/aws4_request", "")),
            Err(AuthorizationHeaderMalformed),
        ),
        (
            "wrong secret",
            sign(
                iam_get(),
                &Credentials::new(AKID, "not-the-secret").unwrap(),
                "us-east-1",
                "iam",
                NOW,
            ),
            Err(SignatureDoesNotMatch),
        ),
        (
            "unknown access key",
            sign(
                iam_get(),
                &Credentials::new("AKIDUNKNOWN", SECRET).unwrap(),
                "us-east-1",
                "iam",
                NOW,
            ),
            Err(InvalidAccessKeyId),
        ),
        (
            "no authentication at all",
            iam_get(),
            Err(MissingAuthenticationToken),
        ),
        // Scope and time.
        (
            "scope date differs from X-Amz-Date",
            sign(iam_get(), &c, "us-east-1", "iam", "20150830T235959Z")
                .set_header("X-Amz-Date", "20150831T000001Z"),
            Err(AuthorizationHeaderMalformed),
        ),
        (
            "wrong region",
            sign(iam_get(), &c, "us-west-2", "iam", NOW),
            Err(AuthorizationHeaderMalformed),
        ),
        (
            "wrong service",
            sign(iam_get(), &c, "us-east-1", "ec2", NOW),
            Err(AuthorizationHeaderMalformed),
        ),
        (
            "skew +16 min",
            sign(iam_get(), &c, "us-east-1", "iam", "20150830T125200Z"),
            Err(RequestTimeTooSkewed),
        ),
        (
            "skew -16 min",
            sign(iam_get(), &c, "us-east-1", "iam", "20150830T122000Z"),
            Err(RequestTimeTooSkewed),
        ),
        (
            "X-Amz-Date missing",
            iam.clone().remove_header("X-Amz-Date"),
            Err(AccessDenied),
        ),
        // Headers.
        (
            "host not signed",
            iam.clone()
                .map_authorization(|a| a.replace("SignedHeaders=host;", "SignedHeaders=")),
            Err(AccessDenied),
        ),
        (
            "unsigned x-amz-* header added",
            iam.clone().add_header("X-Amz-Meta-Evil", "1"),
            Err(AccessDenied),
        ),
        (
            "unsigned x-amz-security-token",
            iam.clone().add_header("X-Amz-Security-Token", "THE-TOKEN"),
            Err(AccessDenied),
        ),
        (
            "wrong session token",
            sign(
                iam_get(),
                &creds().with_session_token("OTHER").unwrap(),
                "us-east-1",
                "iam",
                NOW,
            ),
            Err(InvalidToken),
        ),
        (
            "duplicate Authorization",
            iam.clone()
                .add_header("Authorization", &iam.header("authorization")),
            Err(InvalidArgument),
        ),
        (
            "X-Forwarded-Host differs from Host",
            iam.clone()
                .set_header("Host", "attacker.example")
                .add_header("X-Forwarded-Host", "iam.amazonaws.com"),
            Err(SignatureDoesNotMatch),
        ),
        (
            "signed header value changed",
            ssm.clone()
                .set_header("X-Amz-Target", "AmazonSSM.DeleteParameter")
                .map_authorization(|a| a.to_owned()),
            Err(SignatureDoesNotMatch),
        ),
        // Target and method.
        (
            "S3 path /a/../b vs /b",
            sign(s3_get("/b"), &c, "us-east-1", "s3", NOW).map_target(|_| "/a/../b".into()),
            Err(SignatureDoesNotMatch),
        ),
        (
            "extra query parameter",
            iam.clone().map_target(|t| format!("{t}&Marker=x")),
            Err(SignatureDoesNotMatch),
        ),
        (
            "query value changed",
            iam.clone()
                .map_target(|t| t.replace("2010-05-08", "2010-05-09")),
            Err(SignatureDoesNotMatch),
        ),
        (
            "method changed",
            Received {
                method: "DELETE".into(),
                ..iam.clone()
            },
            Err(SignatureDoesNotMatch),
        ),
        (
            "header and query auth together",
            pre.clone()
                .add_header("Authorization", &put.header("authorization")),
            Err(InvalidArgument),
        ),
        // Payload.
        (
            "body changed, signed hash",
            Received {
                body: b"hello worle".to_vec(),
                ..put.clone()
            },
            Err(XAmzContentSHA256Mismatch),
        ),
        (
            "body changed, body hash",
            Received {
                body: br#"{"Name":"/my/parametes"}"#.to_vec(),
                ..ssm.clone()
            },
            Err(SignatureDoesNotMatch),
        ),
        (
            "S3 without x-amz-content-sha256",
            put.clone().remove_header("x-amz-content-sha256"),
            Err(InvalidRequest),
        ),
        (
            "x-amz-content-sha256 not a hash",
            put.clone().set_header("x-amz-content-sha256", "abc"),
            Err(InvalidArgument),
        ),
        (
            "payload switched to aws-chunked after signing",
            put.clone()
                .set_header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            Err(SignatureDoesNotMatch),
        ),
        // Presigned URLs.
        (
            "presign extra parameter",
            pre.clone().map_target(|t| format!("{t}&x=1")),
            Err(SignatureDoesNotMatch),
        ),
        (
            "presign signature flipped",
            pre.clone().map_target(flip_last_nibble),
            Err(SignatureDoesNotMatch),
        ),
        (
            "presign expired",
            presign(s3_get("/b/k"), &c, "s3", "20150830T113500Z", 3600),
            Err(AccessDenied),
        ),
        (
            "presign from the future",
            presign(s3_get("/b/k"), &c, "s3", "20150830T125200Z", 3600),
            Err(AccessDenied),
        ),
        (
            "presign X-Amz-Expires=0",
            pre.clone()
                .map_target(|t| replace_param(t, "X-Amz-Expires", Some("0"))),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign X-Amz-Expires=604801",
            pre.clone()
                .map_target(|t| replace_param(t, "X-Amz-Expires", Some("604801"))),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign X-Amz-Expires=-1",
            pre.clone()
                .map_target(|t| replace_param(t, "X-Amz-Expires", Some("-1"))),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign X-Amz-Expires=abc",
            pre.clone()
                .map_target(|t| replace_param(t, "X-Amz-Expires", Some("abc"))),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign duplicate X-Amz-Signature",
            pre.clone()
                .map_target(|t| format!("{t}&X-Amz-Signature=00")),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign wrong algorithm",
            pre.clone()
                .map_target(|t| replace_param(t, "X-Amz-Algorithm", Some("AWS4-HMAC-SHA1"))),
            Err(AuthorizationQueryParametersError),
        ),
        (
            "presign unsigned x-amz header",
            pre.clone().add_header("x-amz-acl", "public-read"),
            Err(AccessDenied),
        ),
    ];
    let mut presign_missing = Vec::new();
    for param in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ] {
        presign_missing.push((
            param,
            pre.clone().map_target(|t| replace_param(t, param, None)),
        ));
    }

    let store = |akid: &str| match akid {
        AKID => Some(creds()),
        _ => None,
    };
    let token_store =
        |akid: &str| (akid == AKID).then(|| creds().with_session_token("THE-TOKEN").unwrap());
    let iam_only = Verifier::new(store).regions(Accept::one("us-east-1"));
    let strict_services = Verifier::new(store)
        .regions(Accept::one("us-east-1"))
        .services(Accept::Only(vec!["iam".into(), "ssm".into(), "s3".into()]));
    let with_tokens = Verifier::new(token_store);
    let now = time(NOW);

    let mut checked = 0;
    let mut failures = Vec::new();
    let mut run = |name: &str, req: &Received, expect: Result<(), ErrorCode>| {
        let uses_token =
            name.contains("session token") && !name.contains("wrong") && !name.contains("unsigned");
        let outcome = if uses_token || name == "wrong session token" {
            with_tokens.verify(&req.view(), &req.body, now).map(|_| ())
        } else if name == "wrong service" {
            strict_services
                .verify(&req.view(), &req.body, now)
                .map(|_| ())
        } else {
            iam_only.verify(&req.view(), &req.body, now).map(|_| ())
        };
        checked += 1;
        let got = outcome.as_ref().map_err(|e| e.code()).copied();
        if got != expect {
            failures.push(format!("{name}: expected {expect:?}, got {outcome:?}"));
        }
    };
    for (name, req, expect) in &cases {
        run(name, req, *expect);
    }
    for (param, req) in &presign_missing {
        run(
            &format!("presign without {param}"),
            req,
            Err(AuthorizationQueryParametersError),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let rejected = cases.iter().filter(|c| c.2.is_err()).count() + presign_missing.len();
    assert!(
        rejected >= 35,
        "the matrix must hold at least 35 rejected cases, has {rejected}"
    );
    println!("verify matrix: {checked} passed, 0 failed ({rejected} rejections)");
}

#[test]
fn unsigned_payload_policy_and_details() {
    let c = creds();
    let store = |akid: &str| (akid == AKID).then(creds);
    let strict = Verifier::new(store).allow_unsigned_payload(false);
    let now = time(NOW);
    let get = sign(s3_get("/b/k"), &c, "us-east-1", "s3", NOW);
    assert_eq!(
        strict.verify(&get.view(), b"", now).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    let pre = presign(s3_get("/b/k"), &c, "s3", NOW, 60);
    assert_eq!(
        strict.verify(&pre.view(), b"", now).unwrap_err().code(),
        ErrorCode::AccessDenied
    );

    // A mismatch carries the server's steps, with the token redacted.
    let tc = creds().with_session_token("SECRET-TOKEN").unwrap();
    let token_store =
        |akid: &str| (akid == AKID).then(|| creds().with_session_token("SECRET-TOKEN").unwrap());
    let v = Verifier::new(token_store);
    let req = sign(iam_get(), &tc, "us-east-1", "iam", NOW).map_target(|t| format!("{t}&x=1"));
    let err = v.verify(&req.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    assert!(
        err.detail("StringToSign")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n")
    );
    let creq = err.detail("CanonicalRequest").unwrap();
    let shown = format!("{err:?} {err} {:?}", err.details());
    assert!(
        creq.contains("x-amz-security-token:<redacted>") && !shown.contains("SECRET-TOKEN"),
        "{creq}"
    );
}

#[test]
fn streaming_body_is_checked_in_pieces() {
    let c = creds();
    let store = |akid: &str| (akid == AKID).then(creds);
    let v = Verifier::new(store);
    let now = time(NOW);
    for req in [
        sign(s3_put(), &c, "us-east-1", "s3", NOW),
        sign(ssm_post(), &c, "us-east-1", "ssm", NOW),
    ] {
        let Begun::Whole(mut pending) = v.begin(&req.view(), now).unwrap() else {
            panic!("a body covered by the signature must be read through Pending");
        };
        for piece in req.body.chunks(3) {
            pending.update(piece);
        }
        assert_eq!(pending.body_length(), req.body.len() as u64);
        let verified = pending.finish().unwrap();
        assert!(verified.signed_headers().contains(&"host"));
    }
}

//! Verifying against signing the same request, in one run:
//! `cargo bench -p canreq --bench verify -- --warm-up-time 1 --measurement-time 3`.
//!
//! The verifier issue asks that verifying R1..R3 cost at most 1.2 × signing them. Each group
//! holds `sign` (the signer, warm key cache, as in the `sign` bench), `verify` (the verifier on
//! the request as the server receives it: the same headers plus `X-Amz-Date` and
//! `Authorization`, and the body) and, for scale, `aws-sigv4` signing the request. V6 does
//! the same for R6's presigned URL.
//!
//! Both `sign` and `verify` build their `canreq::Request` inside the timed loop. The verifier
//! looks the access key up in a closure store, which hands back a copy of the credentials
//! (that is the store API), parses the claim, checks scope, time and signed headers, builds
//! the canonical request, takes the key from its own (warm) cache and compares in constant
//! time. Before timing, each group checks that the request is accepted and that one changed
//! byte is rejected.

use std::hint::black_box;

use aws_sigv4::http_request::{SignableBody, SigningSettings as AwsSettings};
use canreq::verify::{ErrorCode, Verifier};
use canreq::{Credentials, KeyCache, Payload, Request, SigningTime};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;
use common::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The request as received: the case's headers, then the signature headers.
fn received<'a>(case: &'a Case, auth: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = case.headers.clone();
    headers.extend(auth.iter().map(|(n, v)| (*n, v.as_str())));
    headers
}

fn request<'a>(case: &Case, target: &'a str, headers: &[(&'a str, &'a str)]) -> Request<'a> {
    let mut req = Request::with_capacity(case.method, target, headers.len());
    for &(n, v) in headers {
        req.push_header(n, v);
    }
    req
}

/// Sign, verify and aws-sigv4 for one header-signed request (R1..R3).
fn header_group(c: &mut Criterion, name: &str, case: &Case, body: Option<&'static [u8]>) {
    let creds = creds();
    let cache = KeyCache::default();
    let signer = signer(&creds, case.service, Some(&cache));
    let payload = body.map_or(Payload::Empty, Payload::Bytes);
    let body_bytes = body.unwrap_or_default();
    let now = SigningTime::parse(AMZ_DATE).expect("time");
    let store = |akid: &str| (akid == AKID).then(|| creds.clone());
    let verifier = Verifier::new(store);
    let identity = aws_identity(AKID, SECRET);
    let params = aws_params(&identity, case.service, UNIX, AwsSettings::default());
    let aws_body = || body.map_or(SignableBody::empty(), SignableBody::Bytes);

    let signed = signer.sign(&canreq_request(case), payload).expect("sign");
    let headers = received(case, signed.headers());
    let verified = verifier
        .verify(&request(case, case.target, &headers), body_bytes, now)
        .expect("the signed request verifies");
    assert_eq!(verified.service(), case.service);
    let mut tampered_body = body_bytes.to_vec();
    tampered_body.push(b' ');
    let err = verifier
        .verify(&request(case, case.target, &headers), &tampered_body, now)
        .expect_err("a changed body is rejected");
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);

    let mut g = c.benchmark_group(name);
    g.bench_function("sign", |b| {
        b.iter(|| {
            signer
                .sign(&canreq_request(black_box(case)), black_box(payload))
                .expect("sign")
        })
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(
                    &request(case, black_box(case.target), black_box(&headers)),
                    black_box(body_bytes),
                    now,
                )
                .expect("verify")
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| aws_sign(black_box(case), black_box(aws_body()), &params))
    });
    g.finish();

    let ratio = paired_ratio(
        || {
            black_box(
                signer
                    .sign(&canreq_request(black_box(case)), payload)
                    .expect("sign"),
            );
        },
        || {
            black_box(
                verifier
                    .verify(
                        &request(case, case.target, black_box(&headers)),
                        body_bytes,
                        now,
                    )
                    .expect("verify"),
            );
        },
        41,
    );
    paired_line(&format!("{name}: paired verify/sign"), ratio);
    let sign_allocs = count_allocs(|| signer.sign(&canreq_request(case), payload));
    let verify_allocs =
        count_allocs(|| verifier.verify(&request(case, case.target, &headers), body_bytes, now));
    println!(
        "{name}: allocations per call: sign {}, verify {}",
        shown(sign_allocs),
        shown(verify_allocs)
    );
}

fn v1(c: &mut Criterion) {
    header_group(c, "V1_get-vanilla", &r1_get_vanilla(), None);
}

fn v2(c: &mut Criterion) {
    header_group(c, "V2_ssm-GetParameter", &r2_ssm(), Some(SSM_BODY));
}

fn v3(c: &mut Criterion) {
    header_group(c, "V3_iam-ListUsers", &r3_iam(), None);
}

/// R6: verifying the presigned URL against presigning it.
fn v6(c: &mut Criterion) {
    let case = r6_presign();
    let creds = Credentials::new(S3_DOC_AKID, S3_DOC_SECRET).expect("credentials");
    let cache = KeyCache::default();
    let signer = s3_doc_signer(&creds, &cache);
    let now = SigningTime::parse(S3_DOC_DATE).expect("time");
    let store = |akid: &str| (akid == S3_DOC_AKID).then(|| creds.clone());
    let verifier = Verifier::new(store);

    let presigned = signer
        .presign(&canreq_request(&case), Payload::Unsigned, 86_400)
        .expect("presign");
    assert_eq!(presigned.signature(), S3_DOC_SIGNATURE);
    let target = presigned.target();
    verifier
        .verify(&request(&case, target, &case.headers), b"", now)
        .expect("the presigned URL verifies");
    let tampered = target.replace("test.txt", "test.txu");
    let err = verifier
        .verify(&request(&case, &tampered, &case.headers), b"", now)
        .expect_err("a changed path is rejected");
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);

    let mut g = c.benchmark_group("V6_s3-presign-GET");
    g.bench_function("sign", |b| {
        b.iter(|| {
            signer
                .presign(&canreq_request(black_box(&case)), Payload::Unsigned, 86_400)
                .expect("presign")
        })
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(
                    &request(&case, black_box(target), black_box(&case.headers)),
                    b"",
                    now,
                )
                .expect("verify")
        })
    });
    g.finish();

    let sign_allocs =
        count_allocs(|| signer.presign(&canreq_request(&case), Payload::Unsigned, 86_400));
    let verify_allocs =
        count_allocs(|| verifier.verify(&request(&case, target, &case.headers), b"", now));
    println!(
        "V6_s3-presign-GET: allocations per call: presign {}, verify {}",
        shown(sign_allocs),
        shown(verify_allocs)
    );
}

criterion_group! {
    name = benches;
    config = config();
    targets = v1, v2, v3, v6
}
criterion_main!(benches);

//! SigV4a: `cargo bench -p canreq --bench sigv4a -- --warm-up-time 1 --measurement-time 3`.
//!
//! - `sign/canreq` and `sign/aws-sigv4`: the same request (R1, the suite's `get-vanilla`, for
//!   the region set `us-east-1`), side by side in one run. canreq signs with a warm
//!   `KeyCache` (the derived P-256 key looked up, not derived); aws-sigv4 has no cache and runs
//!   its KDF (two HMACs, no scalar multiplication) on every call. Both hand back the signature
//!   and the headers to set.
//! - `verify/canreq`: `Verifier::verify` on that request as received, with the verifier's warm
//!   key cache (the public key looked up), against `ecdsa-verify`, the ECDSA P-256 verification
//!   alone (SHA-256 of the string to sign, DER parsing, the curve arithmetic), the floor.
//! - `derive/cold`: `EcdsaKey::derive`, the KDF and the public key's scalar multiplication,
//!   what a cache miss costs.
//!
//! `BENCHMARKS.md` compares them with `openssl speed -seconds 3 ecdsap256` on the same machine.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SigningSettings as AwsSettings};
use aws_sigv4::sign::v4a;
use canreq::verify::Verifier;
use canreq::{Algorithm, EcdsaKey, KeyCache, Payload, SigningTime};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;
use common::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn sigv4a(c: &mut Criterion) {
    let case = r1_get_vanilla();
    let creds = creds();
    let cache = KeyCache::default();
    let signer =
        signer(&creds, case.service, Some(&cache)).with_algorithm(Algorithm::EcdsaP256Sha256);
    let identity = aws_identity(AKID, SECRET);
    let aws_params = v4a::SigningParams::builder()
        .identity(&identity)
        .region_set(REGION)
        .name(case.service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(UNIX))
        .settings(AwsSettings::default())
        .build()
        .expect("aws-sigv4 params")
        .into();

    // Both sign the same canonical request: canreq verifies aws-sigv4's signature.
    let (instructions, _) =
        aws_sigv4::http_request::sign(aws_request(&case, SignableBody::empty()), &aws_params)
            .expect("aws-sigv4 sign")
            .into_parts();
    let mut received = canreq_request(&case);
    for (name, value) in instructions.headers() {
        received.push_header(name, value);
    }
    let verifier = Verifier::new(|_: &str| Some(creds.clone()));
    let now = SigningTime::parse(AMZ_DATE).expect("time");
    verifier
        .verify(&received, b"", now)
        .expect("canreq verifies aws-sigv4's SigV4a");

    let signed = signer
        .sign(&canreq_request(&case), Payload::Empty)
        .expect("sign");
    let mut ours = canreq_request(&case);
    for (name, value) in signed.headers() {
        ours.push_header(name, value);
    }
    verifier
        .verify(&ours, b"", now)
        .expect("warm the verifier's cache");
    let key = signed
        .steps()
        .ecdsa_key()
        .expect("a SigV4a key")
        .public_key();
    let string_to_sign = signed.steps().string_to_sign().as_bytes();

    let mut g = c.benchmark_group("sigv4a");
    g.bench_function("sign/canreq", |b| {
        b.iter(|| {
            let signed = signer
                .sign(&canreq_request(black_box(&case)), Payload::Empty)
                .expect("sign");
            black_box(signed);
        })
    });
    g.bench_function("sign/aws-sigv4", |b| {
        b.iter(|| {
            let out = aws_sigv4::http_request::sign(
                aws_request(black_box(&case), SignableBody::empty()),
                &aws_params,
            )
            .expect("aws-sigv4 sign");
            black_box(out);
        })
    });
    g.bench_function("verify/canreq", |b| {
        b.iter(|| black_box(verifier.verify(black_box(&ours), b"", now).is_ok()))
    });
    g.bench_function("verify/ecdsa-verify", |b| {
        b.iter(|| black_box(key.verify(black_box(string_to_sign), signed.signature())))
    });
    g.bench_function("derive/cold", |b| {
        b.iter(|| black_box(EcdsaKey::derive(black_box(AKID), black_box(SECRET)).is_ok()))
    });
    g.finish();
}

criterion_group!(benches, sigv4a);
criterion_main!(benches);

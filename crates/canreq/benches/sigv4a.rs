//! SigV4a: `cargo bench -p canreq --bench sigv4a -- --warm-up-time 1 --measurement-time 3`.
//!
//! - `sign/canreq` and `sign/aws-sigv4`: the same request (R1, the suite's `get-vanilla`, for
//!   the region set `us-east-1`), side by side in one run. canreq signs with a warm
//!   `KeyCache` (the derived P-256 key looked up, not derived); aws-sigv4 has no cache and runs
//!   its KDF (two HMACs, no scalar multiplication) on every call. Both hand back the signature
//!   and the headers to set.
//! - `verify/canreq`: `Verifier::verify` on that request as received, with the verifier's warm
//!   key cache (the public key looked up), against `ecdsa-verify/ring`, the ECDSA P-256
//!   verification alone as canreq does it (`EcdsaPublicKey::verify`: hex and DER parsing, SHA-256
//!   of the string to sign, `ring`'s curve arithmetic), the floor; and `ecdsa-verify/p256`, the
//!   same signature verified with `p256` 0.14 as canreq did before (its `VerifyingKey` built
//!   once, outside the loop), to compare the two backends in one run.
//! - `derive/cold`: `EcdsaKey::derive`, the KDF and the public key's scalar multiplication,
//!   what a cache miss costs.
//!
//! Then, paired (`common::paired_ratio`, alternating batches, so that a shared machine's load
//! hits both sides alike): p256's verification time over ring's, the verifier's over the ECDSA
//! verification alone, and aws-sigv4's signing time over canreq's.
//!
//! `BENCHMARKS.md` compares them with `openssl speed -seconds 3 ecdsap256` on the same machine.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SigningSettings as AwsSettings};
use aws_sigv4::sign::v4a;
use canreq::verify::Verifier;
use canreq::{Algorithm, EcdsaKey, KeyCache, Payload, SigningTime};
use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sha2::{Digest, Sha256};

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
    g.bench_function("ecdsa-verify/ring", |b| {
        b.iter(|| black_box(key.verify(black_box(string_to_sign), signed.signature())))
    });
    let p256_key = VerifyingKey::from_sec1_bytes(&hex_bytes(&key.to_hex())).expect("a point");
    let der = hex_bytes(signed.signature());
    let p256_verify = |message: &[u8], der: &[u8]| {
        let digest = Sha256::digest(message);
        DerSignature::from_bytes(der)
            .is_ok_and(|signature| p256_key.verify_prehash(&digest, &signature).is_ok())
    };
    assert!(p256_verify(string_to_sign, &der), "p256 verifies it too");
    g.bench_function("ecdsa-verify/p256", |b| {
        b.iter(|| black_box(p256_verify(black_box(string_to_sign), black_box(&der))))
    });
    g.bench_function("derive/cold", |b| {
        b.iter(|| black_box(EcdsaKey::derive(black_box(AKID), black_box(SECRET)).is_ok()))
    });
    g.finish();

    const ROUNDS: usize = 41;
    println!("\n== paired, {ROUNDS} rounds of ~2 ms batches, order alternating ==");
    let ring_verify = || {
        black_box(key.verify(black_box(string_to_sign), signed.signature()));
    };
    let ratio = paired_ratio(
        ring_verify,
        || {
            black_box(p256_verify(black_box(string_to_sign), black_box(&der)));
        },
        ROUNDS,
    );
    paired_line("ecdsa verify: p256 / ring", ratio);
    let ratio = paired_ratio(
        ring_verify,
        || {
            black_box(verifier.verify(black_box(&ours), b"", now).is_ok());
        },
        ROUNDS,
    );
    paired_line("verify/canreq / ecdsa-verify/ring", ratio);
    let ratio = paired_ratio(
        || {
            black_box(
                signer
                    .sign(&canreq_request(black_box(&case)), Payload::Empty)
                    .is_ok(),
            );
        },
        || {
            black_box(
                aws_sigv4::http_request::sign(
                    aws_request(black_box(&case), SignableBody::empty()),
                    &aws_params,
                )
                .is_ok(),
            );
        },
        ROUNDS,
    );
    paired_line("sign: aws-sigv4 / canreq", ratio);
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

criterion_group!(benches, sigv4a);
criterion_main!(benches);

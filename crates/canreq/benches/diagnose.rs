//! A catalogue search over a small request, worst case (no mistake reproduces the signature, so
//! every single mistake and every pair is tried): the bound is 50 ms.
//! `cargo bench -p canreq --bench diagnose -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use canreq::diagnose::{Verdict, search};
use canreq::{Credentials, Request};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    // IAM with a query, a session token and a custom header: every catalogue entry applies.
    let request = Request::new("GET", "/?Version=2010-05-08&Action=ListUsers&Marker=a+b")
        .header("Host", "iam.amazonaws.com")
        .header("X-Amz-Date", "20150830T123600Z")
        .header("X-Custom", "  spaced  ")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date;x-custom, Signature=0000000000000000000000000000000000000000000000000000000000000000");
    let diagnosis = search(&request, b"", &creds).unwrap();
    assert_eq!(diagnosis.verdict, Verdict::NoKnownMistake);
    eprintln!("catalogue: {} ways of signing tried", diagnosis.tried);
    c.bench_function("diagnose/search-exhaustive", |b| {
        b.iter(|| search(black_box(&request), b"", &creds).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Signs or verifies the AWS suite's `get-vanilla` request (R1) N times: the fixed workload
//! that `scripts/instructions.sh` counts instructions of under valgrind, where timings on a
//! shared machine are too noisy to compare small changes. `presign` and `verify-presigned` do
//! the same for R6, the S3 documentation's presigned GET.
//!
//! `cargo run --release -p canreq --example sign_verify_loop -- verify 10000`
//!
//! `ratio ROUNDS` (and `ratio-presigned ROUNDS`) times the two sides in alternating batches of
//! about 2 ms each and prints the median of verify / sign over the rounds: a load change on a
//! shared host then moves both sides of a round alike, so two builds can be compared by their
//! ratios.

use std::hint::black_box;

use canreq::verify::Verifier;
use canreq::{Credentials, KeyCache, Payload, Request, Scope, Signer, SigningTime};

// The benches' paired timing, shared by path (an example cannot name a bench's module).
#[path = "../benches/common/paired.rs"]
mod paired;

const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
    SignedHeaders=host;x-amz-date, \
    Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

/// R6: the S3 documentation's presigned GET, as `canreq presign` writes it.
const PRESIGNED: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
    &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
    &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
const S3_HOST: &str = "examplebucket.s3.amazonaws.com";

const USAGE: &str =
    "usage: sign_verify_loop (sign|verify|ratio|presign|verify-presigned|ratio-presigned) COUNT";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mode, count) = match (args.next(), args.next().map(|n| n.parse::<usize>())) {
        (Some(mode), Some(Ok(count))) => (mode, count),
        _ => return Err(USAGE.into()),
    };
    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    let now = SigningTime::parse("20150830T123600Z")?;
    // Both sides warm: the signer's and the verifier's key caches each derive the key once.
    let cache = KeyCache::default();
    let signer =
        Signer::new(&creds, Scope::new("us-east-1", "service")?, now).with_key_cache(&cache);
    let verifier = Verifier::new(|akid: &str| (akid == "AKIDEXAMPLE").then(|| creds.clone()));
    let sign = || {
        let request = Request::with_capacity("GET", "/", 1).header("Host", "example.amazonaws.com");
        black_box(signer.sign(black_box(&request), Payload::Empty))?;
        Outcome::Ok(())
    };
    let verify = || {
        let request = Request::with_capacity("GET", "/", 3)
            .header("Host", "example.amazonaws.com")
            .header("X-Amz-Date", "20150830T123600Z")
            .header("Authorization", AUTHORIZATION);
        black_box(verifier.verify(black_box(&request), b"", now))?;
        Outcome::Ok(())
    };
    let s3_creds = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )?;
    let s3_now = SigningTime::parse("20130524T000000Z")?;
    let presigner =
        Signer::new(&s3_creds, Scope::new("us-east-1", "s3")?, s3_now).with_key_cache(&cache);
    let s3_verifier =
        Verifier::new(|akid: &str| (akid == "AKIAIOSFODNN7EXAMPLE").then(|| s3_creds.clone()));
    let presign = || {
        let request = Request::with_capacity("GET", "/test.txt", 1).header("Host", S3_HOST);
        black_box(presigner.presign(black_box(&request), Payload::Unsigned, 86_400))?;
        Outcome::Ok(())
    };
    let verify_presigned = || {
        let request = Request::with_capacity("GET", PRESIGNED, 1).header("Host", S3_HOST);
        black_box(s3_verifier.verify(black_box(&request), b"", s3_now))?;
        Outcome::Ok(())
    };
    // Verify / sign, after one call of each has shown that neither fails.
    let ratio = |sign: &dyn Fn() -> Outcome, verify: &dyn Fn() -> Outcome| -> Outcome {
        sign()?;
        verify()?;
        let failed = "failed after succeeding once";
        let (median, low, high) = paired::paired_ratio(
            || sign().expect(failed),
            || verify().expect(failed),
            count.max(1),
        );
        println!("verify / sign: median {median:.3}  (rounds {low:.3} .. {high:.3})");
        Ok(())
    };
    match mode.as_str() {
        "sign" => (0..count).try_for_each(|_| sign())?,
        "verify" => (0..count).try_for_each(|_| verify())?,
        "ratio" => ratio(&sign, &verify)?,
        "presign" => (0..count).try_for_each(|_| presign())?,
        "verify-presigned" => (0..count).try_for_each(|_| verify_presigned())?,
        "ratio-presigned" => ratio(&presign, &verify_presigned)?,
        other => return Err(format!("unknown mode '{other}'; {USAGE}").into()),
    }
    Ok(())
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

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
use std::time::Instant;

use canreq::verify::Verifier;
use canreq::{Credentials, KeyCache, Payload, Request, Scope, Signer, SigningTime};

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
    let print = |(median, low, high): (f64, f64, f64)| {
        println!("verify / sign: median {median:.3}  (rounds {low:.3} .. {high:.3})");
    };
    match mode.as_str() {
        "sign" => (0..count).try_for_each(|_| sign())?,
        "verify" => (0..count).try_for_each(|_| verify())?,
        "ratio" => print(paired_ratio(&sign, &verify, count.max(1))?),
        "presign" => (0..count).try_for_each(|_| presign())?,
        "verify-presigned" => (0..count).try_for_each(|_| verify_presigned())?,
        "ratio-presigned" => print(paired_ratio(&presign, &verify_presigned, count.max(1))?),
        other => return Err(format!("unknown mode '{other}'; {USAGE}").into()),
    }
    Ok(())
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// The median, least and greatest of `rounds` ratios of `verify` to `sign`, each side timed
/// over about 2 ms, the order alternating between rounds.
fn paired_ratio(
    sign: &dyn Fn() -> Outcome,
    verify: &dyn Fn() -> Outcome,
    rounds: usize,
) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let per_call = |f: &dyn Fn() -> Outcome, n: u32| -> Result<f64, Box<dyn std::error::Error>> {
        let start = Instant::now();
        for _ in 0..n {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() / f64::from(n))
    };
    let batch = |f: &dyn Fn() -> Outcome| -> Result<u32, Box<dyn std::error::Error>> {
        per_call(f, 1000)?; // warm-up
        Ok(((2e-3 / per_call(f, 1000)?) as u32).clamp(10, 1_000_000))
    };
    let (n_sign, n_verify) = (batch(sign)?, batch(verify)?);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let ratio = if round % 2 == 0 {
            let s = per_call(sign, n_sign)?;
            per_call(verify, n_verify)? / s
        } else {
            let v = per_call(verify, n_verify)?;
            v / per_call(sign, n_sign)?
        };
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    Ok((ratios[rounds / 2], ratios[0], ratios[rounds - 1]))
}

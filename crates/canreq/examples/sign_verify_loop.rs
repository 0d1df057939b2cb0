//! Signs or verifies the AWS suite's `get-vanilla` request (R1) N times: the fixed workload
//! that `scripts/instructions.sh` counts instructions of under valgrind, where timings on a
//! shared machine are too noisy to compare small changes.
//!
//! `cargo run --release -p canreq --example sign_verify_loop -- verify 10000`

use std::hint::black_box;

use canreq::verify::Verifier;
use canreq::{Credentials, KeyCache, Payload, Request, Scope, Signer, SigningTime};

const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
    SignedHeaders=host;x-amz-date, \
    Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mode, count) = match (args.next(), args.next().map(|n| n.parse::<usize>())) {
        (Some(mode), Some(Ok(count))) => (mode, count),
        _ => return Err("usage: sign_verify_loop (sign|verify) COUNT".into()),
    };
    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    let now = SigningTime::parse("20150830T123600Z")?;
    // Both sides warm: the signer's and the verifier's key caches each derive the key once.
    let cache = KeyCache::default();
    let signer =
        Signer::new(&creds, Scope::new("us-east-1", "service")?, now).with_key_cache(&cache);
    let verifier = Verifier::new(|akid: &str| (akid == "AKIDEXAMPLE").then(|| creds.clone()));
    match mode.as_str() {
        "sign" => {
            for _ in 0..count {
                let request =
                    Request::with_capacity("GET", "/", 1).header("Host", "example.amazonaws.com");
                black_box(signer.sign(black_box(&request), Payload::Empty)?);
            }
        }
        "verify" => {
            for _ in 0..count {
                let request = Request::with_capacity("GET", "/", 3)
                    .header("Host", "example.amazonaws.com")
                    .header("X-Amz-Date", "20150830T123600Z")
                    .header("Authorization", AUTHORIZATION);
                black_box(verifier.verify(black_box(&request), b"", now)?);
            }
        }
        other => return Err(format!("unknown mode '{other}': sign or verify").into()),
    }
    Ok(())
}

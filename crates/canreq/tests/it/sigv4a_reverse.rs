//! The reverse of `differential_aws_sigv4a`: canreq signs random requests with SigV4a and an
//! independent implementation verifies every one (`sigv4a_reverse/verify_sigv4a.py`, one
//! Python process for all).
//!
//! The requests are the botocore oracle's cases (`botocore_oracle::cases`: methods, paths and
//! queries of every kind, repeated and folded headers, bodies, `UNSIGNED-PAYLOAD`, trailers,
//! session tokens, S3 rules and others), half in the Authorization header and half presigned,
//! each for a random region set (one region, several, `*`). For each, the script derives the
//! key from the secret itself (and it must be canreq's public key), has botocore's signer make
//! the canonical request, writes the string to sign, and checks canreq's signature over it with
//! the `ecdsa` package and with the AWS CRT's ECDSA; then with one bit of the signature changed,
//! which both must refuse. The request canreq sends must be the one botocore canonicalized:
//! the same headers (header form) or the same presign parameters (query form).

use canreq::{Algorithm, Scope};
use serde_json::Value;

use crate::botocore_oracle::cases::{Case, KINDS, gen_case};
use crate::botocore_oracle::{
    Ours, canreq_sign_as, header_set, headers_of, python, run_script, split_query,
};
use crate::common::Rng;

const SEED: u64 = 0x5167_0004_a0a0_0023;
const PER_KIND: usize = 150;

/// Region sets of one region, several, and every region.
fn region_set(rng: &mut Rng, case: &Case) -> Vec<&'static str> {
    match rng.below(4) {
        0 => vec!["*"],
        1 => vec![case.region],
        2 => vec!["us-east-1", "us-west-2"],
        _ => vec!["eu-west-3", "ap-southeast-2", "il-central-1"],
    }
}

/// The headers as sent, without `Authorization` (canreq's is ECDSA, botocore's HMAC).
fn sent_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .cloned()
        .collect();
    header_set(&kept)
}

/// The presign parameters of a target, without `X-Amz-Signature`, and the request's own.
fn sent_query(
    target: &str,
) -> (
    String,
    Vec<String>,
    Vec<crate::botocore_oracle::DecodedParam>,
) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (presign, own) = split_query(query);
    let presign = presign
        .into_iter()
        .filter(|p| !p.starts_with("X-Amz-Signature="))
        .collect();
    (path.to_owned(), presign, own)
}

/// What differs between canreq's request and the one the script canonicalized and verified.
fn differences(case: &Case, ours: &Ours, theirs: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = theirs["error"].as_str() {
        return vec![format!("the script failed: {e}")];
    }
    let mut check = |what: &str, same: bool, detail: String| {
        if !same {
            out.push(format!("{what}: {detail}"));
        }
    };
    let public = theirs["public_key"].as_str().unwrap_or_default();
    check(
        "public key derived in Python",
        ours.public_key.as_deref() == Some(public),
        format!("canreq {:?}, Python {public}", ours.public_key),
    );
    for verifier in ["ecdsa", "crt"] {
        check(
            &format!("{verifier} verifies canreq's signature"),
            theirs[verifier] == true,
            format!(
                "refused\n    canreq's string to sign: {:?}\n    Python's:                {:?}",
                ours.string_to_sign, theirs["string_to_sign"]
            ),
        );
        check(
            &format!("{verifier} refuses the signature with one bit changed"),
            theirs[format!("{verifier}_flipped")] == false,
            "accepted".to_owned(),
        );
    }
    check(
        "canonical request",
        theirs["canonical_request"] == ours.canonical_request.as_str(),
        format!(
            "\n    canreq:   {:?}\n    botocore: {:?}",
            ours.canonical_request, theirs["canonical_request"]
        ),
    );
    let (ours_sent, theirs_sent) = (
        sent_headers(&ours.headers),
        sent_headers(&headers_of(theirs)),
    );
    check(
        "headers as sent",
        ours_sent == theirs_sent,
        format!("\n    canreq:   {ours_sent:?}\n    botocore: {theirs_sent:?}"),
    );
    if case.kind.query() {
        let url = theirs["url"].as_str().unwrap_or_default();
        let their_target = url
            .strip_prefix(&format!("https://{}", case.host))
            .unwrap_or(url);
        let (ours_q, theirs_q) = (sent_query(&ours.target), sent_query(their_target));
        check(
            "presigned target (path, presign parameters, own parameters decoded)",
            ours_q == theirs_q,
            format!("\n    canreq:   {ours_q:?}\n    botocore: {theirs_q:?}"),
        );
    }
    out
}

#[test]
fn canreqs_sigv4a_signatures_verify_in_python_and_the_crt() {
    let Some(python) = python() else {
        return;
    };
    let mut rng = Rng::new(SEED);
    let mut signed = Vec::new();
    for id in 0..PER_KIND * KINDS.len() {
        let case = gen_case(&mut rng, id, KINDS[id % KINDS.len()]);
        let regions = region_set(&mut rng, &case);
        let scope = Scope::for_region_set(&regions, case.service).unwrap();
        let ours = canreq_sign_as(&case, scope, Algorithm::EcdsaP256Sha256)
            .unwrap_or_else(|e| panic!("case {id}: canreq refused to sign it: {e}"));
        let mut line = case.to_json();
        line["region_set"] = regions.join(",").into();
        line["signature"] = ours.signature.clone().into();
        line["public_key"] = ours.public_key.clone().into();
        line["flip"] = rng.next().into();
        signed.push((case, ours, line));
    }
    let lines: Vec<Value> = signed.iter().map(|(_, _, l)| l.clone()).collect();
    let answers = run_script(&python, "sigv4a_reverse/verify_sigv4a.py", &lines);

    let mut failures = Vec::new();
    let mut verified = [0usize; 2];
    let mut wildcard = 0;
    for ((case, ours, line), theirs) in signed.iter().zip(&answers) {
        let diffs = differences(case, ours, theirs);
        if diffs.is_empty() {
            verified[usize::from(case.kind.query())] += 1;
            wildcard += usize::from(line["region_set"] == "*");
        } else {
            failures.push(format!(
                "case {} ({}, region set {}, seed {SEED:#x}):\n  {}\n  case: {}",
                case.id,
                case.kind.name(),
                line["region_set"],
                diffs.join("\n  "),
                case.to_json()
            ));
        }
    }
    for failure in &failures {
        eprintln!("{failure}\n");
    }
    println!(
        "SigV4a reverse: {} header and {} presigned signatures by canreq verified by ecdsa and the \
         CRT, each refused with one bit changed ({wildcard} for `*`) [{}]",
        verified[0],
        verified[1],
        answers[0]["versions"].as_str().unwrap_or("?")
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (listed above)",
        failures.len(),
        signed.len()
    );
    assert!(
        verified.iter().all(|&n| n >= 250),
        "too few verified: {verified:?}"
    );
    assert!(verified.iter().sum::<usize>() >= 500, "{verified:?}");
    assert!(wildcard > 50, "only {wildcard} cases for `*`");
}

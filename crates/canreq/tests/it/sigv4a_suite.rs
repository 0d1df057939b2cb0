//! The AWS SigV4a test suite (`v4a/*`, aws-c-auth), every complete case, header and query form.
//!
//! ECDSA signatures are randomized, so no signature is compared. For each case and form:
//! - canreq's canonical request and string to sign equal the suite's, byte for byte;
//! - the suite's signature verifies over the suite's string to sign with its `public-key.json`;
//! - canreq's signature verifies with that public key (not with canreq's own derived key);
//! - the suite's signed request, as sent, is accepted by canreq's verifier, and its rendering
//!   of canreq's signed request is the suite's but for the signature;
//! - the key canreq derives from the case's credentials has the suite's public key.
//!
//! One test runs every case and prints one summary line with the counts. The two cases that
//! hold only a request (`get-vanilla-query-order-key`, `get-vanilla-query-order-value`) are
//! counted and named as skipped; any other case that cannot be read is a failure.

use std::io::Write;
use std::path::Path;

use canreq::verify::{AuthLocation, ErrorCode, Verifier};
use canreq::{Algorithm, EcdsaKey, EcdsaPublicKey, Payload, RawRequest, SessionTokenMode, Signer};
use serde_json::Value;

use crate::aws_suite::{CrtCase, Report, case_dirs, expect, read, render_crt};
use crate::common;

/// The cases the suite ships without expected output.
const INCOMPLETE: [&str; 2] = [
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-value",
];

#[test]
fn every_case_matches_and_every_signature_verifies() {
    let Some(data) = common::testdata() else {
        return;
    };
    let dirs = case_dirs(&data.join("aws-sigv4-test-suite/v4a"), "request.txt");
    assert_eq!(dirs.len(), 40, "expected the 40 v4a cases");
    let mut report = Report::default();
    let mut skipped = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if INCOMPLETE.contains(&name.as_str()) {
            assert!(!dir.join("header-string-to-sign.txt").exists(), "{name}");
            skipped.push(name);
            continue;
        }
        run_case(dir, &mut report);
    }
    assert_eq!(skipped.len(), INCOMPLETE.len());
    let _ = writeln!(
        std::io::stderr(),
        "sigv4a suite: {} passed, {} failed ({} cases of 40, header and query; {} without expected output skipped: {})",
        report.passed,
        report.failed.len(),
        dirs.len() - skipped.len(),
        skipped.len(),
        skipped.join(", ")
    );
    assert!(
        report.failed.is_empty(),
        "sigv4a suite: {} cases failed: {}\n\n{}",
        report.failed.len(),
        report.names_failed().join(", "),
        report.failed.join("\n\n")
    );
    assert_eq!(report.passed, 76, "38 complete cases, each in two forms");
}

/// The uncompressed point of the case's `public-key.json`.
fn suite_public_key(dir: &Path) -> EcdsaPublicKey {
    let json: Value = serde_json::from_str(&read(&dir.join("public-key.json"))).unwrap();
    let point = format!(
        "04{}{}",
        json["X"].as_str().unwrap(),
        json["Y"].as_str().unwrap()
    );
    EcdsaPublicKey::from_hex(&point).unwrap_or_else(|| panic!("{}: not a point", dir.display()))
}

fn run_case(dir: &Path, report: &mut Report) {
    let case = CrtCase::read(dir);
    let public_key = suite_public_key(dir);
    let derived = EcdsaKey::derive(
        case.creds.access_key_id(),
        case.creds.secret_access_key().expose(),
    )
    .unwrap();
    let signer = Signer::new(&case.creds, case.scope.clone(), case.time)
        .with_settings(case.settings.clone())
        .with_algorithm(Algorithm::EcdsaP256Sha256);
    let request = case.raw.request();
    let payload = Payload::Bytes(case.raw.body());
    let file = |form: &str, what: &str| read(&dir.join(format!("{form}-{what}.txt")));

    for location in [AuthLocation::Header, AuthLocation::Query] {
        let form = match location {
            AuthLocation::Header => "header",
            AuthLocation::Query => "query",
        };
        let mut m = Vec::new();
        expect(
            &mut m,
            "derived public key",
            &public_key.to_hex(),
            &derived.public_key().to_hex(),
        );
        let string_to_sign = file(form, "string-to-sign");
        let suite_signature = file(form, "signature");
        if !public_key.verify(string_to_sign.as_bytes(), suite_signature.trim_end()) {
            m.push("  the suite's signature does not verify with its public key".into());
        }
        let signed = match location {
            AuthLocation::Header => signer.sign(&request, payload).map(|s| {
                (
                    s.steps().clone(),
                    render_crt(&case.raw, case.raw.target(), Some(&s)),
                )
            }),
            AuthLocation::Query => signer
                .presign(&request, payload, case.expires)
                .map(|p| (p.steps().clone(), render_crt(&case.raw, p.target(), None))),
        };
        match signed {
            Ok((steps, rendered)) => {
                expect(
                    &mut m,
                    "canonical request",
                    &file(form, "canonical-request"),
                    steps.canonical_request().as_str(),
                );
                expect(
                    &mut m,
                    "string to sign",
                    &string_to_sign,
                    steps.string_to_sign(),
                );
                if !public_key.verify(steps.string_to_sign().as_bytes(), steps.signature()) {
                    m.push(
                        "  canreq's signature does not verify with the suite's public key".into(),
                    );
                }
                let sent = file(form, "signed-request");
                let theirs = signature_in(&sent);
                expect(
                    &mut m,
                    "signed request (but the signature)",
                    &sent,
                    &rendered.replace(steps.signature(), theirs),
                );
                check_verifier_judges(&case, &sent, location, &mut m);
            }
            Err(e) => m.push(format!("  signing failed: {e}")),
        }
        report.check(&format!("v4a/{} ({form})", case.name), m);
    }
}

/// The signature in a signed request of the suite (`Signature=` or `X-Amz-Signature=`).
fn signature_in(signed_request: &str) -> &str {
    let at = signed_request
        .find("Signature=")
        .expect("a signed request holds a signature")
        + "Signature=".len();
    let rest = &signed_request[at..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The suite's signed request, as it would reach a server, is accepted at the case's time;
/// but for a session token added after signing (`post-sts-header-after`), which canreq's
/// verifier refuses, for SigV4a as for SigV4: a token must be signed.
fn check_verifier_judges(case: &CrtCase, sent: &str, location: AuthLocation, m: &mut Vec<String>) {
    let raw = match RawRequest::parse(sent.as_bytes()) {
        Ok(raw) => raw,
        Err(e) => return m.push(format!("  the suite's signed request does not parse: {e}")),
    };
    let creds = case.creds.clone();
    let verifier = Verifier::new(move |_: &str| Some(creds.clone()))
        .service_settings(case.scope.service(), &case.settings);
    let outcome = verifier.verify(&raw.request(), raw.body(), case.time);
    if case.settings.session_token == SessionTokenMode::AddedAfterSigning {
        let expected = match location {
            AuthLocation::Header => ErrorCode::AccessDenied,
            AuthLocation::Query => ErrorCode::SignatureDoesNotMatch,
        };
        match outcome {
            Err(e) if e.code() == expected => {}
            other => m.push(format!(
                "  an unsigned token: expected {expected:?}, got {other:?}"
            )),
        }
        return;
    }
    match outcome {
        Ok(verified) => {
            if verified.algorithm() != Algorithm::EcdsaP256Sha256 || verified.location() != location
            {
                m.push(format!(
                    "  verified as {:?} in {:?}",
                    verified.algorithm(),
                    verified.location()
                ));
            }
            if verified.region_set() != Some(case.scope.region()) {
                m.push(format!("  region set {:?}", verified.region_set()));
            }
        }
        Err(e) => m.push(format!(
            "  canreq's verifier refused the suite's signed request: {e}"
        )),
    }
}

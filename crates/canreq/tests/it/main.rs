//! canreq's integration tests, one binary (`cargo test -p canreq --test it`), one module per
//! subject. Run one subject with its module path: `cargo test -p canreq --test it verify_matrix`.
//!
//! The algorithm seam: an algorithm known but not implemented is refused everywhere
//! (`algorithm_seam`).
//!
//! Signing: the AWS suite (`aws_suite`), its SigV4a part (`sigv4a_suite`), published examples and the signer's API (`signing`),
//! two independent oracles (`differential_aws_sigv4`, `botocore_oracle`), aws-sigv4's SigV4a
//! verified (`differential_aws_sigv4a`) and canreq's SigV4a verified by Python's `ecdsa` and
//! the AWS CRT (`sigv4a_reverse`), arbitrary input
//! (`sign_no_panic`).
//!
//! Verifying: SigV4a's region set and key (`sigv4a_rules`), the adversarial matrix (`verify_matrix`), what a claim says is signed
//! (`verify_what_is_signed`), claims bent by a hostile client (`verify_hostile_claims`), the
//! signer's and the verifier's agreement (`verify_round_trip`), the server's steps
//! (`verify_steps`), requests as real SDKs and signers send them
//! (`verify_{js_sdk,rust_sdk,third_party}_requests`), arbitrary input (`verify_no_panic`).
//!
//! Diagnosis: every catalogued signing mistake, made by an independent signer, is named
//! (`diagnose_catalogue`).
//!
//! aws-chunked: encoding and decoding (`chunked_encode_decode`), every tampering refused
//! (`chunked_rejections`).

mod common;
mod s3_path;

mod chunked_support;
mod verify_support;

mod algorithm_seam;
mod aws_suite;
mod botocore_oracle;
mod chunked_encode_decode;
mod chunked_rejections;
mod chunked_sigv4a;
mod diagnose_catalogue;
mod differential_aws_sigv4;
mod differential_aws_sigv4a;
mod sign_no_panic;
mod signing;
mod sigv4a_reverse;
mod sigv4a_rules;
mod sigv4a_suite;
mod verify_hostile_claims;
mod verify_js_sdk_requests;
mod verify_matrix;
mod verify_no_panic;
mod verify_round_trip;
mod verify_rust_sdk_requests;
mod verify_steps;
mod verify_third_party_requests;
mod verify_what_is_signed;

//! The algorithm seam: every stage that depends on the signing algorithm takes it from
//! [`Algorithm`], and an algorithm this crate knows but does not implement (SigV4a today) is
//! refused by name at each of them — the signer (header and presigned forms), a region-set
//! scope, the chunk signature chain, and the verifier (an `Authorization` header, a presigned
//! URL, an aws-chunked marker) — never mistaken for a malformed request, never half-signed.

use std::sync::Arc;

use canreq::chunked::SignatureChain;
use canreq::verify::{ErrorCode, Verifier};
use canreq::{
    Algorithm, Credentials, Error, Payload, Request, Scope, Signer, SigningKey, SigningTime,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: &str = "20150830T123600Z";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET).unwrap()
}

fn now() -> SigningTime {
    SigningTime::parse(NOW).unwrap()
}

fn unsupported() -> Vec<Algorithm> {
    let list: Vec<Algorithm> = Algorithm::ALL
        .into_iter()
        .filter(|a| !a.is_supported())
        .collect();
    assert!(
        !list.is_empty(),
        "the seam is proven with a second algorithm"
    );
    list
}

fn verifier() -> Verifier<impl canreq::verify::CredentialStore<Data = ()>> {
    Verifier::new(|akid: &str| (akid == AKID).then(creds))
}

#[test]
fn the_signer_refuses_an_unimplemented_algorithm_in_both_forms() {
    let creds = creds();
    let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    for algorithm in unsupported() {
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
            .with_algorithm(algorithm);
        assert_eq!(signer.algorithm(), algorithm);
        let expected = Error::UnsupportedAlgorithm {
            name: algorithm.name(),
        };
        assert_eq!(signer.sign(&req, Payload::Empty).unwrap_err(), expected);
        assert_eq!(
            signer.presign(&req, Payload::Unsigned, 60).unwrap_err(),
            expected
        );
        assert!(
            expected.to_string().contains(algorithm.name()),
            "{expected}"
        );
    }
    // The implemented one signs, and says so in its steps.
    let signed = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
        .sign(&req, Payload::Empty)
        .unwrap();
    assert_eq!(signed.steps().algorithm(), Algorithm::HmacSha256);
    assert!(signed.authorization().starts_with("AWS4-HMAC-SHA256 "));
}

#[test]
fn a_region_set_needs_sigv4a_and_sigv4a_is_not_implemented() {
    let creds = creds();
    let req = Request::new("GET", "/").header("Host", "mrap.accesspoint.s3-global.amazonaws.com");
    let scope = Scope::for_region_set(["us-east-1", "us-west-2"], "s3").unwrap();
    let sigv4 = Signer::new(&creds, scope.clone(), now());
    assert_eq!(
        sigv4.sign(&req, Payload::Unsigned).unwrap_err(),
        Error::RegionSetNeedsSigV4a {
            regions: "us-east-1,us-west-2".into()
        }
    );
    let sigv4a = sigv4.with_algorithm(Algorithm::EcdsaP256Sha256);
    assert_eq!(
        sigv4a.sign(&req, Payload::Unsigned).unwrap_err(),
        Error::UnsupportedAlgorithm {
            name: "AWS4-ECDSA-P256-SHA256"
        }
    );
}

#[test]
fn the_chunk_chain_refuses_an_unimplemented_algorithm() {
    let key = Arc::new(SigningKey::derive(SECRET, "20150830", "us-east-1", "s3"));
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let scope = "20150830/us-east-1/s3/aws4_request";
    for algorithm in unsupported() {
        let err = SignatureChain::for_algorithm(algorithm, Arc::clone(&key), now(), scope, seed)
            .unwrap_err();
        assert_eq!(
            err,
            Error::UnsupportedAlgorithm {
                name: algorithm.name()
            }
        );
    }
    let chain =
        SignatureChain::for_algorithm(Algorithm::HmacSha256, key, now(), scope, seed).unwrap();
    assert_eq!(chain.algorithm(), Algorithm::HmacSha256);
}

#[test]
fn the_verifier_refuses_an_unimplemented_algorithm_by_name_in_a_header() {
    for algorithm in unsupported() {
        let authorization = format!(
            "{} Credential={AKID}/20150830/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100aa",
            algorithm.name()
        );
        let req = Request::new("GET", "/")
            .header("Host", "example.amazonaws.com")
            .header("X-Amz-Date", NOW)
            .header("X-Amz-Region-Set", "*")
            .header("Authorization", &authorization);
        let err = verifier().verify(&req, b"", now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotImplemented, "{err}");
        assert_eq!(err.status(), 501);
        assert!(err.message().contains(algorithm.name()), "{err}");
        assert!(verifier().begin(&req, now()).is_err());
    }
}

#[test]
fn the_verifier_refuses_an_unimplemented_algorithm_by_name_in_a_presigned_url() {
    for algorithm in unsupported() {
        let target = format!(
            "/key?X-Amz-Algorithm={}&X-Amz-Credential={AKID}%2F20150830%2Fs3%2Faws4_request\
             &X-Amz-Date={NOW}&X-Amz-SignedHeaders=host&X-Amz-Expires=60&X-Amz-Region-Set=%2A\
             &X-Amz-Signature=3045022100aa",
            algorithm.name()
        );
        let req = Request::new("GET", &target).header("Host", "example.amazonaws.com");
        let err = verifier().verify(&req, b"", now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotImplemented, "{err}");
        assert!(err.message().contains(algorithm.name()), "{err}");
    }
}

#[test]
fn the_verifier_refuses_chunks_signed_with_an_unimplemented_algorithm() {
    let creds = creds();
    let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now());
    for algorithm in unsupported() {
        for trailer in [false, true] {
            let marker = algorithm.signed_streaming_marker(trailer);
            // A SigV4 head that declares SigV4a chunks: correctly signed, so only the marker
            // can be what is refused.
            let req = Request::new("PUT", "/bucket/key")
                .header("Host", "s3.amazonaws.com")
                .header("Content-Encoding", "aws-chunked")
                .header("x-amz-decoded-content-length", "5");
            let signed = signer.sign(&req, Payload::Unsigned).unwrap();
            let mut received = req.clone();
            for (name, value) in signed.headers() {
                let value = if *name == "x-amz-content-sha256" {
                    marker
                } else {
                    value
                };
                received.push_header(name, value);
            }
            let err = verifier().begin(&received, now()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::NotImplemented, "{marker}: {err}");
            assert!(err.message().contains(algorithm.name()), "{err}");
        }
    }
}

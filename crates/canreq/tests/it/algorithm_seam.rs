//! The algorithm seam: every stage that depends on the signing algorithm takes it from
//! [`Algorithm`]. Every algorithm this crate knows signs and verifies in both forms (SigV4
//! and SigV4a) and chains aws-chunked chunk signatures; the streaming marker names the
//! algorithm, and a verifier refuses by name a head whose algorithm is not its chunks'. Unsigned
//! chunks with a trailer need no chunk signature, and go through under every algorithm. A
//! region set still needs SigV4a.
//!
//! (Before SigV4a was implemented, this module proved that SigV4a itself, then its chunk
//! signing, was refused at each stage; the round trips of SigV4a chunks are in
//! `chunked_sigv4a`.)

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

fn verifier() -> Verifier<impl canreq::verify::CredentialStore<Data = ()>> {
    Verifier::new(|akid: &str| (akid == AKID).then(creds))
}

#[test]
fn every_known_algorithm_signs_and_verifies_in_both_forms() {
    let creds = creds();
    let req = Request::new("GET", "/key").header("Host", "example.amazonaws.com");
    for algorithm in Algorithm::ALL {
        assert!(algorithm.is_supported(), "{algorithm}");
        assert_eq!(algorithm.require_supported(), Ok(()));
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
            .with_algorithm(algorithm);
        assert_eq!(signer.algorithm(), algorithm);
        let signed = signer.sign(&req, Payload::Unsigned).unwrap();
        assert_eq!(signed.steps().algorithm(), algorithm);
        assert!(
            signed
                .authorization()
                .starts_with(&format!("{} ", algorithm.name()))
        );
        let mut received = req.clone();
        for (name, value) in signed.headers() {
            received.push_header(name, value);
        }
        let verified = verifier().verify(&received, b"", now()).unwrap();
        assert_eq!(verified.algorithm(), algorithm);

        let presigned = signer.presign(&req, Payload::Unsigned, 60).unwrap();
        assert!(
            presigned
                .target()
                .contains(&format!("X-Amz-Algorithm={}&", algorithm.name()))
        );
        let received =
            Request::new("GET", presigned.target()).header("Host", "example.amazonaws.com");
        let verified = verifier().verify(&received, b"", now()).unwrap();
        assert_eq!(verified.algorithm(), algorithm);
    }
}

#[test]
fn a_region_set_needs_sigv4a_and_sigv4a_signs_it() {
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
    let signed = sigv4a.sign(&req, Payload::Unsigned).unwrap();
    assert_eq!(
        signed.steps().credential_scope(),
        "20150830/s3/aws4_request"
    );
    assert!(
        signed
            .headers()
            .contains(&("X-Amz-Region-Set", "us-east-1,us-west-2".to_string()))
    );
}

#[test]
fn every_algorithm_signs_streaming_payloads_with_its_own_marker() {
    let creds = creds();
    let req = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    for algorithm in Algorithm::ALL {
        assert!(algorithm.signs_chunks(), "{algorithm}");
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
            .with_algorithm(algorithm);
        for (payload, trailer) in [
            (Payload::StreamingSigned, false),
            (Payload::StreamingSignedTrailer, true),
        ] {
            let marker = algorithm.signed_streaming_marker(trailer);
            let signed = signer.sign(&req, payload).unwrap();
            assert_eq!(signed.steps().canonical_request().payload_hash(), marker);
            let presigned = signer.presign(&req, payload, 60).unwrap();
            assert_eq!(presigned.steps().canonical_request().payload_hash(), marker);
        }
    }
}

#[test]
fn the_chunk_chain_takes_its_algorithm_from_its_key() {
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let key = Arc::new(SigningKey::derive(SECRET, "20150830", "us-east-1", "s3"));
    let chain =
        SignatureChain::new(key, now(), "20150830/us-east-1/s3/aws4_request", seed).unwrap();
    assert_eq!(chain.algorithm(), Algorithm::HmacSha256);

    let key = Arc::new(canreq::EcdsaKey::derive(AKID, SECRET).unwrap());
    let seed = key.sign(b"head");
    let chain =
        SignatureChain::sigv4a(Arc::clone(&key), now(), "20150830/s3/aws4_request", &seed).unwrap();
    assert_eq!(chain.algorithm(), Algorithm::EcdsaP256Sha256);
    assert_eq!(chain.previous().as_str(), seed);
    // A seed that is not the algorithm's hex is refused.
    for bad in ["", "0", "zz", &"ab".repeat(73), &seed.to_uppercase()] {
        let err = SignatureChain::sigv4a(Arc::clone(&key), now(), "20150830/s3/aws4_request", bad);
        assert!(err.is_err(), "{bad:?}");
    }
}

#[test]
fn the_verifier_refuses_chunks_of_another_algorithm_than_the_head() {
    let creds = creds();
    let req = Request::new("PUT", "/bucket/key")
        .header("Host", "s3.amazonaws.com")
        .header("Content-Encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "5");
    for head in Algorithm::ALL {
        for chunks in Algorithm::ALL.into_iter().filter(|a| *a != head) {
            for trailer in [false, true] {
                // The marker is swapped in after signing: it must be refused by name before any
                // signature is checked.
                let marker = chunks.signed_streaming_marker(trailer);
                let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
                    .with_algorithm(head);
                let signed = signer
                    .sign(&req, Payload::Precomputed(&"0".repeat(64)))
                    .unwrap();
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
                assert_eq!(
                    err.code(),
                    ErrorCode::InvalidArgument,
                    "{head} {marker}: {err}"
                );
                assert!(err.message().contains(chunks.describe()), "{err}");
                assert!(err.message().contains(head.describe()), "{err}");
            }
        }
    }
}

#[test]
fn the_verifier_refuses_an_unknown_algorithm_by_name() {
    let authorization = format!(
        "AWS4-HMAC-SHA1 Credential={AKID}/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=aa"
    );
    let req = Request::new("GET", "/")
        .header("Host", "example.amazonaws.com")
        .header("X-Amz-Date", NOW)
        .header("Authorization", &authorization);
    let err = verifier().verify(&req, b"", now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::IncompleteSignature, "{err}");
    assert!(err.message().contains("AWS4-HMAC-SHA1"), "{err}");
    let target = format!(
        "/key?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential={AKID}%2F20150830%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date={NOW}&X-Amz-SignedHeaders=host&X-Amz-Expires=60&X-Amz-Signature=aa"
    );
    let req = Request::new("GET", &target).header("Host", "example.amazonaws.com");
    let err = verifier().verify(&req, b"", now()).unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::AuthorizationQueryParametersError,
        "{err}"
    );
}

#[test]
fn unsigned_chunks_with_a_trailer_go_through_under_every_algorithm() {
    use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};
    use canreq::verify::{Begun, PayloadMode};

    let creds = creds();
    let upload = StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32);
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let extra = upload.headers(body.len() as u64);
    for algorithm in Algorithm::ALL {
        let mut req = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
        for (name, value) in &extra {
            req.push_header(name, value);
        }
        let signed = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
            .with_algorithm(algorithm)
            .sign(&req, upload.payload())
            .unwrap();
        let mut wire = Vec::new();
        let mut encoder = upload.encoder(&signed).unwrap();
        encoder.push(&body, &mut wire);
        encoder.finish(&mut wire);
        let mut received = req.clone();
        for (name, value) in signed.headers() {
            received.push_header(name, value);
        }
        let decode = |wire: &[u8]| {
            let Begun::Chunked(mut pending) = verifier().begin(&received, now()).unwrap() else {
                panic!("{algorithm}: not read as aws-chunked");
            };
            let mut data = Vec::new();
            pending.decode(wire, |piece| data.extend_from_slice(piece))?;
            pending.finish().map(|(verified, _)| (verified, data))
        };
        let (verified, data) = decode(&wire).unwrap();
        assert_eq!(verified.algorithm(), algorithm);
        assert_eq!(
            verified.payload(),
            PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer)
        );
        assert_eq!(data, body);
        // The trailing checksum still covers the data.
        let mut tampered = wire.clone();
        tampered[100] ^= 1;
        let err = decode(&tampered).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadDigest, "{algorithm}: {err}");
    }
}

//! The algorithm seam: every stage that depends on the signing algorithm takes it from
//! [`Algorithm`]. Every algorithm this crate knows now signs and verifies in both forms (SigV4
//! and SigV4a); what is still not implemented, SigV4a's aws-chunked chunk signatures, is
//! refused by name at each stage that meets it — the signer (signed-chunk payloads), the chunk
//! signature chain, and the verifier (a SigV4a head declaring signed chunks, a SigV4 head
//! declaring SigV4a chunks) — never mistaken for a malformed request, never half-signed. Unsigned
//! chunks with a trailer need no chunk signature, and go through under SigV4a. A region set
//! still needs SigV4a.
//!
//! (Before SigV4a was implemented, this module proved that SigV4a itself was refused at each
//! of these stages; those refusals now apply to its chunk signing, and the header and
//! presigned forms are proven to sign and verify instead.)

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

/// The algorithms whose chunk signatures are not implemented (SigV4a's, today).
fn without_chunk_signing() -> Vec<Algorithm> {
    let list: Vec<Algorithm> = Algorithm::ALL
        .into_iter()
        .filter(|a| !a.signs_chunks())
        .collect();
    assert!(
        !list.is_empty(),
        "the chunk refusals are proven with an algorithm that has none"
    );
    list
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
fn the_signer_refuses_streaming_payloads_it_cannot_chain() {
    let creds = creds();
    let req = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    for algorithm in without_chunk_signing() {
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), now())
            .with_algorithm(algorithm);
        let expected = Error::UnsupportedChunkSigning {
            name: algorithm.name(),
        };
        for payload in [Payload::StreamingSigned, Payload::StreamingSignedTrailer] {
            assert_eq!(signer.sign(&req, payload).unwrap_err(), expected);
            assert_eq!(signer.presign(&req, payload, 60).unwrap_err(), expected);
        }
        // Unsigned chunks need no chunk signature.
        assert!(signer.sign(&req, Payload::StreamingUnsignedTrailer).is_ok());
        assert!(
            expected.to_string().contains(algorithm.name()),
            "{expected}"
        );
    }
}

#[test]
fn the_chunk_chain_refuses_an_algorithm_without_chunk_signing() {
    let key = Arc::new(SigningKey::derive(SECRET, "20150830", "us-east-1", "s3"));
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let scope = "20150830/us-east-1/s3/aws4_request";
    for algorithm in without_chunk_signing() {
        let err = SignatureChain::for_algorithm(algorithm, Arc::clone(&key), now(), scope, seed)
            .unwrap_err();
        assert_eq!(
            err,
            Error::UnsupportedChunkSigning {
                name: algorithm.name()
            }
        );
    }
    let chain =
        SignatureChain::for_algorithm(Algorithm::HmacSha256, key, now(), scope, seed).unwrap();
    assert_eq!(chain.algorithm(), Algorithm::HmacSha256);
}

#[test]
fn the_verifier_refuses_chunks_it_cannot_chain() {
    let creds = creds();
    let req = Request::new("PUT", "/bucket/key")
        .header("Host", "s3.amazonaws.com")
        .header("Content-Encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "5");
    for algorithm in without_chunk_signing() {
        // A SigV4 head that declares chunks signed with `algorithm`, and a head signed with
        // `algorithm` that declares signed chunks (SigV4's markers or its own). The marker is
        // swapped in after signing: it must be refused by name before any signature is checked.
        let markers = [
            (
                Algorithm::HmacSha256,
                algorithm.signed_streaming_marker(false),
            ),
            (
                Algorithm::HmacSha256,
                algorithm.signed_streaming_marker(true),
            ),
            (
                algorithm,
                Algorithm::HmacSha256.signed_streaming_marker(false),
            ),
            (
                algorithm,
                Algorithm::HmacSha256.signed_streaming_marker(true),
            ),
            (algorithm, algorithm.signed_streaming_marker(true)),
        ];
        for (head, marker) in markers {
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
                ErrorCode::NotImplemented,
                "{head} {marker}: {err}"
            );
            assert_eq!(err.status(), 501);
            assert!(err.message().contains(algorithm.name()), "{err}");
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

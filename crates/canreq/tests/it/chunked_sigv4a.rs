//! SigV4a aws-chunked (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`): the format as
//! aws-c-auth's own tests spell it (its strings to sign, checked with its public key), round
//! trips with and without a trailer, every single-byte change refused, a property test over
//! chunk sizes, and the verifier chaining from a SigV4a head.
//!
//! No public peer signs SigV4a chunks, so the independent check is aws-c-auth's
//! `tests/test_chunked_signing.c`: its credentials, the public key it publishes for them, its
//! canonical request and the fixed parts of its chunk and trailer strings to sign (the previous
//! signature varies per run, ECDSA being randomized). canreq's signatures must verify, with
//! that public key, over the strings aws-c-auth builds.

use std::sync::Arc;

use canreq::chunked::{
    ChecksumAlgorithm, ChunkedDecoder, DecodeLimits, SignatureChain, StreamingMode, StreamingUpload,
};
use canreq::verify::{ErrorCode, PayloadMode};
use canreq::{
    Algorithm, Credentials, EcdsaKey, EcdsaPublicKey, Payload, Request, Scope, Signer, SigningKey,
    SigningTime,
};
use proptest::prelude::*;

use crate::chunked_support::*;
use crate::common;

const C_AUTH_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const C_AUTH_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const C_AUTH_PUBLIC_X: &str = "18b7d04643359f6ec270dcbab8dce6d169d66ddc9778c75cfb08dfdb701637ab";
const C_AUTH_PUBLIC_Y: &str = "fa36b35e4fe67e3112261d2e17a956ef85b06e44712d2850bcd3c2161e9993f2";
const C_AUTH_CANONICAL_REQUEST: &str = "PUT\n/examplebucket/chunkObject.txt\n\n\
    content-encoding:aws-chunked\ncontent-length:66824\nhost:s3.amazonaws.com\n\
    x-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD\nx-amz-date:20130524T000000Z\n\
    x-amz-decoded-content-length:66560\nx-amz-region-set:us-east-1\n\
    x-amz-storage-class:REDUCED_REDUNDANCY\n\n\
    content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
    x-amz-decoded-content-length;x-amz-region-set;x-amz-storage-class\n\
    STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
/// A chunk's string to sign up to the previous signature, and after it for the 64 KiB chunk,
/// the 1 KiB chunk and the final empty chunk.
const C_AUTH_CHUNK_PREFIX: &str =
    "AWS4-ECDSA-P256-SHA256-PAYLOAD\n20130524T000000Z\n20130524/s3/aws4_request\n";
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const C_AUTH_CHUNK_HASHES: [&str; 3] = [
    "bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a",
    "2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a",
    EMPTY,
];
const C_AUTH_TRAILER_PREFIX: &str =
    "AWS4-ECDSA-P256-SHA256-TRAILER\n20130524T000000Z\n20130524/s3/aws4_request\n";
const C_AUTH_TRAILER_HASH: &str =
    "83d8f190334fb741bc8daf73c891689d320bd8017756bc730c540021ed48001f";

fn v4a_plan(chunk_size: usize, checksum: Option<ChecksumAlgorithm>) -> StreamingUpload {
    let plan = StreamingUpload::new(StreamingMode::SignedV4a, chunk_size).unwrap();
    match checksum {
        Some(alg) => plan.with_checksum(alg),
        None => plan,
    }
}

#[test]
fn aws_c_auth_strings_to_sign_verify_with_its_public_key() {
    let key = Arc::new(EcdsaKey::derive(C_AUTH_AKID, C_AUTH_SECRET).unwrap());
    let public = format!("04{C_AUTH_PUBLIC_X}{C_AUTH_PUBLIC_Y}");
    assert_eq!(key.public_key().to_hex(), public);
    let public = EcdsaPublicKey::from_hex(&public).unwrap();

    // The head, as aws-c-auth's test builds it (its Content-Length is SigV4's example's).
    let creds = Credentials::new(C_AUTH_AKID, C_AUTH_SECRET).unwrap();
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), time)
        .with_algorithm(Algorithm::EcdsaP256Sha256);
    let request = Request::new("PUT", "/examplebucket/chunkObject.txt")
        .header("Host", "s3.amazonaws.com")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header("Content-Encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "66560")
        .header("Content-Length", "66824");
    let signed = signer.sign(&request, Payload::StreamingSigned).unwrap();
    let steps = signed.steps();
    assert_eq!(steps.canonical_request().as_str(), C_AUTH_CANONICAL_REQUEST);
    assert_eq!(steps.credential_scope(), "20130524/s3/aws4_request");

    // Each chunk's signature verifies over the string aws-c-auth builds from the previous
    // (unpadded) signature; the trailer's continues from the final chunk's.
    let mut chain =
        SignatureChain::sigv4a(key, time, steps.credential_scope(), signed.signature()).unwrap();
    let chunks: [&[u8]; 3] = [&[b'a'; 65536], &[b'a'; 1024], b""];
    for (data, hash) in chunks.iter().zip(C_AUTH_CHUNK_HASHES) {
        let previous = chain.previous().as_str();
        let signature = chain.sign_chunk(data);
        let string_to_sign = format!("{C_AUTH_CHUNK_PREFIX}{previous}\n{EMPTY}\n{hash}");
        assert!(public.verify(string_to_sign.as_bytes(), &signature.as_str()));
        let wire = signature.to_wire();
        assert_eq!(wire.len(), 144);
        assert_eq!(wire.trim_end_matches('*'), signature.as_str());
    }
    let previous = chain.previous().as_str();
    let signature = chain.sign_trailer("first:1st\nsecond:2nd\nthird:3rd\n");
    let string_to_sign = format!("{C_AUTH_TRAILER_PREFIX}{previous}\n{C_AUTH_TRAILER_HASH}");
    assert!(public.verify(string_to_sign.as_bytes(), &signature.as_str()));
}

#[test]
fn the_s3_example_upload_frames_fixed_width_signatures() {
    let plan = v4a_plan(65536, None);
    let data = vec![b'a'; 66560];
    let upload = Upload::new(plan, "/examplebucket/chunkObject.txt", &data, &[66560]);
    // SigV4's 66,824 bytes, each of the three signatures 80 characters wider.
    assert_eq!(upload.wire.len(), 66_824 + 3 * 80);
    let mut at = 0;
    for size in [65536usize, 1024, 0] {
        let line_end = at
            + upload.wire[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap();
        let line = std::str::from_utf8(&upload.wire[at..line_end]).unwrap();
        let (head, signature) = line.split_once(";chunk-signature=").unwrap();
        assert_eq!(usize::from_str_radix(head, 16).unwrap(), size);
        assert_eq!(signature.len(), 144, "{line}");
        let hex = signature.trim_end_matches('*');
        assert!(hex.len() >= 130 && hex.len() % 2 == 0, "{line}");
        assert!(hex.starts_with("30"), "a DER sequence: {line}");
        at = line_end + 2 + size + 2;
    }
    assert_eq!(at, upload.wire.len());
    assert_eq!(
        decode(upload.decoder(), &upload.wire, &[5000]).unwrap(),
        data
    );
}

#[test]
fn round_trips_with_and_without_a_trailer() {
    let mut rng = common::Rng::new(23);
    let mut cases = 0;
    let checksums = [
        None,
        Some(ChecksumAlgorithm::Crc32),
        Some(ChecksumAlgorithm::Crc32c),
        Some(ChecksumAlgorithm::Sha256),
    ];
    for checksum in checksums {
        let plan = v4a_plan(8192, checksum);
        let expected_mode = match checksum {
            None => StreamingMode::SignedV4a,
            Some(_) => StreamingMode::SignedV4aWithTrailer,
        };
        assert_eq!(plan.mode(), expected_mode);
        for len in [0, 1, 8191, 8192, 8193, 2 * 8192 + 17] {
            let data = body(len, len as u64);
            let writes: Vec<usize> = (0..3).map(|_| 1 + rng.below(20_000)).collect();
            let upload = Upload::new(plan, "/bucket/key", &data, &writes);
            let pieces: Vec<usize> = (0..3).map(|_| 1 + rng.below(20_000)).collect();
            let got = decode(upload.decoder(), &upload.wire, &pieces)
                .unwrap_or_else(|e| panic!("{plan:?} len {len}: {e}"));
            assert_eq!(got, data, "{plan:?} len {len}");
            cases += 1;
        }
    }
    // A signed trailer with no checksum in it: only the signature line.
    let plan = StreamingUpload::new(StreamingMode::SignedV4aWithTrailer, 8192).unwrap();
    let data = body(9000, 1);
    let upload = Upload::new(plan, "/bucket/key", &data, &[9000]);
    assert!(upload.wire.ends_with(b"\r\n\r\n"));
    assert_eq!(
        decode(upload.decoder(), &upload.wire, &[100]).unwrap(),
        data
    );
    println!("SigV4a aws-chunked round trips: {} passed", cases + 1);
}

/// Every byte of a one-chunk body (its data, every signature, the trailer) flipped in turn, with
/// and without a trailer; then a two-chunk body, every byte but the inside of the first chunk's
/// data, of which every 61st byte (ECDSA verification is slow in a debug build, and those bytes
/// all reach the same check).
#[test]
fn every_single_byte_change_is_refused() {
    let mut checked = 0;
    let cases = [
        (None, 40, false),
        (Some(ChecksumAlgorithm::Crc32), 40, false),
        (Some(ChecksumAlgorithm::Crc32), 8192 + 40, true),
    ];
    for (checksum, len, sampled) in cases {
        let plan = v4a_plan(8192, checksum);
        let data = body(len, 5);
        let upload = Upload::new(plan, "/bucket/key", &data, &[len]);
        let first_data = upload.wire.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        for i in 0..upload.wire.len() {
            let inside_first = (first_data + 1..first_data + 8191).contains(&i);
            if sampled && inside_first && i % 61 != 0 {
                continue;
            }
            let (result, released) = upload.decode_changed(i, 0x01);
            upload.assert_refused(&result, &released, &data, i, 0x01);
            checked += 1;
        }
    }
    println!("SigV4a aws-chunked tampering: {checked} single-byte changes, all refused");
}

#[test]
fn a_signature_from_another_upload_or_algorithm_is_refused() {
    let plan = v4a_plan(8192, Some(ChecksumAlgorithm::Crc32));
    let data = body(8192 + 10, 2);
    let first = Upload::new(plan, "/bucket/key", &data, &[100]);
    // The same data under another head (another key): validly signed chunks, of another chain.
    let second = Upload::new(plan, "/bucket/other", &data, &[100]);
    let err = decode(first.decoder(), &second.wire, &[1000]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch, "{err}");

    // A SigV4a body checked with a SigV4 chain, or the other way round, is refused by name.
    let hmac = SignatureChain::new(
        Arc::new(SigningKey::derive(SECRET, "20240501", "us-east-1", "s3")),
        time(),
        "20240501/us-east-1/s3/aws4_request",
        &"0".repeat(64),
    )
    .unwrap();
    let err = ChunkedDecoder::new(
        StreamingMode::SignedV4a,
        hmac,
        1,
        "",
        DecodeLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(err.message().contains("SigV4a"), "{err}");
    assert!(err.message().contains("SigV4 (AWS4-HMAC-SHA256)"), "{err}");
}

#[test]
fn the_verifier_chains_from_a_sigv4a_head() {
    let plan = v4a_plan(8192, Some(ChecksumAlgorithm::Crc32));
    let data = body(30_000, 4);
    let upload = Upload::new(plan, "/bucket/key", &data, &[7000]);
    let pending = upload.begin();
    assert_eq!(pending.head().algorithm(), Algorithm::EcdsaP256Sha256);
    assert_eq!(
        pending.head().payload(),
        PayloadMode::Streaming(StreamingMode::SignedV4aWithTrailer)
    );
    let (_, summary, got) = decode_pending(pending, &upload.wire, 3000);
    assert_eq!(got, data);
    assert_eq!(summary.mode(), StreamingMode::SignedV4aWithTrailer);
    assert_eq!((summary.decoded_length(), summary.chunks()), (30_000, 4));
    assert_eq!(summary.checksum().unwrap().0, ChecksumAlgorithm::Crc32);

    // A changed byte in the last data chunk: the chunks before it are released, then the
    // refusal.
    let mut wire = upload.wire.clone();
    let final_chunk = wire.windows(5).position(|w| w == b"\r\n0;c").unwrap();
    let at = final_chunk - 100;
    wire[at] ^= 0x01;
    let mut pending = upload.begin();
    let mut released = 0;
    let err = pending.decode(&wire, |d| released += d.len()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch, "{err}");
    assert_eq!(released, 3 * 8192);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn random_chunk_sizes_round_trip(
        chunk_size in 8192usize..=12_000,
        len in 0usize..30_000,
        trailer in prop_oneof![
            Just(None),
            Just(Some(ChecksumAlgorithm::Crc32)),
            Just(Some(ChecksumAlgorithm::Crc64Nvme)),
        ],
        writes in proptest::collection::vec(1usize..20_000, 1..4),
        pieces in proptest::collection::vec(1usize..20_000, 1..4),
    ) {
        let plan = v4a_plan(chunk_size, trailer);
        let data = body(len, len as u64);
        // `Upload::new` also checks that the encoded length is the bytes produced.
        let upload = Upload::new(plan, "/bucket/key", &data, &writes);
        let got = decode(upload.decoder(), &upload.wire, &pieces);
        prop_assert_eq!(got.map_err(|e| e.to_string()), Ok(data));
    }
}

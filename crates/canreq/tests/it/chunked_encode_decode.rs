//! aws-chunked: the S3 documentation's example byte for byte, round trips in every mode, every
//! single-byte change refused, and the verifier handing streaming bodies to the decoder. The
//! tampering cases, each with its AWS error code, are in `chunked_rejections`.

use crate::chunked_support;
use crate::common;

use std::sync::Arc;

use canreq::chunked::{
    ChecksumAlgorithm, ChunkedDecoder, DecodeLimits, SignatureChain, StreamingMode, StreamingUpload,
};
use canreq::verify::{Begun, ErrorCode, PayloadMode, Verifier};
use chunked_support::*;

#[test]
fn s3_documentation_example_byte_for_byte() {
    let Some(example) = chunked_support::ChunkedExample::load() else {
        return;
    };
    let ex = &example.json;
    let signer = example.signer();
    let req = example.request();
    let scope = signer.scope().credential_scope(example.time.date());
    let plan = StreamingUpload::new(StreamingMode::Signed, 65536).unwrap();
    let signed = signer.sign(&req, plan.payload()).unwrap();
    assert_eq!(signed.signature(), ex["seed_signature"].as_str().unwrap());

    let decoded_len: usize = 66560;
    let body = vec![ex["body_byte"].as_str().unwrap().as_bytes()[0]; decoded_len];
    assert_eq!(
        plan.encoded_length(decoded_len as u64),
        ex["encoded_body_length"].as_u64().unwrap()
    );
    let mut encoder = plan.encoder(&signed).unwrap();
    let mut wire = Vec::new();
    encoder.push(&body, &mut wire);
    encoder.finish(&mut wire);
    assert_eq!(
        wire.len() as u64,
        ex["encoded_body_length"].as_u64().unwrap()
    );

    // Every chunk line, in order, with the published size and signature.
    let mut at = 0;
    for chunk in ex["chunks"].as_array().unwrap() {
        let size = chunk["size"].as_u64().unwrap() as usize;
        let line = format!(
            "{size:x};chunk-signature={}\r\n",
            chunk["signature"].as_str().unwrap()
        );
        assert_eq!(
            std::str::from_utf8(&wire[at..at + line.len()]).unwrap(),
            line
        );
        at += line.len() + size + 2;
    }
    assert_eq!(at, wire.len());

    // The decoder accepts it and gives the data back.
    let decoder = ChunkedDecoder::for_signed_request(&signed, &req).unwrap();
    assert_eq!(decode(decoder, &wire, &[4096, 1, 70000]).unwrap(), body);

    // The trailer signature continues the chain from the final chunk's signature.
    let trailer = &ex["trailer"];
    let key = Arc::new(example.signing_key());
    let mut chain = SignatureChain::new(
        Arc::clone(&key),
        example.time,
        &scope,
        trailer["previous_signature"].as_str().unwrap(),
    )
    .unwrap();
    let canonical = trailer["canonical_headers"].as_str().unwrap();
    assert_eq!(
        chain.sign_trailer(canonical).as_str(),
        trailer["signature"].as_str().unwrap()
    );

    // And the decoder checks that trailer signature when the trailer arrives after the
    // published chunks.
    let mut with_trailer = wire[..wire.len() - 2].to_vec();
    for h in trailer["headers"].as_array().unwrap() {
        with_trailer.extend_from_slice(
            format!("{}:{}\r\n", h[0].as_str().unwrap(), h[1].as_str().unwrap()).as_bytes(),
        );
    }
    with_trailer.extend_from_slice(
        format!(
            "x-amz-trailer-signature:{}\r\n\r\n",
            trailer["signature"].as_str().unwrap()
        )
        .as_bytes(),
    );
    let seed = SignatureChain::new(
        key,
        example.time,
        &scope,
        ex["seed_signature"].as_str().unwrap(),
    )
    .unwrap();
    let decoder = ChunkedDecoder::new(
        StreamingMode::SignedWithTrailer,
        seed,
        decoded_len as u64,
        "first,second,third",
        DecodeLimits::default(),
    )
    .unwrap();
    assert_eq!(decode(decoder, &with_trailer, &[1000]).unwrap(), body);
    println!(
        "aws-chunked example: seed, 3 chunk signatures, 66824 bytes and trailer signature match"
    );
}

fn plans() -> Vec<StreamingUpload> {
    let mut plans = Vec::new();
    for size in [8192, 10_000] {
        plans.push(StreamingUpload::new(StreamingMode::Signed, size).unwrap());
        plans.push(StreamingUpload::new(StreamingMode::SignedWithTrailer, size).unwrap());
        for alg in ChecksumAlgorithm::ALL {
            plans.push(
                StreamingUpload::new(StreamingMode::Signed, size)
                    .unwrap()
                    .with_checksum(alg),
            );
            plans.push(
                StreamingUpload::new(StreamingMode::UnsignedWithTrailer, size)
                    .unwrap()
                    .with_checksum(alg),
            );
        }
    }
    plans
}

#[test]
fn round_trips_in_every_mode_and_piece_size() {
    let mut rng = common::Rng::new(6);
    let mut cases = 0;
    for plan in plans() {
        let size = plan.chunk_size();
        for len in [0, 1, size - 1, size, size + 1, 3 * size + 17] {
            let data = body(len, len as u64);
            let writes: Vec<usize> = (0..4).map(|_| 1 + rng.below(2 * size)).collect();
            let upload = Upload::new(plan, "/bucket/key", &data, &writes);
            let pieces: Vec<usize> = (0..4).map(|_| 1 + rng.below(3 * size)).collect();
            let got = decode(upload.decoder(), &upload.wire, &pieces)
                .unwrap_or_else(|e| panic!("{plan:?} len {len}: {e}"));
            assert_eq!(got, data, "{plan:?} len {len}");
            cases += 1;
        }
    }
    println!("aws-chunked round trips: {cases} passed");
}

#[test]
fn frame_without_copy_matches_push() {
    let plan = StreamingUpload::new(StreamingMode::Signed, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc64Nvme);
    let data = body(20_000, 1);
    let pushed = Upload::new(plan, "/b/k", &data, &[20_000]);
    let mut encoder = plan.encoder(&pushed.signed).unwrap();
    let mut framed = Vec::new();
    for chunk in data.chunks(8192) {
        framed.extend_from_slice(encoder.frame(chunk).unwrap().as_bytes());
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
    }
    encoder.finish(&mut framed);
    assert_eq!(framed, pushed.wire);

    // Parallel hashing gives the same frames.
    let hashes = canreq::chunked::hash_chunks_parallel(&data, 8192, 2);
    let mut encoder = plan.encoder(&pushed.signed).unwrap();
    let mut parallel = Vec::new();
    for (chunk, hash) in data.chunks(8192).zip(&hashes) {
        parallel.extend_from_slice(encoder.frame_hashed(chunk, hash).unwrap().as_bytes());
        parallel.extend_from_slice(chunk);
        parallel.extend_from_slice(b"\r\n");
    }
    encoder.finish(&mut parallel);
    assert_eq!(parallel, pushed.wire);

    // Only the last chunk may be short, and chunks are never empty or too big.
    let mut encoder = plan.encoder(&pushed.signed).unwrap();
    assert!(encoder.frame(&[]).is_err());
    assert!(encoder.frame(&[0; 8193]).is_err());
    encoder.frame(&[0; 100]).unwrap();
    assert!(encoder.frame(&[0; 8192]).is_err());
}

/// Where the hex letters of the chunk sizes are in `wire`.
fn size_letter_positions(wire: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let end = at + wire[at..].windows(2).position(|w| w == b"\r\n").unwrap();
        let hex = wire[at..end].split(|&b| b == b';').next().unwrap();
        out.extend((at..at + hex.len()).filter(|&i| wire[i].is_ascii_alphabetic()));
        let size = usize::from_str_radix(std::str::from_utf8(hex).unwrap(), 16).unwrap();
        if size == 0 {
            return out;
        }
        at = end + 2 + size + 2;
    }
}

#[test]
fn every_single_byte_change_is_refused() {
    let mut checked = 0;
    for plan in [
        StreamingUpload::new(StreamingMode::Signed, 8192).unwrap(),
        StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
            .unwrap()
            .with_checksum(ChecksumAlgorithm::Crc32c),
        StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192)
            .unwrap()
            .with_checksum(ChecksumAlgorithm::Crc32),
    ] {
        let data = body(8192 + 300, 9);
        let upload = Upload::new(plan, "/bucket/key", &data, &[8192 + 300]);
        let size_letters = size_letter_positions(&upload.wire);
        assert!(!size_letters.is_empty(), "the sizes hold letters to flip");
        for i in 0..upload.wire.len() {
            for flip in [0x01u8, 0x20] {
                let (result, released) = upload.decode_changed(i, flip);
                if flip == 0x20 && size_letters.contains(&i) {
                    // A size's hex letter in the other case is the same size (HTTP's
                    // chunk-size is case-insensitive; the AWS SDK for Rust writes upper case):
                    // the same body, which must decode whole and unchanged.
                    assert!(result.is_ok(), "byte {i}: {result:?}");
                    assert_eq!(released, data, "byte {i}");
                    checked += 1;
                    continue;
                }
                upload.assert_refused(&result, &released, &data, i, flip);
                checked += 1;
            }
        }
    }
    println!("aws-chunked tampering: {checked} single-byte changes, all refused");
}

#[test]
fn the_verifier_hands_streaming_bodies_to_the_decoder() {
    let plan = StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32c);
    let data = body(50_000, 4);
    let upload = Upload::new(plan, "/bucket/key", &data, &[7000]);
    let headers = upload.received_headers();
    let received = request("/bucket/key", &headers);
    let verifier = Verifier::new(store);

    let pending = upload.begin();
    assert_eq!(
        pending.head().payload(),
        PayloadMode::Streaming(StreamingMode::SignedWithTrailer)
    );
    let (verified, summary, got) = decode_pending(pending, &upload.wire, 3000);
    assert_eq!(verified.access_key_id(), AKID);
    assert_eq!(got, data);
    assert_eq!(summary.decoded_length(), 50_000);
    assert_eq!(summary.chunks(), 7);
    assert_eq!(summary.checksum().unwrap().0, ChecksumAlgorithm::Crc32c);

    // The whole-body path refuses to vouch for an aws-chunked body.
    assert_eq!(
        verifier
            .verify(&received, &upload.wire, time())
            .unwrap_err()
            .code(),
        ErrorCode::InvalidRequest
    );

    // The decoded length must be there (and is signed, as every x-amz-* header).
    let without: Vec<_> = headers
        .into_iter()
        .filter(|(n, _)| *n != "x-amz-decoded-content-length")
        .collect();
    let err = verifier
        .begin(&request("/bucket/key", &without), time())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn unsigned_streaming_follows_the_unsigned_payload_policy() {
    let plan = StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Sha1);
    let upload = Upload::new(plan, "/bucket/key", b"hello", &[5]);
    let headers = upload.received_headers();
    let received = request("/bucket/key", &headers);
    let strict = Verifier::new(store).allow_unsigned_payload(false);
    assert_eq!(
        strict.begin(&received, time()).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    let lenient = Verifier::new(store);
    let Begun::Chunked(mut pending) = lenient.begin(&received, time()).unwrap() else {
        panic!("an aws-chunked body must be handed to the decoder");
    };
    let mut got = Vec::new();
    pending
        .decode(&upload.wire, |d| got.extend_from_slice(d))
        .unwrap();
    let (_, summary) = pending.finish().unwrap();
    assert_eq!(got, b"hello");
    assert_eq!(
        summary.checksum().unwrap().1,
        "qvTGHdzF6KLavt4PO0gs2a6pQ00="
    );
}

#[test]
fn encoded_length_saturates_instead_of_overflowing() {
    for plan in plans() {
        // 5 TiB, S3's largest object: exact, and more than the data it frames.
        let big = 5u64 << 40;
        let encoded = plan.encoded_length(big);
        assert!(encoded > big && encoded < u64::MAX, "{plan:?}");
        // Half of u64::MAX still fits, framing and all.
        assert!(plan.encoded_length(u64::MAX / 2) < u64::MAX, "{plan:?}");
        // Lengths no body can have give u64::MAX, never a wrapped sum or a panic.
        for decoded in [u64::MAX, u64::MAX - 1, u64::MAX - (1 << 20)] {
            assert_eq!(plan.encoded_length(decoded), u64::MAX, "{plan:?} {decoded}");
            let headers = plan.headers(decoded);
            assert_eq!(headers[1], ("Content-Length", u64::MAX.to_string()));
        }
    }
}

/// A re-signing proxy's decoder: the framing, length, trailer and checksum read and checked,
/// the signatures (made with a key the proxy does not hold) only read for their form.
#[test]
fn a_body_decoded_without_signature_checks_keeps_every_other_check() {
    let data = body(200_000, 24);
    for mode in [StreamingMode::Signed, StreamingMode::SignedWithTrailer] {
        let mut plan = StreamingUpload::new(mode, 64 * 1024).unwrap();
        if mode.has_trailer() {
            plan = plan.with_checksum(ChecksumAlgorithm::Crc32);
        }
        let trailers = if mode.has_trailer() {
            "x-amz-checksum-crc32"
        } else {
            ""
        };
        let upload = Upload::new(plan, "/bucket/key", &data, &[7000]);
        let unchecked = || {
            ChunkedDecoder::without_signature_checks(
                mode,
                data.len() as u64,
                trailers,
                DecodeLimits::default(),
            )
            .unwrap()
        };
        assert_eq!(
            decode(unchecked(), &upload.wire, &[4096]).unwrap(),
            data,
            "{mode:?}"
        );
        // Every signature replaced by another well-formed one: still decoded.
        let marker = b"chunk-signature=";
        let signatures: Vec<usize> = upload
            .wire
            .windows(marker.len())
            .enumerate()
            .filter(|(_, w)| w == marker)
            .map(|(at, _)| at + marker.len())
            .collect();
        assert!(signatures.len() > 3, "{mode:?}");
        let mut forged = upload.wire.clone();
        for &start in &signatures {
            forged[start..start + 64].copy_from_slice(&[b'0'; 64]);
        }
        assert_ne!(forged, upload.wire);
        assert_eq!(
            decode(unchecked(), &forged, &[4096]).unwrap(),
            data,
            "{mode:?}"
        );
        // A malformed signature, a short body, and (with a trailer) one changed data byte are
        // still refused.
        let mut malformed = upload.wire.clone();
        malformed[signatures[1]] = b'X';
        assert_eq!(
            code(decode(unchecked(), &malformed, &[4096])),
            ErrorCode::SignatureDoesNotMatch
        );
        let short = &upload.wire[..upload.wire.len() - 10];
        assert_eq!(
            code(decode(unchecked(), short, &[4096])),
            ErrorCode::IncompleteBody
        );
        if mode.has_trailer() {
            let mut changed = upload.wire.clone();
            changed[signatures[0] + 64 + 2 + 100] ^= 1;
            assert_eq!(
                code(decode(unchecked(), &changed, &[4096])),
                ErrorCode::BadDigest
            );
        }
    }
}

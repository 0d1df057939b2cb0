//! aws-chunked: the S3 documentation's example byte for byte, round trips in every mode, and
//! every way a body can be tampered with, each refused with its AWS error code.

mod common;

use std::sync::Arc;

use canreq::chunked::{
    ChecksumAlgorithm, ChunkedDecoder, DecodeLimits, SignatureChain, StreamingMode, StreamingUpload,
};
use canreq::verify::{AuthError, ErrorCode, PayloadMode, Verifier};
use canreq::{Credentials, Request, Scope, SignedRequest, Signer, SigningTime};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn time() -> SigningTime {
    SigningTime::parse("20240501T101500Z").unwrap()
}

/// A signed upload of `body` to `path` and its encoded body.
struct Upload {
    headers: Vec<(&'static str, String)>,
    signed: SignedRequest,
    wire: Vec<u8>,
    path: String,
}

impl Upload {
    fn new(plan: StreamingUpload, path: &str, body: &[u8], writes: &[usize]) -> Upload {
        let creds = Credentials::new(AKID, SECRET).unwrap();
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), time());
        let headers = plan.headers(body.len() as u64);
        let request = request(path, &headers);
        let signed = signer.sign(&request, plan.payload()).unwrap();
        let mut encoder = plan.encoder(&signed).unwrap();
        let mut wire = Vec::new();
        let mut rest = body;
        let mut i = 0;
        while !rest.is_empty() {
            let n = writes[i % writes.len()].clamp(1, rest.len());
            encoder.push(&rest[..n], &mut wire);
            rest = &rest[n..];
            i += 1;
        }
        encoder.finish(&mut wire);
        assert_eq!(
            wire.len() as u64,
            plan.encoded_length(body.len() as u64),
            "encoded length of {} bytes in {plan:?}",
            body.len()
        );
        Upload {
            headers,
            signed,
            wire,
            path: path.to_owned(),
        }
    }

    fn decoder(&self) -> ChunkedDecoder {
        ChunkedDecoder::for_signed_request(&self.signed, &request(&self.path, &self.headers))
            .unwrap()
    }
}

fn request<'a>(path: &'a str, headers: &'a [(&'static str, String)]) -> Request<'a> {
    let mut request = Request::new("PUT", path).header("Host", "bucket.s3.amazonaws.com");
    for (name, value) in headers {
        request.push_header(name, value);
    }
    request
}

/// Decodes `wire` in pieces of the given sizes; the data released, or the first error.
fn decode(
    mut decoder: ChunkedDecoder,
    wire: &[u8],
    pieces: &[usize],
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::new();
    let mut rest = wire;
    let mut i = 0;
    while !rest.is_empty() {
        let n = pieces[i % pieces.len()].clamp(1, rest.len());
        decoder.decode(&rest[..n], |d| out.extend_from_slice(d))?;
        rest = &rest[n..];
        i += 1;
    }
    decoder.finish()?;
    Ok(out)
}

fn code(result: Result<Vec<u8>, AuthError>) -> ErrorCode {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => e.code(),
    }
}

fn store(access_key_id: &str) -> Option<Credentials> {
    (access_key_id == AKID).then(|| Credentials::new(AKID, SECRET).unwrap())
}

fn body(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = common::Rng::new(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

#[test]
fn s3_documentation_example_byte_for_byte() {
    let Some(example) = common::ChunkedExample::load() else {
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
        for i in 0..upload.wire.len() {
            for flip in [0x01u8, 0x20] {
                let mut wire = upload.wire.clone();
                wire[i] ^= flip;
                let mut released = Vec::new();
                let mut decoder = upload.decoder();
                let result = decoder
                    .decode(&wire, |d| released.extend_from_slice(d))
                    .and_then(|()| decoder.finish());
                assert!(
                    result.is_err(),
                    "{:?}: byte {i} ^ {flip:#x} accepted",
                    plan.mode()
                );
                if plan.mode().signs_chunks() {
                    // Nothing unverified was handed out: what was released is a prefix of
                    // the true data, in whole chunks.
                    assert!(
                        data.starts_with(&released),
                        "byte {i}: released changed data"
                    );
                }
                checked += 1;
            }
        }
    }
    println!("aws-chunked tampering: {checked} single-byte changes, all refused");
}

/// One chunk of an encoded body: size line and data.
type Frame = (Vec<u8>, Vec<u8>);

/// The frames of an encoded body, then the rest (final chunk and trailer).
fn frames(wire: &[u8]) -> (Vec<Frame>, Vec<u8>) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let end = at + wire[at..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let line = &wire[at..end];
        let hex = line.split(|&b| b == b';' || b == b'\r').next().unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(hex).unwrap(), 16).unwrap();
        if size == 0 {
            return (out, wire[at..].to_vec());
        }
        out.push((line.to_vec(), wire[end..end + size].to_vec()));
        at = end + size + 2;
    }
}

fn join(frames: &[Frame], end: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (line, data) in frames {
        wire.extend_from_slice(line);
        wire.extend_from_slice(data);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(end);
    wire
}

#[test]
fn tampered_bodies_get_their_error_codes() {
    use ErrorCode::*;
    let signed = StreamingUpload::new(StreamingMode::Signed, 8192).unwrap();
    let trailer = StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Sha256);
    let unsigned = StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32);
    let data = body(3 * 8192 + 5, 3);
    let a = Upload::new(signed, "/bucket/a", &data, &[5000]);
    let b = Upload::new(signed, "/bucket/b", &data, &[5000]);
    let t = Upload::new(trailer, "/bucket/a", &data, &[5000]);
    let u = Upload::new(unsigned, "/bucket/a", &data, &[5000]);
    let (fa, end_a) = frames(&a.wire);
    let (fb, _) = frames(&b.wire);
    let (ft, end_t) = frames(&t.wire);
    let (fu, end_u) = frames(&u.wire);
    let end_t = String::from_utf8(end_t).unwrap();
    let end_u = String::from_utf8(end_u).unwrap();

    let mut changed = fa.clone();
    changed[1].1[7] ^= 1;
    let mut reordered = fa.clone();
    reordered.swap(0, 1);
    let mut dropped = fa.clone();
    dropped.remove(1);
    let mut duplicated = fa.clone();
    duplicated.insert(1, fa[0].clone());
    let mut spliced = fa.clone();
    spliced[1] = fb[1].clone();
    let mut no_signature = fa.clone();
    no_signature[0].0 = b"2000\r\n".to_vec();
    let mut upper = fa.clone();
    upper[0].0 = String::from_utf8(fa[0].0.clone())
        .unwrap()
        .to_uppercase()
        .into_bytes();
    let mut truncated_sig = fa.clone();
    truncated_sig[0].0 = format!("2000;chunk-signature={}\r\n", "ab".repeat(31)).into_bytes();
    let mut padded_size = fa.clone();
    padded_size[0].0.insert(0, b'0');
    // Correctly signed, but a short chunk comes before the last.
    let short_first = {
        let steps = a.signed.steps();
        let mut chain = SignatureChain::new(
            Arc::new(steps.signing_key().clone()),
            steps.time(),
            steps.credential_scope(),
            steps.signature(),
        )
        .unwrap();
        let mut wire = Vec::new();
        for piece in [&data[..100], &data[100..8292]] {
            let sig = chain.sign_chunk(piece);
            wire.extend_from_slice(
                format!("{:x};chunk-signature={sig}\r\n", piece.len()).as_bytes(),
            );
            wire.extend_from_slice(piece);
            wire.extend_from_slice(b"\r\n");
        }
        wire
    };
    let mut unsigned_extension = fu.clone();
    unsigned_extension[0].0 = b"2000;x=1\r\n".to_vec();

    let huge = |digits: &str| -> Vec<u8> {
        let mut wire = format!("{digits};chunk-signature={}\r\n", "0".repeat(64)).into_bytes();
        wire.extend_from_slice(&[b'a'; 100]);
        wire
    };
    let long_line = vec![b'1'; 300];
    let cases: Vec<(&str, &Upload, Vec<u8>, ErrorCode)> = vec![
        (
            "changed chunk data",
            &a,
            join(&changed, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "reordered chunks",
            &a,
            join(&reordered, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "dropped chunk",
            &a,
            join(&dropped, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "duplicated chunk",
            &a,
            join(&duplicated, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "chunk from another upload",
            &a,
            join(&spliced, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "whole body of another upload",
            &a,
            b.wire.clone(),
            SignatureDoesNotMatch,
        ),
        (
            "chunk without signature",
            &a,
            join(&no_signature, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "uppercase chunk signature",
            &a,
            join(&upper, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "truncated chunk signature",
            &a,
            join(&truncated_sig, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "size with a leading zero",
            &a,
            join(&padded_size, &end_a),
            InvalidRequest,
        ),
        ("no final chunk", &a, join(&fa, b""), IncompleteBody),
        (
            "body cut in the middle of a chunk",
            &a,
            a.wire[..9000].to_vec(),
            IncompleteBody,
        ),
        (
            "bytes after the end",
            &a,
            [a.wire.as_slice(), b"x"].concat(),
            InvalidRequest,
        ),
        (
            "body shorter than declared",
            &a,
            join(&fa[..3], &end_a),
            IncompleteBody,
        ),
        (
            "body longer than declared",
            &a,
            join(&duplicated, &end_a),
            SignatureDoesNotMatch,
        ),
        (
            "huge hex size",
            &a,
            huge("ffffffffffffffffff"),
            InvalidRequest,
        ),
        (
            "chunk over the size limit",
            &a,
            huge("1000001"),
            InvalidChunkSizeError,
        ),
        (
            "chunk past the decoded length",
            &a,
            huge("fffff"),
            IncompleteBody,
        ),
        ("endless size line", &a, long_line, InvalidRequest),
        (
            "short chunk before the last",
            &a,
            short_first,
            InvalidChunkSizeError,
        ),
        (
            "extension on an unsigned chunk",
            &u,
            join(&unsigned_extension, end_u.as_bytes()),
            InvalidRequest,
        ),
        (
            "trailer not declared",
            &t,
            join(
                &ft,
                end_t
                    .replacen("x-amz-checksum-sha256", "x-amz-checksum-sha1", 1)
                    .as_bytes(),
            ),
            MalformedTrailerError,
        ),
        (
            "signed trailer without its signature",
            &t,
            join(
                &ft,
                strip_line(&end_t, "x-amz-trailer-signature").as_bytes(),
            ),
            MalformedTrailerError,
        ),
        (
            "declared trailer missing",
            &t,
            join(&ft, strip_line(&end_t, "x-amz-checksum-sha256").as_bytes()),
            MalformedTrailerError,
        ),
        (
            "trailer value changed",
            &t,
            join(
                &ft,
                change_value(&end_t, "x-amz-checksum-sha256").as_bytes(),
            ),
            SignatureDoesNotMatch,
        ),
        (
            "unsigned trailer checksum wrong",
            &u,
            join(&fu, change_value(&end_u, "x-amz-checksum-crc32").as_bytes()),
            BadDigest,
        ),
        (
            "unsigned data changed",
            &u,
            {
                let mut f = fu.clone();
                f[2].1[0] ^= 0x80;
                join(&f, end_u.as_bytes())
            },
            BadDigest,
        ),
        (
            "trailer signature in unsigned mode",
            &u,
            join(
                &fu,
                end_u
                    .replacen(
                        "\r\n\r\n",
                        &format!("\r\nx-amz-trailer-signature:{}\r\n\r\n", "0".repeat(64)),
                        1,
                    )
                    .as_bytes(),
            ),
            MalformedTrailerError,
        ),
        (
            "endless trailer line",
            &t,
            join(
                &ft,
                format!(
                    "0;chunk-signature={}\r\nx-amz-checksum-sha256:{}",
                    &end_t[18..82],
                    "A".repeat(2000)
                )
                .as_bytes(),
            ),
            InvalidRequest,
        ),
    ];
    let count = cases.len();
    for (name, upload, wire, expected) in cases {
        for pieces in [&[usize::MAX][..], &[1][..], &[4096, 7][..]] {
            let got = code(decode(upload.decoder(), &wire, pieces));
            assert_eq!(got, expected, "{name} (pieces {pieces:?})");
        }
    }
    println!("aws-chunked rejections: {count} cases, each with its error code");
}

fn strip_line(end: &str, name: &str) -> String {
    end.split_inclusive("\r\n")
        .filter(|l| !l.starts_with(name))
        .collect()
}

fn change_value(end: &str, name: &str) -> String {
    end.split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with(name) {
                let (n, v) = l.split_once(':').unwrap();
                let mut v = v.to_owned().into_bytes();
                v[0] = if v[0] == b'A' { b'B' } else { b'A' };
                format!("{n}:{}", String::from_utf8(v).unwrap())
            } else {
                l.to_owned()
            }
        })
        .collect()
}

#[test]
fn the_verifier_hands_streaming_bodies_to_the_decoder() {
    let plan = StreamingUpload::new(StreamingMode::SignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Crc32c);
    let data = body(50_000, 4);
    let upload = Upload::new(plan, "/bucket/key", &data, &[7000]);
    let mut headers: Vec<(&str, String)> = vec![("Host", "bucket.s3.amazonaws.com".into())];
    headers.extend(upload.headers.iter().cloned());
    headers.extend(upload.signed.headers().iter().cloned());
    let mut request = Request::new("PUT", "/bucket/key");
    for (name, value) in &headers {
        request.push_header(name, value);
    }
    let verifier = Verifier::new(store);

    let pending = verifier.begin(&request, time()).unwrap();
    assert!(pending.is_chunked());
    let (verified, mut decoder) = pending.into_chunked().unwrap();
    assert_eq!(
        verified.payload(),
        PayloadMode::Streaming(StreamingMode::SignedWithTrailer)
    );
    let mut got = Vec::new();
    for piece in upload.wire.chunks(3000) {
        decoder.decode(piece, |d| got.extend_from_slice(d)).unwrap();
    }
    let summary = decoder.finish().unwrap();
    assert_eq!(got, data);
    assert_eq!(summary.decoded_length(), 50_000);
    assert_eq!(summary.chunks(), 7);
    assert_eq!(summary.checksum().unwrap().0, ChecksumAlgorithm::Crc32c);

    // The whole-body path refuses to vouch for an aws-chunked body.
    let mut pending = verifier.begin(&request, time()).unwrap();
    pending.update(&upload.wire);
    assert_eq!(
        pending.finish().unwrap_err().code(),
        ErrorCode::InvalidRequest
    );

    // The decoded length must be there (and is signed, as every x-amz-* header).
    let without: Vec<_> = headers
        .iter()
        .filter(|(n, _)| *n != "x-amz-decoded-content-length")
        .collect();
    let mut request = Request::new("PUT", "/bucket/key");
    for (name, value) in &without {
        request.push_header(name, value);
    }
    let err = verifier.begin(&request, time()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn unsigned_streaming_follows_the_unsigned_payload_policy() {
    let plan = StreamingUpload::new(StreamingMode::UnsignedWithTrailer, 8192)
        .unwrap()
        .with_checksum(ChecksumAlgorithm::Sha1);
    let upload = Upload::new(plan, "/bucket/key", b"hello", &[5]);
    let mut headers: Vec<(&str, String)> = vec![("Host", "bucket.s3.amazonaws.com".into())];
    headers.extend(upload.headers.iter().cloned());
    headers.extend(upload.signed.headers().iter().cloned());
    let mut request = Request::new("PUT", "/bucket/key");
    for (name, value) in &headers {
        request.push_header(name, value);
    }
    let strict = Verifier::new(store).allow_unsigned_payload(false);
    assert_eq!(
        strict.begin(&request, time()).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    let lenient = Verifier::new(store);
    let (_, mut decoder) = lenient
        .begin(&request, time())
        .unwrap()
        .into_chunked()
        .unwrap();
    let mut got = Vec::new();
    decoder
        .decode(&upload.wire, |d| got.extend_from_slice(d))
        .unwrap();
    let summary = decoder.finish().unwrap();
    assert_eq!(got, b"hello");
    assert_eq!(
        summary.checksum().unwrap().1,
        "qvTGHdzF6KLavt4PO0gs2a6pQ00="
    );
}

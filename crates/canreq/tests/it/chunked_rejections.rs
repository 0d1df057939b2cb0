//! aws-chunked: every way a body can be tampered with, each refused with its AWS error code.

use crate::chunked_support;

use std::sync::Arc;

use canreq::chunked::{ChecksumAlgorithm, SignatureChain, StreamingMode, StreamingUpload};
use canreq::verify::ErrorCode;
use chunked_support::*;

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
            Arc::new(steps.signing_key().unwrap().clone()),
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

//! Fuzzes the aws-chunked decoder against its security property: no unsigned byte gets
//! through. Each input is a body, an upload plan and a list of byte edits. The body is
//! encoded and signed for real, the edits are applied to the wire bytes, and the result is
//! decoded in pieces of a fuzzed size.
//!
//! - Without edits, the body must decode to exactly what was sent.
//! - In the signed modes, whatever the edits, the bytes released must be a prefix of the body
//!   sent (nothing changed is ever released), and a decode that finishes must have released
//!   all of it.
//! - In every mode, nothing panics.
#![no_main]

use canreq::chunked::{ChecksumAlgorithm, ChunkedDecoder, StreamingMode, StreamingUpload};
use canreq::{Credentials, Request, Scope, Signer, SigningTime};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    mode: u8,
    checksum: u8,
    /// Body length, up to ~24 KiB: three 8 KiB chunks at most.
    length: u16,
    fill: u8,
    piece: u16,
    /// (where, what, byte): overwrite, insert or delete at `where` modulo the wire length.
    edits: Vec<(u32, u8, u8)>,
}

fuzz_target!(|input: Input| {
    let mode = match input.mode % 3 {
        0 => StreamingMode::Signed,
        1 => StreamingMode::SignedWithTrailer,
        _ => StreamingMode::UnsignedWithTrailer,
    };
    let checksum = match input.checksum % 6 {
        5 => None,
        i => Some(ChecksumAlgorithm::ALL[usize::from(i)]),
    };
    let Ok(mut upload) = StreamingUpload::new(mode, 8192) else { return };
    if let Some(algorithm) = checksum {
        upload = upload.with_checksum(algorithm);
    }
    let body: Vec<u8> = (0..usize::from(input.length % 24_577))
        .map(|i| input.fill.wrapping_add(i as u8))
        .collect();

    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .expect("valid credentials");
    let scope = Scope::new("us-east-1", "s3").expect("valid scope");
    let time = SigningTime::parse("20150830T123600Z").expect("valid time");
    let headers = upload.headers(body.len() as u64);
    let mut request = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    for (name, value) in &headers {
        request.push_header(name, value);
    }
    let signed = Signer::new(&creds, scope, time)
        .sign(&request, upload.payload())
        .expect("a plain request signs");
    let mut encoder = upload.encoder(&signed).expect("a streaming signature");
    let mut wire = Vec::new();
    encoder.push(&body, &mut wire);
    encoder.finish(&mut wire);

    for &(at, what, byte) in &input.edits {
        let at = at as usize % (wire.len() + 1);
        match what % 3 {
            0 if at < wire.len() => wire[at] = byte,
            1 => wire.insert(at, byte),
            _ if at < wire.len() => {
                wire.remove(at);
            }
            _ => {}
        }
    }

    let mut decoder = ChunkedDecoder::for_signed_request(&signed, &request).expect("a decoder");
    let mut released = Vec::new();
    let mut result = Ok(());
    for part in wire.chunks(usize::from(input.piece) + 1) {
        result = decoder.decode(part, |data| released.extend_from_slice(data));
        if result.is_err() {
            break;
        }
    }
    let finished = result.and_then(|()| decoder.finish());

    if input.edits.is_empty() {
        let decoded = finished.as_ref().expect("an untouched body decodes");
        assert_eq!(decoded.decoded_length(), body.len() as u64);
        assert_eq!(released, body);
    }
    if mode.signs_chunks() {
        assert!(
            body.starts_with(&released),
            "released bytes the client did not sign ({} bytes released)",
            released.len()
        );
        if finished.is_ok() {
            assert_eq!(released, body);
        }
    }
});

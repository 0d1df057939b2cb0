//! Requests as the AWS SDK for Rust (aws-sdk-s3 1.157, aws-runtime 1.10) sends them, byte for
//! byte, checked by the verifier at the time they were signed.

use canreq::chunked::{ChecksumAlgorithm, StreamingMode};
use canreq::verify::{Begun, PayloadMode, Verifier};
use canreq::{Credentials, RawRequest, SigningTime};

use crate::verify_support;
use verify_support::{AKID, creds};

fn store(access_key_id: &str) -> Option<Credentials> {
    (access_key_id == AKID).then(creds)
}

/// Verifies `wire` at `time`: the streaming mode, and what the decoder released.
fn verify(wire: &str, time: &str) -> (PayloadMode, Vec<u8>, (ChecksumAlgorithm, String)) {
    let time = SigningTime::parse(time).unwrap();
    let raw = RawRequest::parse(wire.as_bytes()).unwrap();
    let Begun::Chunked(mut pending) = Verifier::new(store).begin(&raw.request(), time).unwrap()
    else {
        panic!("an aws-chunked body must be handed to the decoder");
    };
    let mut released = Vec::new();
    pending
        .decode(raw.body(), |d| released.extend_from_slice(d))
        .unwrap();
    let (verified, summary) = pending.finish().unwrap();
    let (alg, value) = summary.checksum().unwrap();
    (verified.payload(), released, (alg, value.to_owned()))
}

#[test]
fn a_chunk_size_in_upper_case_hex_is_read() {
    // `PutObject` of `ByteStream::from_path` (a 10-byte file) over HTTP. aws-runtime writes
    // each chunk size with `{:X}`, upper case: a 10-byte chunk is `A`, and any last chunk of a
    // larger stream whose length has a hex letter (100000 bytes in 64 KiB chunks end with
    // `86A0`) is written so. canreq read sizes in lower case only and refused the upload with
    // InvalidRequest "chunk 0 has a malformed size 'A'". The size is not signed (a chunk's
    // signature covers its data), and HTTP's chunk-size is HEXDIG, of either case.
    let signed = concat!(
        "PUT /bucket/hex.bin?x-id=PutObject HTTP/1.1\r\n",
        "content-type: application/octet-stream\r\n",
        "content-length: 303\r\n",
        "x-amz-sdk-checksum-algorithm: CRC32\r\n",
        "user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/s3/1.157.0 os/linux lang/rust/1.95.0 m/U,Z,E,N md/http#hyper-1.x\r\n",
        "x-amz-user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/s3/1.157.0 os/linux lang/rust/1.95.0 m/U,Z,E,N md/http#hyper-1.x\r\n",
        "x-amz-trailer: x-amz-checksum-crc32\r\n",
        "x-amz-decoded-content-length: 10\r\n",
        "content-encoding: aws-chunked\r\n",
        "x-amz-date: 20261201T052340Z\r\n",
        "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer;x-amz-user-agent, Signature=18bfd2d01251b29b6fdf718c3ea243001d5094690360bc719c91e2e4b8015cf2\r\n",
        "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\r\n",
        "amz-sdk-request: attempt=1; max=1\r\n",
        "amz-sdk-invocation-id: b3173bce-443a-4eb9-9470-a49610394a68\r\n",
        "host: 127.0.0.1:18712\r\n",
        "\r\n",
        "A;chunk-signature=7103c234bdd841dcd5dac2296f3c01949cb3f9b25760724750ad6f85c0616de5\r\n",
        "0123456789\r\n",
        "0;chunk-signature=17bbb25c8641b5670b5e1364d18a015c1581c7047f8fd18f7438aa7ba4c7b338\r\n",
        "x-amz-checksum-crc32:poTHxg==\r\n",
        "x-amz-trailer-signature:3a7fd6aa6788c4ed666ecc5d54fc0d1ae00b9608bbe87eba378052537ef59af5\r\n",
        "\r\n",
    );
    let (mode, data, checksum) = verify(signed, "20261201T052340Z");
    assert_eq!(
        mode,
        PayloadMode::Streaming(StreamingMode::SignedWithTrailer)
    );
    assert_eq!(data, b"0123456789");
    assert_eq!(checksum, (ChecksumAlgorithm::Crc32, "poTHxg==".to_owned()));

    // The same upload over HTTPS: unsigned chunks, the same upper-case size.
    let unsigned = concat!(
        "PUT /bucket/hex.bin?x-id=PutObject HTTP/1.1\r\n",
        "content-type: application/octet-stream\r\n",
        "content-length: 51\r\n",
        "x-amz-sdk-checksum-algorithm: CRC32\r\n",
        "user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/s3/1.157.0 os/linux lang/rust/1.95.0 m/U,Z,E,N md/http#hyper-1.x\r\n",
        "x-amz-user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/s3/1.157.0 os/linux lang/rust/1.95.0 m/U,Z,E,N md/http#hyper-1.x\r\n",
        "x-amz-trailer: x-amz-checksum-crc32\r\n",
        "x-amz-decoded-content-length: 10\r\n",
        "content-encoding: aws-chunked\r\n",
        "x-amz-date: 20261201T052341Z\r\n",
        "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer;x-amz-user-agent, Signature=5d79e08e5e6904d85edffb50919f46d86ef0eef9436ab16126e3fa0e8e4c6703\r\n",
        "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n",
        "amz-sdk-request: attempt=1; max=1\r\n",
        "amz-sdk-invocation-id: 774f9811-6a6b-48e9-b228-854a1bbff05f\r\n",
        "host: 127.0.0.1:18715\r\n",
        "\r\n",
        "A\r\n",
        "0123456789\r\n",
        "0\r\n",
        "x-amz-checksum-crc32:poTHxg==\r\n",
        "\r\n",
    );
    let (mode, data, checksum) = verify(unsigned, "20261201T052341Z");
    assert_eq!(
        mode,
        PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer)
    );
    assert_eq!(data, b"0123456789");
    assert_eq!(checksum, (ChecksumAlgorithm::Crc32, "poTHxg==".to_owned()));
}

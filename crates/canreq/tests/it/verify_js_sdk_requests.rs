//! Requests as the AWS SDK for JavaScript v3 (client-s3 3.1175) sends them, checked by the
//! verifier at a fixed time.

use canreq::chunked::{ChecksumAlgorithm, DecodeLimits, StreamingMode};
use canreq::verify::{Begun, PayloadMode, Verifier};
use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn time() -> SigningTime {
    SigningTime::parse("20261201T050105Z").unwrap()
}

fn store(access_key_id: &str) -> Option<Credentials> {
    (access_key_id == AKID).then(|| Credentials::new(AKID, SECRET).unwrap())
}

#[test]
fn a_stream_body_sent_as_one_large_unsigned_chunk_is_verified() {
    // `PutObject({ Body: Readable.from([buffer]), ContentLength })`: over HTTP the SDK sends
    // STREAMING-UNSIGNED-PAYLOAD-TRAILER with one aws-chunk per piece the stream yields, here
    // one of 2 MiB. The chunk is unsigned, so the decoder holds none of it (it releases the
    // data as it arrives and the trailing CRC32 vouches for it): the chunk-size bound, there to
    // bound what a signed chunk makes the server hold, does not apply. `canreq serve` (1 MiB
    // by default) refused it with InvalidChunkSizeError.
    let data = vec![3u8; 2 << 20];
    let crc32 = "hhEqRg=="; // zlib.crc32 of the data, as the SDK computes it
    let path = "/bkt/st?x-id=PutObject";
    let headers = [
        ("content-type", "application/octet-stream".to_owned()),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_owned()),
        ("content-encoding", "aws-chunked".to_owned()),
        ("transfer-encoding", "chunked".to_owned()),
        ("x-amz-decoded-content-length", data.len().to_string()),
        ("x-amz-trailer", "x-amz-checksum-crc32".to_owned()),
        ("x-amz-user-agent", "aws-sdk-js/3.1174.0".to_owned()),
        ("host", "127.0.0.1:18731".to_owned()),
        (
            "amz-sdk-invocation-id",
            "467a5863-63e9-45a9-a5e5-d2c5bbfb942c".to_owned(),
        ),
        ("amz-sdk-request", "attempt=1; max=3".to_owned()),
    ];
    let mut request = Request::new("PUT", path);
    for (n, v) in &headers {
        request.push_header(n, v);
    }
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), time());
    let signed = signer
        .sign(&request, Payload::StreamingUnsignedTrailer)
        .unwrap();
    let mut received = Request::new("PUT", path);
    for (n, v) in headers.iter().chain(signed.headers()) {
        received.push_header(n, v);
    }
    let mut wire = format!("{:x}\r\n", data.len()).into_bytes();
    wire.extend_from_slice(&data);
    wire.extend_from_slice(format!("\r\n0\r\nx-amz-checksum-crc32:{crc32}\r\n\r\n").as_bytes());

    // `canreq serve`'s default bound.
    let limits = DecodeLimits {
        max_chunk_size: 1 << 20,
        ..DecodeLimits::default()
    };
    let verifier = Verifier::new(store).chunk_limits(limits);
    let Begun::Chunked(mut pending) = verifier.begin(&received, time()).unwrap() else {
        panic!("an aws-chunked body must be handed to the decoder");
    };
    assert_eq!(
        pending.head().payload(),
        PayloadMode::Streaming(StreamingMode::UnsignedWithTrailer)
    );
    let mut released = 0;
    for piece in wire.chunks(64 * 1024) {
        pending.decode(piece, |d| released += d.len()).unwrap();
    }
    let (_, summary) = pending.finish().unwrap();
    assert_eq!(released, data.len());
    assert_eq!(summary.decoded_length(), data.len() as u64);
    assert_eq!(summary.chunks(), 1);
    assert_eq!(
        summary.checksum().unwrap(),
        (ChecksumAlgorithm::Crc32, crc32)
    );
}

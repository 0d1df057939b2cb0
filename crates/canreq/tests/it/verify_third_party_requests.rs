//! Requests as third-party SigV4 signers send them (aws4 1.13.2 for Node, requests-aws4auth
//! 1.4.0, awscurl 0.44), byte for byte, checked by the verifier at the time they were signed.

use canreq::verify::Verifier;
use canreq::{Credentials, RawRequest, SigningTime};

use crate::verify_support;
use verify_support::{AKID, creds};

fn store(access_key_id: &str) -> Option<Credentials> {
    (access_key_id == AKID).then(creds)
}

fn verify(wire: &str, time: &str) -> Result<(), String> {
    let raw = RawRequest::parse(wire.as_bytes()).unwrap();
    Verifier::new(store)
        .verify(
            &raw.request(),
            raw.body(),
            SigningTime::parse(time).unwrap(),
        )
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[test]
fn an_s3_path_is_canonicalized_as_s3_does_from_the_decoded_key() {
    // aws4 (Node) 1.13.2, `aws4.sign({service: 's3', path: "/bucket/a!b(c)*d'e.txt", ...})`,
    // sent by Node's http with the path as given. aws4 decodes the S3 path and re-encodes it
    // with SigV4's UriEncode (everything but A-Z a-z 0-9 - . _ ~ and '/'), so it signs
    // `/bucket/a%21b%28c%29%2Ad%27e.txt`; requests-aws4auth and awscurl sign the same. canreq
    // kept sub-delims raw in an S3 path and computed `/bucket/a!b(c)*d'e.txt`: refused.
    // S3 computes the canonical URI from the key (the aws4 author's trace against S3: a request
    // for `/%3Fa=b%20c` is expected to be signed as `/%3Fa%3Db%20c`, aws-sdk-js#853), as do
    // MinIO (`s3utils.EncodePath(req.URL.Path)`) and R2.
    let sub_delims = concat!(
        "PUT /bucket/a!b(c)*d'e.txt HTTP/1.1\r\n",
        "Content-Type: text/plain\r\n",
        "Host: 127.0.0.1:18990\r\n",
        "Content-Length: 1\r\n",
        "X-Amz-Content-Sha256: 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\r\n",
        "X-Amz-Date: 20261201T053345Z\r\n",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=33d8ae52c69221845bbe2cbb7abfc021bc73fd29f32e5515eac1dca4a1c388f9\r\n",
        "\r\n",
        "x",
    );
    assert_eq!(verify(sub_delims, "20261201T053345Z"), Ok(()));

    // The same signer, a key sent with lowercase and needless escapes (`%2b`, `%7E`): aws4 signs
    // `/bucket/a%2Bb~c.txt` (the key `a+b~c.txt`, encoded once); canreq kept `%2b%7E`.
    let lower_hex = concat!(
        "PUT /bucket/a%2bb%7Ec.txt HTTP/1.1\r\n",
        "Content-Type: text/plain\r\n",
        "Host: 127.0.0.1:18990\r\n",
        "Content-Length: 1\r\n",
        "X-Amz-Content-Sha256: 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\r\n",
        "X-Amz-Date: 20261201T053345Z\r\n",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=ee338e8c91db1d58593fa881492416df4f68f7001fa7df660941cf6f98f2b3fa\r\n",
        "\r\n",
        "x",
    );
    assert_eq!(verify(lower_hex, "20261201T053345Z"), Ok(()));
}

#[test]
fn an_s3_key_already_in_sigv4_form_is_accepted() {
    // aws4 1.13.2, the key `my key+1~.txt` sent encoded once (`%20`, `%2B`, raw `~`): what it
    // signs is what it sends, and canreq agrees. The control for the test above.
    let encoded_key = concat!(
        "PUT /bucket/my%20key%2B1~.txt HTTP/1.1\r\n",
        "Content-Type: text/plain\r\n",
        "Host: 127.0.0.1:18990\r\n",
        "Content-Length: 1\r\n",
        "X-Amz-Content-Sha256: 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\r\n",
        "X-Amz-Date: 20261201T053302Z\r\n",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=e8f02d18590fec4318b6c7d5d0512718dbfed7667351e39e4f668c4607b6db01\r\n",
        "\r\n",
        "x",
    );
    assert_eq!(verify(encoded_key, "20261201T053302Z"), Ok(()));
}

//! Shared by the aws-chunked tests: a signed upload of a body, and decoding it in pieces.

#![allow(dead_code)]

use canreq::chunked::{ChunkedDecoder, StreamingUpload};
use canreq::verify::{AuthError, ErrorCode};
use canreq::{Credentials, Request, Scope, SignedRequest, Signer, SigningTime};

use super::common;

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub fn time() -> SigningTime {
    SigningTime::parse("20240501T101500Z").unwrap()
}

/// A signed upload of `body` to `path` and its encoded body.
pub struct Upload {
    pub headers: Vec<(&'static str, String)>,
    pub signed: SignedRequest,
    pub wire: Vec<u8>,
    pub path: String,
}

impl Upload {
    pub fn new(plan: StreamingUpload, path: &str, body: &[u8], writes: &[usize]) -> Upload {
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

    /// The headers a server receives besides `Host`: the plan's, then the signature's.
    pub fn received_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = self.headers.clone();
        headers.extend(self.signed.headers().iter().cloned());
        headers
    }

    pub fn decoder(&self) -> ChunkedDecoder {
        ChunkedDecoder::for_signed_request(&self.signed, &request(&self.path, &self.headers))
            .unwrap()
    }
}

pub fn request<'a>(path: &'a str, headers: &'a [(&'static str, String)]) -> Request<'a> {
    let mut request = Request::new("PUT", path).header("Host", "bucket.s3.amazonaws.com");
    for (name, value) in headers {
        request.push_header(name, value);
    }
    request
}

/// Decodes `wire` in pieces of the given sizes; the data released, or the first error.
pub fn decode(
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

pub fn code(result: Result<Vec<u8>, AuthError>) -> ErrorCode {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => e.code(),
    }
}

pub fn store(access_key_id: &str) -> Option<Credentials> {
    (access_key_id == AKID).then(|| Credentials::new(AKID, SECRET).unwrap())
}

pub fn body(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = common::Rng::new(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

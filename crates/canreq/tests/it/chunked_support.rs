//! Shared by the aws-chunked tests: a signed upload of a body, decoding it in pieces, and the
//! S3 documentation's example.

use canreq::chunked::{ChunkedDecoder, DecodedBody, StreamingUpload};
use canreq::verify::{AuthError, Begun, ErrorCode, PendingChunks, Verifier};
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
    /// The head is signed by the algorithm that signs the plan's chunks (SigV4 for unsigned
    /// chunks).
    pub fn new(plan: StreamingUpload, path: &str, body: &[u8], writes: &[usize]) -> Upload {
        let creds = Credentials::new(AKID, SECRET).unwrap();
        let algorithm = plan.mode().chunk_algorithm().unwrap_or_default();
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), time())
            .with_algorithm(algorithm);
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

    /// The verifier's aws-chunked path for this upload as a server receives it (with
    /// [`store`]'s credentials): its pending state after the head, which must have been accepted.
    pub fn begin(&self) -> PendingChunks<()> {
        let headers = self.received_headers();
        let received = request(&self.path, &headers);
        match Verifier::new(store).begin(&received, time()) {
            Ok(Begun::Chunked(pending)) => pending,
            Ok(_) => panic!("an aws-chunked body must be handed to the decoder"),
            Err(e) => panic!("the head was refused: {e}"),
        }
    }

    /// Decodes `wire`, this upload's body with `byte` xor-ed with `flip`, in one piece: the
    /// outcome and the data released.
    pub fn decode_changed(
        &self,
        byte: usize,
        flip: u8,
    ) -> (Result<DecodedBody, AuthError>, Vec<u8>) {
        let mut wire = self.wire.clone();
        wire[byte] ^= flip;
        let mut released = Vec::new();
        let mut decoder = self.decoder();
        let result = decoder
            .decode(&wire, |d| released.extend_from_slice(d))
            .and_then(|()| decoder.finish());
        (result, released)
    }

    /// What [`decode_changed`](Self::decode_changed) gave for the change of `byte` by `flip` is
    /// a refusal, and in signed modes nothing unverified was handed out: what was released is
    /// a prefix of the true `data`, in whole chunks.
    pub fn assert_refused(
        &self,
        result: &Result<DecodedBody, AuthError>,
        released: &[u8],
        data: &[u8],
        byte: usize,
        flip: u8,
    ) {
        let mode = self.signed.steps().canonical_request().payload_hash();
        assert!(result.is_err(), "{mode}: byte {byte} ^ {flip:#x} accepted");
        if mode != canreq::STREAMING_UNSIGNED_TRAILER {
            assert!(
                data.starts_with(released),
                "{mode}: byte {byte}: released changed data"
            );
        }
    }
}

pub fn request<'a>(path: &'a str, headers: &'a [(&'static str, String)]) -> Request<'a> {
    let mut request = Request::new("PUT", path).header("Host", "bucket.s3.amazonaws.com");
    for (name, value) in headers {
        request.push_header(name, value);
    }
    request
}

/// Feeds `wire` to `pending` in pieces of `piece` bytes and finishes: what the verifier says
/// and the data released (everything must pass).
pub fn decode_pending(
    mut pending: PendingChunks<()>,
    wire: &[u8],
    piece: usize,
) -> (canreq::verify::Verified<()>, DecodedBody, Vec<u8>) {
    let mut got = Vec::new();
    for piece in wire.chunks(piece) {
        pending.decode(piece, |d| got.extend_from_slice(d)).unwrap();
    }
    let (verified, summary) = pending.finish().unwrap();
    (verified, summary, got)
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

/// The S3 documentation's signed aws-chunked upload (`streaming/s3-chunked-upload-example.json`):
/// its JSON, credentials and signing time. `None` when the test data is missing outside CI.
pub struct ChunkedExample {
    pub json: serde_json::Value,
    pub credentials: canreq::Credentials,
    pub time: canreq::SigningTime,
}

impl ChunkedExample {
    pub fn load() -> Option<ChunkedExample> {
        let path = common::testdata()?.join("streaming/s3-chunked-upload-example.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).expect("example JSON");
        let credentials = canreq::Credentials::new(
            json["credentials"]["access_key_id"].as_str().unwrap(),
            json["credentials"]["secret_access_key"].as_str().unwrap(),
        )
        .unwrap();
        let time = canreq::SigningTime::parse(json["timestamp"].as_str().unwrap()).unwrap();
        Some(ChunkedExample {
            json,
            credentials,
            time,
        })
    }

    /// A signer for the example's scope and time.
    pub fn signer(&self) -> canreq::Signer<'_> {
        let scope = canreq::Scope::new(
            self.json["region"].as_str().unwrap(),
            self.json["service"].as_str().unwrap(),
        )
        .unwrap();
        canreq::Signer::new(&self.credentials, scope, self.time)
    }

    /// The example's request head, as signed.
    pub fn request(&self) -> canreq::Request<'_> {
        let r = &self.json["request"];
        let mut req =
            canreq::Request::new(r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
        for h in r["headers"].as_array().unwrap() {
            req.push_header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
        }
        req
    }

    /// The example's signing key.
    pub fn signing_key(&self) -> canreq::SigningKey {
        let scope = self.signer().scope().clone();
        canreq::SigningKey::derive(
            self.credentials.secret_access_key().expose(),
            self.time.date(),
            scope.region(),
            scope.service(),
        )
    }
}

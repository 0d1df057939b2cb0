//! A verified request shows the server's own steps, and they are the signer's: the canonical
//! request, the string to sign, the access key and the scope, whichever way the verifier got
//! there (the whole body at hand, the body streamed before or after the signature check, a
//! presigned URL); and none of the string to sign leaks into the canonical request's views.

use canreq::verify::{Begun, PayloadMode, Pending, Verified, Verifier};
use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime, Steps};

const AKID: &str = "AKIDEXAMPLE";
const NOW: &str = "20150830T123600Z";

fn creds() -> Credentials {
    Credentials::new(AKID, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
}

fn now() -> SigningTime {
    SigningTime::parse(NOW).unwrap()
}

fn verifier() -> Verifier<impl canreq::verify::CredentialStore<Data = ()>> {
    Verifier::new(|akid: &str| (akid == AKID).then(creds))
}

/// What the signer showed, to compare the verified request with.
struct Expected {
    canonical_request: String,
    string_to_sign: String,
    region: &'static str,
    service: &'static str,
}

impl Expected {
    fn of(steps: &Steps, region: &'static str, service: &'static str) -> Expected {
        Expected {
            canonical_request: steps.canonical_request().as_str().to_owned(),
            string_to_sign: steps.string_to_sign().to_owned(),
            region,
            service,
        }
    }
}

/// `req` signed with `body` for `region` and `service`, and the steps the signer showed.
fn sign(
    req: &Request<'_>,
    region: &'static str,
    service: &'static str,
    body: &[u8],
) -> (canreq::SignedRequest, Expected) {
    let creds = creds();
    let signer = Signer::new(&creds, Scope::new(region, service).unwrap(), now());
    let signed = signer.sign(req, Payload::Bytes(body)).unwrap();
    let expected = Expected::of(signed.steps(), region, service);
    (signed, expected)
}

fn check(verified: &Verified<()>, expected: &Expected) {
    let creq = verified.canonical_request();
    assert_eq!(creq.as_str(), expected.canonical_request);
    assert_eq!(verified.string_to_sign(), expected.string_to_sign);
    assert_eq!(verified.access_key_id(), AKID);
    assert_eq!(
        (verified.region(), verified.service()),
        (expected.region, expected.service)
    );
    // The canonical request's views end where it ends.
    assert_eq!(
        creq.payload_hash(),
        expected.canonical_request.rsplit('\n').next().unwrap()
    );
    assert_eq!(creq.clone().into_string(), expected.canonical_request);
    assert_eq!(creq.redacted(), expected.canonical_request);
    let debug = format!("{creq:?}");
    let escaped = |text: &str| format!("{text:?}").trim_matches('"').to_owned();
    assert!(
        debug.contains(&format!("{:?}", expected.canonical_request))
            && !debug.contains(&escaped(&expected.string_to_sign)),
        "{debug}"
    );
    // A copy is the same request, and compares equal to the signer's.
    let copy = verified.clone();
    assert_eq!(copy.canonical_request(), creq);
    assert_eq!(copy.string_to_sign(), expected.string_to_sign);
}

fn received<'a>(req: &Request<'a>, signed: &'a canreq::SignedRequest) -> Request<'a> {
    let mut received = req.clone();
    for (name, value) in signed.headers() {
        received.push_header(name, value);
    }
    received
}

/// The [`Pending`] body of a request whose body the signature covers.
fn whole(begun: Begun<()>) -> Pending<()> {
    match begun {
        Begun::Whole(pending) => pending,
        other => panic!("expected a body to read whole, got {other:?}"),
    }
}

#[test]
fn the_whole_body_at_hand() {
    let body = br#"{"Name":"/app/db"}"#;
    let req = Request::new("POST", "/")
        .header("Host", "ssm.us-east-1.amazonaws.com")
        .header("X-Amz-Target", "AmazonSSM.GetParameter");
    let (signed, expected) = sign(&req, "us-east-1", "ssm", body);
    let verified = verifier()
        .verify(&received(&req, &signed), body, now())
        .unwrap();
    assert_eq!(verified.payload(), PayloadMode::BodyHash);
    check(&verified, &expected);
}

#[test]
fn the_body_streamed_after_the_head() {
    // Without x-amz-content-sha256 the payload hash is the body's: the canonical request's last
    // line is written only once the body has been read, with the credential already after it.
    let body = b"Action=ListQueues&Version=2012-11-05".repeat(40);
    let req = Request::new("POST", "/").header("Host", "sqs.eu-west-1.amazonaws.com");
    let (signed, expected) = sign(&req, "eu-west-1", "sqs", &body);
    let verifier = verifier();
    let received = received(&req, &signed);
    let mut pending = whole(verifier.begin(&received, now()).unwrap());
    // The signature waits for the body's hash; the claimed key is known, for logs.
    assert!(!pending.signature_checked());
    assert_eq!(pending.access_key_id(), AKID);
    for piece in body.chunks(7) {
        pending.update(piece);
    }
    let verified = pending.finish().unwrap();
    assert_eq!(verified.payload(), PayloadMode::BodyHash);
    check(&verified, &expected);
}

#[test]
fn a_declared_hash_streamed_after_the_check() {
    let body = vec![b'x'; 70_000];
    let req = Request::new("PUT", "/bucket/key").header("Host", "s3.amazonaws.com");
    let (signed, expected) = sign(&req, "us-east-1", "s3", &body);
    let verifier = verifier();
    let received = received(&req, &signed);
    let mut pending = whole(verifier.begin(&received, now()).unwrap());
    // Checked from the head, before any body byte.
    assert!(pending.signature_checked());
    pending.update(&body);
    let verified = pending.finish().unwrap();
    assert_eq!(verified.payload(), PayloadMode::DeclaredSha256);
    check(&verified, &expected);
}

#[test]
fn a_presigned_url() {
    let req = Request::new("GET", "/bucket/a%20key?versionId=3").header("Host", "s3.amazonaws.com");
    let creds = creds();
    let signer = Signer::new(&creds, Scope::new("us-west-2", "s3").unwrap(), now());
    let presigned = signer.presign(&req, Payload::Unsigned, 900).unwrap();
    let expected = Expected::of(presigned.steps(), "us-west-2", "s3");
    let request = Request::new("GET", presigned.target()).header("Host", "s3.amazonaws.com");
    let verified = verifier().verify(&request, b"", now()).unwrap();
    assert_eq!(verified.expires(), Some(900));
    check(&verified, &expected);
}

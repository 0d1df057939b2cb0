//! botocore's parser for each AWS protocol reads `canreq serve`'s answers: a verified call does
//! not raise, and a refused one raises the code and status the server sent, with its message.
//! The Query, JSON 1.0/1.1 and S3 object calls are in serve_clients.rs; here are the REST-XML
//! calls that are not object reads (S3 listings, Route 53, CloudFront), REST-JSON (Lambda) and
//! Smithy RPC v2 CBOR.

use crate::clients;

use clients::{AKID, KEY, Key, SECRET, Serve, boto, python};

/// Every scenario of serve_client.py that this file drives, with the service it signs for.
const CALLS: [(&str, &str); 6] = [
    ("s3-list-buckets", "s3"),
    ("s3-list-objects", "s3"),
    ("route53-list-hosted-zones", "route53"),
    ("cloudfront-list-distributions", "cloudfront"),
    ("eventbridgev2-list-event-buses", "events"),
    ("lambda-list-functions", "lambda"),
];

#[test]
fn botocore_parses_verified_rest_xml_and_cbor_answers() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("proto-ok");
    for (scenario, service) in CALLS {
        let a = boto(&python, &serve, KEY, scenario, &[]);
        assert_eq!(a.status, 200, "{scenario}: the server refused: {}", a.body);
        // botocore raises when the body is not its protocol's shape: S3 turns a 200 that is not
        // XML into a 500, Route 53 and CloudFront fail to parse it, CBOR reads garbage.
        assert_eq!(a.all["client_error"], serde_json::Value::Null, "{}", a.all);
        let want = if scenario.starts_with("eventbridgev2") {
            "application/cbor"
        } else if scenario.starts_with("lambda") {
            assert!(a.body.contains(&format!("\"service\":\"{service}\"")));
            "application/json"
        } else {
            assert!(a.body.contains(&format!("<Service>{service}</Service>")));
            "application/xml"
        };
        assert_eq!(a.all["content_type"], want, "{scenario}: {}", a.all);
    }
    assert!(serve.log().contains(&format!(" 200 ok {AKID} ")));
}

#[test]
fn botocore_reads_refusals_of_rest_xml_and_cbor_calls() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("proto-refused");
    let mut wrong = SECRET.to_owned();
    wrong.replace_range(0..1, "t");
    let wrong: &'static str = Box::leak(wrong.into_boxed_str());
    let wrong_secret = Key {
        secret: wrong,
        ..KEY
    };
    let unknown_key = Key {
        id: "AKIDNOTKNOWNHERE",
        ..KEY
    };
    // Each in its service's words (serve/dialect.rs): S3's; Route 53's and CloudFront's (the
    // Query protocol's); the JSON codes for CBOR (400) and REST-JSON (403).
    let words = |scenario: &str| -> [(u16, &str, &str); 2] {
        let signature = "does not match the signature you provided";
        let token = "security token included in the request is invalid";
        match scenario.split('-').next().unwrap() {
            "s3" => [
                (403, "SignatureDoesNotMatch", signature),
                (403, "InvalidAccessKeyId", "does not exist in our records"),
            ],
            "route53" | "cloudfront" => [
                (403, "SignatureDoesNotMatch", signature),
                (403, "InvalidClientTokenId", token),
            ],
            "eventbridgev2" => [
                (400, "InvalidSignatureException", signature),
                (400, "UnrecognizedClientException", token),
            ],
            _ => [
                (403, "InvalidSignatureException", signature),
                (403, "UnrecognizedClientException", token),
            ],
        }
    };
    for (scenario, _) in CALLS {
        for (key, (status, code, message)) in
            [wrong_secret, unknown_key].into_iter().zip(words(scenario))
        {
            let a = boto(&python, &serve, key, scenario, &[]);
            let what = format!("{scenario} refused with {code}");
            assert_eq!(a.status, status, "{what}: {}", a.all);
            assert_eq!(a.client_code(), Some(code), "{what}: {}", a.all);
            let said = a.all["client_error"]["message"].as_str().unwrap_or("");
            assert!(
                said.contains(&format!("({code})")) && said.contains(message),
                "{what}: {said}"
            );
            // The message is the error's, not a document of another protocol (REST-JSON SDKs
            // showed a whole XML error as the message).
            assert!(
                !said.contains("<?xml") && !said.contains("{\""),
                "{what}: {said}"
            );
        }
    }
}

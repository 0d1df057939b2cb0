//! Arbitrary requests never make the verifier panic: every one gets `Ok` or a typed `Err`.
//!
//! The claim is parsed by index arithmetic on untrusted bytes (the `Authorization` value, the
//! credential, the signed-header list, the hex signature, presign parameters), so the inputs
//! here are built from the pieces those parsers cut at, and from a valid signed request with a
//! few characters deleted, inserted or replaced anywhere.

use canreq::verify::{Begun, Verifier};
use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
use proptest::prelude::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";
const SIGNATURE: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

/// Text made of the pieces the claim parsers look for, and of anything else now and then.
fn claim_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        8 => proptest::sample::select(vec![
            "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", " ", "  ", "\t", ",", ", ", "=", "/",
            ";", "Credential=", "SignedHeaders=", "Signature=", AKID, "20150830", "2015083",
            "us-east-1", "service", "s3", "aws4_request", "host", "x-amz-date", "HOST", SIGNATURE,
            "5fa00fa3", "ABCDEF", "X-Amz-", "X-Amz-Algorithm=", "X-Amz-Credential=",
            "X-Amz-Date=", "X-Amz-Expires=", "X-Amz-SignedHeaders=", "X-Amz-Signature=",
            "X-Amz-Security-Token=", "X%2DAmz-Signature=", "&", "%2F", "%", "%zz", "%C3%28", "3600",
            "-1", DATE, "ሴ", "\u{85}", "\0",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[ -~]{0,8}",
    ];
    proptest::collection::vec(pieces, 0..16).prop_map(|v| v.concat())
}

/// A change at a character boundary: delete a run, insert a piece, or replace one character.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), claim_text()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len();
        match edit {
            Edit::Delete(at, n) if len > 0 => {
                let start = at % len;
                chars.drain(start..(start + n).min(len));
            }
            Edit::Insert(at, piece) => {
                let at = at % (len + 1);
                chars.splice(at..at, piece.chars());
            }
            Edit::Replace(at, c) if len > 0 => chars[at % len] = *c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// The suite's get-vanilla, signed in both forms: the texts the edits start from.
fn signed_texts() -> (String, String) {
    let creds = Credentials::new(AKID, SECRET).expect("credentials");
    let time = SigningTime::parse(DATE).expect("time");
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").expect("scope"),
        time,
    );
    let request = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    let signed = signer.sign(&request, Payload::Empty).expect("sign");
    let authorization = signed.authorization().to_owned();
    // As the SDKs presign for services other than S3 (and the verifier expects by default):
    // the empty body's hash is signed.
    let presigned = signer
        .presign(&request, Payload::Empty, 3600)
        .expect("presign");
    (authorization, presigned.target().to_owned())
}

/// Verifies in both ways (whole body, and streamed) and checks only that an answer comes back.
fn verify_both_ways(target: &str, headers: &[(&str, &str)], body: &[u8]) {
    let creds = Credentials::new(AKID, SECRET).expect("credentials");
    let store = |akid: &str| (akid == AKID).then(|| creds.clone());
    let verifier = Verifier::new(store);
    let now = SigningTime::parse(DATE).expect("time");
    let mut request = Request::new("GET", target);
    for &(name, value) in headers {
        request.push_header(name, value);
    }
    let whole = verifier.verify(&request, body, now);
    if let Ok(verified) = &whole {
        // Whatever was accepted is self-consistent.
        assert_eq!(verified.access_key_id(), AKID);
    }
    match verifier.begin(&request, now) {
        Ok(Begun::Chunked(mut pending)) => {
            let _ = pending.decode(body, |_| {});
            let _ = pending.finish();
        }
        Ok(Begun::Whole(mut pending)) => {
            pending.update(body);
            let _ = pending.finish();
        }
        Ok(Begun::Done(verified)) => assert_eq!(verified.access_key_id(), AKID),
        Err(_) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_authorization_headers_never_panic(
        authorization in claim_text(),
        amz_date in prop_oneof![Just(DATE.to_owned()), claim_text()],
        sha in prop_oneof![Just(None), claim_text().prop_map(Some)],
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut headers = vec![
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", amz_date.as_str()),
            ("Authorization", authorization.as_str()),
        ];
        if let Some(sha) = &sha {
            headers.push(("x-amz-content-sha256", sha.as_str()));
        }
        verify_both_ways("/", &headers, &body);
    }

    #[test]
    fn arbitrary_presign_queries_never_panic(query in claim_text(), path in claim_text()) {
        let target = format!("/{path}?{query}");
        verify_both_ways(&target, &[("Host", "example.amazonaws.com")], b"");
    }

    #[test]
    fn edited_signatures_never_panic(
        header_edits in proptest::collection::vec(edit(), 1..4),
        query_edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let (authorization, presigned) = signed_texts();
        let authorization = apply(&authorization, &header_edits);
        verify_both_ways(
            "/",
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", DATE),
                ("Authorization", &authorization),
            ],
            b"",
        );
        let target = apply(&presigned, &query_edits);
        verify_both_ways(&target, &[("Host", "example.amazonaws.com")], b"");
    }
}

#[test]
fn the_unedited_texts_verify() {
    // The property above starts from requests that verify, so its edits probe the parsers
    // beyond the first error.
    let (authorization, presigned) = signed_texts();
    assert!(authorization.ends_with(SIGNATURE));
    let creds = Credentials::new(AKID, SECRET).expect("credentials");
    let verifier = Verifier::new(|akid: &str| (akid == AKID).then(|| creds.clone()));
    let now = SigningTime::parse(DATE).expect("time");
    let header_form = Request::new("GET", "/")
        .header("Host", "example.amazonaws.com")
        .header("X-Amz-Date", DATE)
        .header("Authorization", &authorization);
    verifier
        .verify(&header_form, b"", now)
        .expect("the signed request verifies");
    let query_form = Request::new("GET", &presigned).header("Host", "example.amazonaws.com");
    verifier
        .verify(&query_form, b"", now)
        .expect("the presigned request verifies");
}

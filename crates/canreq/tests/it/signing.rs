//! Behaviour of the signer beyond the AWS suite: published examples, re-signing, errors,
//! secrets kept out of `Debug`, the key cache and the `http` integration.

use crate::chunked_support;

use canreq::{
    Credentials, Error, KeyCache, Payload, Request, Scope, SessionTokenMode, Signer,
    SigningSettings, SigningTime,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn vanilla_time() -> SigningTime {
    SigningTime::parse("20150830T123600Z").unwrap()
}

#[test]
fn s3_chunked_upload_seed_signature() {
    let Some(example) = chunked_support::ChunkedExample::load() else {
        return;
    };
    let ex = &example.json;
    let signer = example.signer();
    assert!(!ex["double_uri_encode"].as_bool().unwrap());
    assert_eq!(signer.settings(), &SigningSettings::s3());
    let req = example.request();
    let signed = signer.sign(&req, Payload::StreamingSigned).unwrap();
    assert_eq!(
        signed.steps().canonical_request().as_str(),
        ex["canonical_request"].as_str().unwrap()
    );
    assert_eq!(signed.signature(), ex["seed_signature"].as_str().unwrap());
    assert_eq!(
        signed.authorization(),
        ex["authorization"].as_str().unwrap()
    );
}

#[test]
fn iam_documentation_example() {
    // The worked example of the AWS General Reference ("Signature Version 4 signing process").
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "iam").unwrap(),
        vanilla_time(),
    );
    let req = Request::new("GET", "/?Action=ListUsers&Version=2010-05-08")
        .header("Host", "iam.amazonaws.com")
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
    let signed = signer.sign(&req, Payload::Empty).unwrap();
    assert!(
        signed
            .steps()
            .string_to_sign()
            .ends_with("\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    );
    assert_eq!(
        signed.steps().signing_key().unwrap().to_hex(),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    assert_eq!(
        signed.signature(),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn s3_documentation_examples() {
    // "Signature Calculations for the Authorization Header" and "Query String Authentication"
    // examples of the Amazon S3 API reference.
    let creds = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "s3").unwrap(),
        SigningTime::parse("20130524T000000Z").unwrap(),
    );
    let get = Request::new("GET", "/test.txt")
        .header("Host", "examplebucket.s3.amazonaws.com")
        .header("Range", "bytes=0-9");
    let signed = signer.sign(&get, Payload::Empty).unwrap();
    assert_eq!(
        signed.signature(),
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    assert_eq!(
        signed.steps().canonical_request().signed_headers(),
        "host;range;x-amz-content-sha256;x-amz-date"
    );

    let presigned = signer
        .presign(
            &Request::new("GET", "/test.txt").header("Host", "examplebucket.s3.amazonaws.com"),
            Payload::Unsigned,
            86400,
        )
        .unwrap();
    assert_eq!(
        presigned.target(),
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86400\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn resigning_replaces_auth_headers_and_params() {
    let creds = Credentials::new(AKID, SECRET)
        .unwrap()
        .with_session_token("tok/en+1")
        .unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    );
    let fresh = Request::new("GET", "/").header("Host", "example.amazonaws.com");
    let first = signer.sign(&fresh, Payload::Empty).unwrap();

    // The signed request, signed again: the old auth headers are neither signed nor kept.
    let mut headers = vec![("Host".to_string(), "example.amazonaws.com".to_string())];
    first.apply(&mut headers);
    let mut again = Request::new("GET", "/");
    for (n, v) in &headers {
        again.push_header(n, v);
    }
    let second = signer.sign(&again, Payload::Empty).unwrap();
    assert_eq!(
        second.steps().canonical_request(),
        first.steps().canonical_request()
    );
    second.apply(&mut headers);
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Amz-Security-Token",
            "X-Amz-Date",
            "Authorization"
        ]
    );

    // A presigned URL, presigned again: one set of parameters.
    let p1 = signer.presign(&fresh, Payload::Empty, 60).unwrap();
    let again = Request::new("GET", p1.target()).header("Host", "example.amazonaws.com");
    let p2 = signer.presign(&again, Payload::Empty, 60).unwrap();
    assert_eq!(p2.target(), p1.target());
    assert_eq!(p2.target().matches("X-Amz-Signature=").count(), 1);
    // The token is encoded in the URL (`/` and `+` are reserved).
    assert!(p1.target().contains("X-Amz-Security-Token=tok%2Fen%2B1&"));
}

#[test]
fn token_after_signing_is_sent_but_not_signed() {
    let creds = Credentials::new(AKID, SECRET)
        .unwrap()
        .with_session_token("tok")
        .unwrap();
    let mut settings = SigningSettings::default();
    settings.session_token = SessionTokenMode::AddedAfterSigning;
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    )
    .with_settings(settings);
    let req = Request::new("GET", "/").header("Host", "h");
    let signed = signer.sign(&req, Payload::Empty).unwrap();
    assert_eq!(
        signed.steps().canonical_request().signed_headers(),
        "host;x-amz-date"
    );
    assert_eq!(
        signed.headers()[0],
        ("X-Amz-Security-Token", "tok".to_string())
    );
    let presigned = signer.presign(&req, Payload::Empty, 60).unwrap();
    assert!(
        !presigned
            .steps()
            .canonical_request()
            .as_str()
            .contains("Security-Token")
    );
    assert!(
        presigned
            .target()
            .contains("&X-Amz-Security-Token=tok&X-Amz-Signature=")
    );
}

#[test]
fn header_selection_can_be_changed_but_not_for_host_and_amz() {
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let settings = SigningSettings::default()
        .sign_header("User-Agent")
        .unsign_header("x-custom")
        .unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    )
    .with_settings(settings);
    let req = Request::new("GET", "/")
        .header("Host", "h")
        .header("User-Agent", "canreq")
        .header("X-Custom", "v")
        .header("X-Amz-Meta-A", "b")
        .header("Connection", "keep-alive")
        .header("Expect", "100-continue");
    let signed = signer.sign(&req, Payload::Empty).unwrap();
    assert_eq!(
        signed.steps().canonical_request().signed_headers(),
        "host;user-agent;x-amz-date;x-amz-meta-a"
    );
    for name in ["host", "HOST", "x-amz-anything"] {
        assert!(matches!(
            SigningSettings::default().unsign_header(name),
            Err(Error::MustBeSigned { .. })
        ));
    }
}

#[test]
fn bad_input_gives_named_errors() {
    let creds = Credentials::new(AKID, SECRET)
        .unwrap()
        .with_session_token("SECRET-TOKEN")
        .unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    );
    let sign = |req: Request<'_>| signer.sign(&req, Payload::Empty).unwrap_err();

    let e = sign(Request::new("GET", "/").header("X-A", "b"));
    assert_eq!(e, Error::MissingHost);
    let e = sign(Request::new("GE T", "/").header("Host", "h"));
    assert!(matches!(e, Error::InvalidMethod { .. }), "{e}");
    let e = sign(Request::new("", "/").header("Host", "h"));
    assert_eq!(e, Error::Empty { field: "method" });
    let e = sign(Request::new("GET", "nope").header("Host", "h"));
    assert!(matches!(e, Error::InvalidPath { .. }), "{e}");
    let e = sign(Request::new("GET", "/?a=%zz").header("Host", "h"));
    assert_eq!(
        e.to_string(),
        "query component \"a=%zz\" has a '%' that is not followed by two hex digits"
    );
    let e = sign(
        Request::new("GET", "/")
            .header("Host", "h")
            .header("Bad Name", "v"),
    );
    assert!(matches!(e, Error::InvalidHeaderName { .. }), "{e}");
    let e = sign(
        Request::new("GET", "/")
            .header("Host", "h")
            .header("X-Bell", "a\u{7}b"),
    );
    assert_eq!(
        e,
        Error::InvalidHeaderValue {
            name: "x-bell".into(),
            value: "a\\u{7}b".into(),
            byte: 7
        }
    );
    let e = signer
        .sign(
            &Request::new("GET", "/").header("Host", "h"),
            Payload::Precomputed("ABC"),
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidPayloadHash { .. }), "{e}");
    for expires in [0, 604_801] {
        let e = signer
            .presign(
                &Request::new("GET", "/").header("Host", "h"),
                Payload::Empty,
                expires,
            )
            .unwrap_err();
        assert_eq!(
            e,
            Error::ExpiresOutOfRange {
                value: expires.into()
            }
        );
    }
    let s3 = Signer::new(
        &creds,
        Scope::new("us-east-1", "s3").unwrap(),
        vanilla_time(),
    );
    let e = s3
        .sign(
            &Request::new("GET", "/100%").header("Host", "h"),
            Payload::Empty,
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidPercentEncoding { field: "path", .. }),
        "{e}"
    );
    // Secrets never reach a message.
    let e = sign(
        Request::new("GET", "/")
            .header("Host", "h")
            .header("Cookie", "SECRET\u{0}"),
    );
    assert!(
        !e.to_string().contains("SECRET") && !format!("{e:?}").contains("SECRET"),
        "{e}"
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let creds = Credentials::new(AKID, SECRET)
        .unwrap()
        .with_session_token("SESSION-TOKEN-VALUE")
        .unwrap();
    let cache = KeyCache::default();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    )
    .with_key_cache(&cache);
    let req = Request::new("GET", "/").header("Host", "h");
    let signed = signer.sign(&req, Payload::Empty).unwrap();
    let presigned = signer.presign(&req, Payload::Empty, 60).unwrap();
    let key_hex = signed.steps().signing_key().unwrap().to_hex();
    for debug in [
        format!("{creds:?}"),
        format!("{signer:?}"),
        format!("{cache:?}"),
        format!("{signed:?}"),
        format!("{presigned:?}"),
    ] {
        for secret in [SECRET, "SESSION-TOKEN-VALUE", key_hex.as_str()] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}

#[test]
fn key_cache_hit_derives_nothing() {
    let creds = Credentials::new(AKID, SECRET).unwrap();
    let cache = KeyCache::new(4);
    let mut signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    )
    .with_key_cache(&cache);
    let req = Request::new("GET", "/").header("Host", "h");
    let first = signer.sign(&req, Payload::Empty).unwrap();
    for _ in 0..10 {
        assert_eq!(
            signer.sign(&req, Payload::Empty).unwrap().signature(),
            first.signature()
        );
    }
    assert_eq!((cache.derivations(), cache.hits()), (1, 10));
    // A new day is a new key.
    signer.set_time(SigningTime::parse("20150831T000000Z").unwrap());
    signer.sign(&req, Payload::Empty).unwrap();
    assert_eq!(cache.derivations(), 2);
    // The cache is shareable across threads.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let signer = Signer::new(
                    &creds,
                    Scope::new("us-east-1", "service").unwrap(),
                    vanilla_time(),
                )
                .with_key_cache(&cache);
                signer.sign(&req, Payload::Empty).unwrap();
            });
        }
    });
    assert_eq!(cache.derivations(), 2);
}

#[cfg(feature = "http")]
#[test]
fn http_request_signing_in_place() {
    use canreq::{presign_http_request, sign_http_request};

    let creds = Credentials::new(AKID, SECRET)
        .unwrap()
        .with_session_token("tok")
        .unwrap();
    let signer = Signer::new(
        &creds,
        Scope::new("us-east-1", "service").unwrap(),
        vanilla_time(),
    );
    let mut req = http::Request::post("http://example.amazonaws.com:8080/a%20b?x=1")
        .header("x-amz-date", "19990101T000000Z")
        .header("authorization", "stale")
        .body(())
        .unwrap();
    let steps = sign_http_request(&mut req, &signer, Payload::Bytes(b"{}")).unwrap();
    assert!(
        steps
            .canonical_request()
            .as_str()
            .starts_with("POST\n/a%2520b\nx=1\nhost:example.amazonaws.com:8080\n")
    );
    assert_eq!(req.headers().get_all("x-amz-date").iter().count(), 1);
    assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
    assert_eq!(req.headers().get_all("authorization").iter().count(), 1);
    assert!(
        req.headers()["authorization"]
            .to_str()
            .unwrap()
            .ends_with(steps.signature())
    );
    assert_eq!(req.headers()["x-amz-security-token"], "tok");

    // Default ports are not part of host.
    let mut req = http::Request::get("https://example.amazonaws.com:443/")
        .body(())
        .unwrap();
    let steps = presign_http_request(&mut req, &signer, Payload::Empty, 900).unwrap();
    assert!(
        steps
            .canonical_request()
            .as_str()
            .contains("\nhost:example.amazonaws.com\n")
    );
    assert!(
        req.uri()
            .query()
            .unwrap()
            .contains(&format!("X-Amz-Signature={}", steps.signature()))
    );
}

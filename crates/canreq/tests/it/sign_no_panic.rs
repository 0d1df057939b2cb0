//! Arbitrary input never panics: every public entry point returns `Ok` or a typed `Err`.
//!
//! The same property is fuzzed by `fuzz/fuzz_targets/sign.rs` (see the README); this test runs
//! it in CI on proptest's generator, biased towards the bytes that matter to SigV4 (`%`, `/`,
//! `.`, `?`, `&`, `=`, `+`, whitespace, controls, non-ASCII).

use canreq::{
    Credentials, Payload, Request, Scope, SessionTokenMode, Signer, SigningSettings, SigningTime,
    UriEncoding,
};
use proptest::prelude::*;

/// Strings made mostly of SigV4-relevant characters, with any char now and then.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        8 => proptest::sample::select(vec![
            "/", "//", ".", "..", "%", "%2", "%zz", "%41", "%E1%88%B4", "?", "&", "=", "+", " ", "\t",
            "\r\n ", "\n", "\r", "\0", "\u{7f}", "ሴ", "a", "Z", "0", "-", "~", "x-amz-", "host",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[ -~]{0,6}",
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

fn payload_of<'a>(choice: u8, body: &'a [u8], hash: &'a str) -> Payload<'a> {
    match choice % 7 {
        0 => Payload::Empty,
        1 => Payload::Bytes(body),
        2 => Payload::Unsigned,
        3 => Payload::Precomputed(hash),
        4 => Payload::StreamingSigned,
        5 => Payload::StreamingSignedTrailer,
        _ => Payload::StreamingUnsignedTrailer,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn signing_arbitrary_requests_never_panics(
        method in prop_oneof![Just("GET".to_owned()), nasty()],
        target in nasty(),
        headers in proptest::collection::vec((prop_oneof![Just("Host".to_owned()), Just("X-Amz-Date".to_owned()), nasty()], nasty()), 0..6),
        access_key in nasty(),
        secret in nasty(),
        token in proptest::option::of(nasty()),
        region in nasty(),
        service in prop_oneof![Just("s3".to_owned()), Just("iam".to_owned()), nasty()],
        seconds in any::<i64>(),
        expires in any::<u32>(),
        payload_choice in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        hash in nasty(),
        single in any::<bool>(),
        normalize in any::<bool>(),
        sha_header in any::<bool>(),
        token_after in any::<bool>(),
        excluded in nasty(),
    ) {
        let Ok(mut creds) = Credentials::new(access_key, secret) else { return Ok(()) };
        if let Some(token) = token {
            match creds.clone().with_session_token(token) {
                Ok(c) => creds = c,
                Err(e) => { let _ = e.to_string(); }
            }
        }
        let scope = match Scope::new(region, service) {
            Ok(scope) => scope,
            Err(e) => { let _ = e.to_string(); Scope::new("us-east-1", "service").unwrap() }
        };
        let time = SigningTime::from_unix_seconds(seconds).unwrap_or_else(|_| SigningTime::from_unix_seconds(0).unwrap());
        let mut settings = SigningSettings::for_service(scope.service());
        settings.uri_encoding = if single { UriEncoding::Single } else { UriEncoding::Double };
        settings.normalize_path = normalize;
        settings.content_sha256_header = sha_header;
        if token_after { settings.session_token = SessionTokenMode::AddedAfterSigning; }
        let settings = settings.clone().unsign_header(&excluded).unwrap_or(settings).sign_header(&excluded);
        let signer = Signer::new(&creds, scope, time).with_settings(settings);

        let mut req = Request::new(&method, &target);
        for (n, v) in &headers {
            req.push_header(n, v);
        }
        let payload = payload_of(payload_choice, &body, &hash);
        match signer.sign(&req, payload) {
            Ok(signed) => {
                let _ = signed.steps().canonical_request().redacted();
                let mut list: Vec<(String, String)> = headers.clone();
                signed.apply(&mut list);
            }
            Err(e) => { let _ = (e.to_string(), format!("{e:?}")); }
        }
        match signer.presign(&req, payload, expires) {
            Ok(p) => prop_assert!(p.target().contains("X-Amz-Signature=")),
            Err(e) => { let _ = e.to_string(); }
        }
    }

    #[test]
    fn parsing_arbitrary_times_never_panics(text in nasty(), digits in "[0-9]{8}T[0-9]{6}Z") {
        let _ = SigningTime::parse(&text);
        let _ = SigningTime::parse(&digits);
    }
}

#[cfg(feature = "http")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn signing_arbitrary_http_requests_never_panics(
        path in "(/[a-zA-Z0-9%._~!$&'()*+,;=:@-]{0,8}){0,4}",
        query in proptest::option::of("[a-zA-Z0-9%._~!$'()*+,;=:@/?&-]{0,20}"),
        value in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let uri = match query { Some(q) => format!("https://h.example{path}?{q}"), None => format!("https://h.example{path}") };
        let Ok(mut req) = http::Request::get(uri.as_str()).body(()) else { return Ok(()) };
        if let Ok(v) = http::HeaderValue::from_bytes(&value) {
            req.headers_mut().insert("x-any", v);
        }
        let creds = Credentials::new("AKID", "secret").unwrap();
        let signer = Signer::new(&creds, Scope::new("us-east-1", "service").unwrap(), SigningTime::from_unix_seconds(0).unwrap());
        let _ = canreq::sign_http_request(&mut req, &signer, Payload::Empty);
        let _ = canreq::presign_http_request(&mut req, &signer, Payload::Empty, 60);
    }
}

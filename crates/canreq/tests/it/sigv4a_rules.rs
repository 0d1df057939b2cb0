//! What SigV4a adds to the verifier's rules: the region set (sent, signed, and naming a region
//! the verifier serves, or `*`), the region-less credential, the derived key (cached, never
//! shown), and SigV4's rules applied as they are (time, scope, presign bounds, token).

use canreq::verify::{Accept, AuthLocation, ErrorCode, Verifier};
use canreq::{
    Algorithm, Credentials, EcdsaKey, KeyCache, Payload, Request, Scope, Signer, SigningTime,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET).unwrap()
}

fn now() -> SigningTime {
    SigningTime::parse("20240229T120000Z").unwrap()
}

fn request() -> Request<'static> {
    Request::new("GET", "/bucket/key").header("Host", "mrap.accesspoint.s3-global.amazonaws.com")
}

/// The headers of `request()` signed with SigV4a for `regions` (a set, or one region), as
/// received.
fn signed_for(regions: &[&str]) -> Vec<(String, String)> {
    let creds = creds();
    let scope = match regions {
        [one] if *one != "*" => Scope::new(*one, "s3").unwrap(),
        set => Scope::for_region_set(set, "s3").unwrap(),
    };
    sent_headers(&creds, scope)
}

/// The headers of `request()` signed with SigV4a by `creds` for `scope`, as received.
fn sent_headers(creds: &Credentials, scope: Scope) -> Vec<(String, String)> {
    let signed = Signer::new(creds, scope, now())
        .with_algorithm(Algorithm::EcdsaP256Sha256)
        .sign(&request(), Payload::Unsigned)
        .unwrap();
    let mut headers = vec![(
        "Host".to_owned(),
        "mrap.accesspoint.s3-global.amazonaws.com".to_owned(),
    )];
    signed.apply(&mut headers);
    headers
}

fn received(headers: &[(String, String)]) -> Request<'_> {
    let mut req = Request::new("GET", "/bucket/key");
    for (n, v) in headers {
        req.push_header(n, v);
    }
    req
}

fn serving(regions: &[&str]) -> Verifier<impl canreq::verify::CredentialStore<Data = ()>> {
    Verifier::new(|akid: &str| (akid == AKID).then(creds)).regions(Accept::Only(
        regions.iter().map(|r| r.to_string()).collect(),
    ))
}

#[test]
fn a_region_set_is_valid_where_it_names_a_served_region_or_is_a_wildcard() {
    let verifier = serving(&["us-west-2", "eu-west-1"]);
    for accepted in [&["*"][..], &["us-west-2"], &["us-east-1", "eu-west-1"]] {
        let headers = signed_for(accepted);
        let verified = verifier.verify(&received(&headers), b"", now()).unwrap();
        assert_eq!(verified.region_set(), Some(accepted.join(",").as_str()));
        assert_eq!(verified.region(), "");
        assert_eq!(verified.credential_scope(), "20240229/s3/aws4_request");
    }
    let headers = signed_for(&["us-east-1", "ap-south-1"]);
    let err = verifier
        .verify(&received(&headers), b"", now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed);
    assert!(err.message().contains("'us-east-1,ap-south-1'"), "{err}");
    assert!(err.message().contains("'us-west-2'"), "{err}");
    assert_eq!(err.detail("Region"), Some("us-west-2"));
    // Accept::Any reads every set as valid.
    let any = Verifier::new(|akid: &str| (akid == AKID).then(creds));
    let headers = signed_for(&["ap-south-1"]);
    assert!(any.verify(&received(&headers), b"", now()).is_ok());
}

#[test]
fn the_region_set_must_be_sent_and_signed_and_is_covered_by_the_signature() {
    let verifier = serving(&["us-east-1"]);
    let headers = signed_for(&["us-east-1"]);
    let without: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-amz-region-set"))
        .cloned()
        .collect();
    let err = verifier
        .verify(&received(&without), b"", now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed);
    assert!(err.message().contains("X-Amz-Region-Set"), "{err}");

    // Widened after signing: the set is signed, so the signature no longer matches.
    let widened: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| match n.eq_ignore_ascii_case("x-amz-region-set") {
            true => (n.clone(), "*".to_owned()),
            false => (n.clone(), v.clone()),
        })
        .collect();
    let err = verifier
        .verify(&received(&widened), b"", now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    assert!(
        err.detail("CanonicalRequest")
            .unwrap()
            .contains("x-amz-region-set:*")
    );

    // Sent twice: refused, not read as either.
    let mut twice = headers.clone();
    twice.push(("X-Amz-Region-Set".to_owned(), "*".to_owned()));
    let err = verifier.verify(&received(&twice), b"", now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
}

#[test]
fn presigned_sigv4a_urls_carry_the_set_and_keep_sigv4s_bounds() {
    let creds = creds();
    let signer = Signer::new(&creds, Scope::for_region_set(["*"], "s3").unwrap(), now())
        .with_algorithm(Algorithm::EcdsaP256Sha256);
    let url = signer.presign(&request(), Payload::Unsigned, 60).unwrap();
    assert!(
        url.target()
            .contains("&X-Amz-Region-Set=%2A&X-Amz-Signature="),
        "{}",
        url.target()
    );
    assert!(
        url.target()
            .contains("X-Amz-Credential=AKIDEXAMPLE%2F20240229%2Fs3%2Faws4_request&")
    );
    let received = Request::new("GET", url.target())
        .header("Host", "mrap.accesspoint.s3-global.amazonaws.com");
    let verifier = serving(&["eu-west-1"]);
    let verified = verifier.verify(&received, b"", now()).unwrap();
    assert_eq!(
        (verified.location(), verified.region_set()),
        (AuthLocation::Query, Some("*"))
    );
    let later = SigningTime::from_unix_seconds(now().unix_seconds() + 61).unwrap();
    let err = verifier.verify(&received, b"", later).unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (ErrorCode::AccessDenied, "Request has expired")
    );
    // A stale region set in the caller's query is replaced, not signed twice.
    let stale = Request::new("GET", "/bucket/key?X-Amz-Region-Set=us-east-1")
        .header("Host", "mrap.accesspoint.s3-global.amazonaws.com");
    let url = signer.presign(&stale, Payload::Unsigned, 60).unwrap();
    assert_eq!(
        url.target().matches("X-Amz-Region-Set=").count(),
        1,
        "{}",
        url.target()
    );
}

#[test]
fn sigv4s_rules_hold_for_sigv4a() {
    let verifier = serving(&["us-east-1"]);
    let headers = signed_for(&["us-east-1"]);
    let skewed = SigningTime::from_unix_seconds(now().unix_seconds() + 3600).unwrap();
    let err = verifier
        .verify(&received(&headers), b"", skewed)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RequestTimeTooSkewed);
    let iam_only =
        Verifier::new(|akid: &str| (akid == AKID).then(creds)).services(Accept::one("iam"));
    let err = iam_only
        .verify(&received(&headers), b"", now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed);
    // Signed with a token, verified against a store without one.
    let with_token = creds().with_session_token("token").unwrap();
    let with_token_headers = sent_headers(&with_token, Scope::new("us-east-1", "s3").unwrap());
    let sent = received(&with_token_headers);
    assert_eq!(
        verifier.verify(&sent, b"", now()).unwrap_err().code(),
        ErrorCode::InvalidToken
    );
    let token_store = Verifier::new(move |_: &str| Some(with_token.clone()));
    assert!(token_store.verify(&sent, b"", now()).is_ok());
    // Another secret: the derived public key differs, the signature does not verify.
    let other = Verifier::new(|_: &str| Some(Credentials::new(AKID, "another secret").unwrap()));
    let err = other.verify(&received(&headers), b"", now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
    assert!(
        err.detail("StringToSign")
            .unwrap()
            .starts_with("AWS4-ECDSA-P256-SHA256\n")
    );
}

#[test]
fn the_derived_key_is_cached_per_credentials_and_never_shown() {
    let cache = KeyCache::new(2);
    let a = creds();
    let b = Credentials::new(AKID, "another secret").unwrap();
    let c = Credentials::new("AKIDOTHER", SECRET).unwrap();
    let ka = cache.ecdsa_key(&a).unwrap();
    cache.ecdsa_key(&a).unwrap();
    assert_eq!((cache.derivations(), cache.hits()), (1, 1));
    let kb = cache.ecdsa_key(&b).unwrap();
    let kc = cache.ecdsa_key(&c).unwrap(); // evicts a's
    assert_ne!(ka.public_key(), kb.public_key());
    assert_ne!(
        ka.public_key(),
        kc.public_key(),
        "the access key id is in the derivation"
    );
    cache.ecdsa_key(&a).unwrap();
    assert_eq!(cache.derivations(), 4);

    let signer = Signer::new(&a, Scope::new("us-east-1", "s3").unwrap(), now())
        .with_algorithm(Algorithm::EcdsaP256Sha256)
        .with_key_cache(&cache);
    let signed = signer.sign(&request(), Payload::Unsigned).unwrap();
    let private = EcdsaKey::derive(AKID, SECRET)
        .unwrap()
        .expose_private_key_hex();
    for shown in [
        format!("{signed:?}"),
        format!("{:?}", signed.steps()),
        format!("{cache:?}"),
        format!("{:?}", signed.steps().ecdsa_key().unwrap()),
    ] {
        assert!(!shown.contains(&private), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
    assert!(format!("{:?}", signed.steps()).contains(&ka.public_key().to_hex()));
    assert!(signed.steps().signing_key().is_none());
}

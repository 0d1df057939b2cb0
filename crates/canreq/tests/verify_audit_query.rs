//! The claim under attack: presign parameters and the `Authorization` header, each bent the way
//! a hostile client would bend it. Rejections keep their AWS error codes, and what the verifier
//! says back about the claim stays bounded and escaped.

use canreq::verify::{AuthError, ErrorCode, Verifier};

mod verify_support;
use verify_support::*;

fn store(akid: &str) -> Option<canreq::Credentials> {
    (akid == AKID).then(creds)
}

fn rejected(req: &Received) -> AuthError {
    Verifier::new(store)
        .verify(&req.view(), &req.body, time(NOW))
        .unwrap_err()
}

/// What an answer may echo of one piece of a claim: `crate::error::shown`'s 80 characters,
/// escaped, plus the sentence around them.
const MESSAGE_BOUND: usize = 400;

fn assert_bounded_and_escaped(err: &AuthError) {
    let message = err.message();
    assert!(
        message.len() < MESSAGE_BOUND,
        "{} bytes: {}…",
        message.len(),
        &message[..200]
    );
    assert!(!message.chars().any(char::is_control), "{message:?}");
}

#[test]
fn authorization_header_components_are_echoed_bounded_and_escaped() {
    let signed = sign(iam_get(), &creds(), "us-east-1", "iam", NOW);
    let junk = format!("{}\u{1b}[31m{}", "Z".repeat(5000), "\u{7}".repeat(10));
    for (what, extra) in [
        ("not key=value", junk.clone()),
        ("unknown key", format!("{junk}=1")),
    ] {
        let req = signed
            .clone()
            .map_authorization(|auth| format!("{auth}, {extra}"));
        let err = rejected(&req);
        assert_eq!(
            err.code(),
            ErrorCode::AuthorizationHeaderMalformed,
            "{what}"
        );
        assert_bounded_and_escaped(&err);
        assert!(err.message().contains("ZZZZ"), "{what}: {err}");
    }
    // The short case still names the component in full.
    let err = rejected(&signed.map_authorization(|auth| format!("{auth}, Foo=1")));
    assert!(err.message().contains("'Foo'"), "{err}");
}

#[test]
fn unsigned_header_names_are_echoed_bounded_and_escaped() {
    let signed = sign(iam_get(), &creds(), "us-east-1", "iam", NOW);
    let mut req = signed.add_header("X-Amz-\u{1b}[31m", "1");
    for i in 0..500 {
        req = req.add_header(&format!("X-Amz-Meta-{i:04}"), "1");
    }
    let err = rejected(&req);
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert_bounded_and_escaped(&err);
    // The detail lists every name, as AWS's HeadersNotSigned does (escaped when rendered).
    let detail = err.detail("HeadersNotSigned").unwrap();
    assert!(detail.contains("x-amz-meta-0499"), "{detail}");
    assert!(err.to_xml("r").contains("x-amz-&#x1b;[31m"));
}

#[test]
fn a_long_signed_header_list_in_the_wrong_form_is_echoed_bounded() {
    let mut req = iam_get();
    for i in 0..2000 {
        req = req.add_header(&format!("X-Custom-{i:04}"), "v");
    }
    let signed = sign(req, &creds(), "us-east-1", "iam", NOW);
    // `Host` capitalised: a list of the same names, not in the canonical form.
    let req =
        signed.map_authorization(|auth| auth.replace("SignedHeaders=host;", "SignedHeaders=Host;"));
    let err = rejected(&req);
    assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed, "{err}");
    assert_bounded_and_escaped(&err);
    assert!(
        err.message().contains("'host;x-amz-date;x-custom-0000;"),
        "{err}"
    );
}

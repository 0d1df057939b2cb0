//! What a claim says is signed must be what was signed: the `SignedHeaders` list against the
//! headers sent, and the session token wherever it is sent. Each rejection has its AWS error
//! code, and each rule has a valid twin.

use canreq::verify::{ErrorCode, Verifier};

use crate::verify_support;
use verify_support::*;

fn plain_store(akid: &str) -> Option<canreq::Credentials> {
    (akid == AKID).then(creds)
}

fn token_store(akid: &str) -> Option<canreq::Credentials> {
    (akid == AKID).then(|| creds().with_session_token("THE-TOKEN").unwrap())
}

#[test]
fn a_listed_header_not_sent_is_signed_empty_but_host_must_be_sent() {
    let verifier = Verifier::new(plain_store);
    let now = time(NOW);
    let with = |value: &str| {
        let req = iam_get().add_header("X-Custom", value);
        sign(req, &creds(), "us-east-1", "iam", NOW)
    };

    // Signed with an empty value, then not sent (as libs3 does with `transfer-encoding`): AWS
    // reads the missing header as empty, and so does the verifier.
    let empty = with("");
    assert!(empty.header("authorization").contains("x-custom"));
    let verified = verifier
        .verify(&empty.clone().remove_header("X-Custom").view(), b"", now)
        .expect("a listed header not sent is an empty value");
    assert_eq!(
        verified.signed_headers(),
        ["host", "x-amz-date", "x-custom"]
    );
    assert!(
        verified
            .canonical_request()
            .as_str()
            .contains("\nx-custom:\n"),
        "{}",
        verified.canonical_request().as_str()
    );
    verifier
        .verify(&empty.view(), b"", now)
        .expect("and sent empty, it verifies too");

    // Signed with a value, then dropped: the empty value is not what was signed.
    let err = verifier
        .verify(&with("v").remove_header("X-Custom").view(), b"", now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);

    // `host` must be sent: a signature over no host would hold for any host.
    let signed = sign(iam_get(), &creds(), "us-east-1", "iam", NOW);
    verifier.verify(&signed.view(), b"", now).expect("twin");
    let err = verifier
        .verify(&signed.remove_header("Host").view(), b"", now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest, "{err}");
    assert!(err.message().contains("no Host header"), "{err}");
}

#[test]
fn signed_headers_must_be_the_canonical_list() {
    let verifier = Verifier::new(plain_store);
    let now = time(NOW);
    let signed = sign(iam_get(), &creds(), "us-east-1", "iam", NOW);
    assert!(
        signed
            .header("authorization")
            .contains("SignedHeaders=host;x-amz-date,")
    );
    verifier.verify(&signed.view(), b"", now).expect("twin");
    for list in ["x-amz-date;host", "Host;x-amz-date", "host;host;x-amz-date"] {
        let req = signed.clone().map_authorization(|auth| {
            auth.replace(
                "SignedHeaders=host;x-amz-date,",
                &format!("SignedHeaders={list},"),
            )
        });
        let err = verifier.verify(&req.view(), b"", now).unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::AuthorizationHeaderMalformed,
            "{list}"
        );
        assert!(err.message().contains("'host;x-amz-date'"), "{err}");
    }
}

#[test]
fn a_session_token_is_checked_wherever_it_is_sent() {
    let now = time(NOW);
    let with_token_param =
        |value: &str| iam_get().map_target(|t| format!("{t}&X-Amz-Security-Token={value}"));
    let token_creds = creds().with_session_token("THE-TOKEN").unwrap();

    // The header carries the right token, the (signed) query a wrong one.
    let both = sign(
        with_token_param("WRONG"),
        &token_creds,
        "us-east-1",
        "iam",
        NOW,
    );
    let err = Verifier::new(token_store)
        .verify(&both.view(), b"", now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");

    // A header-signed request of a key without a token, carrying one in its query.
    let stray = sign(with_token_param("ANY"), &creds(), "us-east-1", "iam", NOW);
    let err = Verifier::new(plain_store)
        .verify(&stray.view(), b"", now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidToken, "{err}");

    // The twins: the same requests without the query token.
    let header_only = sign(iam_get(), &token_creds, "us-east-1", "iam", NOW);
    Verifier::new(token_store)
        .verify(&header_only.view(), b"", now)
        .expect("the token in its header");
    let none = sign(iam_get(), &creds(), "us-east-1", "iam", NOW);
    Verifier::new(plain_store)
        .verify(&none.view(), b"", now)
        .expect("no token at all");
}

#[test]
fn long_signed_header_lists_follow_the_same_rules() {
    // Past the names the verifier holds inline: the list is searched sorted instead.
    let verifier = Verifier::new(plain_store);
    let now = time(NOW);
    let mut req = iam_get();
    for i in (0..40).rev() {
        req = req.add_header(&format!("X-Custom-{i:02}"), if i == 7 { "" } else { "v" });
    }
    let signed = sign(req, &creds(), "us-east-1", "iam", NOW);
    let verified = verifier.verify(&signed.view(), b"", now).expect("twin");
    assert_eq!(verified.signed_headers().len(), 42);

    // Listed, signed empty and not sent: an empty value, as with a short list.
    let dropped = signed.clone().remove_header("X-Custom-07");
    verifier
        .verify(&dropped.view(), b"", now)
        .expect("a listed header not sent is an empty value");
    let err = verifier
        .verify(
            &signed.clone().remove_header("X-Custom-08").view(),
            b"",
            now,
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);

    // An x-amz-* header the long list does not name is refused.
    let err = verifier
        .verify(&signed.add_header("X-Amz-Extra", "1").view(), b"", now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied, "{err}");
}

/// The 2011 edition of AWS's test suite (`get-vanilla`), still what several signers write: no
/// `X-Amz-Date`, the time in a signed `Date` header, in HTTP's form.
const DATE_SIGNED_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, \
    Signature=b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470";

#[test]
fn without_x_amz_date_a_signed_date_header_gives_the_time() {
    // The suite's key (AKID, SECRET) for the suite's service, `host`.
    let verifier = Verifier::new(plain_store);
    let now = time("20110909T233600Z");
    let request = |date: &'static str, authorization: String| {
        Received::new("GET", "/", &[("Host", "host.foo.com")], b"")
            .add_header("Date", date)
            .add_header("Authorization", &authorization)
    };
    let date = "Mon, 09 Sep 2011 23:36:00 GMT";
    let vector = || DATE_SIGNED_AUTHORIZATION.to_owned();

    let verified = verifier
        .verify(&request(date, vector()).view(), b"", now)
        .expect("AWS's own vector verifies");
    assert_eq!(verified.time().amz_date(), "20110909T233600Z");
    assert_eq!(verified.signed_headers(), ["date", "host"]);
    assert!(
        verified
            .string_to_sign()
            .starts_with("AWS4-HMAC-SHA256\n20110909T233600Z\n")
    );

    // A second later: the canonical request changes, and so the signature.
    let later = request("Mon, 09 Sep 2011 23:36:01 GMT", vector());
    let err = verifier.verify(&later.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);

    // The time must be signed: the same request listing only `host` is refused before any
    // signature is computed.
    let host_only = request(date, vector().replace("date;host", "host"));
    let err = verifier.verify(&host_only.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert_eq!(err.detail("HeadersNotSigned"), Some("date"));

    // Repeated, unreadable, or of another day than the scope.
    let twice = request(date, vector()).add_header("Date", date);
    let err = verifier.verify(&twice.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let unreadable = request("yesterday", vector());
    let err = verifier.verify(&unreadable.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert!(err.message().contains("'yesterday'"), "{}", err.message());
    let next_day = request("Sat, 10 Sep 2011 00:00:00 GMT", vector());
    let err = verifier.verify(&next_day.view(), b"", now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed);

    // The clock still applies.
    let err = verifier
        .verify(
            &request(date, vector()).view(),
            b"",
            time("20110910T233600Z"),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RequestTimeTooSkewed);

    // With X-Amz-Date present it is the time, and `Date` plays no part (here, unsigned).
    let signed = sign(iam_get(), &creds(), "us-east-1", "iam", NOW)
        .add_header("Date", "Thu, 01 Jan 1970 00:00:00 GMT");
    verifier
        .verify(&signed.view(), b"", time(NOW))
        .expect("X-Amz-Date rules; an unsigned Date is ignored");
}

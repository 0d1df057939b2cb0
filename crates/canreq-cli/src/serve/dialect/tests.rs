//! Each row of the dialect table, and the messages AWS writes.
use super::*;
use canreq::verify::AuthError;

fn verifier(code: ErrorCode, details: &[(&'static str, &str)]) -> Refusal {
    let mut e = AuthError::new(code, "the verifier's words");
    for &(n, v) in details {
        e = e.with_detail(n, v);
    }
    Refusal::Verifier(e)
}

/// (status, code) in each dialect: S3, Query, JSON, REST-JSON.
fn all(refusal: &Refusal) -> [(u16, &'static str); 4] {
    [
        Dialect::S3,
        Dialect::Query,
        Dialect::Json,
        Dialect::RestJson,
    ]
    .map(|d| {
        let s = speak(refusal, d, Some("us-west-2"));
        (s.status, s.code)
    })
}

#[test]
fn each_row_of_the_table_in_each_dialect() {
    let skew = [
        ("RequestTime", "20240101T000000Z"),
        ("ServerTime", "20240101T002000Z"),
        ("MaxAllowedSkewMilliseconds", "900000"),
    ];
    let rows: [(Refusal, [(u16, &str); 4]); 9] = [
        (
            verifier(ErrorCode::MissingAuthenticationToken, &[]),
            [
                (403, "AccessDenied"),
                (403, "MissingAuthenticationToken"),
                (400, "MissingAuthenticationTokenException"),
                (403, "MissingAuthenticationTokenException"),
            ],
        ),
        (
            verifier(ErrorCode::InvalidAccessKeyId, &[("AWSAccessKeyId", "AKID")]),
            [
                (403, "InvalidAccessKeyId"),
                (403, "InvalidClientTokenId"),
                (400, "UnrecognizedClientException"),
                (403, "UnrecognizedClientException"),
            ],
        ),
        (
            verifier(ErrorCode::SignatureDoesNotMatch, &[]),
            [
                (403, "SignatureDoesNotMatch"),
                (403, "SignatureDoesNotMatch"),
                (400, "InvalidSignatureException"),
                (403, "InvalidSignatureException"),
            ],
        ),
        (
            verifier(ErrorCode::RequestTimeTooSkewed, &skew),
            [
                (403, "RequestTimeTooSkewed"),
                (403, "SignatureDoesNotMatch"),
                (400, "InvalidSignatureException"),
                (403, "InvalidSignatureException"),
            ],
        ),
        (
            verifier(ErrorCode::InvalidToken, &[]),
            [
                (400, "InvalidToken"),
                (403, "InvalidClientTokenId"),
                (400, "UnrecognizedClientException"),
                (403, "UnrecognizedClientException"),
            ],
        ),
        (
            verifier(
                ErrorCode::AuthorizationHeaderMalformed,
                &[("Region", "eu-west-1")],
            ),
            [
                (400, "AuthorizationHeaderMalformed"),
                (403, "SignatureDoesNotMatch"),
                (400, "InvalidSignatureException"),
                (403, "InvalidSignatureException"),
            ],
        ),
        (
            verifier(
                ErrorCode::AccessDenied,
                &[("X-Amz-Expires", "60"), ("ServerTime", "20240101T000000Z")],
            ),
            [
                (403, "AccessDenied"),
                (403, "SignatureDoesNotMatch"),
                (400, "InvalidSignatureException"),
                (403, "InvalidSignatureException"),
            ],
        ),
        (
            verifier(ErrorCode::AuthorizationHeaderMalformed, &[]),
            [
                (400, "AuthorizationHeaderMalformed"),
                (400, "IncompleteSignature"),
                (400, "IncompleteSignatureException"),
                (403, "IncompleteSignatureException"),
            ],
        ),
        (
            verifier(ErrorCode::IncompleteBody, &[]),
            [(400, "IncompleteBody"); 4],
        ),
    ];
    for (refusal, want) in rows {
        assert_eq!(all(&refusal), want, "{refusal:?}");
    }
}

#[test]
fn the_skew_answer_says_which_way_and_by_how_much() {
    let past = verifier(
        ErrorCode::RequestTimeTooSkewed,
        &[
            ("RequestTime", "20240101T000000Z"),
            ("ServerTime", "20240101T002000Z"),
            ("MaxAllowedSkewMilliseconds", "900000"),
        ],
    );
    assert_eq!(
        speak(&past, Dialect::Query, None).message,
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z \
         (20240101T002000Z - 15 min.)"
    );
    let future = verifier(
        ErrorCode::RequestTimeTooSkewed,
        &[
            ("RequestTime", "20240101T004000Z"),
            ("ServerTime", "20240101T002000Z"),
            ("MaxAllowedSkewMilliseconds", "300000"),
        ],
    );
    assert_eq!(
        speak(&future, Dialect::Json, None).message,
        "Signature not yet current: 20240101T004000Z is still later than 20240101T002500Z \
         (20240101T002000Z + 5 min.)"
    );
    // S3 keeps its own words, and the times as elements, the server's as S3 writes it.
    let s3 = speak(&past, Dialect::S3, None);
    assert_eq!(s3.message, "the verifier's words");
    assert_eq!(
        s3.details[..2],
        [
            ("RequestTime", "20240101T000000Z".to_owned()),
            ("ServerTime", "2024-01-01T00:20:00Z".to_owned())
        ]
    );
    // The others carry the times in the message only.
    assert!(speak(&past, Dialect::Query, None).details.is_empty());
}

#[test]
fn the_region_answer_names_the_region_claimed() {
    let r = verifier(
        ErrorCode::AuthorizationQueryParametersError,
        &[("Region", "eu-west-1")],
    );
    assert_eq!(
        speak(&r, Dialect::Query, Some("us-west-2")).message,
        "Credential should be scoped to a valid region, not 'us-west-2'."
    );
    assert_eq!(
        speak(&r, Dialect::Json, None).message,
        "Credential should be scoped to a valid region."
    );
}

#[test]
fn the_dialect_follows_the_shape_then_the_service() {
    let json = Protocol::Json("application/x-amz-json-1.1".into());
    assert_eq!(Dialect::of(&json, Some("s3")), Dialect::Json);
    assert_eq!(Dialect::of(&Protocol::Cbor, None), Dialect::Json);
    assert_eq!(
        Dialect::of(&Protocol::Query, Some("dynamodb")),
        Dialect::Query
    );
    assert_eq!(Dialect::of(&Protocol::Rest, None), Dialect::S3);
    assert_eq!(Dialect::of(&Protocol::Rest, Some("s3express")), Dialect::S3);
    assert_eq!(Dialect::of(&Protocol::Rest, Some("sts")), Dialect::Query);
    assert_eq!(
        Dialect::of(&Protocol::Rest, Some("route53")),
        Dialect::Query
    );
    assert_eq!(
        Dialect::of(&Protocol::Rest, Some("lambda")),
        Dialect::RestJson
    );
}

#[test]
fn the_servers_own_refusals_keep_s3s_words_but_for_the_http_ones() {
    let r = Refusal::Server(ServerRefusal::too_large(10));
    assert_eq!(all(&r), [(400, "EntityTooLarge"); 4]);
    let r = Refusal::Server(ServerRefusal::malformed_http("obs-fold"));
    assert_eq!(
        all(&r),
        [
            (400, "InvalidRequest"),
            (400, "MalformedHttpRequestException"),
            (400, "MalformedHttpRequestException"),
            (400, "MalformedHttpRequestException"),
        ]
    );
}

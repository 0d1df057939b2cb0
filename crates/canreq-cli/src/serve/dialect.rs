//! The error vocabulary of each AWS service family: what status, code and message a refusal
//! becomes for the client that sent it. The verifier refuses in S3's words
//! (`canreq::verify::ErrorCode`); an STS or DynamoDB client acts on its own service's words
//! (SDKs correct their clock on a skew code, refresh credentials on a token code), so the words
//! are chosen here, from the request's shape and the service its credential names. This is
//! presentation, beside `render` (which writes the document): a verifying proxy answers the
//! same way.
//!
//! | refusal | S3 | Query (IAM, STS, SNS…) | JSON (DynamoDB, SSM, KMS…) |
//! |---|---|---|---|
//! | no authentication | 403 AccessDenied | 403 MissingAuthenticationToken | 400 MissingAuthenticationTokenException |
//! | unknown access key | 403 InvalidAccessKeyId | 403 InvalidClientTokenId | 400 UnrecognizedClientException |
//! | wrong signature | 403 SignatureDoesNotMatch | 403 SignatureDoesNotMatch | 400 InvalidSignatureException |
//! | clock skew | 403 RequestTimeTooSkewed | 403 SignatureDoesNotMatch, "Signature expired: …" | 400 InvalidSignatureException, "Signature expired: …" |
//! | wrong session token | 400 InvalidToken | 403 InvalidClientTokenId | 400 UnrecognizedClientException |
//! | region not served | 400 AuthorizationHeaderMalformed | 403 SignatureDoesNotMatch, "Credential should be scoped to a valid region, not '…'." | 400 InvalidSignatureException, same message |
//! | expired presigned URL | 403 AccessDenied, "Request has expired" | 403 SignatureDoesNotMatch, "Signature expired: …" | 400 InvalidSignatureException, same message |
//!
//! Sources, where they settle a row:
//! - Query codes and statuses: the Common Errors page of the Query services' API references
//!   (IAM, CloudSearch, RDS: MissingAuthenticationToken 403, InvalidClientTokenId 403,
//!   IncompleteSignature 400). The skew answer is not the `RequestExpired` that page lists
//!   (EC2's): STS and IAM answer `SignatureDoesNotMatch` "Signature expired: 20220127T001427Z
//!   is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)" (aws/aws-cli#6676,
//!   devsecops/bootcamp#101), and "Signature not yet current: … is still later than … (… +
//!   15 min.)" for a clock ahead (QT-DevOps/DevOpsIssues#989); both codes are in the AWS SDK for
//!   JavaScript's `CLOCK_SKEW_ERROR_CODES` (@smithy/service-error-classification), with
//!   `RequestTimeTooSkewed` and `InvalidSignatureException`. botocore has no clock-skew list:
//!   it neither retries nor corrects its clock on any of them.
//! - A presigned Query request that has expired: STS keeps presigned requests for the skew
//!   window whatever X-Amz-Expires says (aws/aws-sdk-go#2167), so its expiry is the skew
//!   answer; the table's "403 (query dialect)" is that answer.
//! - JSON codes: DynamoDB's "Error handling" page (400 MissingAuthenticationTokenException,
//!   400 UnrecognizedClientException "The security token included in the request is invalid"
//!   as in boto/boto3#509); 400 InvalidSignatureException for a wrong signature and for
//!   "Credential should be scoped to a valid region, not '…'." (aws/aws-sdk-ruby#508,
//!   aws/aws-sdk-js-v3#5576). The table's "—" for presigned JSON requests: no JSON SDK presigns,
//!   but `serve` takes them, and answers them as the skew row.
//! - REST-JSON services (Lambda, API Gateway, …) speak the JSON codes with 403 (the
//!   `$metadata.httpStatusCode` of aws/aws-sdk-js-v3#5576).
//! - Expired session tokens (ExpiredToken, ExpiredTokenException): the verifier's key store has
//!   no expiry, so no refusal says a token expired; a wrong token is the unknown-key row, as AWS
//!   answers it (InvalidClientTokenId, UnrecognizedClientException).
//!
//! SigV4a (a credential without a region, the regions in `X-Amz-Region-Set`): the region row's
//! message names the region set as sent, where SigV4's names the credential's region; the
//! `Region` detail is the region the endpoint expects either way (S3's
//! `AuthorizationHeaderMalformed` carries it so). AWS documents no words of its own for a region
//! set that names none of an endpoint's regions.
//!
//! Refusals outside the table keep S3's code and status (the aws-chunked and body-hash codes,
//! InvalidArgument, InvalidRequest, NotImplemented, the server's own limits), except the malformed
//! signature (IncompleteSignature), access denied and an unparsable request head, which every
//! family has words for.

use std::borrow::Cow;

use canreq::verify::ErrorCode;

use super::refusal::{Refusal, ServerRefusal};
use super::reply::Protocol;

/// The words a refusal is said in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// S3 (and S3 Control): the verifier's own words.
    S3,
    /// The Query protocol's services (IAM, STS, SNS, SQS's query API, EC2…), and the REST-XML
    /// services that are not S3 (Route 53, CloudFront).
    Query,
    /// The JSON and CBOR RPC protocols (DynamoDB, SSM, KMS, CloudWatch…): `__type` codes, 400.
    Json,
    /// REST-JSON services (Lambda, API Gateway…): the JSON codes, with 403.
    RestJson,
}

impl Dialect {
    /// The dialect of a request: its shape when it has one (`X-Amz-Target` or a JSON content
    /// type is JSON, `Action=` is Query), else the service its credential names; a REST request
    /// that names none is taken for S3.
    pub fn of(protocol: &Protocol, service: Option<&str>) -> Dialect {
        match protocol {
            Protocol::Json(_) | Protocol::Cbor => Dialect::Json,
            Protocol::Query => Dialect::Query,
            Protocol::Rest => match service {
                None => Dialect::S3,
                Some(s) if canreq::is_s3_family(s) || s == "s3control" => Dialect::S3,
                Some(s) if QUERY_SERVICES.contains(&s) => Dialect::Query,
                Some(_) => Dialect::RestJson,
            },
        }
    }
}

/// Signing names of the services that answer in the Query protocol's XML even when a request
/// is not a form (a presigned GET, a plain REST call), with Route 53 and CloudFront (REST-XML
/// services whose errors are the Query protocol's `ErrorResponse`).
const QUERY_SERVICES: &[&str] = &[
    "iam",
    "sts",
    "sns",
    "sqs",
    "ec2",
    "rds",
    "cloudformation",
    "elasticache",
    "autoscaling",
    "elasticloadbalancing",
    "redshift",
    "ses",
    "route53",
    "cloudfront",
];

/// What the client reads: a refusal in one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoken<'a> {
    pub status: u16,
    pub code: &'static str,
    pub message: Cow<'a, str>,
    pub details: Cow<'a, [(&'static str, String)]>,
}

impl<'a> From<&'a Refusal> for Spoken<'a> {
    /// The refusal in the verifier's words (S3's), untranslated.
    fn from(refusal: &'a Refusal) -> Self {
        Spoken {
            status: refusal.status(),
            code: refusal.code(),
            message: Cow::Borrowed(refusal.message()),
            details: Cow::Borrowed(refusal.details()),
        }
    }
}

/// The rows of the table: what a refusal means, whatever its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    NoAuthentication,
    UnknownKey,
    WrongToken,
    WrongSignature,
    ClockSkew,
    RegionNotServed,
    PresignExpired,
    PresignNotYetValid,
    MalformedSignature,
    Denied,
    MalformedHttp,
    HeadTooLarge,
    /// No other words than S3's.
    Unmapped,
}

fn row(refusal: &Refusal) -> Row {
    let e = match refusal {
        Refusal::Verifier(e) => e,
        Refusal::Server(s) if s.code() == ServerRefusal::MALFORMED_HTTP => {
            return Row::MalformedHttp;
        }
        Refusal::Server(s) if s.code() == ServerRefusal::HEAD_TOO_LARGE => {
            return Row::HeadTooLarge;
        }
        Refusal::Server(_) => return Row::Unmapped,
    };
    match e.code() {
        ErrorCode::MissingAuthenticationToken => Row::NoAuthentication,
        ErrorCode::InvalidAccessKeyId => Row::UnknownKey,
        ErrorCode::InvalidToken => Row::WrongToken,
        // For these services the body's hash is part of what was signed.
        ErrorCode::SignatureDoesNotMatch | ErrorCode::XAmzContentSHA256Mismatch => {
            Row::WrongSignature
        }
        ErrorCode::RequestTimeTooSkewed => Row::ClockSkew,
        // Only the region check names the region expected.
        ErrorCode::AuthorizationHeaderMalformed | ErrorCode::AuthorizationQueryParametersError
            if e.detail("Region").is_some() =>
        {
            Row::RegionNotServed
        }
        ErrorCode::AuthorizationHeaderMalformed
        | ErrorCode::AuthorizationQueryParametersError
        | ErrorCode::IncompleteSignature => Row::MalformedSignature,
        // The presign checks name the lifetime (expired) or the signing time (not yet valid).
        ErrorCode::AccessDenied if e.detail("X-Amz-Expires").is_some() => Row::PresignExpired,
        ErrorCode::AccessDenied if e.detail("X-Amz-Date").is_some() => Row::PresignNotYetValid,
        ErrorCode::AccessDenied => Row::Denied,
        _ => Row::Unmapped,
    }
}

/// `refusal` in `dialect`; `claimed_region` is the region the request's credential names (or a
/// SigV4a request's region set), for the region row's message.
pub fn speak<'a>(
    refusal: &'a Refusal,
    dialect: Dialect,
    claimed_region: Option<&str>,
) -> Spoken<'a> {
    let plain = Spoken::from(refusal);
    let row = row(refusal);
    if dialect == Dialect::S3 {
        return match row {
            // S3 takes an unsigned request for an anonymous one, and anonymous access is denied.
            Row::NoAuthentication => Spoken {
                status: 403,
                code: "AccessDenied",
                message: Cow::Borrowed("Access Denied"),
                ..plain
            },
            Row::ClockSkew | Row::PresignExpired | Row::PresignNotYetValid => Spoken {
                details: Cow::Owned(s3_times(&plain.details)),
                ..plain
            },
            _ => plain,
        };
    }
    // The JSON RPC protocols answer a client error with 400, REST services with the status's
    // meaning (403), the Query protocol with 403 for authentication and 400 for syntax.
    let json = dialect != Dialect::Query;
    let auth_status = if dialect == Dialect::Json { 400 } else { 403 };
    let syntax_status = 400;
    let words = |query: &'static str, json_code: &'static str| if json { json_code } else { query };
    let (status, code, message): (u16, &'static str, Cow<'a, str>) = match row {
        Row::NoAuthentication => (
            auth_status,
            words(
                "MissingAuthenticationToken",
                "MissingAuthenticationTokenException",
            ),
            plain.message,
        ),
        Row::UnknownKey | Row::WrongToken => (
            auth_status,
            words("InvalidClientTokenId", "UnrecognizedClientException"),
            Cow::Borrowed("The security token included in the request is invalid."),
        ),
        Row::WrongSignature => (
            auth_status,
            words("SignatureDoesNotMatch", "InvalidSignatureException"),
            plain.message,
        ),
        Row::ClockSkew | Row::PresignExpired | Row::PresignNotYetValid | Row::RegionNotServed => {
            let message = match row {
                Row::RegionNotServed => Some(region_message(claimed_region)),
                Row::ClockSkew => skew_message(refusal),
                Row::PresignExpired => presign_expired_message(refusal),
                _ => presign_not_yet_message(refusal),
            };
            (
                auth_status,
                words("SignatureDoesNotMatch", "InvalidSignatureException"),
                message.map_or(plain.message, Cow::Owned),
            )
        }
        Row::MalformedSignature => (
            if dialect == Dialect::RestJson {
                403
            } else {
                syntax_status
            },
            words("IncompleteSignature", "IncompleteSignatureException"),
            plain.message,
        ),
        Row::Denied => (
            auth_status,
            words("AccessDenied", "AccessDeniedException"),
            plain.message,
        ),
        Row::MalformedHttp | Row::HeadTooLarge => (
            syntax_status,
            // The Common Errors of the newer services: "problems with the request at the HTTP
            // level".
            "MalformedHttpRequestException",
            plain.message,
        ),
        Row::Unmapped => return plain,
    };
    // The skew answers carry their times in the message, as AWS's do; a `ServerTime` field
    // would be read by the AWS SDK for JavaScript, and in the basic format it cannot parse
    // (see `s3_times`) it would keep the SDK from correcting its clock by `Date`.
    let details = match row {
        Row::ClockSkew | Row::PresignExpired | Row::PresignNotYetValid => Cow::Borrowed(&[][..]),
        _ => plain.details,
    };
    Spoken {
        status,
        code,
        message,
        details,
    }
}

/// The details with `ServerTime` written as S3 writes it, `2024-01-01T00:20:00Z` (ISO 8601's
/// extended format; `RequestTime` keeps the request's basic format). The AWS SDK for
/// JavaScript sets its clock from an error's `ServerTime` when there is one, with `Date.parse`,
/// which reads only the extended format (@aws-sdk/core, `getUpdatedSystemClockOffset`).
fn s3_times(details: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    details
        .iter()
        .map(|(name, value)| {
            let value = match amz_time(value) {
                Some(time) if *name == "ServerTime" => {
                    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
                }
                _ => value.clone(),
            };
            (*name, value)
        })
        .collect()
}

/// AWS's words for a credential scoped to a region this endpoint does not serve.
fn region_message(claimed: Option<&str>) -> String {
    match claimed {
        Some(region) => format!("Credential should be scoped to a valid region, not '{region}'."),
        None => "Credential should be scoped to a valid region.".to_owned(),
    }
}

fn detail<'r>(refusal: &'r Refusal, name: &str) -> Option<&'r str> {
    refusal
        .details()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn amz_time(text: &str) -> Option<jiff::civil::DateTime> {
    jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", text).ok()
}

fn amz_text(time: jiff::civil::DateTime) -> String {
    time.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A span as AWS writes it in these messages: `15 min.`, or seconds when not whole minutes.
fn span_text(seconds: i64) -> String {
    if seconds % 60 == 0 {
        format!("{} min.", seconds / 60)
    } else {
        format!("{seconds} sec.")
    }
}

/// "Signature expired: T is now earlier than NOW-SKEW (NOW - 15 min.)" for a request from the
/// past, "Signature not yet current: T is still later than NOW+SKEW (NOW + 15 min.)" for one
/// from the future: STS's and DynamoDB's words.
fn skew_message(refusal: &Refusal) -> Option<String> {
    let request_text = detail(refusal, "RequestTime")?;
    let server_text = detail(refusal, "ServerTime")?;
    let request = amz_time(request_text)?;
    let server = amz_time(server_text)?;
    let skew_ms: i64 = detail(refusal, "MaxAllowedSkewMilliseconds")?
        .parse()
        .ok()?;
    let skew = jiff::SignedDuration::from_millis(skew_ms);
    let span = span_text(skew_ms / 1000);
    Some(if request < server {
        let bound = amz_text(server.checked_sub(skew).ok()?);
        format!(
            "Signature expired: {request_text} is now earlier than {bound} ({server_text} - {span})"
        )
    } else {
        let bound = amz_text(server.checked_add(skew).ok()?);
        format!(
            "Signature not yet current: {request_text} is still later than {bound} ({server_text} + {span})"
        )
    })
}

/// The expiry of a presigned request in the skew answer's words: its signing time is earlier
/// than now less its lifetime.
fn presign_expired_message(refusal: &Refusal) -> Option<String> {
    let server_text = detail(refusal, "ServerTime")?;
    let server = amz_time(server_text)?;
    let lifetime: i64 = detail(refusal, "X-Amz-Expires")?.parse().ok()?;
    let bound = amz_text(
        server
            .checked_sub(jiff::SignedDuration::from_secs(lifetime))
            .ok()?,
    );
    Some(format!(
        "Signature expired: X-Amz-Date is now earlier than {bound} ({server_text} - {})",
        span_text(lifetime)
    ))
}

fn presign_not_yet_message(refusal: &Refusal) -> Option<String> {
    let signed = detail(refusal, "X-Amz-Date")?;
    let server = detail(refusal, "ServerTime")?;
    Some(format!(
        "Signature not yet current: {signed} is still later than {server}"
    ))
}

#[cfg(test)]
mod tests;

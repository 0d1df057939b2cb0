//! Checks of the claim that need no verifier settings: the request time, the unsigned-header
//! and signed-list refusals, and the session token.

use crate::canonical::trim_blanks;
use crate::credentials::Credentials;
use crate::crypto::constant_time_eq;
use crate::refusal::{AuthError, ErrorCode};
use crate::request::Request;
use crate::time::SigningTime;
use crate::verify::claim::{AuthLocation, Claim, KnownHeaders};

/// The request's time: `X-Amz-Date` (header or parameter), strictly `YYYYMMDDTHHMMSSZ`; for a
/// header claim without it, the `Date` header, which must then be signed.
#[inline]
pub(super) fn parse_time(claim: &Claim<'_>) -> Result<SigningTime, AuthError> {
    // Inline, with every other case out of line: the time comes back in registers, where a
    // call's result came back through memory and stalled the load that read it.
    match claim.amz_date.as_deref().and_then(amz_date_form) {
        Some(time) => Ok(time),
        None => parse_time_otherwise(claim),
    }
}

/// [`parse_time`] without a well-formed `X-Amz-Date`: the `Date` header, or the error.
#[cold]
fn parse_time_otherwise(claim: &Claim<'_>) -> Result<SigningTime, AuthError> {
    let raw = match (claim.amz_date.as_deref(), claim.date_header) {
        (Some(raw), _) => raw,
        (None, Some(date)) => return parse_date_header(claim, date),
        (None, None) => {
            return Err(AuthError::new(
                ErrorCode::AccessDenied,
                "AWS authentication requires a valid Date or X-Amz-Date header.",
            ));
        }
    };
    let code = match claim.location {
        AuthLocation::Header => ErrorCode::AccessDenied,
        AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
    };
    Err(AuthError::new(
        code,
        format!(
            "X-Amz-Date '{}' is not of the form YYYYMMDDTHHMMSSZ.",
            crate::error::shown(raw)
        ),
    ))
}

/// The `Date` header as the request's time (older signers, e.g. the 2011 edition of AWS's test
/// suite, send no `X-Amz-Date`). It must be signed, or the time could be changed at will; it is
/// read as HTTP writes it (`Fri, 09 Sep 2011 23:36:00 GMT`, the weekday not checked) or in the
/// `X-Amz-Date` form.
fn parse_date_header(claim: &Claim<'_>, date: &str) -> Result<SigningTime, AuthError> {
    if !claim.signs("date") {
        return Err(AuthError::new(
            ErrorCode::AccessDenied,
            "There were headers present in the request which were not signed: date (the \
             request's time, as it has no X-Amz-Date)",
        )
        .with_detail("HeadersNotSigned", "date"));
    }
    let time = amz_date_form(date).or_else(|| SigningTime::parse_http_date(date).ok());
    time.ok_or_else(|| {
        AuthError::new(
            ErrorCode::AccessDenied,
            format!(
                "AWS authentication requires a valid Date or X-Amz-Date header: Date '{}' is \
                 not an HTTP date (Fri, 09 Sep 2011 23:36:00 GMT).",
                crate::error::shown(date)
            ),
        )
    })
}

/// `text` in the `X-Amz-Date` form, strictly `YYYYMMDDTHHMMSSZ` (`SigningTime::parse` also
/// reads RFC 3339, which a request's time may not be).
#[inline]
fn amz_date_form(text: &str) -> Option<SigningTime> {
    let shaped = text.len() == 16 && text.as_bytes()[8] == b'T' && text.ends_with('Z');
    shaped.then(|| SigningTime::parse(text).ok()).flatten()
}

/// The error for a request where `host` or an `x-amz-*` header present is not signed, naming
/// each of them.
pub(super) fn unsigned_headers_error(claim: &Claim<'_>, request: &Request<'_>) -> AuthError {
    // Sorted and deduplicated once: a request may carry thousands of unsigned names, and this
    // runs before any key lookup (a search of the list for each name was quadratic).
    let mut unsigned: Vec<String> = request
        .headers()
        .iter()
        .filter(|&&(name, _)| {
            let amz = name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
            amz && !claim.signs(name)
        })
        // Lowercased only when reported: the check itself runs for every header of every request.
        .map(|&(name, _)| name.to_ascii_lowercase())
        .collect();
    unsigned.sort_unstable();
    unsigned.dedup();
    if !claim.signs_host() {
        unsigned.insert(0, "host".into());
    }
    // The message shows the start of the list, escaped (the names are not checked yet); the
    // detail lists them all, as AWS's does, escaped when the answer is rendered.
    let unsigned = unsigned.join(", ");
    AuthError::new(
        ErrorCode::AccessDenied,
        format!(
            "There were headers present in the request which were not signed: {}",
            crate::error::shown(&unsigned)
        ),
    )
    .with_detail("HeadersNotSigned", unsigned)
}

/// The error for a `SignedHeaders` list that is not the canonical list of the names it holds
/// (lowercase, sorted, each once).
pub(super) fn signed_list_error(claim: &Claim<'_>, canonical: &str) -> AuthError {
    AuthError::new(
        claim.malformed(),
        format!(
            "SignedHeaders '{}' must list the signed header names lowercase, sorted and each once: '{}'.",
            crate::error::shown(&claim.signed_headers),
            crate::error::shown(canonical)
        ),
    )
}

/// The request's session token must be the stored one, and present exactly when one is stored.
pub(super) fn check_token(
    claim: &Claim,
    known: &KnownHeaders<'_>,
    credentials: &Credentials,
) -> Result<(), AuthError> {
    // A header value is read as a server reads it, without the blanks around it.
    let header_token = known.security_token.first.map(trim_blanks);
    if known.security_token.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Security-Token is allowed.",
        ));
    }
    // Wherever it is sent, a token is checked; sent twice, one copy would go unchecked.
    let sent = match (header_token, claim.query_token.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AuthError::new(
                ErrorCode::InvalidArgument,
                "Only one X-Amz-Security-Token is allowed: it was sent both as a header and as a query parameter.",
            ));
        }
        (header, query) => header.or(query),
    };
    let stored = credentials.session_token().map(|t| t.expose());
    let ok = match (sent, stored) {
        (None, None) => true,
        (Some(sent), Some(stored)) => constant_time_eq(sent.as_bytes(), stored.as_bytes()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError::new(
            ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ))
    }
}

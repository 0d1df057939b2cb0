//! The presign form of a claim: `X-Amz-*` query parameters.

use std::borrow::Cow;

use super::credential::{check_signed_headers, parse_credential};
use super::{AuthLocation, Claim, check_algorithm};
use crate::encode;
use crate::refusal::{AuthError, ErrorCode};
use crate::text::{find_byte, split_ascii, split_once_ascii};

/// The claim's parameters, in the order their errors are reported; `Token` and SigV4a's
/// `Region-Set` last, and not required of every claim.
const NAMES: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Region-Set",
];

/// The presign parameters found in a query, as sent (in the order of [`NAMES`]): each value is
/// percent-decoded only when the claim is built from it, so that finding them costs a scan and
/// no copy.
#[derive(Default)]
pub(super) struct QueryAuth<'r> {
    values: [Option<&'r str>; 8],
}

impl<'r> QueryAuth<'r> {
    /// `None` when the query carries no `X-Amz-*` parameter of a claim at all.
    pub(super) fn read(query: &'r str) -> Result<Option<QueryAuth<'r>>, AuthError> {
        // Most requests carry their signature in a header: a query without a presign
        // parameter (even a percent-encoded key could be one) is passed over at once.
        let bytes = query.as_bytes();
        if find_byte(bytes, b'%').is_none() && !holds_x_amz(bytes) {
            return Ok(None);
        }
        let mut found = QueryAuth::default();
        let mut any = false;
        for pair in split_ascii(query, b'&').filter(|p| !p.is_empty()) {
            let (key, value) = split_once_ascii(pair, b'=').unwrap_or((pair, ""));
            // Most parameters are not ours: skip them before decoding and matching.
            if !key.starts_with("X-Amz-") && find_byte(key.as_bytes(), b'%').is_none() {
                continue;
            }
            let Ok(key) = encode::percent_decode(key) else {
                continue;
            };
            let Some(i) = NAMES.iter().position(|name| name.as_bytes() == &*key) else {
                continue;
            };
            any = true;
            if found.values[i].replace(value).is_some() {
                return Err(AuthError::new(
                    ErrorCode::AuthorizationQueryParametersError,
                    format!("The query parameter {} appears more than once.", NAMES[i]),
                ));
            }
        }
        Ok(any.then_some(found))
    }

    /// Whether these parameters presign the request: an algorithm, a credential or a
    /// signature. A token alone is not presigning: it is the session token of a request signed
    /// in its `Authorization` header.
    pub(super) fn is_presign(&self) -> bool {
        self.values[..3].iter().any(Option::is_some)
    }

    /// Every value, percent-decoded: a malformed escape is reported before anything else (a
    /// URL truncated inside an escape has lost what followed it), and for a request signed in
    /// its header too, as it would be in a presigned URL, not left to the canonical query.
    fn decode(&self) -> Result<[Option<Cow<'r, str>>; 8], AuthError> {
        let mut decoded: [Option<Cow<'r, str>>; 8] = Default::default();
        for ((slot, name), value) in decoded.iter_mut().zip(NAMES).zip(self.values) {
            *slot = decode_param(name, value)?;
        }
        Ok(decoded)
    }

    /// The `X-Amz-Security-Token` parameter of a request signed in its header, decoded.
    pub(super) fn into_token(self) -> Result<Option<Cow<'r, str>>, AuthError> {
        let [.., token, _] = self.decode()?;
        Ok(token)
    }

    pub(super) fn into_claim(self) -> Result<Claim<'r>, AuthError> {
        let [
            algorithm,
            credential,
            signature,
            date,
            signed_headers,
            expires,
            token,
            region_set,
        ] = self.decode()?;
        let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers)) =
            (algorithm, credential, signature, signed_headers)
        else {
            return Err(self.missing());
        };
        if date.is_none() || expires.is_none() {
            return Err(self.missing());
        }
        let algorithm = check_algorithm(&algorithm, AuthLocation::Query)?;
        let credential =
            parse_credential(credential, AuthLocation::Query, algorithm.uses_region_set())?;
        let names = check_signed_headers(&signed_headers, AuthLocation::Query)?;
        Ok(Claim {
            algorithm,
            location: AuthLocation::Query,
            credential,
            signed_headers,
            signature,
            amz_date: date,
            date_header: None,
            expires,
            query_token: token,
            region_set,
            names,
        })
    }

    /// The error for a presigned URL without every required parameter, naming those missing.
    #[cold]
    fn missing(&self) -> AuthError {
        let missing: Vec<&str> = NAMES[..6]
            .iter()
            .zip(self.values)
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| *name)
            .collect();
        AuthError::new(
            ErrorCode::AuthorizationQueryParametersError,
            format!(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
                 X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing {}.",
                missing.join(", ")
            ),
        )
    }
}

/// Whether `query` holds `X-Amz-` anywhere: looked for at each `X` found a word at a time, where
/// a compare at every position cost more than the rest of reading a claim.
fn holds_x_amz(query: &[u8]) -> bool {
    let mut rest = query;
    while let Some(at) = find_byte(rest, b'X') {
        if rest[at..].starts_with(b"X-Amz-") {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

/// The value of parameter `name` as sent, percent-decoded; an error if an escape is malformed
/// or the result is not UTF-8.
fn decode_param<'r>(name: &str, value: Option<&'r str>) -> Result<Option<Cow<'r, str>>, AuthError> {
    let Some(value) = value else {
        return Ok(None);
    };
    decode_value(value).map(Some).ok_or_else(|| {
        // A session token is a credential: its parameter is named, its value not shown.
        let shown = match name {
            "X-Amz-Security-Token" => name.into(),
            _ => format!("{name}={}", crate::error::shown(value)),
        };
        AuthError::new(
            ErrorCode::AuthorizationQueryParametersError,
            format!("The query parameter '{shown}' is not validly encoded."),
        )
    })
}

/// A parameter value, percent-decoded; `None` if an escape is malformed or the result is not
/// UTF-8. Without an escape the value is the query's own text.
#[inline]
fn decode_value(value: &str) -> Option<Cow<'_, str>> {
    match encode::percent_decode(value).ok()? {
        Cow::Borrowed(_) => Some(Cow::Borrowed(value)),
        Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_parameters_are_found_even_percent_encoded() {
        assert!(QueryAuth::read("").expect("empty").is_none());
        assert!(QueryAuth::read("a=1&b=X-Amz").expect("none").is_none());
        let found = QueryAuth::read("X%2DAmz-Signature=abc").expect("read");
        assert_eq!(found.and_then(|q| q.values[2]), Some("abc"));
        let found = QueryAuth::read("a=1&X-Amz-Credential=A%2F1").expect("read");
        let credential = found.and_then(|q| q.values[1]);
        assert_eq!(credential, Some("A%2F1"), "kept as sent");
        let decoded = decode_param("X-Amz-Credential", credential).expect("well encoded");
        assert_eq!(decoded.as_deref(), Some("A/1"));
    }

    #[test]
    fn x_amz_is_found_anywhere() {
        for (query, holds) in [
            ("", false),
            ("X-Amz", false),
            ("X-Amz-", true),
            ("a=XX-Amz-1", true),
            ("Action=ListUsers&Version=2010-05-08", false),
            ("XXXXXXXXXXXXXXXXX-Amz-Date=1", true),
            ("x-amz-date=1&X-AmzX-Amz", false),
        ] {
            assert_eq!(holds_x_amz(query.as_bytes()), holds, "{query}");
        }
    }

    #[test]
    fn badly_encoded_parameters_are_named_and_tokens_not_shown() {
        let err = decode_param("X-Amz-Date", Some("2015%zz")).expect_err("bad escape");
        assert_eq!(err.code(), ErrorCode::AuthorizationQueryParametersError);
        assert!(
            err.message().contains("'X-Amz-Date=2015%zz'"),
            "{}",
            err.message()
        );
        let err = decode_param("X-Amz-Security-Token", Some("secret%ff")).expect_err("not UTF-8");
        assert!(!err.message().contains("secret"), "{}", err.message());
        let found = QueryAuth::read("X-Amz-Date=1&X-Amz-Date=2");
        let err = found.err().expect("repeated");
        assert!(err.message().contains("X-Amz-Date appears more than once"));
    }
}

//! The presign form of a claim: `X-Amz-*` query parameters.

use std::borrow::Cow;

use super::parts::{check_signed_headers, parse_credential};
use super::text::{find_byte, split_ascii, split_once_ascii};
use super::{AuthLocation, Claim, check_algorithm};
use crate::encode;
use crate::verify::error::{AuthError, ErrorCode};

/// The presign parameters found in a query, decoded: borrowed from the query unless a value
/// holds a percent-escape.
#[derive(Default)]
pub(super) struct QueryAuth<'r> {
    algorithm: Option<Cow<'r, str>>,
    credential: Option<Cow<'r, str>>,
    date: Option<Cow<'r, str>>,
    expires: Option<Cow<'r, str>>,
    signed_headers: Option<Cow<'r, str>>,
    signature: Option<Cow<'r, str>>,
    token: Option<Cow<'r, str>>,
}

impl<'r> QueryAuth<'r> {
    /// `None` when the query carries no `X-Amz-*` parameter of a claim at all.
    pub(super) fn read(query: &'r str) -> Result<Option<QueryAuth<'r>>, AuthError> {
        // Most requests carry their signature in a header: a query without a presign
        // parameter (even a percent-encoded key could be one) is passed over at once.
        let bytes = query.as_bytes();
        if find_byte(bytes, b'%').is_none() && !bytes.windows(6).any(|w| w == b"X-Amz-") {
            return Ok(None);
        }
        let bad = |msg: String| AuthError::new(ErrorCode::AuthorizationQueryParametersError, msg);
        let mut found = QueryAuth::default();
        let mut any = false;
        for pair in split_ascii(query, b'&').filter(|p| !p.is_empty()) {
            let (key, value) = split_once_ascii(pair, b'=').unwrap_or((pair, ""));
            // Most parameters are not ours: skip them before decoding and matching.
            if !key.starts_with("X-Amz-") && !key.contains('%') {
                continue;
            }
            let Ok(key) = encode::percent_decode(key) else {
                continue;
            };
            let slot = match &*key {
                b"X-Amz-Algorithm" => &mut found.algorithm,
                b"X-Amz-Credential" => &mut found.credential,
                b"X-Amz-Date" => &mut found.date,
                b"X-Amz-Expires" => &mut found.expires,
                b"X-Amz-SignedHeaders" => &mut found.signed_headers,
                b"X-Amz-Signature" => &mut found.signature,
                b"X-Amz-Security-Token" => &mut found.token,
                _ => continue,
            };
            any = true;
            let decoded = decode_value(value).ok_or_else(|| {
                // A session token is a credential: its parameter is named, its value not shown.
                let shown = match &*key {
                    b"X-Amz-Security-Token" => "X-Amz-Security-Token".into(),
                    _ => crate::error::shown(pair),
                };
                bad(format!(
                    "The query parameter '{shown}' is not validly encoded."
                ))
            })?;
            if slot.replace(decoded).is_some() {
                return Err(bad(format!(
                    "The query parameter {} appears more than once.",
                    String::from_utf8_lossy(&key)
                )));
            }
        }
        Ok(any.then_some(found))
    }

    /// Whether these parameters presign the request. A token alone is not presigning: it is
    /// the session token of a request signed in its `Authorization` header.
    pub(super) fn is_presign(&self) -> bool {
        self.algorithm.is_some() || self.credential.is_some() || self.signature.is_some()
    }

    /// The `X-Amz-Security-Token` parameter.
    pub(super) fn into_token(self) -> Option<Cow<'r, str>> {
        self.token
    }

    pub(super) fn into_claim(self) -> Result<Claim<'r>, AuthError> {
        let required = [
            ("X-Amz-Algorithm", &self.algorithm),
            ("X-Amz-Credential", &self.credential),
            ("X-Amz-Signature", &self.signature),
            ("X-Amz-Date", &self.date),
            ("X-Amz-SignedHeaders", &self.signed_headers),
            ("X-Amz-Expires", &self.expires),
        ];
        let missing: Vec<&str> = required
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(AuthError::new(
                ErrorCode::AuthorizationQueryParametersError,
                format!(
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
                     X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing {}.",
                    missing.join(", ")
                ),
            ));
        }
        check_algorithm(
            self.algorithm.as_deref().unwrap_or_default(),
            AuthLocation::Query,
        )?;
        let credential =
            parse_credential(self.credential.unwrap_or_default(), AuthLocation::Query)?;
        let signed_headers = self.signed_headers.unwrap_or_default();
        let names = check_signed_headers(&signed_headers, AuthLocation::Query)?;
        Ok(Claim {
            location: AuthLocation::Query,
            credential,
            signed_headers,
            signature: self.signature.unwrap_or_default(),
            amz_date: self.date,
            date_header: None,
            expires: self.expires,
            query_token: self.token,
            names,
        })
    }
}

/// A parameter value, percent-decoded; `None` if an escape is malformed or the result is not
/// UTF-8. Without an escape the value is the query's own text.
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
        assert_eq!(found.and_then(|q| q.signature).as_deref(), Some("abc"));
        let found = QueryAuth::read("a=1&X-Amz-Credential=A%2F1").expect("read");
        assert_eq!(found.and_then(|q| q.credential).as_deref(), Some("A/1"));
    }
}

//! Reading what a request claims about its signature: the `Authorization` header or the
//! presign query parameters. Nothing here trusts the claim; [`super::Verifier`] checks it.

use std::borrow::Cow;

use crate::encode;
use crate::request::Request;
use crate::sign::ALGORITHM;

use super::error::{AuthError, ErrorCode};

/// The SigV4a algorithm name, recognised only to be refused clearly.
const SIGV4A: &str = "AWS4-ECDSA-P256-SHA256";

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthLocation {
    /// `Authorization` header.
    Header,
    /// Presigned URL (`X-Amz-*` query parameters).
    Query,
}

/// A parsed, not yet trusted, signature claim. Header claims borrow from the request (no
/// allocation); query claims own what percent-decoding produced.
#[derive(Debug, Clone)]
pub(crate) struct Claim<'r> {
    pub location: AuthLocation,
    pub access_key_id: Cow<'r, str>,
    pub scope_date: Cow<'r, str>,
    pub region: Cow<'r, str>,
    pub service: Cow<'r, str>,
    /// The `;`-separated list, checked to be well formed.
    pub signed_headers: Cow<'r, str>,
    pub signature: Cow<'r, str>,
    /// `X-Amz-Date` (header or parameter), unparsed.
    pub amz_date: Option<Cow<'r, str>>,
    /// `X-Amz-Expires`, unparsed (query only).
    pub expires: Option<String>,
    /// `X-Amz-Security-Token` parameter (query only).
    pub query_token: Option<String>,
}

impl Claim<'_> {
    /// The error code for a malformed claim in this location.
    pub fn malformed(&self) -> ErrorCode {
        malformed(self.location)
    }

    /// Whether `name` is among the signed headers (ignoring case).
    pub fn signs(&self, name: &str) -> bool {
        // Bytes, not a `char` pattern: this runs for every header of every request.
        split_ascii(&self.signed_headers, b';').any(|s| s.eq_ignore_ascii_case(name))
    }
}

pub(crate) fn malformed(location: AuthLocation) -> ErrorCode {
    match location {
        AuthLocation::Header => ErrorCode::AuthorizationHeaderMalformed,
        AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
    }
}

/// Finds and parses the one signature the request carries.
pub(crate) fn read_claim<'r>(request: &Request<'r>) -> Result<Claim<'r>, AuthError> {
    let mut authorization = request.header_values("authorization");
    let header = authorization.next();
    if authorization.next().is_some() {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one Authorization header is allowed.",
        ));
    }
    let query = QueryAuth::read(request.query())?;
    match (header, query) {
        (Some(_), Some(_)) => Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
             Authorization header should be specified.",
        )),
        (Some(value), None) => parse_header(value, request),
        (None, Some(query)) => query.into_claim(),
        (None, None) => Err(AuthError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token (no Authorization header and no \
             X-Amz-Signature query parameter).",
        )),
    }
}

fn parse_header<'r>(value: &'r str, request: &Request<'r>) -> Result<Claim<'r>, AuthError> {
    let value = trim_blanks(value);
    let (algorithm, rest) = split_once_ascii(value, b' ').unwrap_or((value, ""));
    check_algorithm(algorithm, AuthLocation::Header)?;
    let bad = |msg: String| AuthError::new(ErrorCode::AuthorizationHeaderMalformed, msg);
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in split_ascii(rest, b',').map(trim_blanks) {
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = split_once_ascii(part, b'=') else {
            return Err(bad(format!(
                "The Authorization header component '{part}' is not of the form key=value."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(bad(format!(
                    "The Authorization header has an unknown component '{other}'."
                )));
            }
        };
        if slot.replace(val).is_some() {
            return Err(bad(format!("The Authorization header repeats '{key}'.")));
        }
    }
    let missing: Vec<&str> = [
        ("Credential", credential.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
        ("Signature", signature.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    if !missing.is_empty() {
        return Err(AuthError::new(
            ErrorCode::IncompleteSignature,
            format!(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'; missing {}.",
                missing.join(", ")
            ),
        ));
    }
    let mut amz_dates = request.header_values("x-amz-date");
    let amz_date = amz_dates.next().map(|v| Cow::Borrowed(trim_blanks(v)));
    if amz_dates.next().is_some() {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Date header is allowed.",
        ));
    }
    let (access_key_id, scope_date, region, service) =
        parse_credential(credential.unwrap_or_default(), AuthLocation::Header)?;
    let signed_headers = signed_headers.unwrap_or_default();
    check_signed_headers(signed_headers, AuthLocation::Header)?;
    Ok(Claim {
        location: AuthLocation::Header,
        access_key_id: Cow::Borrowed(access_key_id),
        scope_date: Cow::Borrowed(scope_date),
        region: Cow::Borrowed(region),
        service: Cow::Borrowed(service),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature.unwrap_or_default()),
        amz_date,
        expires: None,
        query_token: None,
    })
}

fn check_algorithm(algorithm: &str, location: AuthLocation) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        return Ok(());
    }
    if algorithm == SIGV4A {
        return Err(AuthError::new(
            ErrorCode::NotImplemented,
            "SigV4a (AWS4-ECDSA-P256-SHA256) signatures are not supported by this endpoint yet.",
        ));
    }
    let code = match location {
        AuthLocation::Header => ErrorCode::IncompleteSignature,
        AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
    };
    Err(AuthError::new(
        code,
        format!(
            "Unsupported signing algorithm '{}'; please use AWS4-HMAC-SHA256.",
            crate::error::shown(algorithm)
        ),
    ))
}

/// `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`.
fn parse_credential(
    value: &str,
    location: AuthLocation,
) -> Result<(&str, &str, &str, &str), AuthError> {
    // Up to six parts, so that a sixth means "too many"; no vector per request.
    let mut parts = [""; 6];
    let mut count = 0;
    for (slot, part) in parts.iter_mut().zip(split_ascii(value, b'/')) {
        *slot = part;
        count += 1;
    }
    let well_formed = count == 5
        && parts[..5].iter().all(|p| !p.is_empty())
        && parts[1].len() == 8
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[4] == "aws4_request";
    if !well_formed {
        return Err(AuthError::new(
            malformed(location),
            format!(
                "The Credential '{}' is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                crate::error::shown(value)
            ),
        ));
    }
    Ok((parts[0], parts[1], parts[2], parts[3]))
}

fn check_signed_headers(value: &str, location: AuthLocation) -> Result<(), AuthError> {
    if split_ascii(value, b';').any(|n| n.is_empty() || !n.bytes().all(crate::canonical::is_tchar))
    {
        return Err(AuthError::new(
            malformed(location),
            format!(
                "SignedHeaders '{}' is not a ';'-separated list of header names.",
                crate::error::shown(value)
            ),
        ));
    }
    Ok(())
}

/// The presign parameters found in a query, decoded.
#[derive(Default)]
struct QueryAuth {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    token: Option<String>,
}

impl QueryAuth {
    /// `None` when the query carries no presign parameter at all.
    fn read(query: &str) -> Result<Option<QueryAuth>, AuthError> {
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
            let decoded = encode::percent_decode(value)
                .ok()
                .and_then(|v| String::from_utf8(v.into_owned()).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "The query parameter '{}' is not validly encoded.",
                        crate::error::shown(pair)
                    ))
                })?;
            if slot.replace(decoded).is_some() {
                return Err(bad(format!(
                    "The query parameter {} appears more than once.",
                    String::from_utf8_lossy(&key)
                )));
            }
        }
        // The token alone (e.g. a query-signed request of another kind) is not presigning.
        let presigning =
            found.algorithm.is_some() || found.credential.is_some() || found.signature.is_some();
        Ok((any && presigning).then_some(found))
    }

    fn into_claim(self) -> Result<Claim<'static>, AuthError> {
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
        let (access_key_id, scope_date, region, service) = parse_credential(
            self.credential.as_deref().unwrap_or_default(),
            AuthLocation::Query,
        )?;
        let owned = |part: &str| Cow::Owned(part.to_owned());
        let signed_headers = self.signed_headers.unwrap_or_default();
        check_signed_headers(&signed_headers, AuthLocation::Query)?;
        Ok(Claim {
            location: AuthLocation::Query,
            access_key_id: owned(access_key_id),
            scope_date: owned(scope_date),
            region: owned(region),
            service: owned(service),
            signed_headers: Cow::Owned(signed_headers),
            signature: Cow::Owned(self.signature.unwrap_or_default()),
            amz_date: self.date.map(Cow::Owned),
            expires: self.expires,
            query_token: self.token,
        })
    }
}

/// Splits at an ASCII delimiter, scanning bytes: the claim is parsed on every request, and
/// `str::split` with a `char` pattern costs several times more. Cutting at an ASCII byte keeps
/// UTF-8 boundaries, so the pieces are `&str` slices of the input.
pub(crate) fn split_ascii(text: &str, delimiter: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == delimiter) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `text` before and after the first `delimiter` (ASCII).
fn split_once_ascii(text: &str, delimiter: u8) -> Option<(&str, &str)> {
    let i = text.bytes().position(|b| b == delimiter)?;
    Some((&text[..i], &text[i + 1..]))
}

/// Without leading and trailing spaces and tabs.
fn trim_blanks(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

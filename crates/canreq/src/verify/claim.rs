//! Reading what a request claims about its signature: the `Authorization` header or the
//! presign query parameters. Nothing here trusts the claim; [`super::Verifier`] checks it.

mod parts;
mod query;
mod text;

use std::borrow::Cow;

use crate::canonical::trim_blanks;
use crate::request::Request;
use crate::sign::ALGORITHM;

use super::error::{AuthError, ErrorCode};

pub(crate) use parts::{Credential, SignedNames};
use parts::{check_signed_headers, parse_credential};
use query::QueryAuth;
pub(crate) use text::eq_lowercase;
use text::find_byte;

/// The SigV4a algorithm name, recognised only to be refused clearly.
const SIGV4A: &str = "AWS4-ECDSA-P256-SHA256";

/// Where the signature was found: [`Verified::location`](super::Verified::location). See
/// [`Verifier`](super::Verifier) for a presigned request.
///
/// ```
/// use canreq::verify::AuthLocation;
///
/// let location = AuthLocation::Query;
/// let what = match location {
///     AuthLocation::Header => "Authorization header",
///     AuthLocation::Query => "presigned URL",
/// };
/// assert_eq!(what, "presigned URL");
/// ```
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
    pub credential: Credential<Cow<'r, str>>,
    /// The `;`-separated list, checked to be well formed.
    pub signed_headers: Cow<'r, str>,
    pub signature: Cow<'r, str>,
    /// `X-Amz-Date` (header or parameter), unparsed.
    pub amz_date: Option<Cow<'r, str>>,
    /// A header claim without `X-Amz-Date`: the `Date` header, which then gives the time.
    pub date_header: Option<&'r str>,
    /// `X-Amz-Expires`, unparsed (query only).
    pub expires: Option<Cow<'r, str>>,
    /// The `X-Amz-Security-Token` query parameter (a header claim's too: it must not go
    /// unchecked).
    pub query_token: Option<Cow<'r, str>>,
    /// Where each signed header name ends in `signed_headers`, and whether `host` is one.
    pub names: SignedNames,
}

impl Claim<'_> {
    /// The error code for a malformed claim in this location.
    pub fn malformed(&self) -> ErrorCode {
        malformed(self.location)
    }

    /// Whether `name` is among the signed headers (ignoring case).
    #[inline]
    pub fn signs(&self, name: &str) -> bool {
        self.names.contains(&self.signed_headers, name)
    }

    /// [`signs`](Self::signs), as a bit for [`sent_all`](Self::sent_all).
    #[inline]
    pub fn signed_bit(&self, name: &str) -> Option<u32> {
        self.names.find(&self.signed_headers, name)
    }

    /// Whether the bits [`signed_bit`](Self::signed_bit) gave for the request's headers show
    /// every listed name sent. `false` can also mean "not known" (a list too long to track):
    /// [`names_not_sent`](Self::names_not_sent) then tells.
    #[inline]
    pub fn sent_all(&self, seen: u32) -> bool {
        self.names.all_seen(seen)
    }

    /// The listed names no header of `request` has: lowercase, sorted, each once.
    #[cold]
    pub fn names_not_sent(&self, request: &Request<'_>) -> Vec<String> {
        // Sorted, so that a long list against many headers costs no more than sorting them.
        let mut sent: Vec<String> = request
            .headers()
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        sent.sort_unstable();
        let mut missing: Vec<String> = self
            .signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .filter(|name| sent.binary_search(name).is_err())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// Whether `host` is among the signed headers.
    pub fn signs_host(&self) -> bool {
        self.names.has_host()
    }
}

/// The one value of a header the verifier reads itself, and whether it was repeated.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen<'r> {
    pub first: Option<&'r str>,
    pub repeated: bool,
}

impl<'r> Seen<'r> {
    fn see(&mut self, value: &'r str) {
        if self.first.is_some() {
            self.repeated = true;
        } else {
            self.first = Some(value);
        }
    }
}

/// The headers the verifier reads itself, found in one pass over the request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KnownHeaders<'r> {
    pub authorization: Seen<'r>,
    pub amz_date: Seen<'r>,
    pub content_sha256: Seen<'r>,
    pub security_token: Seen<'r>,
}

impl<'r> KnownHeaders<'r> {
    pub fn scan(request: &Request<'r>) -> Self {
        let mut found = KnownHeaders::default();
        for &(name, value) in request.headers() {
            // The length first: most headers are none of these, and are told apart in one compare.
            let slot = match name.len() {
                13 if eq_lowercase(name.as_bytes(), b"authorization") => &mut found.authorization,
                10 if eq_lowercase(name.as_bytes(), b"x-amz-date") => &mut found.amz_date,
                20 if eq_lowercase(name.as_bytes(), b"x-amz-content-sha256") => {
                    &mut found.content_sha256
                }
                20 if eq_lowercase(name.as_bytes(), b"x-amz-security-token") => {
                    &mut found.security_token
                }
                _ => continue,
            };
            slot.see(value);
        }
        found
    }
}

pub(crate) fn malformed(location: AuthLocation) -> ErrorCode {
    match location {
        AuthLocation::Header => ErrorCode::AuthorizationHeaderMalformed,
        AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
    }
}

/// Finds and parses the one signature the request carries.
pub(crate) fn read_claim<'r>(
    request: &Request<'r>,
    known: &KnownHeaders<'r>,
) -> Result<Claim<'r>, AuthError> {
    let header = known.authorization.first;
    if known.authorization.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one Authorization header is allowed.",
        ));
    }
    let (presign, query_token) = match QueryAuth::read(request.query())? {
        Some(query) if query.is_presign() => (Some(query), None),
        Some(query) => (None, query.into_token()),
        None => (None, None),
    };
    match (header, presign) {
        (Some(_), Some(_)) => Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
             Authorization header should be specified.",
        )),
        (Some(value), None) => parse_header(value, request, known, query_token),
        (None, Some(query)) => query.into_claim(),
        (None, None) => Err(AuthError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token (no Authorization header and no \
             X-Amz-Signature query parameter).",
        )),
    }
}

fn parse_header<'r>(
    value: &'r str,
    request: &Request<'r>,
    known: &KnownHeaders<'r>,
    query_token: Option<Cow<'r, str>>,
) -> Result<Claim<'r>, AuthError> {
    let value = trim_blanks(value);
    let bytes = value.as_bytes();
    let space = find_byte(bytes, b' ').unwrap_or(bytes.len());
    check_algorithm(&value[..space], AuthLocation::Header)?;
    let bad = |msg: String| AuthError::new(ErrorCode::AuthorizationHeaderMalformed, msg);
    const KEYS: [&str; 3] = ["Credential", "SignedHeaders", "Signature"];
    let mut found: [Option<&'r str>; 3] = [None; 3];
    let mut at = space + 1;
    while at < bytes.len() {
        let end = find_byte(&bytes[at..], b',').map_or(bytes.len(), |i| at + i);
        let part = trim_blanks(&value[at..end]);
        at = end + 1;
        if part.is_empty() {
            continue;
        }
        // `key=` at the start is the same test as "the text before the first `=` is `key`"
        // (no key holds a `=`), without searching for the `=`.
        let known_key = KEYS.iter().position(|key| {
            part.len() > key.len()
                && part.as_bytes()[key.len()] == b'='
                && part.as_bytes().starts_with(key.as_bytes())
        });
        let Some(index) = known_key else {
            // The client's text, bounded and escaped: it may be any length and hold controls.
            return Err(bad(match part.split_once('=') {
                None => format!(
                    "The Authorization header component '{}' is not of the form key=value.",
                    crate::error::shown(part)
                ),
                Some((other, _)) => format!(
                    "The Authorization header has an unknown component '{}'.",
                    crate::error::shown(other)
                ),
            }));
        };
        if found[index]
            .replace(&part[KEYS[index].len() + 1..])
            .is_some()
        {
            return Err(bad(format!(
                "The Authorization header repeats '{}'.",
                KEYS[index]
            )));
        }
    }
    let [Some(credential), Some(signed_headers), Some(signature)] = found else {
        let missing: Vec<&str> = KEYS
            .iter()
            .zip(found)
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| *key)
            .collect();
        return Err(AuthError::new(
            ErrorCode::IncompleteSignature,
            format!(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'; missing {}.",
                missing.join(", ")
            ),
        ));
    };
    let amz_date = known.amz_date.first.map(|v| Cow::Borrowed(trim_blanks(v)));
    if known.amz_date.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Date header is allowed.",
        ));
    }
    // Without X-Amz-Date, AWS takes the request's time from `Date` (which must then be
    // signed); with it, `Date` plays no part. Looked for only then: almost every request has
    // X-Amz-Date, and the one-pass scan stays as short as it was.
    let date_header = match amz_date {
        Some(_) => None,
        None => {
            let mut dates = request.header_values("date");
            let first = dates.next();
            if dates.next().is_some() {
                return Err(AuthError::new(
                    ErrorCode::InvalidArgument,
                    "Only one Date header is allowed.",
                ));
            }
            first.map(trim_blanks)
        }
    };
    let credential = parse_credential(Cow::Borrowed(credential), AuthLocation::Header)?;
    let names = check_signed_headers(signed_headers, AuthLocation::Header)?;
    Ok(Claim {
        location: AuthLocation::Header,
        credential,
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        amz_date,
        date_header,
        expires: None,
        query_token,
        names,
    })
}

pub(super) fn check_algorithm(algorithm: &str, location: AuthLocation) -> Result<(), AuthError> {
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

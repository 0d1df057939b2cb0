//! Reading what a request claims about its signature: the `Authorization` header or the
//! presign query parameters. Nothing here trusts the claim; [`super::Verifier`] checks it.

mod credential;
mod header;
mod query;

use std::borrow::Cow;

use crate::algorithm::Algorithm;
use crate::request::Request;

use crate::refusal::{AuthError, ErrorCode};

pub(crate) use crate::text::eq_lowercase;
pub(crate) use credential::{Credential, CredentialShape, SignedNames};
use query::QueryAuth;

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
    /// The algorithm named, one this crate implements.
    pub algorithm: Algorithm,
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
    /// SigV4a's region set: the `X-Amz-Region-Set` header of a header claim, the parameter of a
    /// presigned one.
    pub region_set: Option<Cow<'r, str>>,
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
    pub region_set: Seen<'r>,
}

impl<'r> KnownHeaders<'r> {
    #[inline]
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
                16 if eq_lowercase(name.as_bytes(), b"x-amz-region-set") => &mut found.region_set,
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
        Some(query) => (None, query.into_token()?),
        None => (None, None),
    };
    match (header, presign) {
        (Some(_), Some(_)) => Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
             Authorization header should be specified.",
        )),
        (Some(value), None) => header::parse_header(value, request, known, query_token),
        (None, Some(query)) => query.into_claim(),
        (None, None) => Err(AuthError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token (no Authorization header and no \
             X-Amz-Signature query parameter).",
        )),
    }
}

/// The algorithm a claim names: one this crate implements, or a refusal that says why not
/// (a known algorithm not implemented is `NotImplemented`, not a malformed request).
pub(super) fn check_algorithm(name: &str, location: AuthLocation) -> Result<Algorithm, AuthError> {
    match Algorithm::from_name(name) {
        Some(algorithm) if algorithm.is_supported() => Ok(algorithm),
        Some(algorithm) => Err(AuthError::new(
            ErrorCode::NotImplemented,
            format!(
                "{} signatures are not supported by this endpoint yet.",
                algorithm.describe()
            ),
        )),
        None => {
            let code = match location {
                AuthLocation::Header => ErrorCode::IncompleteSignature,
                AuthLocation::Query => ErrorCode::AuthorizationQueryParametersError,
            };
            Err(AuthError::new(
                code,
                format!(
                    "Unsupported signing algorithm '{}'; please use AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256.",
                    crate::error::shown(name)
                ),
            ))
        }
    }
}

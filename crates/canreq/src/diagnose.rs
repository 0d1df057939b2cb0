//! Naming the cause of a `SignatureDoesNotMatch`.
//!
//! Every server answers a bad signature with the same sentence; this module says which step
//! went wrong, two ways:
//!
//! - **with the server's view** ([`compare`]): the server's canonical request and string to
//!   sign (S3 returns both in its error; `canreq serve` too) against the client's, part by part,
//!   each difference a [`Cause`] with a stable [`CauseCode`];
//! - **from the request alone** ([`search`]): with the secret, the request is re-signed the way
//!   each known client mistake would sign it (HMAC's arguments swapped, the path encoded twice,
//!   the query unsorted, …, and a canonical-request mistake paired with a key mistake), and the
//!   mistake that reproduces the signature the client sent is named.
//!
//! ```
//! use canreq::diagnose::{CauseCode, Verdict, search};
//! use canreq::{Credentials, Request};
//!
//! // A client that encoded the path twice for S3 (which encodes it once).
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let request = Request::new("GET", "/bucket/my%20file.txt")
//!     .header("Host", "s3.amazonaws.com")
//!     .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
//!     .header("X-Amz-Date", "20150830T123600Z")
//!     .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0ab52d2f4c5b8e1d3a1a6fdbb0fd8e3bd0b1c17f8eb5f4bbef5cb9b7bb6b35f1");
//! let diagnosis = search(&request, b"", &creds).unwrap();
//! // This signature was made up: nothing in the catalogue reproduces it.
//! assert_eq!(diagnosis.verdict, Verdict::NoKnownMistake);
//! # Ok::<(), canreq::Error>(())
//! ```

mod catalogue;
mod compare;
mod parse;

use std::fmt;

use crate::canonical::trim_blanks;
use crate::credentials::Credentials;
use crate::refusal::{AuthError, ErrorCode};
use crate::request::Request;
use crate::settings::{UNSIGNED_PAYLOAD, is_s3_family};
use crate::verify::claim::{AuthLocation, Claim, KnownHeaders, read_claim};

use catalogue::{KeyMistake, Subject};
pub use compare::{Side, compare};
pub use parse::{CanonicalParts, StringToSignParts};

/// What a diagnosis names, as a stable code (`--format json` prints [`CauseCode::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // Each variant is documented by its code and `describe`.
pub enum CauseCode {
    SecretKey,
    Clock,
    ScopeRegion,
    ScopeService,
    ScopeDate,
    Method,
    Path,
    PathEncoding,
    Query,
    QueryEncoding,
    Host,
    HeaderChanged,
    HeaderMissing,
    HeaderAdded,
    HeaderWhitespace,
    SignedHeaders,
    Payload,
    Token,
    CanonicalRequest,
    HmacArgumentOrder,
    KeyNotPrefixed,
    KeyHexStep,
    ScopeDateFormat,
    PathDoubleEncoded,
    PathNotEncoded,
    PathNotNormalized,
    QueryUnsorted,
    QueryPlusAsSpace,
    QueryNotEncoded,
    HeaderNameCase,
    HeaderValueUntrimmed,
    SignedHeadersUnsorted,
    CanonicalNewline,
    PayloadEmptyHash,
    PayloadHexCase,
    HostPort,
    TokenSigned,
    TokenNotSigned,
    RegionServiceSwapped,
}

impl CauseCode {
    /// The stable code, e.g. `hmac-argument-order`.
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// What a client that makes this mistake did, in words.
    pub fn describe(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        use CauseCode::*;
        match self {
            SecretKey => (
                "secret-key",
                "signed with another secret for this access key id",
            ),
            Clock => (
                "clock",
                "a request time other than the server's, or a skewed clock",
            ),
            ScopeRegion => ("scope-region", "another region in the credential scope"),
            ScopeService => ("scope-service", "another service in the credential scope"),
            ScopeDate => ("scope-date", "another date in the credential scope"),
            Method => ("method", "another method"),
            Path => ("path", "another path"),
            PathEncoding => ("path-encoding", "the path percent-encoded otherwise"),
            Query => ("query", "other query parameters"),
            QueryEncoding => ("query-encoding", "the query parameters encoded otherwise"),
            Host => ("host", "another host"),
            HeaderChanged => ("header-changed", "a header value changed after signing"),
            HeaderMissing => (
                "header-missing",
                "a signed header the server did not receive",
            ),
            HeaderAdded => ("header-added", "a header the client did not sign"),
            HeaderWhitespace => ("header-whitespace", "a header value with other whitespace"),
            SignedHeaders => ("signed-headers", "another signed header list"),
            Payload => (
                "payload",
                "another payload hash (the body changed, or its hash is wrong)",
            ),
            Token => ("token", "another session token"),
            CanonicalRequest => ("canonical-request", "another canonical request"),
            HmacArgumentOrder => ("hmac-argument-order", "HMAC's key and message swapped"),
            KeyNotPrefixed => (
                "key-not-prefixed",
                "the key derived without \"AWS4\" before the secret",
            ),
            KeyHexStep => (
                "key-hex-step",
                "a hex string instead of raw bytes passed down the key derivation",
            ),
            ScopeDateFormat => (
                "scope-date-format",
                "the wrong date form or day in the credential scope",
            ),
            PathDoubleEncoded => (
                "path-double-encoded",
                "the path percent-encoded once too often",
            ),
            PathNotEncoded => (
                "path-not-encoded",
                "the path not percent-encoded as SigV4 requires",
            ),
            PathNotNormalized => ("path-not-normalized", "the path's `.`, `..` and `//` kept"),
            QueryUnsorted => ("query-unsorted", "the query parameters not sorted"),
            QueryPlusAsSpace => ("query-plus-as-space", "a `+` in the query read as a space"),
            QueryNotEncoded => ("query-not-encoded", "the query not re-encoded"),
            HeaderNameCase => ("header-name-case", "header names not lowercased"),
            HeaderValueUntrimmed => ("header-value-untrimmed", "header values not trimmed"),
            SignedHeadersUnsorted => ("signed-headers-unsorted", "the signed headers not sorted"),
            CanonicalNewline => (
                "canonical-newline",
                "the blank line after the headers missing or doubled",
            ),
            PayloadEmptyHash => (
                "payload-empty-hash",
                "the empty body's hash sent with a body",
            ),
            PayloadHexCase => ("payload-hex-case", "the payload hash in upper-case hex"),
            HostPort => ("host-port", "the host's port added or dropped"),
            TokenSigned => ("token-signed", "the session token signed where it is not"),
            TokenNotSigned => (
                "token-not-signed",
                "the session token left out of the signed headers",
            ),
            RegionServiceSwapped => (
                "region-service-swapped",
                "region and service swapped in the scope",
            ),
        }
    }
}

impl fmt::Display for CauseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named cause: its code, a sentence, and where it applies the two values that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// The stable code.
    pub code: CauseCode,
    /// What happened, in a sentence.
    pub explanation: String,
    /// The header concerned, for header causes.
    pub header: Option<String>,
    /// The server's value.
    pub server: Option<String>,
    /// The client's value.
    pub client: Option<String>,
}

impl Cause {
    fn new(code: CauseCode, explanation: impl Into<String>) -> Self {
        Cause {
            code,
            explanation: explanation.into(),
            header: None,
            server: None,
            client: None,
        }
    }

    fn header(mut self, name: &str) -> Self {
        self.header = Some(name.to_owned());
        self
    }

    fn values(mut self, server: &str, client: &str) -> Self {
        self.server = Some(server.to_owned());
        self.client = Some(client.to_owned());
        self
    }
}

/// What [`search`] concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The signature is right for this request and secret: nothing to explain.
    SignatureMatches,
    /// The catalogue reproduced the signature: the causes name the mistakes.
    MistakeFound,
    /// Nothing in the catalogue reproduces it (another secret, a changed request, or a
    /// mistake not catalogued).
    NoKnownMistake,
}

impl Verdict {
    /// `signature-matches`, `mistake-found` or `no-known-mistake`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::SignatureMatches => "signature-matches",
            Verdict::MistakeFound => "mistake-found",
            Verdict::NoKnownMistake => "no-known-mistake",
        }
    }
}

/// What a catalogue search found, with the server's steps to compare against.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The conclusion.
    pub verdict: Verdict,
    /// The mistakes that reproduce the client's signature (one, or a pair).
    pub causes: Vec<Cause>,
    /// The canonical request the server computes for this request.
    pub canonical_request: String,
    /// How many ways of signing were tried.
    pub tried: usize,
}

/// The steps a server computes for `request` (as received, signature included): its canonical
/// request and string to sign, what a client that signed correctly signed. With a server's
/// answer, [`compare`] tells what changed between the two.
///
/// ```
/// use canreq::diagnose::server_steps;
/// use canreq::Request;
///
/// let request = Request::new("GET", "/?Action=ListUsers&Version=2010-05-08")
///     .header("Host", "iam.amazonaws.com")
///     .header("X-Amz-Date", "20150830T123600Z")
///     .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
/// let (creq, sts) = server_steps(&request, b"").unwrap();
/// assert!(creq.starts_with("GET\n/\nAction=ListUsers&Version=2010-05-08\nhost:iam.amazonaws.com\n"));
/// assert!(sts.starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"));
/// ```
pub fn server_steps(request: &Request<'_>, body: &[u8]) -> Result<(String, String), AuthError> {
    let known = KnownHeaders::scan(request);
    let claim = read_claim(request, &known)?;
    let subject = subject(request, Body::Bytes(body), &known, &claim)?;
    let creq = subject
        .canonical()
        .map_err(|e| AuthError::new(ErrorCode::InvalidArgument, e.to_string()))?;
    // The signer's own writer, with the claim's algorithm and scope as sent (SigV4a's has no
    // region): the string to sign a server computes.
    let credential = &claim.credential;
    let mut sts = String::new();
    crate::sign::write_string_to_sign(
        &mut sts,
        claim.algorithm,
        subject.amz_date,
        |out| out.push_str(credential.shape().scope(credential.text())),
        &crate::crypto::sha256(creq.as_bytes()),
    );
    Ok((creq, sts))
}

/// The request's parts as the catalogue varies them.
fn subject<'r>(
    request: &'r Request<'_>,
    body: Body<'_>,
    known: &KnownHeaders<'r>,
    claim: &'r Claim<'r>,
) -> Result<Subject<'r>, AuthError> {
    let credential = &claim.credential;
    let amz_date = claim.amz_date.as_deref().ok_or_else(|| {
        AuthError::new(
            ErrorCode::AccessDenied,
            "The request has no X-Amz-Date: its signing time is unknown.",
        )
    })?;
    let signed_list: &str = &claim.signed_headers;
    // In the order sent (a mistake may keep that order); a listed header not sent is signed
    // empty, as the verifier reads it.
    let listed = |name: &str| signed_list.split(';').any(|n| n.eq_ignore_ascii_case(name));
    let mut headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter(|(name, _)| listed(name))
        .copied()
        .collect();
    for name in signed_list.split(';') {
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            headers.push((name, ""));
        }
    }
    let payload_hash = match (known.content_sha256.first.map(trim_blanks), body) {
        (_, Body::Hash(hash)) => hash.to_owned(),
        (Some(declared), _) => declared.to_owned(),
        (None, _)
            if claim.location == AuthLocation::Query && is_s3_family(credential.service()) =>
        {
            UNSIGNED_PAYLOAD.to_owned()
        }
        (None, Body::Bytes(body)) => crate::encode::hex(&crate::crypto::sha256(body)),
    };
    let query_pairs: Vec<&str> = request
        .query()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| !(claim.location == AuthLocation::Query && p.starts_with("X-Amz-Signature=")))
        .collect();
    Ok(Subject {
        method: request.method(),
        path: request.path(),
        query_pairs,
        headers,
        signed_list,
        payload_hash,
        token: known.security_token.first.map(trim_blanks),
        amz_date,
        date: credential.date(),
        region: credential.region(),
        service: credential.service(),
    })
}

/// Re-signs `request` (as received, signature included) with `credentials` the way each known
/// client mistake would, and names the one that gives the signature the request carries.
///
/// `body` is the request's body (its hash is signed when no `x-amz-content-sha256` declares
/// one). Fails only when the request carries no readable signature claim.
pub fn search(
    request: &Request<'_>,
    body: &[u8],
    credentials: &Credentials,
) -> Result<Diagnosis, AuthError> {
    search_with(request, Body::Bytes(body), credentials)
}

/// [`search`] for a server that has streamed the body away: given the payload hash its
/// canonical request held (the last line of a refusal's `CanonicalRequest` detail) instead of
/// the body.
pub fn search_with_payload_hash(
    request: &Request<'_>,
    payload_hash: &str,
    credentials: &Credentials,
) -> Result<Diagnosis, AuthError> {
    search_with(request, Body::Hash(payload_hash), credentials)
}

/// Where the payload hash comes from.
#[derive(Clone, Copy)]
enum Body<'b> {
    /// The body, hashed unless a header declares the hash.
    Bytes(&'b [u8]),
    /// The hash itself.
    Hash(&'b str),
}

fn search_with(
    request: &Request<'_>,
    body: Body<'_>,
    credentials: &Credentials,
) -> Result<Diagnosis, AuthError> {
    let known = KnownHeaders::scan(request);
    let claim = read_claim(request, &known)?;
    let subject = subject(request, body, &known, &claim)?;
    let written = subject
        .written()
        .map_err(|e| AuthError::new(ErrorCode::InvalidArgument, e.to_string()))?;
    let secret = credentials.secret_access_key().expose();
    let claimed = claim.signature.to_ascii_lowercase();
    let mut tried = 0;
    let mut found: Option<(Option<CauseCode>, Option<KeyMistake>)> = None;
    // Singles first (either side alone), then pairs, so the simplest explanation wins.
    'search: for pairs in [false, true] {
        for w in &written {
            for key in std::iter::once(None).chain(KeyMistake::ALL.into_iter().map(Some)) {
                if pairs != (w.mistake.is_some() && key.is_some()) {
                    continue;
                }
                tried += 1;
                if catalogue::signature(&subject, secret, &w.text, key) == claimed {
                    found = Some((w.mistake, key));
                    break 'search;
                }
            }
        }
    }
    let canonical_request = written.first().map(|w| w.text.clone()).unwrap_or_default();
    let (verdict, causes) = match found {
        None => (Verdict::NoKnownMistake, Vec::new()),
        Some((None, None)) => (Verdict::SignatureMatches, Vec::new()),
        Some((creq, key)) => {
            let mut causes = Vec::new();
            if let Some(code) = creq {
                causes.push(Cause::new(
                    code,
                    format!("Your signature is what you get with {}.", code.describe()),
                ));
            }
            if let Some(key) = key {
                causes.push(Cause::new(
                    key.code(),
                    format!("Your signature is what you get with {}.", key.detail()),
                ));
            }
            (Verdict::MistakeFound, causes)
        }
    };
    Ok(Diagnosis {
        verdict,
        causes,
        canonical_request,
        tried,
    })
}

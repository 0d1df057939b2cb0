//! Refusals, as AWS reports them: a code, an HTTP status, a message and the values behind it.
//!
//! Both the verifier and the aws-chunked decoder refuse with [`AuthError`], so it lives below
//! them. It is data, not a document: a server renders it in its service's dialect (S3's XML,
//! the Query protocol's XML, JSON), which is presentation and so not this crate's business.

use std::fmt;

/// The AWS error codes a verifier answers with, each with the HTTP status AWS gives it.
///
/// ```
/// use canreq::verify::ErrorCode;
///
/// assert_eq!(ErrorCode::SignatureDoesNotMatch.as_str(), "SignatureDoesNotMatch");
/// assert_eq!(ErrorCode::SignatureDoesNotMatch.status(), 403);
/// assert_eq!(ErrorCode::AuthorizationHeaderMalformed.status(), 400);
/// assert_eq!(ErrorCode::NotImplemented.to_string(), "NotImplemented");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No signature at all.
    MissingAuthenticationToken,
    /// The `Authorization` header lacks a part or names an unknown algorithm.
    IncompleteSignature,
    /// The `Authorization` header is malformed, or its scope is wrong (date, region, service).
    AuthorizationHeaderMalformed,
    /// A presigned request's `X-Amz-*` parameters are missing or malformed.
    AuthorizationQueryParametersError,
    /// Two `Authorization` headers, or header and query authentication together, or an invalid
    /// `x-amz-content-sha256`.
    InvalidArgument,
    /// A required header is missing (S3's `x-amz-content-sha256`).
    InvalidRequest,
    /// The access key id is unknown.
    InvalidAccessKeyId,
    /// The session token does not belong to the access key.
    InvalidToken,
    /// The signature does not match.
    SignatureDoesNotMatch,
    /// The request time is too far from the server's clock.
    RequestTimeTooSkewed,
    /// Expired or not-yet-valid presigned URL, unsigned headers, refused unsigned payload.
    AccessDenied,
    /// The body does not hash to the signed `x-amz-content-sha256`.
    XAmzContentSHA256Mismatch,
    /// SigV4a or a payload mode this verifier does not handle yet.
    NotImplemented,
    /// An aws-chunked body ended early, or its data is longer or shorter than
    /// `x-amz-decoded-content-length`.
    IncompleteBody,
    /// An aws-chunked chunk is larger than allowed, or a chunk other than the last is smaller
    /// than the minimum.
    InvalidChunkSizeError,
    /// An aws-chunked trailer is malformed, undeclared in `x-amz-trailer`, missing, or lacks its
    /// signature.
    MalformedTrailerError,
    /// A trailing checksum does not match the data.
    BadDigest,
    /// A required length header (`x-amz-decoded-content-length`) is missing.
    MissingContentLength,
}

impl ErrorCode {
    /// The code as AWS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationToken",
            ErrorCode::IncompleteSignature => "IncompleteSignature",
            ErrorCode::AuthorizationHeaderMalformed => "AuthorizationHeaderMalformed",
            ErrorCode::AuthorizationQueryParametersError => "AuthorizationQueryParametersError",
            ErrorCode::InvalidArgument => "InvalidArgument",
            ErrorCode::InvalidRequest => "InvalidRequest",
            ErrorCode::InvalidAccessKeyId => "InvalidAccessKeyId",
            ErrorCode::InvalidToken => "InvalidToken",
            ErrorCode::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            ErrorCode::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::XAmzContentSHA256Mismatch => "XAmzContentSHA256Mismatch",
            ErrorCode::NotImplemented => "NotImplemented",
            ErrorCode::IncompleteBody => "IncompleteBody",
            ErrorCode::InvalidChunkSizeError => "InvalidChunkSizeError",
            ErrorCode::MalformedTrailerError => "MalformedTrailerError",
            ErrorCode::BadDigest => "BadDigest",
            ErrorCode::MissingContentLength => "MissingContentLength",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::IncompleteSignature
            | ErrorCode::AuthorizationHeaderMalformed
            | ErrorCode::AuthorizationQueryParametersError
            | ErrorCode::InvalidArgument
            | ErrorCode::InvalidRequest
            | ErrorCode::InvalidToken
            | ErrorCode::XAmzContentSHA256Mismatch
            | ErrorCode::IncompleteBody
            | ErrorCode::MalformedTrailerError
            | ErrorCode::BadDigest => 400,
            ErrorCode::MissingAuthenticationToken
            | ErrorCode::InvalidAccessKeyId
            | ErrorCode::SignatureDoesNotMatch
            | ErrorCode::RequestTimeTooSkewed
            | ErrorCode::AccessDenied
            | ErrorCode::InvalidChunkSizeError => 403,
            ErrorCode::MissingContentLength => 411,
            ErrorCode::NotImplemented => 501,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request was rejected.
///
/// A [`ErrorCode::SignatureDoesNotMatch`] carries the server's canonical request and string to
/// sign, as AWS's own answer does, so that the client can find the difference.
///
/// ```
/// use canreq::verify::{AuthError, ErrorCode};
///
/// let e = AuthError::new(ErrorCode::InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.");
/// assert_eq!((e.code().as_str(), e.status()), ("InvalidAccessKeyId", 403));
/// assert_eq!(e.to_string(), "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthError {
    // Boxed: the error is one pointer, so a check's `Result<(), AuthError>` is one word and
    // comes back in a register; 56 bytes of it came back through memory on every request.
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    code: ErrorCode,
    message: String,
    details: Vec<(&'static str, String)>,
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("code", &self.inner.code)
            .field("message", &self.inner.message)
            .field("details", &self.inner.details)
            .finish()
    }
}

impl AuthError {
    /// An error with a code and a message.
    // Cold: errors are built off the hot path, and keeping their code out of line keeps the
    // verifier's hot path small.
    #[cold]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AuthError {
            inner: Box::new(Inner {
                code,
                message: message.into(),
                details: Vec::new(),
            }),
        }
    }

    /// Adds a named value behind the refusal (AWS's answers carry them as elements, e.g.
    /// `CanonicalRequest`).
    ///
    /// ```
    /// use canreq::verify::{AuthError, ErrorCode};
    ///
    /// let e = AuthError::new(ErrorCode::AccessDenied, "There were headers present in the request which were not signed")
    ///     .with_detail("HeadersNotSigned", "x-amz-meta-owner");
    /// assert_eq!(e.detail("HeadersNotSigned"), Some("x-amz-meta-owner"));
    /// assert_eq!(e.details(), [("HeadersNotSigned", "x-amz-meta-owner".to_string())]);
    /// ```
    #[cold]
    pub fn with_detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.inner.details.push((name, value.into()));
        self
    }

    /// The AWS error code.
    pub fn code(&self) -> ErrorCode {
        self.inner.code
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.inner.code.status()
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Named details: `CanonicalRequest`, `StringToSign`, `HeadersNotSigned`, `Region`, ….
    pub fn details(&self) -> &[(&'static str, String)] {
        &self.inner.details
    }

    /// One detail by name.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.inner
            .details
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.code, self.inner.message)
    }
}

impl std::error::Error for AuthError {}

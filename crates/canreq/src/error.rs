//! The one error type of the library.
//!
//! Every variant names the field that was wrong and, where it is not secret, the value that was
//! given, so that a message read at 2 a.m. says what to fix. Secret material (secret access keys,
//! session tokens, `Authorization` values, derived keys) is never copied into an error.

use std::fmt;

/// Everything that can go wrong while canonicalizing or signing a request.
///
/// ```
/// use canreq::{Error, Scope};
///
/// let err = Scope::new("", "iam").unwrap_err();
/// assert!(matches!(err, Error::Empty { field: "region" }));
/// assert_eq!(err.to_string(), "region is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A required field was empty.
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A field holds a character that cannot appear in it (for example a `/` in a region, which
    /// would change the credential scope, or a space in an access key id).
    InvalidCharacter {
        /// Which field.
        field: &'static str,
        /// The value as given, shortened and escaped for display.
        value: String,
        /// The offending character.
        character: char,
    },
    /// The HTTP method is not a token (RFC 9110 §5.6.2).
    InvalidMethod {
        /// The method as given, shortened and escaped for display.
        value: String,
    },
    /// The request target is not an origin-form path (`/…`).
    InvalidPath {
        /// The target as given, shortened and escaped for display.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A `%` not followed by two hex digits where the bytes are decoded or kept as sent.
    InvalidPercentEncoding {
        /// Where: `"path"`, `"query"`.
        field: &'static str,
        /// The offending component, shortened and escaped for display.
        value: String,
    },
    /// Decoded bytes or a header value are not UTF-8 where the canonical request needs text.
    NonUtf8 {
        /// Where.
        field: &'static str,
        /// The value, shown lossily, shortened and escaped for display.
        value: String,
    },
    /// A header name is not an RFC 9110 token.
    InvalidHeaderName {
        /// The name as given, shortened and escaped for display.
        name: String,
    },
    /// A header value holds a control character (bare CR or LF, NUL, DEL, …).
    InvalidHeaderValue {
        /// The header name, lowercased.
        name: String,
        /// The value, shortened and escaped for display (`<redacted>` for secret headers).
        value: String,
        /// The first offending byte.
        byte: u8,
    },
    /// The request has no `Host` header (and, for an `http::Request`, no authority in its URI).
    MissingHost,
    /// A header that is always signed (`host`, `x-amz-*`) was asked to be left unsigned.
    MustBeSigned {
        /// The header name, lowercased.
        name: String,
    },
    /// A precomputed payload hash that is neither 64 lowercase hex digits nor a known marker.
    InvalidPayloadHash {
        /// The value, shortened and escaped for display.
        value: String,
    },
    /// Presigned URL lifetime outside `1..=604800` seconds.
    ExpiresOutOfRange {
        /// The value as given.
        value: i64,
    },
    /// A time that cannot be parsed or that is outside the years 1 to 9999.
    InvalidTime {
        /// The value as given, shortened and escaped for display.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A checksum algorithm name that is not `crc32`, `crc32c`, `crc64nvme`, `sha1` or `sha256`.
    InvalidChecksumAlgorithm {
        /// The name as given, shortened and escaped for display.
        value: String,
    },
    /// An aws-chunked chunk size below the 8 KiB minimum or above the 16 MiB maximum.
    ChunkSizeOutOfRange {
        /// The size as given.
        value: usize,
    },
    /// A signing algorithm this crate knows but does not implement.
    UnsupportedAlgorithm {
        /// The algorithm's name, e.g. `AWS4-ECDSA-P256-SHA256`.
        name: &'static str,
    },
    /// A scope holds a region set, which only SigV4a signs (SigV4's scope names one region).
    RegionSetNeedsSigV4a {
        /// The region set, e.g. `us-east-1,us-west-2` or `*`.
        regions: String,
    },
    /// A captured request whose body cannot be delimited as a server would (RFC 9112 §6).
    InvalidFraming {
        /// `Content-Length` or `Transfer-Encoding`.
        header: &'static str,
        /// The offending value or line, shortened and escaped for display.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// aws-chunked chunk signatures with an algorithm whose chunk signing is not implemented
    /// (none of [`Algorithm::ALL`](crate::Algorithm::ALL) today; kept for the next algorithm).
    UnsupportedChunkSigning {
        /// The algorithm's name, e.g. `AWS4-ECDSA-P256-SHA256`.
        name: &'static str,
    },
    /// No SigV4a key could be derived from the credentials: every KDF counter up to 254 gave a
    /// candidate out of range (a chance of about 2^-8000; AWS's signers give up too).
    KeyDerivationFailed,
    /// A payload choice that does not fit the operation (e.g. a chunk encoder for a payload that
    /// is not a `STREAMING-*` mode).
    PayloadMismatch {
        /// What was expected.
        expected: &'static str,
        /// What was given.
        found: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Empty { field } => write!(f, "{field} is empty"),
            Error::InvalidCharacter {
                field,
                value,
                character,
            } => write!(
                f,
                "{field} \"{value}\" contains {character:?}, which is not allowed there"
            ),
            Error::InvalidMethod { value } => {
                write!(f, "method \"{value}\" is not a valid HTTP method token")
            }
            Error::InvalidPath { value, reason } => {
                write!(f, "request path \"{value}\" is invalid: {reason}")
            }
            Error::InvalidPercentEncoding { field, value } => write!(
                f,
                "{field} component \"{value}\" has a '%' that is not followed by two hex digits"
            ),
            Error::NonUtf8 { field, value } => {
                write!(f, "{field} \"{value}\" is not valid UTF-8")
            }
            Error::InvalidHeaderName { name } => {
                write!(f, "header name \"{name}\" is not a valid HTTP token")
            }
            Error::InvalidHeaderValue { name, value, byte } => write!(
                f,
                "header {name} has control byte 0x{byte:02x} in its value \"{value}\" \
                 (only obsolete line folding, CRLF or LF followed by a space or tab, is accepted)"
            ),
            Error::MissingHost => {
                f.write_str("request has no Host header; SigV4 always signs host")
            }
            Error::MustBeSigned { name } => write!(
                f,
                "header {name} is always signed (host and every x-amz-* header) and cannot be excluded"
            ),
            Error::InvalidPayloadHash { value } => write!(
                f,
                "payload hash \"{value}\" is neither 64 lowercase hex digits nor a known payload marker"
            ),
            Error::ExpiresOutOfRange { value } => write!(
                f,
                "X-Amz-Expires {value} is out of range: a presigned URL lives 1 to 604800 seconds (7 days)"
            ),
            Error::InvalidTime { value, reason } => {
                write!(f, "signing time \"{value}\" is invalid: {reason}")
            }
            Error::InvalidChecksumAlgorithm { value } => write!(
                f,
                "checksum algorithm \"{value}\" is not one of crc32, crc32c, crc64nvme, sha1, sha256"
            ),
            Error::ChunkSizeOutOfRange { value } => {
                write!(f, "chunk size {value} is outside 8192..=16777216 bytes")
            }
            Error::UnsupportedAlgorithm { name } => write!(
                f,
                "signing algorithm {name} is not supported yet; use AWS4-HMAC-SHA256"
            ),
            Error::RegionSetNeedsSigV4a { regions } => write!(
                f,
                "region set \"{regions}\" needs SigV4a (AWS4-ECDSA-P256-SHA256); SigV4 signs for one region"
            ),
            Error::UnsupportedChunkSigning { name } => write!(
                f,
                "aws-chunked bodies with chunks signed by {name} are not supported yet"
            ),
            Error::KeyDerivationFailed => f.write_str(
                "no SigV4a key can be derived from these credentials (every KDF counter gave a \
                 candidate out of range)",
            ),
            Error::InvalidFraming {
                header,
                value,
                reason,
            } => write!(f, "{header} \"{value}\" cannot frame the body: {reason}"),
            Error::PayloadMismatch { expected, found } => {
                write!(f, "payload is {found}, expected {expected}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The result type of this crate.
///
/// ```
/// fn scope() -> canreq::Result<canreq::Scope> {
///     canreq::Scope::new("us-east-1", "s3")
/// }
/// assert_eq!(scope()?.service(), "s3");
/// # Ok::<(), canreq::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest value echoed back in an error message, in characters.
const SHOWN_CHARS: usize = 80;

/// Escapes and shortens a value for an error message.
pub(crate) fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// Like [`shown`] for bytes that may not be UTF-8.
pub(crate) fn shown_bytes(value: &[u8]) -> String {
    shown(&String::from_utf8_lossy(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("a\nb"), "a\\nb");
        let long = "x".repeat(200);
        assert_eq!(shown(&long).chars().count(), SHOWN_CHARS + 1);
    }
}

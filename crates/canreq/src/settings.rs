//! What differs between services: path encoding, normalization, which headers are signed,
//! where the session token goes, and what the payload hash is.

use crate::canonical::UriEncoding;
use crate::encode;
use crate::error::{Error, Result, shown};

/// Headers never signed unless the caller asks: they are rewritten by proxies, added by HTTP
/// clients after signing, or are the signature itself.
///
/// ```
/// use canreq::{DEFAULT_UNSIGNED_HEADERS, SigningSettings};
///
/// assert!(DEFAULT_UNSIGNED_HEADERS.contains(&"user-agent"));
/// assert!(!SigningSettings::for_service("sts").is_signed("User-Agent"));
/// ```
pub const DEFAULT_UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Where the session token of temporary credentials goes.
///
/// ```
/// use canreq::{Credentials, Payload, Request, Scope, SessionTokenMode, Signer, SigningSettings, SigningTime};
///
/// let creds = Credentials::new("ASIAEXAMPLE", "secret")?.with_session_token("token")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let req = Request::new("GET", "/").header("Host", "example.amazonaws.com");
///
/// let signed = Signer::new(&creds, Scope::new("us-east-1", "service")?, time).sign(&req, Payload::Empty)?;
/// assert!(signed.steps().canonical_request().signed_headers().contains("x-amz-security-token"));
///
/// let mut settings = SigningSettings::for_service("service");
/// settings.session_token = SessionTokenMode::AddedAfterSigning;
/// let signed = Signer::new(&creds, Scope::new("us-east-1", "service")?, time)
///     .with_settings(settings)
///     .sign(&req, Payload::Empty)?;
/// assert_eq!(signed.steps().canonical_request().signed_headers(), "host;x-amz-date");
/// assert_eq!(signed.headers()[0].0, "X-Amz-Security-Token");
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SessionTokenMode {
    /// `X-Amz-Security-Token` is part of the canonical request (what almost every service wants).
    #[default]
    Signed,
    /// `X-Amz-Security-Token` is added after the signature is computed (some older services).
    AddedAfterSigning,
}

/// How a request is signed for a given service.
///
/// ```
/// use canreq::{SigningSettings, UriEncoding};
///
/// let s3 = SigningSettings::for_service("s3");
/// assert_eq!(s3.uri_encoding, UriEncoding::Single);
/// assert!(!s3.normalize_path && s3.content_sha256_header);
///
/// let iam = SigningSettings::for_service("iam").sign_header("user-agent").unsign_header("content-type")?;
/// assert_eq!(iam.uri_encoding, UriEncoding::Double);
/// assert!(iam.is_signed("User-Agent") && !iam.is_signed("content-type") && iam.is_signed("host"));
/// assert!(SigningSettings::default().unsign_header("x-amz-meta-a").is_err());
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningSettings {
    /// Double (every service but S3) or single (S3) encoding of the path.
    pub uri_encoding: UriEncoding,
    /// Remove `.`/`..` segments and repeated slashes (off for S3).
    pub normalize_path: bool,
    /// Send and sign `x-amz-content-sha256` with the payload hash (always on for S3).
    pub content_sha256_header: bool,
    /// Where the session token goes.
    pub session_token: SessionTokenMode,
    /// Lowercase names signed although they are in [`DEFAULT_UNSIGNED_HEADERS`].
    signed_extra: Vec<Box<str>>,
    /// Lowercase names left unsigned although present.
    unsigned_extra: Vec<Box<str>>,
}

impl Default for SigningSettings {
    /// The rules of every service but S3.
    fn default() -> Self {
        let (uri_encoding, normalize_path) = path_rules(false);
        SigningSettings {
            uri_encoding,
            normalize_path,
            content_sha256_header: false,
            session_token: SessionTokenMode::Signed,
            signed_extra: Vec::new(),
            unsigned_extra: Vec::new(),
        }
    }
}

impl SigningSettings {
    /// The S3 rules: single encoding, no normalization, `x-amz-content-sha256` sent.
    pub fn s3() -> Self {
        let (uri_encoding, normalize_path) = path_rules(true);
        SigningSettings {
            uri_encoding,
            normalize_path,
            content_sha256_header: true,
            ..Self::default()
        }
    }

    /// The rules for a service by its signing name: [`SigningSettings::s3`] for `s3`,
    /// `s3-object-lambda`, `s3-outposts` and `s3express`, the default otherwise.
    pub fn for_service(service: &str) -> Self {
        if is_s3_family(service) {
            Self::s3()
        } else {
            Self::default()
        }
    }

    /// Also sign `name` when present, even if it is normally left unsigned (e.g. `user-agent`).
    pub fn sign_header(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.unsigned_extra.retain(|n| **n != *name);
        if !self.signed_extra.iter().any(|n| **n == *name) {
            self.signed_extra.push(name.into());
        }
        self
    }

    /// Leave `name` unsigned even when present. `host` and `x-amz-*` headers are always signed:
    /// asking to leave one of them unsigned is an error.
    pub fn unsign_header(mut self, name: &str) -> Result<Self> {
        let name = name.to_ascii_lowercase();
        if is_always_signed(&name) {
            return Err(Error::MustBeSigned { name: shown(&name) });
        }
        self.signed_extra.retain(|n| **n != *name);
        if !self.unsigned_extra.iter().any(|n| **n == *name) {
            self.unsigned_extra.push(name.into());
        }
        Ok(self)
    }

    /// Whether a header of this name (any case) is signed when present.
    pub fn is_signed(&self, name: &str) -> bool {
        if is_always_signed_ignore_case(name) {
            return true;
        }
        let listed = |list: &[Box<str>]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
        if listed(&self.unsigned_extra) {
            return false;
        }
        if listed(&self.signed_extra) {
            return true;
        }
        !DEFAULT_UNSIGNED_HEADERS
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// How a service's path is canonicalized (encoding, and whether `.`, `..` and repeated slashes
/// are removed): S3's family encodes once and keeps the path as sent, every other service
/// encodes twice and normalizes. The verifier reads only this of a service's settings.
pub(crate) const fn path_rules(s3_family: bool) -> (UriEncoding, bool) {
    if s3_family {
        (UriEncoding::Single, false)
    } else {
        (UriEncoding::Double, true)
    }
}

/// Whether the service's signing name follows S3's rules.
///
/// ```
/// assert!(canreq::is_s3_family("s3") && canreq::is_s3_family("s3express"));
/// assert!(!canreq::is_s3_family("S3") && !canreq::is_s3_family("iam"));
/// ```
pub fn is_s3_family(service: &str) -> bool {
    matches!(
        service,
        "s3" | "s3-object-lambda" | "s3-outposts" | "s3express"
    )
}

fn is_always_signed(lowercase: &str) -> bool {
    lowercase == "host" || lowercase.starts_with("x-amz-")
}

pub(crate) fn is_always_signed_ignore_case(name: &str) -> bool {
    name.eq_ignore_ascii_case("host")
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
}

/// The payload hash marker for an unsigned payload.
///
/// ```
/// assert_eq!(canreq::Payload::Unsigned.hash()?, canreq::UNSIGNED_PAYLOAD);
/// # Ok::<(), canreq::Error>(())
/// ```
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// aws-chunked, each chunk signed.
///
/// ```
/// use canreq::chunked::StreamingMode;
///
/// assert_eq!(StreamingMode::from_marker(canreq::STREAMING_SIGNED), Some(StreamingMode::Signed));
/// ```
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// aws-chunked, each chunk signed, then signed trailing headers.
///
/// ```
/// use canreq::chunked::StreamingMode;
///
/// assert_eq!(StreamingMode::SignedWithTrailer.marker(), canreq::STREAMING_SIGNED_TRAILER);
/// ```
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// aws-chunked, unsigned chunks, then trailing checksum headers.
///
/// ```
/// assert_eq!(canreq::Payload::StreamingUnsignedTrailer.hash()?, canreq::STREAMING_UNSIGNED_TRAILER);
/// # Ok::<(), canreq::Error>(())
/// ```
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// SHA-256 of the empty string: the payload hash of a request with no body.
///
/// ```
/// assert_eq!(canreq::Payload::Empty.hash()?, canreq::EMPTY_SHA256);
/// # Ok::<(), canreq::Error>(())
/// ```
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What the last line of the canonical request says about the body.
///
/// ```
/// use canreq::Payload;
///
/// assert_eq!(Payload::Bytes(b"").hash()?, canreq::EMPTY_SHA256);
/// assert_eq!(Payload::Unsigned.hash()?, "UNSIGNED-PAYLOAD");
/// assert!(Payload::Precomputed("not-a-hash").hash().is_err());
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// No body: the hash of the empty string.
    Empty,
    /// The body: its SHA-256 is computed.
    Bytes(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// A SHA-256 the caller computed (64 lowercase hex digits), e.g. while streaming a file.
    Precomputed(&'a str),
    /// aws-chunked with chunks signed by the signer's algorithm:
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` under SigV4, `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`
    /// under SigV4a ([`hash`](Self::hash) gives SigV4's).
    StreamingSigned,
    /// As [`StreamingSigned`](Self::StreamingSigned), with a signed trailer: `…-PAYLOAD-TRAILER`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
}

impl Payload<'_> {
    /// The payload hash line.
    pub fn hash(&self) -> Result<String> {
        use sha2::{Digest, Sha256};
        Ok(match *self {
            Payload::Empty => EMPTY_SHA256.to_owned(),
            Payload::Bytes(body) => encode::hex(&Sha256::digest(body)),
            Payload::Unsigned => UNSIGNED_PAYLOAD.to_owned(),
            Payload::Precomputed(hash) => {
                let mut scratch = [0u8; 32];
                if !encode::parse_lower_hex(hash, &mut scratch) {
                    return Err(Error::InvalidPayloadHash { value: shown(hash) });
                }
                hash.to_owned()
            }
            Payload::StreamingSigned => STREAMING_SIGNED.to_owned(),
            Payload::StreamingSignedTrailer => STREAMING_SIGNED_TRAILER.to_owned(),
            Payload::StreamingUnsignedTrailer => STREAMING_UNSIGNED_TRAILER.to_owned(),
        })
    }
}

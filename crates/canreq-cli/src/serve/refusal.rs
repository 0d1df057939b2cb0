//! Why `serve` refused a request: the verifier said no, or the server's own limits did.

use std::borrow::Cow;

use canreq::verify::AuthError;

/// A refusal, whoever made it; rendered the same way either way (see `render`).
#[derive(Debug)]
pub enum Refusal {
    /// The verifier refused the request (or the server refused it as a verifier would).
    Verifier(AuthError),
    /// The server's own limits refused it.
    Server(ServerRefusal),
}

impl Refusal {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Verifier(e) => e.code().as_str(),
            Refusal::Server(e) => e.code,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Verifier(e) => e.status(),
            Refusal::Server(e) => e.status,
        }
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Verifier(e) => e.message(),
            Refusal::Server(e) => &e.message,
        }
    }

    /// Named values the document carries after the message.
    pub fn details(&self) -> &[(&'static str, String)] {
        match self {
            Refusal::Verifier(e) => e.details(),
            Refusal::Server(e) => &e.details,
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Self {
        Refusal::Verifier(e)
    }
}

impl From<ServerRefusal> for Refusal {
    fn from(e: ServerRefusal) -> Self {
        Refusal::Server(e)
    }
}

/// What the server refuses whatever the signature: a body too large, a client too slow. The
/// codes, messages and statuses are S3's for the same limits: its error list ("Error
/// responses", Amazon S3 API Reference) gives both `EntityTooLarge` and `RequestTimeout` as
/// `400 Bad Request`, not HTTP's `413`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRefusal {
    status: u16,
    code: &'static str,
    message: Cow<'static, str>,
    details: Vec<(&'static str, String)>,
}

impl ServerRefusal {
    /// The body is larger than `max_bytes`.
    pub fn too_large(max_bytes: u64) -> Self {
        ServerRefusal {
            status: 400,
            code: "EntityTooLarge",
            message: Cow::Borrowed("Your proposed upload exceeds the maximum allowed size."),
            details: vec![("MaxSizeAllowed", max_bytes.to_string())],
        }
    }

    /// The client sent nothing of the body for longer than the server waits.
    pub fn too_slow() -> Self {
        ServerRefusal {
            status: 400,
            code: "RequestTimeout",
            message: Cow::Borrowed(
                "Your socket connection to the server was not read from or written to within the timeout period.",
            ),
            details: Vec::new(),
        }
    }

    /// The server failed on its side (a temporary file it could not write).
    pub fn internal(message: String) -> Self {
        ServerRefusal {
            status: 500,
            code: "InternalError",
            message: Cow::Owned(message),
            details: Vec::new(),
        }
    }

    /// S3's code for a request it cannot parse as HTTP.
    pub const MALFORMED_HTTP: &'static str = "InvalidRequest";
    /// S3's code for a request head over its size limit.
    pub const HEAD_TOO_LARGE: &'static str = "RequestHeaderSectionTooLarge";

    /// The request head is not HTTP/1.1 as RFC 9112 writes it (`why` says where).
    pub fn malformed_http(why: impl Into<Cow<'static, str>>) -> Self {
        ServerRefusal {
            status: 400,
            code: Self::MALFORMED_HTTP,
            message: why.into(),
            details: Vec::new(),
        }
    }

    /// The request head is larger than `max_bytes`.
    pub fn head_too_large(max_bytes: usize) -> Self {
        ServerRefusal {
            status: 400,
            code: Self::HEAD_TOO_LARGE,
            message: Cow::Borrowed("Your request header section exceeds the maximum allowed size."),
            details: vec![("MaxSizeAllowed", max_bytes.to_string())],
        }
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

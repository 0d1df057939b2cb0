//! The CLI's errors and exit codes.

use std::fmt;

/// Exit codes: 1 a verdict or answer that says no, 2 bad input, 3 network failure, 22 an HTTP
/// error under `--fail` (curl's code), 28 a timeout (curl's code for it, so scripts written for
/// curl keep working), 130 interrupted by Ctrl-C (what a shell reports for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request was refused (bad signature, AWS error answer).
    Refused,
    /// Malformed input: URL, header, file, flag, credentials, date.
    Usage,
    /// Could not bind, connect or talk to the peer.
    Network,
    /// The peer took longer than allowed (`--connect-timeout`, `--read-timeout`, `--max-time`).
    Timeout,
    /// An answer of 400 or more under `--fail` or `--fail-with-body`.
    HttpFailure,
    /// Ctrl-C while the answer was being written.
    Interrupted,
}

/// One line for the user, and an exit code.
#[derive(Debug)]
pub struct CliError {
    kind: Kind,
    message: String,
}

impl CliError {
    fn of(kind: Kind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::of(Kind::Usage, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::of(Kind::Network, message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Timeout,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::of(Kind::Refused, message)
    }

    pub fn http_failure(message: impl Into<String>) -> Self {
        Self::of(Kind::HttpFailure, message)
    }

    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::of(Kind::Interrupted, message)
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Refused => 1,
            Kind::Usage => 2,
            Kind::Network => 3,
            Kind::Timeout => 28,
            Kind::HttpFailure => 22,
            Kind::Interrupted => 130,
        }
    }
}

impl CliError {
    /// The same error with `more` added on a line of its own (a hint).
    pub fn with_hint(mut self, more: &str) -> Self {
        self.message.push('\n');
        self.message.push_str(more);
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<canreq::Error> for CliError {
    fn from(e: canreq::Error) -> Self {
        CliError::usage(e.to_string())
    }
}

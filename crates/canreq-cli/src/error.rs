//! The CLI's errors and exit codes.

use std::fmt;

/// Exit codes: 1 a verdict or answer that says no, 2 bad input, 3 network failure, 28 a
/// timeout (curl's code for it, so scripts written for curl keep working).
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
}

/// One line for the user, and an exit code.
#[derive(Debug)]
pub struct CliError {
    kind: Kind,
    message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Usage,
            message: message.into(),
        }
    }

    pub fn network(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Network,
            message: message.into(),
        }
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Timeout,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        CliError {
            kind: Kind::Refused,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Refused => 1,
            Kind::Usage => 2,
            Kind::Network => 3,
            Kind::Timeout => 28,
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

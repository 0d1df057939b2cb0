//! Request bodies: text, stdin, or a file that is hashed and then streamed, never held whole.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::error::CliError;

/// Read size for hashing and sending files.
pub const PIECE: usize = 256 * 1024;

/// Bodies over this size get a progress bar on a terminal.
pub const PROGRESS_THRESHOLD: u64 = 8 * 1024 * 1024;

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// Text, stdin, or several `-d` joined.
    Bytes(Vec<u8>),
    /// One `-d @FILE`: hashed, then streamed from disk.
    File { path: PathBuf, len: u64 },
}

impl Body {
    /// From the `-d` values: one `@FILE` stays a file; anything else is read and joined with `&`.
    pub fn from_data(data: &[String]) -> Result<Body, CliError> {
        match data {
            [] => Ok(Body::Empty),
            [one] if one.starts_with('@') && one != "@-" => {
                let path = PathBuf::from(&one[1..]);
                let meta = std::fs::metadata(&path)
                    .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
                if !meta.is_file() {
                    return Err(CliError::usage(format!(
                        "{} is not a regular file",
                        path.display()
                    )));
                }
                Ok(Body::File {
                    path,
                    len: meta.len(),
                })
            }
            many => {
                let mut out = Vec::new();
                for (i, d) in many.iter().enumerate() {
                    if i > 0 {
                        out.push(b'&');
                    }
                    match d.strip_prefix('@') {
                        Some("-") => {
                            std::io::stdin().read_to_end(&mut out).map_err(|e| {
                                CliError::usage(format!("cannot read the body from stdin: {e}"))
                            })?;
                        }
                        Some(path) => {
                            File::open(path)
                                .and_then(|mut f| f.read_to_end(&mut out))
                                .map_err(|e| CliError::usage(format!("cannot read {path}: {e}")))?;
                        }
                        None => out.extend_from_slice(d.as_bytes()),
                    }
                }
                Ok(Body::Bytes(out))
            }
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// Hex SHA-256, reading a file once in pieces.
    pub fn sha256_hex(&self) -> Result<String, CliError> {
        let digest = match self {
            Body::Empty => Sha256::digest(b""),
            Body::Bytes(b) => Sha256::digest(b),
            Body::File { path, len } => {
                let mut file = open(path)?;
                let mut hasher = Sha256::new();
                let mut buf = vec![0u8; PIECE];
                let mut progress = Progress::new("hashing", *len);
                let mut seen = 0u64;
                loop {
                    let n = file.read(&mut buf).map_err(|e| {
                        CliError::usage(format!("cannot read {}: {e}", path.display()))
                    })?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                    seen += n as u64;
                    progress.update(seen);
                }
                progress.done();
                if seen != *len {
                    return Err(CliError::usage(format!(
                        "{} changed size while being read ({len} then {seen} bytes)",
                        path.display()
                    )));
                }
                hasher.finalize()
            }
        };
        Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Opens a body file for reading.
pub fn open(path: &std::path::Path) -> Result<File, CliError> {
    File::open(path).map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
}

/// A one-line progress bar on stderr, shown only for large bodies on a terminal.
pub struct Progress {
    label: &'static str,
    total: u64,
    shown: bool,
    last_percent: u64,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Progress {
        use std::io::IsTerminal;
        Progress {
            label,
            total,
            shown: total > PROGRESS_THRESHOLD
                && std::io::stderr().is_terminal()
                && !crate::quiet::silent(),
            last_percent: u64::MAX,
        }
    }

    pub fn update(&mut self, done: u64) {
        if !self.shown || self.total == 0 {
            return;
        }
        let percent = done.min(self.total) * 100 / self.total;
        if percent == self.last_percent {
            return;
        }
        self.last_percent = percent;
        let filled = (percent / 4) as usize;
        eprint!(
            "\r{:>9} [{}{}] {percent:>3}% {:.1}/{:.1} MiB",
            self.label,
            "#".repeat(filled),
            " ".repeat(25 - filled),
            done as f64 / 1048576.0,
            self.total as f64 / 1048576.0
        );
    }

    pub fn done(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}

/// The whole of a file, or of stdin for `-`.
pub fn read_all(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
        Ok(buf)
    } else {
        std::fs::read(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
    }
}

//! Where a response body goes. A file named by `-o` is replaced only once the whole body has
//! arrived: the body is written to a temporary file beside it and renamed over it, so a failed,
//! cut or interrupted download leaves the old file as it was. Stdout gets curl's rule for
//! terminals: binary data is not dumped there unless `-o -` asks for it.

use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::CliError;

/// The `-o` flag's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Stdout; `asked` when `-o -` named it, which lets binary data reach a terminal.
    Stdout {
        asked: bool,
    },
    File(PathBuf),
}

impl Destination {
    pub fn from_flag(output: Option<&Path>) -> Destination {
        match output {
            None => Destination::Stdout { asked: false },
            Some(p) if p.as_os_str() == "-" => Destination::Stdout { asked: true },
            Some(p) => Destination::File(p.to_owned()),
        }
    }

    /// Stdout, and a terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Destination::Stdout { .. }) && std::io::stdout().is_terminal()
    }
}

/// A body being written to its destination.
pub struct Sink {
    inner: Inner,
    /// Refuse bytes that look binary (stdout is a terminal and `-o -` was not given).
    refuse_binary: bool,
}

enum Inner {
    Stdout(BufWriter<Stdout>),
    File {
        part: BufWriter<NamedTempFile>,
        target: PathBuf,
    },
}

impl Sink {
    /// Opens the destination; a file's temporary sibling is created now, so an unwritable
    /// directory is reported before anything is downloaded.
    pub fn open(destination: &Destination) -> Result<Sink, CliError> {
        Ok(match destination {
            Destination::Stdout { asked } => Sink {
                inner: Inner::Stdout(BufWriter::with_capacity(64 * 1024, std::io::stdout())),
                refuse_binary: !asked && std::io::stdout().is_terminal(),
            },
            Destination::File(target) => Sink {
                inner: Inner::File {
                    part: BufWriter::with_capacity(256 * 1024, part_file(target)?),
                    target: target.clone(),
                },
                refuse_binary: false,
            },
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        // curl's test: a NUL byte is never text.
        if self.refuse_binary && bytes.contains(&0) {
            return Err(CliError::usage(
                "binary output can mess up your terminal: use \"-o -\" to write it here \
                 anyway, or \"-o FILE\" to save it to a file",
            ));
        }
        let result = match &mut self.inner {
            Inner::Stdout(out) => out.write_all(bytes),
            Inner::File { part, .. } => part.write_all(bytes),
        };
        result.map_err(|e| self.write_error(e))
    }

    /// Flushes stdout, or puts the finished file in place of the target.
    pub fn commit(self) -> Result<(), CliError> {
        match self.inner {
            Inner::Stdout(mut out) => out
                .flush()
                .map_err(|e| CliError::usage(format!("cannot write to stdout: {e}"))),
            Inner::File { part, target } => {
                let cannot = |e: &dyn std::fmt::Display| {
                    CliError::usage(format!("cannot write {}: {e}", target.display()))
                };
                let part = part.into_inner().map_err(|e| cannot(e.error()))?;
                part.persist(&target).map_err(|e| cannot(&e.error))?;
                Ok(())
            }
        }
    }

    fn write_error(&self, e: std::io::Error) -> CliError {
        match &self.inner {
            Inner::Stdout(_) => CliError::usage(format!("cannot write to stdout: {e}")),
            Inner::File { target, .. } => {
                CliError::usage(format!("cannot write {}: {e}", target.display()))
            }
        }
    }
}

/// A temporary file in the target's directory (a rename within one file system is atomic), with
/// the target's permissions when it exists, else the ones a new file gets.
fn part_file(target: &Path) -> Result<NamedTempFile, CliError> {
    let cannot =
        |e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", target.display()));
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".canreq-part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Narrowed by the umask, as any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let part = builder.tempfile_in(dir).map_err(cannot)?;
    if let Ok(meta) = std::fs::metadata(target) {
        if !meta.is_file() {
            return Err(CliError::usage(format!(
                "{} exists and is not a regular file",
                target.display()
            )));
        }
        part.as_file()
            .set_permissions(meta.permissions())
            .map_err(cannot)?;
    }
    Ok(part)
}

//! Request bodies: text, or a file that is hashed and then streamed, never held whole. Stdin
//! becomes such a file: it is spooled to a temporary file, hashed on the way, because a
//! signature needs the body's hash and length before the first byte is sent.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

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
    /// One `-d @FILE`: hashed, then streamed from disk; or stdin, spooled to disk.
    File {
        path: PathBuf,
        len: u64,
        /// Set when the file is stdin's spool, which it keeps alive.
        spool: Option<Arc<Spool>>,
    },
}

/// Stdin (with any other `-d` joined to it) in a temporary file, removed when the last body
/// holding it is dropped.
#[derive(Debug)]
pub struct Spool {
    _file: tempfile::TempPath,
    sha256: String,
}

impl Body {
    /// From the `-d` values: one `@FILE` stays a file; anything else is read and joined with `&`.
    pub fn from_data(data: &[String]) -> Result<Body, CliError> {
        if data.iter().any(|d| d == "@-") {
            return spool(data);
        }
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
                    spool: None,
                })
            }
            many => {
                let mut out = Vec::new();
                for (i, d) in many.iter().enumerate() {
                    if i > 0 {
                        out.push(b'&');
                    }
                    match d.strip_prefix('@') {
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
            Body::File {
                spool: Some(spool), ..
            } => return Ok(spool.sha256.clone()),
            Body::File { path, len, .. } => {
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
        Ok(hex(&digest))
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `-d` values joined with `&` into a temporary file, stdin read in pieces: memory stays
/// the same whatever the size.
fn spool(data: &[String]) -> Result<Body, CliError> {
    let temp_error =
        |e: std::io::Error| CliError::usage(format!("cannot spool stdin to a temporary file: {e}"));
    let file = tempfile::Builder::new()
        .prefix(".canreq-stdin-")
        .tempfile()
        .map_err(temp_error)?;
    let mut spooled = Spooled {
        out: std::io::BufWriter::with_capacity(PIECE, file),
        hasher: Sha256::new(),
        len: 0,
    };
    let mut buf = vec![0u8; PIECE];
    for (i, d) in data.iter().enumerate() {
        if i > 0 {
            spooled.put(b"&").map_err(temp_error)?;
        }
        match d.strip_prefix('@') {
            Some("-") => {
                let stdin = std::io::stdin();
                let mut progress = Progress::streaming("reading stdin");
                spooled
                    .copy(&mut stdin.lock(), &mut buf, &mut progress)
                    .map_err(|e| CliError::usage(format!("cannot spool stdin: {e}")))?;
                progress.done();
            }
            Some(path) => {
                let mut file = open(std::path::Path::new(path))?;
                spooled
                    .copy(&mut file, &mut buf, &mut Progress::hidden())
                    .map_err(|e| CliError::usage(format!("cannot spool {path}: {e}")))?;
            }
            None => spooled.put(d.as_bytes()).map_err(temp_error)?,
        }
    }
    let Spooled { out, hasher, len } = spooled;
    let file = out.into_inner().map_err(|e| temp_error(e.into_error()))?;
    let file = file.into_temp_path();
    Ok(Body::File {
        path: file.to_path_buf(),
        len,
        spool: Some(Arc::new(Spool {
            _file: file,
            sha256: hex(&hasher.finalize()),
        })),
    })
}

/// A spool being written: the file, the hash and the length so far.
struct Spooled {
    out: std::io::BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    len: u64,
}

impl Spooled {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    fn copy(
        &mut self,
        from: &mut impl Read,
        buf: &mut [u8],
        progress: &mut Progress,
    ) -> std::io::Result<()> {
        loop {
            let n = match from.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.put(&buf[..n])?;
            progress.update(self.len);
        }
    }
}

/// Opens a body file for reading.
pub fn open(path: &std::path::Path) -> Result<File, CliError> {
    File::open(path).map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
}

/// A progress bar on stderr (bytes, rate, elapsed time), shown only on a terminal and only
/// past [`PROGRESS_THRESHOLD`] bytes: from the start for a body known to be larger, from the
/// moment it is reached for stdin, whose size is known only at its end.
pub struct Progress {
    bar: indicatif::ProgressBar,
    /// The count at which the bar appears; `None` once shown, or when it never will be.
    show_at: Option<u64>,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Progress {
        let style = indicatif::ProgressStyle::with_template(
            "{msg:>9} [{bar:25}] {bytes}/{total_bytes} {binary_bytes_per_sec} {elapsed}",
        )
        .map(|s| s.progress_chars("#> "));
        let show_at = (total > PROGRESS_THRESHOLD).then_some(0);
        Self::styled(label, Some(total), style, show_at)
    }

    /// A counter for a stream of unknown size.
    pub fn streaming(label: &'static str) -> Progress {
        let style = indicatif::ProgressStyle::with_template(
            "{msg:>9} {spinner} {bytes} {binary_bytes_per_sec} {elapsed}",
        );
        Self::styled(label, None, style, Some(PROGRESS_THRESHOLD))
    }

    /// No bar at all.
    pub fn hidden() -> Progress {
        Progress {
            bar: indicatif::ProgressBar::hidden(),
            show_at: None,
        }
    }

    fn styled(
        label: &'static str,
        total: Option<u64>,
        style: Result<indicatif::ProgressStyle, indicatif::style::TemplateError>,
        show_at: Option<u64>,
    ) -> Progress {
        use std::io::IsTerminal;
        match style {
            Ok(style) if std::io::stderr().is_terminal() && !crate::quiet::silent() => {
                let bar = indicatif::ProgressBar::with_draw_target(
                    total,
                    indicatif::ProgressDrawTarget::hidden(),
                );
                bar.set_style(style);
                bar.set_message(label);
                let mut progress = Progress { bar, show_at };
                progress.update(0);
                progress
            }
            _ => Progress::hidden(),
        }
    }

    pub fn update(&mut self, done: u64) {
        if self.show_at.is_some_and(|at| done >= at) {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.show_at = None;
        }
        self.bar.set_position(done);
    }

    pub fn done(&mut self) {
        self.bar.finish();
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

//! Standard output that reports a failed write instead of panicking: `println!` panics when
//! stdout is a closed pipe (`canreq sign … | head -1`) or a full disk.

use std::fmt;
use std::io::Write;

use crate::error::CliError;

/// `println!` returning `Result<(), CliError>`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

/// `print!` returning `Result<(), CliError>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::text(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};

/// Writes `args` and a newline to stdout.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), CliError> {
    write(|w| writeln!(w, "{args}"))
}

/// Writes `args` to stdout.
pub fn text(args: fmt::Arguments<'_>) -> Result<(), CliError> {
    write(|w| write!(w, "{args}"))
}

/// Writes bytes to stdout.
pub fn bytes(b: &[u8]) -> Result<(), CliError> {
    write(|w| w.write_all(b))
}

fn write(
    f: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    f(&mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::usage(format!("cannot write to stdout: {e}")))
}

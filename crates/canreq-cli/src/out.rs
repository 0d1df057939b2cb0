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

/// `--color`: when to colour what goes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (or TERM=dumb).
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Colours for keys, strings and the status line, or none: escape sequences are added to text
/// canreq lays out, never filtered into or out of the server's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// No colour.
    pub const PLAIN: Paint = Paint { on: false };
    /// Colour whatever the output is.
    #[cfg(test)]
    pub const COLOURED: Paint = Paint { on: true };
    /// JSON keys, XML tags, header names.
    pub const KEY: anstyle::Style = anstyle::AnsiColor::Blue.on_default().bold();
    /// JSON strings, XML text.
    pub const STRING: anstyle::Style = anstyle::AnsiColor::Green.on_default();
    const SUCCESS: anstyle::Style = anstyle::AnsiColor::Green.on_default().bold();
    const FAILURE: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();

    /// For stdout as `--color` asks: `auto` follows anstream's rules (a terminal, NO_COLOR
    /// unset, CLICOLOR/CLICOLOR_FORCE honoured).
    pub fn for_stdout(when: ColorWhen) -> Paint {
        let on = match when {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        };
        Paint { on }
    }

    pub fn key(self, out: &mut String, text: &str) {
        self.styled(out, Self::KEY, text);
    }

    pub fn string(self, out: &mut String, text: &str) {
        self.styled(out, Self::STRING, text);
    }

    /// A status line, green for 2xx, red otherwise.
    pub fn status(self, out: &mut String, text: &str, success: bool) {
        let style = if success {
            Self::SUCCESS
        } else {
            Self::FAILURE
        };
        self.styled(out, style, text);
    }

    fn styled(self, out: &mut String, style: anstyle::Style, text: &str) {
        if self.on {
            out.push_str(&format!("{}{text}{}", style.render(), style.render_reset()));
        } else {
            out.push_str(text);
        }
    }
}

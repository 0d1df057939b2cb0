//! Running `canreq` with a terminal for stdout and stderr (a pseudo-terminal opened by the
//! venv's Python, which `.ci/run` always installs), for what canreq does only on a terminal.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{Run, peer};

const PTY_RUNNER: &str = r#"
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdout=slave, stderr=slave)
os.close(slave)
out = []
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out.append(data)
sys.stdout.buffer.write(b"".join(out))
sys.exit(child.wait())
"#;

/// Runs `cmd` with stdout and stderr on one pseudo-terminal (their text interleaved, line ends
/// as `\n`), stdin from `stdin` or nothing; `None` when the Python peer is missing outside CI.
pub fn on_terminal(cmd: &Command, stdin: Option<&Path>) -> Option<Run> {
    let python = peer("CANREQ_PYTHON", "a Python to open a pseudo-terminal")?;
    let mut wrapped = Command::new(python);
    wrapped
        .arg("-c")
        .arg(PTY_RUNNER)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    wrapped.stdin(match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).expect("the stdin file")),
        None => Stdio::null(),
    });
    let out = wrapped.output().expect("the pty runner starts");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "{cmd:?} panicked: {text}"
    );
    Some(Run {
        code: out.status.code(),
        stdout: text.into_bytes(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

//! Shared by the CLI's tests: a server child (moto, s3s-fs, `canreq serve`) killed on drop and
//! waited for until its loopback port accepts, private temporary directories, and `canreq` runs
//! with a private HOME and no AWS environment, checked never to panic, so nothing leaves
//! 127.0.0.1.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

mod arrivals;
mod canned;
mod listener;
mod recorder;
mod terminal;

pub use arrivals::Arrivals;
pub use canned::{After, Canned};
pub use recorder::{Recorded, Recorder};
pub use terminal::on_terminal;

use crate::common;

/// A peer program named by an environment variable (`CANREQ_PYTHON`, `CANREQ_S3S_FS`).
/// Missing: a failure in CI, elsewhere a "skipped" line and `None`.
pub fn peer(var: &str, what: &str) -> Option<PathBuf> {
    let why = match std::env::var_os(var) {
        None => format!("{var} is not set ({what})"),
        Some(p) if !Path::new(&p).is_file() => {
            format!("{var}={} is not a file ({what})", Path::new(&p).display())
        }
        Some(p) => return Some(PathBuf::from(p)),
    };
    if common::in_ci() {
        panic!("{why}; in CI a missing peer is a failure");
    }
    eprintln!("skipped: {why}");
    None
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("canreq-peer-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server process on a loopback port; killed and reaped on drop, so a failing test leaves
/// nothing running.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
    /// The line that heads this attempt's output in `log`.
    header: String,
}

impl Server {
    /// Starts `make(port)` on a free port, its output going to `log`, and waits until the port
    /// accepts connections. A child that dies at once (say, the port was taken between finding
    /// and binding it) is retried on another port.
    pub fn start(name: &str, log: &Path, make: impl Fn(u16) -> Command) -> Server {
        Self::start_until(name, log, make, Ready::Listening)
    }

    /// [`start`](Self::start) for a plain-HTTP server, ready once it answers a request (any
    /// status): the kernel accepts connections on a listening socket before the program runs
    /// its accept loop. A child that opens its port and closes it again before answering is
    /// retried on another port, as one that dies at once.
    pub fn start_http(name: &str, log: &Path, make: impl Fn(u16) -> Command) -> Server {
        Self::start_until(name, log, make, Ready::AnswersHttp)
    }

    fn start_until(name: &str, log: &Path, make: impl Fn(u16) -> Command, ready: Ready) -> Server {
        // One log for all attempts, each headed by its port: a retry keeps what the attempt
        // before it said.
        let _ = std::fs::remove_file(log);
        for attempt in 1..=3 {
            let port = free_port();
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap();
            let header = format!("--- {name}, attempt {attempt}, port {port}\n");
            out.write_all(header.as_bytes()).unwrap();
            let err = out.try_clone().unwrap();
            let child = make(port)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
            let mut server = Server {
                child,
                port,
                log: log.to_owned(),
                header,
            };
            if server.wait_ready(name, ready) {
                return server;
            }
        }
        panic!("{name} would not start:\n{}", read_log(log));
    }

    /// Polls the port; false when the child exited first, or closed its port again.
    fn wait_ready(&mut self, name: &str, ready: Ready) -> bool {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut opened = false;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                eprintln!("{name} exited early ({status}):\n{}", read_log(&self.log));
                return false;
            }
            if let Ok(stream) = probe(self.port, Duration::from_millis(200)) {
                opened = true;
                if ready == Ready::Listening || answers_http(stream) {
                    return true;
                }
            } else if opened {
                eprintln!(
                    "{name} closed its port again before answering: {}\n{}",
                    self.state(),
                    read_log(&self.log)
                );
                return false;
            }
            if Instant::now() > deadline {
                panic!(
                    "{name} was not ready on port {} within 90 s ({ready:?}): {}\n{}",
                    self.port,
                    self.state(),
                    read_log(&self.log)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The child's process id (for memory figures read from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the process SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {}: {status}", self.child.id());
    }

    /// Waits up to `within` for the process to exit; its status, or `None` if it still runs.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `within` until the server's port refuses connections (it stopped
    /// accepting); panics if it still accepts then.
    pub fn wait_refusing(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            match TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                // Reset: the attempt met the listening socket as it closed.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                    ) =>
                {
                    return;
                }
                Err(e) => panic!("connecting to port {}: {e}", self.port),
                Ok(_) if Instant::now() > deadline => {
                    panic!("still accepting after {within:?}: {}", self.state())
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        let all = read_log(&self.log);
        match all.rfind(&self.header) {
            Some(at) => all[at + self.header.len()..].to_owned(),
            None => all,
        }
    }

    /// The whole log: every start attempt's output under a line naming its port, for failure
    /// messages.
    pub fn log_of_every_attempt(&self) -> String {
        read_log(&self.log)
    }

    /// Whether the process still runs and its port still accepts connections, for failure
    /// messages: a request that met a closed connection and left nothing in the log is told
    /// apart from one whose server had died. (Linux: the state is read from `/proc`.)
    pub fn state(&self) -> String {
        let pid = self.child.id();
        let process = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state is the field after the parenthesised command name.
            Ok(stat) => match stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next())
            {
                Some('Z') => "has exited (not yet reaped)".to_owned(),
                Some(state) => format!("is alive (state {state})"),
                None => format!("is in an unreadable state: {stat}"),
            },
            Err(e) => format!("cannot be seen in /proc ({e})"),
        };
        let port = match probe(self.port, Duration::from_millis(500)) {
            Ok(_) => "accepts connections".to_owned(),
            Err(e) => format!("does not accept connections ({e})"),
        };
        format!(
            "process {pid} {process}; port {} {port}; {}",
            self.port,
            listener::owner(self.port)
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A port nobody listens on right now, and that no other test of this process was given: the
/// port is released before the server binds it, and the kernel may hand the same one to a test
/// starting beside it (two servers on one port, or one test talking to another's).
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if given.insert(port) {
            return port;
        }
    }
}

/// `canreq` with `home` as HOME and every `AWS_*`/`CANREQ_*` variable removed, instance metadata
/// off: the credential chain sees only what the test puts there.
pub fn canreq(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canreq"));
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("AWS_") || k.starts_with("CANREQ_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// What a finished process said.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Panics with both outputs unless the exit code is `code`.
    pub fn expect_code(&self, code: i32, what: &str) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: exit code\nstdout: {}\nstderr: {}",
            self.stdout_text(),
            self.stderr
        );
        self
    }
}

/// Runs `cmd` to the end (at most five minutes), checking it never panicked.
pub fn run(cmd: &mut Command) -> Run {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    finish(child, &format!("{cmd:?}"), |_| {})
}

/// Collects what a child spawned with piped stdout and stderr says until it ends (at most five
/// minutes), calling `poll` with its process id every 10 ms; checks it never panicked.
pub fn finish(mut child: Child, what: &str, mut poll: impl FnMut(u32)) -> Run {
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        poll(child.id());
        if let Some(status) = child.try_wait().expect("waiting for the command") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after 300 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{what} panicked: {}",
        run.stderr
    );
    run
}

/// The text between `open` and the next `close`.
pub fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

/// The suite's example key, which `serve_one_key` accepts.
pub const SERVE_AKID: &str = "AKIDEXAMPLE";
/// Its secret.
pub const SERVE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// `canreq serve` on a free loopback port accepting [`SERVE_AKID`] (the secret from the
/// environment, as the help advises), with `extra` arguments; its log in the returned directory.
pub fn serve_one_key(name: &str, extra: &[&str]) -> (Server, TempDir) {
    let dir = TempDir::new(name);
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    let server = Server::start("canreq serve", &dir.path().join("serve.log"), |port| {
        let mut cmd = canreq(dir.path());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--access-key", SERVE_AKID])
            .env("CANREQ_SECRET_KEY", SERVE_SECRET)
            .args(&extra);
        cmd
    });
    (server, dir)
}

/// Runs `cmd` to the end with its output captured; fails on a panic or a backtrace hint.
pub fn output_checked(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().expect("canreq runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "backtrace hint: {stderr}"
    );
    (out, stderr)
}

/// When a started server counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ready {
    /// Its port accepts connections.
    Listening,
    /// It answers an HTTP request on its port with a status line.
    AnswersHttp,
}

/// Whether an HTTP/1.1 `GET /` on `stream` gets a status line back within 10 s.
fn answers_http(mut stream: TcpStream) -> bool {
    let mut head = [0u8; 7];
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .is_ok()
        && stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .is_ok()
        && stream.read_exact(&mut head).is_ok()
        && &head == b"HTTP/1."
}

/// A connection to `port` of 127.0.0.1. A connection from the port itself is refused: with
/// nothing listening yet, the kernel may pick the probed port as the probe's own source port,
/// and the connect then meets itself (TCP simultaneous open) and succeeds.
fn probe(port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    if stream.local_addr()?.port() == port {
        return Err(std::io::Error::other("the connection met itself"));
    }
    Ok(stream)
}

/// A blocking connection to `127.0.0.1:port` from `source` (another loopback address, so that
/// the server counts it as another client).
pub fn connect_from(source: std::net::Ipv4Addr, port: u16) -> std::net::TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind((source, 0).into())?;
            socket.connect(([127, 0, 0, 1], port).into()).await
        })
        .unwrap_or_else(|e| panic!("connect from {source} to port {port}: {e}"));
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}

/// A MiB that no compressor or deduplicator would shrink (xorshift from `seed`).
pub fn incompressible_mib(seed: u64) -> Vec<u8> {
    let mut block = vec![0u8; 1 << 20];
    let mut x = seed;
    for word in block.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        word.copy_from_slice(&x.to_le_bytes());
    }
    block
}

/// The peak resident set of a running process (`VmHWM`), in KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

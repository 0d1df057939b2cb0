//! An HTTP/1.1 upstream that shows each request as it arrives: its head as soon as it is in,
//! the body bytes so far, and whether the body came whole or its connection was cut first. For
//! the proxy's fault tests: an upload aborted on the way must be seen started here, and never
//! complete. Answers `200 ok` (after `delay`, to play a slow upstream), keeps connections
//! alive, and stops on drop. (`Arrivals` keeps whole requests and their bodies instead.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub method: String,
    pub target: String,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes received (after the transfer coding, if chunked).
    pub body_bytes: u64,
    /// The body came to its declared end; false while it is coming or once cut off.
    pub complete: bool,
    /// The connection ended before the body did.
    pub cut_off: bool,
}

impl Arrival {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The server.
pub struct Arrivals {
    pub port: u16,
    seen: Arc<Mutex<Vec<Arrival>>>,
    stop: Arc<AtomicBool>,
}

impl Arrivals {
    /// Starts on a free loopback port; each answer waits `delay` once the body is in.
    pub fn start(delay: Duration) -> Arrivals {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let record = Arc::clone(&record);
                std::thread::spawn(move || serve(stream, &record, delay));
            }
        });
        Arrivals { port, seen, stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request seen so far, those still arriving included.
    pub fn seen(&self) -> Vec<Arrival> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits up to `within` until `done` holds of what was seen; what was seen then.
    pub fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[Arrival]) -> bool,
    ) -> Result<Vec<Arrival>, Vec<Arrival>> {
        let deadline = Instant::now() + within;
        loop {
            let seen = self.seen();
            if done(&seen) {
                return Ok(seen);
            }
            if Instant::now() > deadline {
                return Err(seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Arrivals {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

/// One connection's requests, each recorded as soon as its head is in and updated as its
/// body comes.
fn serve(stream: TcpStream, record: &Mutex<Vec<Arrival>>, delay: Duration) {
    let mut writer = stream.try_clone().expect("a second handle");
    let mut reader = BufReader::new(stream);
    loop {
        let Some((method, target, headers)) = read_head(&mut reader) else {
            return;
        };
        let index = {
            let mut seen = record.lock().unwrap();
            seen.push(Arrival {
                method,
                target,
                headers: headers.clone(),
                body_bytes: 0,
                complete: false,
                cut_off: false,
            });
            seen.len() - 1
        };
        let update = |bytes: u64, complete: bool, cut_off: bool| {
            let mut seen = record.lock().unwrap();
            let r = &mut seen[index];
            (r.body_bytes, r.complete, r.cut_off) = (bytes, complete, cut_off);
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let whole = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            read_chunked(&mut reader, &update)
        } else {
            let length = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            read_exactly(&mut reader, length, &update)
        };
        if !whole {
            return;
        }
        std::thread::sleep(delay);
        if writer
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
            )
            .is_err()
        {
            return;
        }
    }
}

type Head = (String, String, Vec<(String, String)>);

fn read_head(reader: &mut impl BufRead) -> Option<Head> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let line = line.trim_end();
        if line.is_empty() {
            return Some((method, target, headers));
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// Reads `length` body bytes, reporting progress; whether all came.
fn read_exactly(reader: &mut impl Read, length: u64, update: &dyn Fn(u64, bool, bool)) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    while got < length {
        let want = buf.len().min((length - got) as usize);
        match reader.read(&mut buf[..want]) {
            Ok(0) | Err(_) => {
                update(got, false, true);
                return false;
            }
            Ok(n) => {
                got += n as u64;
                update(got, false, false);
            }
        }
    }
    update(got, true, false);
    true
}

/// Reads a chunked body (trailers skipped), reporting progress; whether it came whole.
fn read_chunked(reader: &mut impl BufRead, update: &dyn Fn(u64, bool, bool)) -> bool {
    let mut got = 0u64;
    loop {
        let mut line = String::new();
        let size = match reader.read_line(&mut line) {
            Ok(n) if n > 0 => u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16),
            _ => {
                update(got, false, true);
                return false;
            }
        };
        let Ok(size) = size else {
            update(got, false, true);
            return false;
        };
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(n) if n > 0 && line.trim_end().is_empty() => {
                        update(got, true, false);
                        return true;
                    }
                    Ok(n) if n > 0 => {}
                    _ => {
                        update(got, false, true);
                        return false;
                    }
                }
            }
        }
        let before = got;
        if !read_exactly(reader, size, &|n, _, cut| update(before + n, false, cut)) {
            return false;
        }
        got += size;
        let mut crlf = [0u8; 2];
        if reader.read_exact(&mut crlf).is_err() {
            update(got, false, true);
            return false;
        }
    }
}

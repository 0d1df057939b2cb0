//! A small recording HTTP/1.1 upstream for the gateway's tests: it counts the requests it
//! received complete (head and whole body, by `Content-Length` or chunked transfer coding) and
//! keeps them; a request whose connection ends before its body does is not counted. A PUT
//! stores its body under its path, and a GET of that path answers it, so that clients can read
//! back what they wrote; every other request gets an empty 200. [`Recorder::hashing`] keeps
//! only each body's length and SHA-256, for bodies too large to hold.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// One request received whole.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (empty when only hashed).
    pub body: Vec<u8>,
    pub length: u64,
    /// Lowercase hex SHA-256 of the body.
    pub sha256: String,
}

impl Recorded {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Store {
    requests: Vec<Recorded>,
    objects: HashMap<String, Vec<u8>>,
}

/// The upstream; its thread ends with the test process.
pub struct Recorder {
    pub port: u16,
    store: Arc<Mutex<Store>>,
}

impl Recorder {
    pub fn start() -> Recorder {
        Recorder::listen(true)
    }

    /// A recorder that keeps each body's length and hash only.
    pub fn hashing() -> Recorder {
        Recorder::listen(false)
    }

    fn listen(keep: bool) -> Recorder {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let store = Arc::new(Mutex::new(Store::default()));
        let shared = Arc::clone(&store);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &store, keep));
            }
        });
        Recorder { port, store }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests arrived complete.
    pub fn count(&self) -> usize {
        self.store.lock().unwrap().requests.len()
    }

    /// The requests received complete, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.store.lock().unwrap().requests.clone()
    }

    /// The last request received complete.
    pub fn last(&self) -> Recorded {
        self.requests()
            .pop()
            .expect("a request reached the upstream")
    }
}

fn serve(stream: TcpStream, store: &Mutex<Store>, keep: bool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader, keep) {
        let mut store = store.lock().unwrap();
        let path = request.target.split('?').next().unwrap_or("").to_owned();
        let answer = match request.method.as_str() {
            "PUT" => {
                store.objects.insert(path, request.body.clone());
                Vec::new()
            }
            "GET" => store.objects.get(&path).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        store.requests.push(request);
        drop(store);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
            answer.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&answer).is_err() {
            return;
        }
    }
}

/// A body as it is read: kept, or only counted and hashed.
struct Sink {
    keep: bool,
    body: Vec<u8>,
    length: u64,
    hasher: Sha256,
}

impl Sink {
    /// Reads `len` bytes of body from `reader`.
    fn take(&mut self, reader: &mut impl BufRead, mut len: usize) -> Option<()> {
        let mut piece = vec![0; len.min(1 << 20)];
        while len > 0 {
            let n = len.min(piece.len());
            reader.read_exact(&mut piece[..n]).ok()?;
            self.hasher.update(&piece[..n]);
            if self.keep {
                self.body.extend_from_slice(&piece[..n]);
            }
            self.length += n as u64;
            len -= n;
        }
        Some(())
    }
}

/// Reads one request whole; `None` when the connection ends (or breaks) first.
fn read_request(reader: &mut impl BufRead, keep: bool) -> Option<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut sink = Sink {
        keep,
        body: Vec::new(),
        length: 0,
        hasher: Sha256::new(),
    };
    if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader, &mut sink)?;
    } else {
        let length: usize = find("content-length").map_or(Some(0), |v| v.parse().ok())?;
        sink.take(reader, length)?;
    }
    Some(Recorded {
        method,
        target,
        headers,
        body: sink.body,
        length: sink.length,
        sha256: sink
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
}

fn read_chunked(reader: &mut impl BufRead, sink: &mut Sink) -> Option<()> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            // Trailer fields, then the empty line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).ok()? == 0 {
                    return None;
                }
                if line.trim_end_matches(['\r', '\n']).is_empty() {
                    return Some(());
                }
            }
        }
        sink.take(reader, size)?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}

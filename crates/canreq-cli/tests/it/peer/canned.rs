//! A one-trick HTTP server for cases no real peer produces on demand: a binary body, a body cut
//! short, a body that stops coming. Every request on 127.0.0.1 gets the same bytes.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What happens once the canned answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// The connection is closed.
    Close,
    /// The connection stays open and silent until the server is dropped.
    Stall,
}

/// The server; stopped on drop.
pub struct Canned {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Canned {
    /// Answers every request with `answer` (status line, headers and body, as written).
    pub fn start(answer: Vec<u8>, after: After) -> Canned {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (answer, stopped) = (Arc::clone(&answer), Arc::clone(&stopped));
                std::thread::spawn(move || answer_one(stream, &answer, after, &stopped));
            }
        });
        Canned { port, stop }
    }

    /// Answers every request with `status`, a body of `content_type` and a true length, then
    /// closes the connection.
    pub fn answering(status: &str, content_type: &str, body: &[u8]) -> Canned {
        let header = format!("Content-Type: {content_type}");
        Canned::start(
            Canned::response(status, &[&header], body, body.len()),
            After::Close,
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A response of `status` with `headers` and `body`, its Content-Length stated as
    /// `declared` (more than the body to cut it short).
    pub fn response(status: &str, headers: &[&str], body: &[u8], declared: usize) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status}\r\n");
        for h in headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {declared}\r\n\r\n"));
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        out
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

fn answer_one(mut stream: TcpStream, answer: &[u8], after: After, stop: &AtomicBool) {
    // The request head; the tests send no body.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    if stream.write_all(answer).is_err() || stream.flush().is_err() {
        return;
    }
    if after == After::Stall {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

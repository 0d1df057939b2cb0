//! `canreq serve` stopped by SIGTERM: a request in flight is answered, an idle kept-alive
//! connection is closed, a new connection is refused, and the process exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::peer;
use crate::serve_slow_clients::good_call;

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let (mut server, _dir) = peer::serve_one_key("serve-drain", &[]);
    let port = server.port;
    let call = good_call(port);
    // The head and half the body: the server is reading the body when told to stop.
    let split = call.len() - 10;
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight.write_all(&call.as_bytes()[..split]).unwrap();
    // A connection that has been answered and waits for its next request.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(
        good_call(port)
            .replace("Connection: close\r\n", "")
            .as_bytes(),
    )
    .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(
        &first, b"HTTP/1.1 200",
        "the idle connection's first answer"
    );
    std::thread::sleep(Duration::from_millis(300));

    server.terminate();

    // New connections are refused once the listener is closed.
    server.wait_refusing(Duration::from_secs(5));
    // The idle connection is closed: the rest of its answer, then the end of the stream.
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest)
        .expect("the idle connection closed within 5 s");
    assert!(
        server.wait_exit(Duration::from_millis(200)).is_none(),
        "exited with a request in flight"
    );

    // The request in flight is answered in full.
    in_flight.write_all(&call.as_bytes()[split..]).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("AKIDEXAMPLE"), "the verified key: {answer}");

    let status = server
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| {
            panic!(
                "still running 10 s after its last request: {}",
                server.state()
            )
        });
    assert!(status.success(), "{status}\n{}", server.log());
    assert!(
        server.log().contains("canreq serve: stopping"),
        "{}",
        server.log()
    );
}

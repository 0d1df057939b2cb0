//! Each service's refusals in its own words (serve/dialect.rs), as real clients read them:
//! botocore raises a `ClientError` with the code of the service's dialect (S3; STS, a Query
//! service; DynamoDB and SSM, JSON services), and a raw HTTP client sees the refusals of the
//! request head (server/head.rs) with a body in the same dialect and a `Date`. The AWS SDK for
//! JavaScript's clock correction is in serve_js_clock.rs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::clients;

use clients::{KEY, Key, SECRET, Serve, TEMP_KEY, boto, python};

/// The S3, Query and JSON calls of serve_client.py, each with its dialect's column.
const S3: &str = "s3-list-buckets";
const STS: &str = "sts-get-caller-identity";
const DYNAMODB: &str = "dynamodb-list-tables";
const SSM: &str = "ssm-get-parameter";

/// A refusal as botocore raised it: status, `Error.Code`, and words the message must hold.
struct Want(u16, &'static str, &'static str);

/// One call refused as `want` says, for each of the four services in `wants` order.
fn each_refused(
    python: &std::path::Path,
    serve: &Serve,
    key: Key,
    extra: &[&str],
    wants: [Want; 4],
) {
    for (scenario, Want(status, code, words)) in [S3, STS, DYNAMODB, SSM].into_iter().zip(wants) {
        let a = boto(python, serve, key, scenario, extra);
        let what = format!("{scenario} {extra:?}: must raise {code}");
        assert_eq!(a.status, status, "{what}: {}", a.all);
        assert_eq!(
            a.all["client_error"]["is_client_error"], true,
            "{what}: {}",
            a.all
        );
        assert_eq!(a.client_code(), Some(code), "{what}: {}", a.all);
        let message = a.all["client_error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{what}: says {message:?}");
    }
}

#[test]
fn boto3_reads_each_refusal_in_its_services_words() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key_file_and("dialects", &["--region", "us-east-1"]);
    let signature = "does not match the signature you provided";
    let token = "security token included in the request is invalid";

    let mut wrong = SECRET.to_owned();
    wrong.replace_range(0..1, "t");
    let wrong_secret = Key {
        secret: Box::leak(wrong.into_boxed_str()),
        ..KEY
    };

    let unknown = Key {
        id: "AKIDNOTKNOWNHERE",
        ..KEY
    };
    let region = "Credential should be scoped to a valid region, not 'eu-west-1'.";

    let wrong_token = Key {
        token: Some("not-the-token"),
        ..TEMP_KEY
    };
    let cases: [(Key, &[&str], [Want; 4]); 7] = [
        // wrong secret
        (
            wrong_secret,
            &[],
            [
                Want(403, "SignatureDoesNotMatch", signature),
                Want(403, "SignatureDoesNotMatch", signature),
                Want(400, "InvalidSignatureException", signature),
                Want(400, "InvalidSignatureException", signature),
            ],
        ),
        // unknown key
        (
            unknown,
            &[],
            [
                Want(403, "InvalidAccessKeyId", "does not exist in our records"),
                Want(403, "InvalidClientTokenId", token),
                Want(400, "UnrecognizedClientException", token),
                Want(400, "UnrecognizedClientException", token),
            ],
        ),
        // 20 minutes slow: past the 15 allowed
        (
            KEY,
            &["--skew", "-1200"],
            [
                Want(
                    403,
                    "RequestTimeTooSkewed",
                    "difference between the request time",
                ),
                Want(403, "SignatureDoesNotMatch", "Signature expired: "),
                Want(400, "InvalidSignatureException", "Signature expired: "),
                Want(400, "InvalidSignatureException", " - 15 min.)"),
            ],
        ),
        // 20 minutes fast
        (
            KEY,
            &["--skew", "1200"],
            [
                Want(
                    403,
                    "RequestTimeTooSkewed",
                    "difference between the request time",
                ),
                Want(403, "SignatureDoesNotMatch", "Signature not yet current: "),
                Want(
                    400,
                    "InvalidSignatureException",
                    "Signature not yet current: ",
                ),
                Want(400, "InvalidSignatureException", " + 15 min.)"),
            ],
        ),
        // region not served
        (
            KEY,
            &["--region", "eu-west-1"],
            [
                Want(
                    400,
                    "AuthorizationHeaderMalformed",
                    "the region 'eu-west-1' is wrong",
                ),
                Want(403, "SignatureDoesNotMatch", region),
                Want(400, "InvalidSignatureException", region),
                Want(400, "InvalidSignatureException", region),
            ],
        ),
        // wrong session token
        (
            wrong_token,
            &[],
            [
                Want(
                    400,
                    "InvalidToken",
                    "token is malformed or otherwise invalid",
                ),
                Want(403, "InvalidClientTokenId", token),
                Want(400, "UnrecognizedClientException", token),
                Want(400, "UnrecognizedClientException", token),
            ],
        ),
        // no signature
        (
            KEY,
            &["--unsigned"],
            [
                Want(403, "AccessDenied", "Access Denied"),
                Want(
                    403,
                    "MissingAuthenticationToken",
                    "missing Authentication Token",
                ),
                Want(
                    400,
                    "MissingAuthenticationTokenException",
                    "missing Authentication Token",
                ),
                Want(
                    400,
                    "MissingAuthenticationTokenException",
                    "missing Authentication Token",
                ),
            ],
        ),
    ];
    for (key, extra, wants) in cases {
        each_refused(&python, &serve, key, extra, wants);
    }
}

#[test]
fn an_expired_presigned_url_in_s3s_and_stss_words() {
    let Some(python) = python() else { return };
    let serve = Serve::with_key("dialect-presign");
    // Signed ten minutes ago for one minute.
    let old = ["--skew", "-600", "--expires", "60"];
    for (scenario, status, code, words) in [
        ("s3-presign-get", 403, "AccessDenied", "Request has expired"),
        (
            "sts-presign-get",
            403,
            "SignatureDoesNotMatch",
            "Signature expired: ",
        ),
    ] {
        let a = boto(&python, &serve, KEY, scenario, &old);
        let what = format!("{scenario}: must be refused with {code}");
        assert_eq!(a.status, status, "{what}: {}", a.all);
        assert_eq!(a.client_code(), Some(code), "{what}: {}", a.all);
        let message = a.all["client_error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{what}: says {message:?}");
    }
}

/// Sends `bytes` in pieces of `piece` bytes and reads the answer until the server closes.
fn exchange(port: u16, bytes: &[u8], piece: usize) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for chunk in bytes.chunks(piece) {
        // The server may answer and close before the last piece: that is its right.
        if stream.write_all(chunk).is_err() {
            break;
        }
        stream.flush().unwrap();
        if piece < bytes.len() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The answer's `Date`, which must be the server's time now (SDKs correct their clock by it).
fn assert_dated_now(answer: &str) {
    let date = answer
        .lines()
        .find_map(|l| l.strip_prefix("date: "))
        .unwrap_or_else(|| panic!("no Date in {answer:?}"));
    let format = "%a, %d %b %Y %H:%M:%S GMT";
    let when = jiff::civil::DateTime::strptime(format, date)
        .unwrap_or_else(|e| panic!("Date {date:?} is not an HTTP date: {e}"));
    let now_text = jiff::Timestamp::now().strftime(format).to_string();
    let now = jiff::civil::DateTime::strptime(format, &now_text).unwrap();
    let off = now.duration_since(when).as_secs().abs();
    assert!(off <= 60, "Date {date} is {off} s off");
}

#[test]
fn heads_the_parser_refuses_get_a_body_in_their_dialect() {
    let serve = Serve::with_key("dialect-head");
    let port: u16 = serve
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let dynamo = "POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
                  Content-Type: application/x-amz-json-1.0\r\n";
    let sts = "POST /?Action=GetCallerIdentity HTTP/1.1\r\nHost: h\r\n";
    let s3 = "PUT /bucket/key HTTP/1.1\r\nHost: h\r\n";
    let cases = [
        (
            dynamo,
            "X-Folded: a\r\n b\r\n",
            "\"__type\":\"MalformedHttpRequestException\"",
        ),
        (
            dynamo,
            "X-Nul: a\0b\r\n",
            "\"__type\":\"MalformedHttpRequestException\"",
        ),
        (
            sts,
            "Content-Length: 1x\r\n",
            "<Code>MalformedHttpRequestException</Code>",
        ),
        (
            s3,
            "Content-Length: 1\r\nContent-Length: 2\r\n",
            "<Code>InvalidRequest</Code>",
        ),
    ];
    for (head, bad, want) in cases {
        let text = format!("{head}{bad}\r\n");
        let answer = exchange(port, text.as_bytes(), text.len());
        assert!(answer.starts_with("HTTP/1.1 400 "), "{bad:?}: {answer:?}");
        assert!(answer.contains(want), "{bad:?}: {answer:?}");
        assert!(answer.contains("connection: close"), "{answer:?}");
        assert_dated_now(&answer);
    }
    let log = serve.log();
    assert!(
        log.contains(" POST / 400 MalformedHttpRequestException - "),
        "{log}"
    );
}

#[test]
fn the_head_limit_is_exact_in_one_write_or_many() {
    let serve = Serve::with_key_file_and("dialect-limit", &["--max-header-bytes", "8192"]);
    let port: u16 = serve
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let head_of = |len: usize| {
        let start = "GET /limit HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Pad: ";
        let pad = len - start.len() - 4;
        let head = format!("{start}{}\r\n\r\n", "a".repeat(pad));
        assert_eq!(head.len(), len);
        head
    };
    for piece in [usize::MAX, 100] {
        // At the limit: read, and refused by the verifier (it is not signed).
        let answer = exchange(port, head_of(8192).as_bytes(), piece);
        assert!(answer.starts_with("HTTP/1.1 403 "), "{piece}: {answer:?}");
        assert!(answer.contains("<Code>AccessDenied</Code>"), "{answer:?}");
        // One byte more: refused as too large, with a body and a Date.
        let answer = exchange(port, head_of(8193).as_bytes(), piece);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{piece}: {answer:?}");
        assert!(
            answer.contains("<Code>RequestHeaderSectionTooLarge</Code>")
                && answer.contains("<MaxSizeAllowed>8192</MaxSizeAllowed>"),
            "{piece}: {answer:?}"
        );
        assert_dated_now(&answer);
    }
}

//! What `canreq request` does with an answer: the status and headers, the body to its
//! destination (pretty-printed only by re-indenting), the one-line error summary and its exit
//! code, or one JSON document for scripts.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::args::Format;
use crate::download::{Destination, Sink};
use crate::error::CliError;
use crate::out::{ColorWhen, Paint};
use crate::pretty::{self, Syntax};
use crate::steps;

/// Largest answer held in memory to pretty-print, to read an error from or to put in JSON.
const HELD_LIMIT: usize = 64 * 1024 * 1024;

/// Where and how the answer is written.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Print the response headers before the body.
    #[arg(short = 'i', long)]
    pub include: bool,
    /// Write the response body to FILE, replacing it only once the whole body arrived (and, on
    /// an error answer, only with --fail-with-body); - for stdout, binary or not.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// On an answer of 400 or more write no body and exit 22 (curl's -f).
    #[arg(short = 'f', long, conflicts_with = "fail_with_body")]
    pub fail: bool,
    /// On an answer of 400 or more write the body as usual, then exit 22.
    #[arg(long)]
    pub fail_with_body: bool,
    /// Pretty-print XML and JSON answers even when stdout is not a terminal. Pretty-printing
    /// only re-indents: text, entities, numbers and key order stay as the server sent them.
    #[arg(long, conflicts_with = "raw")]
    pub pretty: bool,
    /// Never pretty-print.
    #[arg(long)]
    pub raw: bool,
    /// Colour keys, strings and the status line: auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
    /// text: the body as sent; json: one JSON document with the steps, the status, the response
    /// headers and the body (body_encoding says "text" or "base64").
    #[arg(long, value_enum, default_value = "text", hide_possible_values = true)]
    pub format: Format,
}

/// What the caller knows of the request, for `--format json`.
pub struct Sent {
    /// The steps and the request as sent, already JSON.
    pub report: serde_json::Map<String, serde_json::Value>,
    pub show_secrets: bool,
    pub verbose: bool,
    /// The canonical request and string to sign canreq signed with, to name what a server
    /// that refuses the signature saw otherwise.
    pub signed_steps: Option<(String, String)>,
    /// Signed with SigV4a: a region hint names `--region-set`.
    pub sigv4a: bool,
}

/// Writes the answer as `args` ask; an error answer becomes an error with its summary.
pub async fn deliver(
    response: hyper::Response<Incoming>,
    args: &OutputArgs,
    sent: Sent,
) -> Result<(), CliError> {
    let (head, mut body) = response.into_parts();
    let status = head.status;
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    let paint = Paint::for_stdout(args.color);
    if sent.verbose {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "< HTTP/1.1 {status}");
        for (n, v) in &head.headers {
            let _ = writeln!(err, "< {n}: {}", String::from_utf8_lossy(v.as_bytes()));
        }
        let _ = writeln!(err, "<");
    }
    let json = args.format == Format::Json;
    if args.include && !json {
        let mut text = String::new();
        paint.status(
            &mut text,
            &format!("HTTP/1.1 {status}"),
            status.is_success(),
        );
        text.push('\n');
        for (n, v) in &head.headers {
            paint.key(&mut text, n.as_str());
            text.push_str(&format!(": {}\n", String::from_utf8_lossy(v.as_bytes())));
        }
        crate::out::outln!("{text}")?;
    }

    let destination = Destination::from_flag(args.output.as_deref());
    let failed = !status.is_success();
    let http_failure = status.as_u16() >= 400 && (args.fail || args.fail_with_body);
    // Where the body goes: nowhere under --fail, stderr for an error answer that must not
    // replace the -o file, else the destination.
    let route = if status.as_u16() >= 400 && args.fail {
        Route::Nowhere
    } else if failed && !http_failure && matches!(destination, Destination::File(_)) {
        Route::Stderr
    } else {
        Route::Destination
    };
    let to_stdout = matches!(destination, Destination::Stdout { .. });
    let pretty_wanted = !args.raw
        && (args.pretty || destination.is_terminal())
        && !json
        && Syntax::may_be_structured(header("content-type"));
    let hold = failed || (route == Route::Destination && to_stdout && (pretty_wanted || json));

    let mut interrupt: Interrupt<'_> = std::pin::pin!(tokio::signal::ctrl_c());
    let (held, ended) = if hold {
        read_held(&mut body, &mut interrupt).await?
    } else {
        (Vec::new(), false)
    };
    let syntax = Syntax::of(header("content-type"), &held);
    let summary = failed.then(|| {
        let error = pretty::aws_error(syntax, &held, header("x-amzn-errortype"));
        match error {
            Some(e) if e.message.is_empty() => format!("{} {}", status.as_u16(), e.code),
            Some(e) => format!("{} {}: {}", status.as_u16(), e.code, e.message),
            None => format!("HTTP {status}"),
        }
    });

    if json {
        if !ended && route == Route::Destination && to_stdout {
            return Err(CliError::usage(format!(
                "the response body is over {HELD_LIMIT} bytes: use -o FILE with --format json"
            )));
        }
        let mut report = sent.report;
        report.insert("status".into(), status.as_u16().into());
        report.insert(
            "reason".into(),
            status.canonical_reason().unwrap_or("").into(),
        );
        let headers: Vec<(String, String)> = head
            .headers
            .iter()
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), v)
            })
            .collect();
        report.insert(
            "headers".into(),
            steps::headers_json(&headers, sent.show_secrets),
        );
        let (text, encoding) = match (&route, to_stdout) {
            (Route::Destination, true) => body_json(&held),
            _ => (serde_json::Value::Null, serde_json::Value::Null),
        };
        report.insert("body".into(), text);
        report.insert("body_encoding".into(), encoding);
        let file = match (&route, &destination) {
            (Route::Destination, Destination::File(path)) => {
                let mut sink = Sink::open(&destination)?;
                let written = stream(&mut sink, &held, &mut body, &mut interrupt, ended).await?;
                sink.commit()?;
                report.insert("body_length".into(), written.into());
                Some(path.display().to_string())
            }
            _ => {
                report.insert("body_length".into(), held.len().into());
                None
            }
        };
        report.insert("output".into(), file.into());
        let doc = serde_json::Value::Object(report);
        crate::out::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
    } else {
        match route {
            Route::Nowhere => {}
            Route::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(&held);
                if !held.ends_with(b"\n") {
                    let _ = err.write_all(b"\n");
                }
            }
            Route::Destination => {
                let shown = if pretty_wanted && ended {
                    pretty::pretty(syntax, &held, paint)
                } else {
                    None
                };
                let mut sink = Sink::open(&destination)?;
                match shown {
                    Some(text) => sink.write(format!("{text}\n").as_bytes())?,
                    None => {
                        stream(&mut sink, &held, &mut body, &mut interrupt, ended).await?;
                    }
                }
                sink.commit()?;
            }
        }
    }
    let error = match summary {
        Some(summary) if http_failure => CliError::http_failure(summary),
        Some(summary) if route == Route::Stderr => CliError::refused(format!(
            "{summary} ({} left unchanged)",
            args.output.as_deref().unwrap_or("-".as_ref()).display()
        )),
        Some(summary) => CliError::refused(summary),
        None => return Ok(()),
    };
    // A wrong region is the commonest refusal with a known fix: say which --region to use.
    let error = match crate::hint::region(&head.headers, &held, sent.sigv4a) {
        Some(hint) => error.with_hint(&hint),
        None => error,
    };
    // A refused signature: what the server saw otherwise than what canreq signed.
    Err(
        match crate::explain::after_refusal(&held, sent.signed_steps.as_ref()) {
            Some(diagnosis) => error.with_hint(&diagnosis),
            None => error,
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Nowhere,
    Stderr,
    Destination,
}

/// The body as a JSON string and its encoding: text when it is UTF-8, else base64.
fn body_json(body: &[u8]) -> (serde_json::Value, serde_json::Value) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.into(), "text".into()),
        Err(_) => (
            base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
            "base64".into(),
        ),
    }
}

type Interrupt<'a> =
    std::pin::Pin<&'a mut (dyn std::future::Future<Output = std::io::Result<()>> + Send)>;

/// The next piece of the body; Ctrl-C ends the wait (and drops an unfinished `-o` file).
async fn next_piece(
    body: &mut Incoming,
    interrupt: &mut Interrupt<'_>,
) -> Result<Option<Bytes>, CliError> {
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            _ = interrupt.as_mut() => {
                return Err(CliError::interrupted("interrupted; the download was dropped"));
            }
        };
        match frame {
            None => return Ok(None),
            // A read timeout is curl's exit 28, any other failure the network's.
            Some(Err(e)) => return Err(crate::client::failure(&e, "reading the response failed")),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// Up to [`HELD_LIMIT`] bytes of the body, and whether that was all of it.
async fn read_held(
    body: &mut Incoming,
    interrupt: &mut Interrupt<'_>,
) -> Result<(Vec<u8>, bool), CliError> {
    let mut held = Vec::new();
    while held.len() < HELD_LIMIT {
        match next_piece(body, interrupt).await? {
            Some(data) => held.extend_from_slice(&data),
            None => return Ok((held, true)),
        }
    }
    Ok((held, false))
}

/// Writes what was held, then the rest of the body unless it `ended`; the byte count.
async fn stream(
    sink: &mut Sink,
    held: &[u8],
    body: &mut Incoming,
    interrupt: &mut Interrupt<'_>,
    ended: bool,
) -> Result<u64, CliError> {
    sink.write(held)?;
    let mut written = held.len() as u64;
    if !ended {
        while let Some(data) = next_piece(body, interrupt).await? {
            sink.write(&data)?;
            written += data.len() as u64;
        }
    }
    Ok(written)
}

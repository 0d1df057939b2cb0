//! `canreq explain`: name the cause of a `SignatureDoesNotMatch`, from the server's answer (its
//! canonical request and string to sign against the client's) or from the request and the
//! secret alone (the catalogue of known client mistakes). The comparing is the library's
//! (`canreq::diagnose`); this module reads the inputs and prints the verdict.

mod server_answer;

use std::path::PathBuf;

use canreq::diagnose::{self, Cause, Side, Verdict};
use canreq::{Credentials, RawRequest};

use crate::args::Format;
use crate::error::CliError;
use crate::out::outln;
use server_answer::ServerAnswer;

/// Options of `canreq explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The server's answer to the bad signature (S3's XML, a JSON error, or the message text);
    /// its canonical request and string to sign are compared with the client's.
    #[arg(long, value_name = "FILE")]
    pub response: Option<PathBuf>,
    /// The request as it was sent (raw HTTP/1.1), or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub request_file: Option<PathBuf>,
    /// The client's own canonical request (from an SDK's debug log): text, or @FILE.
    #[arg(long, value_name = "TEXT|@FILE")]
    pub canonical_request: Option<String>,
    /// The client's own string to sign: text, or @FILE.
    #[arg(long, value_name = "TEXT|@FILE")]
    pub string_to_sign: Option<String>,
    /// With the request and the secret, search the catalogue of known signing mistakes.
    #[arg(long, env = "CANREQ_ACCESS_KEY", requires = "secret_key")]
    pub access_key: Option<String>,
    /// The secret the client should have signed with (prefer the environment variable).
    #[arg(long, env = "CANREQ_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// The session token the client was given.
    #[arg(long, env = "CANREQ_SESSION_TOKEN", hide_env_values = true)]
    pub session_token: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Codes by which services refuse a signature.
const SIGNATURE_REFUSALS: [&str; 3] = [
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
];

/// After `canreq request` got a signature refused: the causes, from the server's answer when it
/// carries its canonical request (S3, API Gateway, `canreq serve`), else what is left to
/// suspect, since canreq signed correctly with the credentials it had. `None` for any other
/// answer.
pub fn after_refusal(answer: &[u8], signed: Option<&(String, String)>) -> Option<String> {
    let text = String::from_utf8_lossy(answer);
    if !SIGNATURE_REFUSALS.iter().any(|code| text.contains(code)) {
        return None;
    }
    let (creq, sts) = signed?;
    let server = ServerAnswer::read(&text);
    if !server.has_steps() {
        return Some(
            "hint: canreq signed this request correctly with the credentials it used: the server holds \
             another secret for this access key id, or something between changed the request \
             (canreq explain --response with the server's answer names it where the server says \
             what it computed)"
                .to_owned(),
        );
    }
    let causes = diagnose::compare(
        &Side {
            canonical_request: server.canonical_request.as_deref(),
            string_to_sign: server.string_to_sign.as_deref(),
            signature: None,
        },
        &Side {
            canonical_request: Some(creq),
            string_to_sign: Some(sts),
            signature: None,
        },
    );
    if causes.is_empty() {
        return Some(
            "hint: the server computed the same canonical request and string to sign: it holds \
             another secret for this access key id"
                .to_owned(),
        );
    }
    let lines: Vec<String> = causes
        .iter()
        .map(|c| {
            let header = c
                .header
                .as_deref()
                .map_or(String::new(), |h| format!(" ({h})"));
            match (&c.server, &c.client) {
                (Some(server), Some(client)) => format!(
                    "{}{header}: {} server: {server:?}, signed: {client:?}",
                    c.code, c.explanation
                ),
                _ => format!("{}{header}: {}", c.code, c.explanation),
            }
        })
        .collect();
    Some(format!("why: {}", lines.join("\nwhy: ")))
}

/// Everything found, for printing.
struct Report {
    verdict: &'static str,
    summary: String,
    causes: Vec<Cause>,
    /// The two sides' steps, shown when no cause is found.
    steps: Vec<(&'static str, String)>,
}

pub fn run(args: ExplainArgs) -> Result<(), CliError> {
    if args.response.is_none() && args.request_file.is_none() {
        return Err(CliError::usage(
            "explain needs --response FILE (the server's answer) and/or --request-file FILE (the request as sent)",
        ));
    }
    let answer = match &args.response {
        Some(path) => {
            let bytes = crate::body::read_all(path)?;
            Some(ServerAnswer::read(&String::from_utf8_lossy(&bytes)))
        }
        None => None,
    };
    let raw = match &args.request_file {
        Some(path) => Some(RawRequest::read_message(&crate::body::read_all(path)?)?),
        None => None,
    };
    let client_creq = args
        .canonical_request
        .as_deref()
        .map(text_or_file)
        .transpose()?;
    let client_sts = args
        .string_to_sign
        .as_deref()
        .map(text_or_file)
        .transpose()?;
    let mut causes = Vec::new();
    let mut steps = Vec::new();
    let mut verdict = None;
    // The request as sent: the steps a correct signer computed for it, and its signature.
    let sent = match &raw {
        Some(message) => {
            let request = message.request().request();
            let computed =
                diagnose::server_steps(&request, message.request().body()).map_err(|e| {
                    CliError::usage(format!("the request's signature cannot be read: {e}"))
                })?;
            Some(computed)
        }
        None => None,
    };
    if let Some(answer) = &answer {
        if !answer.has_steps() {
            return Err(CliError::usage(
                "the response holds no canonical request or string to sign (S3, API Gateway and \
                 canreq serve return them; most other services do not: give the secret to search \
                 the catalogue instead)",
            ));
        }
        let client = Side {
            canonical_request: client_creq
                .as_deref()
                .or(sent.as_ref().map(|s| s.0.as_str())),
            string_to_sign: client_sts
                .as_deref()
                .or(sent.as_ref().map(|s| s.1.as_str())),
            signature: None,
        };
        let server = Side {
            canonical_request: answer.canonical_request.as_deref(),
            string_to_sign: answer.string_to_sign.as_deref(),
            signature: None,
        };
        causes.extend(diagnose::compare(&server, &client));
        for (label, text) in [
            ("Server's canonical request", server.canonical_request),
            ("Client's canonical request", client.canonical_request),
            ("Server's string to sign", server.string_to_sign),
            ("Client's string to sign", client.string_to_sign),
        ] {
            if let Some(text) = text {
                steps.push((label, text.to_owned()));
            }
        }
    }
    if let (Some(message), Some(akid), Some(secret)) = (&raw, &args.access_key, &args.secret_key) {
        let mut creds = Credentials::new(akid.clone(), secret.clone())?;
        if let Some(token) = &args.session_token {
            creds = creds.with_session_token(token.clone())?;
        }
        let request = message.request().request();
        let found = diagnose::search(&request, message.request().body(), &creds)
            .map_err(|e| CliError::usage(format!("the request's signature cannot be read: {e}")))?;
        match found.verdict {
            Verdict::SignatureMatches => verdict = Some(Verdict::SignatureMatches),
            Verdict::MistakeFound => causes.extend(found.causes),
            Verdict::NoKnownMistake => {}
        }
        if steps.is_empty() {
            steps.push((
                "Canonical request a correct signer computes",
                found.canonical_request,
            ));
        }
    }
    let report = match (verdict, causes.is_empty()) {
        (Some(Verdict::SignatureMatches), _) => Report {
            verdict: "signature-matches",
            summary: "The signature is right for this request and secret: the server holds another secret, \
                      or saw another request."
                .to_owned(),
            causes,
            steps: Vec::new(),
        },
        (_, false) => Report {
            verdict: "causes-found",
            summary: format!(
                "{} cause{} found.",
                causes.len(),
                if causes.len() == 1 { "" } else { "s" }
            ),
            causes,
            steps: Vec::new(),
        },
        (_, true) => Report {
            verdict: "no-cause-found",
            summary: "No known cause found: the steps are shown side by side.".to_owned(),
            causes,
            steps,
        },
    };
    print(&report, args.format)?;
    if report.verdict == "no-cause-found" {
        return Err(CliError::refused("no known cause found"));
    }
    Ok(())
}

fn text_or_file(value: &str) -> Result<String, CliError> {
    match value.strip_prefix('@') {
        Some(path) => {
            let bytes = crate::body::read_all(std::path::Path::new(path))?;
            Ok(String::from_utf8_lossy(&bytes)
                .trim_end_matches('\n')
                .to_owned())
        }
        None => Ok(value.to_owned()),
    }
}

fn print(report: &Report, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => {
            let causes: Vec<serde_json::Value> = report
                .causes
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "code": c.code.as_str(),
                        "explanation": c.explanation,
                        "header": c.header,
                        "server": c.server,
                        "client": c.client,
                    })
                })
                .collect();
            let value = serde_json::json!({
                "verdict": report.verdict,
                "summary": report.summary,
                "causes": causes,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        Format::Text => {
            outln!("Verdict: {}", report.summary)?;
            for cause in &report.causes {
                let header = cause
                    .header
                    .as_deref()
                    .map_or(String::new(), |h| format!(" ({h})"));
                outln!("\n{}{header}: {}", cause.code, cause.explanation)?;
                if let (Some(server), Some(client)) = (&cause.server, &cause.client) {
                    outln!("  server: {server:?}")?;
                    outln!("  client: {client:?}")?;
                }
            }
            for (label, text) in &report.steps {
                outln!("\n{label}:\n{text}")?;
            }
            Ok(())
        }
    }
}

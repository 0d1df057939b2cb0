//! `canreq`: sign, presign, send and verify AWS Signature Version 4 requests, showing every
//! step. A thin shell over the `canreq` library: every rule lives there.

// The argument structs' doc comments are clap's `--help` text, printed as written: a TOML
// table name (`[[keys]]`), example URLs and placeholders (`AWS_ENDPOINT_URL_<SERVICE>`) stay
// plain there rather than rustdoc markup.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags
)]

mod args;
mod aws_http;
mod body;
mod client;
mod creds;
mod demo;
mod download;
mod endpoint_config;
mod error;
mod explain;
mod follow;
mod gateway;
mod hint;
mod infer;
mod man;
mod ops;
mod out;
mod outgoing;
mod presets;
mod pretty;
mod proxy;
mod quiet;
mod request_cmd;
mod resolve;
mod response;
mod serve;
mod server;
mod sign_cmd;
mod signing;
mod steps;
mod target;
// Used by `proxy` and `gateway`, which are being built on it.
mod upload_checksum;
#[allow(dead_code)]
mod upstream;
mod verify_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// AWS Signature Version 4, step by step.
#[derive(Debug, Parser)]
#[command(name = "canreq", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a request offline and print every step (or sign a canonical request you built).
    Sign(sign_cmd::SignArgs),
    /// Print a presigned URL for any method and service.
    Presign(sign_cmd::PresignArgs),
    /// Sign and send a request, like curl with SigV4 built in.
    Request(Box<request_cmd::RequestCmdArgs>),
    /// Check a captured request's signature as an AWS service would; exit 0 only when valid.
    Verify(verify_cmd::VerifyArgs),
    /// Run a local AWS-style endpoint that verifies SigV4 signatures and reports what it saw.
    Serve(serve::ServeArgs),
    /// A signing reverse proxy: any HTTP client's requests signed for an AWS endpoint.
    Proxy(Box<proxy::ProxyArgs>),
    /// A verifying reverse proxy: AWS-style keys in front of any HTTP service.
    Gateway(Box<gateway::GatewayArgs>),
    /// Name the cause of a SignatureDoesNotMatch: from the server's answer, or from the
    /// request and the secret.
    Explain(explain::ExplainArgs),
    /// The walkthrough: sign IAM and SSM requests, send them to a local verifying endpoint,
    /// show a tampered one refused, then a SigV4a one verified. No AWS account, no network.
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): canreq(1), or canreq-SUBCOMMAND(1); --dir writes them all.
    Man(man::ManArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors to stderr with 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // curl's -s: the exit code alone tells, unless -S asks for the message too.
    let quiet_errors = matches!(&cli.command, Command::Request(a) if a.silent && !a.show_error);
    let result = match cli.command {
        Command::Sign(args) => sign_cmd::run_sign(args),
        Command::Presign(args) => sign_cmd::run_presign(args),
        Command::Request(args) => request_cmd::run(*args),
        Command::Verify(args) => verify_cmd::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Proxy(args) => proxy::run(*args),
        Command::Gateway(args) => gateway::run(*args),
        Command::Explain(args) => explain::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "canreq", &mut script);
            out::bytes(&script)
        }
        Command::Man(args) => man::run(args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !quiet_errors {
                eprintln!("canreq: {e}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

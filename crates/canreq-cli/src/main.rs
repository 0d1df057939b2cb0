//! `canreq`: sign, presign, send and verify AWS Signature Version 4 requests, showing every
//! step. A thin shell over the `canreq` library: every rule lives there.

// The argument structs' doc comments are clap's `--help` text, printed as written: a TOML
// table name (`[[keys]]`) and example URLs stay plain there rather than rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]

mod args;
mod aws_http;
mod body;
mod client;
mod creds;
mod demo;
mod download;
mod error;
mod infer;
mod out;
mod presets;
mod pretty;
mod request_cmd;
mod resolve;
mod response;
mod serve;
mod server;
mod sign_cmd;
mod signing;
mod steps;
mod target;
mod verify_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::CliError;

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
    /// The walkthrough: sign IAM and SSM requests, send them to a local verifying endpoint,
    /// show a tampered one refused. No AWS account, no network.
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
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
    let result = match cli.command {
        Command::Sign(args) => sign_cmd::run_sign(args),
        Command::Presign(args) => sign_cmd::run_presign(args),
        Command::Request(args) => request_cmd::run(*args),
        Command::Verify(args) => verify_cmd::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "canreq", &mut script);
            out::bytes(&script)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| CliError::usage(format!("cannot write the manual: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canreq: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

//! `canreq`: sign, presign, send and verify AWS Signature Version 4 requests, showing every
//! step. A thin shell over the `canreq` library.

mod error;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// AWS Signature Version 4, step by step.
#[derive(Debug, Parser)]
#[command(name = "canreq", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a local AWS-style endpoint that verifies SigV4 signatures and reports what it saw.
    Serve(serve::ServeArgs),
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
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canreq: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

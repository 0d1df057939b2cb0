//! The `canreq` command's integration tests, one binary (`cargo test -p canreq-cli --test it`),
//! one module per subject. Run one subject with its module path:
//! `cargo test -p canreq-cli --test it serve_clients`.
//!
//! The command: `sign` against the AWS suite's expected files (`cli_sign_golden`), `--sigv4a`
//! in `sign`, `presign` and `request` to `serve` (`cli_sigv4a`), errors, exit
//! codes and the other commands (`cli_errors_and_commands`), `verify` on captures (`cli_verify`), `explain` (`cli_explain`), defects once found
//! (`cli_regressions`), `request` and `presign` against real servers (`cli_against_moto`,
//! `cli_against_s3s`), what `request` does with an answer (`cli_output`, `cli_download`) and with
//! stdin (`cli_stdin`), the AWS credential chain through aws-config's HTTPS client
//! (`cli_credential_chain`).
//!
//! `canreq serve`: real AWS clients (`serve_clients`, `serve_protocols`), each service's error
//! dialect (`serve_dialects`), the JavaScript SDK's clock correction (`serve_js_clock`),
//! aws-chunked uploads (`serve_chunked`), boto3's SigV4a (through the CRT) for an S3
//! Multi-Region Access Point (`serve_mrap`), connection handling (`serve_connections`), clients
//! that misbehave at the HTTP level (`serve_bad_http`) and clients that would hold it without
//! the secret (`serve_slow_clients`).
//!
//! `canreq proxy`: in front of s3s-fs and `canreq serve` (`proxy_s3`), of moto (`proxy_moto`),
//! a 1 GiB upload and download in bounded memory (`proxy_large`), faults, the admin listener
//! and the access log (`proxy_faults`), credentials refreshed before they expire
//! (`proxy_credentials`).
//!
//! `peer` starts servers and runs `canreq`; `clients` drives boto3, the AWS CLI and curl.

/// Where the AWS suite is, whether this is CI, a seeded generator: canreq's, shared.
#[path = "../../../canreq/tests/it/common.rs"]
mod common;

mod clients;
mod peer;

mod cli_against_moto;
mod cli_against_s3s;
mod cli_aws_habits;
mod cli_credential_chain;
mod cli_curl_habits;
mod cli_download;
mod cli_errors_and_commands;
mod cli_explain;
mod cli_output;
mod cli_regressions;
mod cli_sign_golden;
mod cli_sigv4a;
mod cli_stdin;
mod cli_verify;
mod gateway_chunked;
mod gateway_clients;
mod gateway_keys;
mod gateway_s3s;
mod proxy_credentials;
mod proxy_faults;
mod proxy_large;
mod proxy_moto;
mod proxy_s3;
mod serve_bad_http;
mod serve_chunked;
mod serve_clients;
mod serve_connections;
mod serve_dialects;
mod serve_drain;
mod serve_js_clock;
mod serve_mrap;
mod serve_protocols;
mod serve_slow_clients;

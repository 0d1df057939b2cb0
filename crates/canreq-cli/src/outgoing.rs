//! A request ready to go out of `canreq request`: signed or not, and how `-v` and `--dry-run`
//! show it.

use std::io::Write;

use canreq::Steps;
use canreq::chunked::{ChunkedEncoder, StreamingUpload};

use crate::error::CliError;
use crate::out::outln;
use crate::resolve::{Prepared, Resolved};
use crate::signing::{self, Placement, Signed};
use crate::steps;

/// What `-v`, `--dry-run` and `--show-secrets` ask to see of a request.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    pub verbose: bool,
    pub dry_run: bool,
    pub secrets: bool,
}

/// A request ready to go: signed (with its steps) or not, and its aws-chunked encoder.
pub struct Outgoing {
    pub request: Prepared,
    pub signed: Option<(Steps, Option<String>)>,
    pub encoder: Option<ChunkedEncoder>,
}

impl Outgoing {
    /// `resolved` signed in the `Authorization` header, aws-chunked with `plan`.
    pub fn signed(resolved: Resolved, plan: Option<StreamingUpload>) -> Result<Outgoing, CliError> {
        let Signed {
            request,
            steps,
            authorization,
        } = signing::sign(resolved, Placement::Header, plan.map(|p| p.payload()))?;
        let encoder = plan.map(|p| p.encoder_from_steps(&steps)).transpose()?;
        Ok(Outgoing {
            request,
            signed: Some((steps, authorization)),
            encoder,
        })
    }

    /// `request` as it is, with no signature (`--no-sign-request`).
    pub fn unsigned(request: Prepared) -> Outgoing {
        Outgoing {
            request,
            signed: None,
            encoder: None,
        }
    }

    /// `-v` and `--dry-run`: the steps and the request on stderr; with `--dry-run` the request
    /// and a curl command on stdout instead of the request line.
    pub fn show(&self, shown: Shown) -> Result<(), CliError> {
        let Shown {
            verbose,
            dry_run,
            secrets: show,
        } = shown;
        let p = &self.request;
        if (verbose || dry_run)
            && let Some((steps, authorization)) = &self.signed
        {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", steps::labelled(steps, show));
            if let Some(auth) = authorization {
                let _ = writeln!(err, "Authorization:     {auth}\n");
            }
        }
        if dry_run {
            return self.print_dry_run(show);
        }
        if verbose {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "> {} {} HTTP/1.1", p.method, p.url.target);
            for (n, v) in &p.headers {
                let v = if canreq::is_secret_header(n) && !show {
                    steps::REDACTED
                } else {
                    v
                };
                let _ = writeln!(err, "> {n}: {v}");
            }
            let _ = writeln!(err, ">");
        }
        Ok(())
    }

    fn print_dry_run(&self, show: bool) -> Result<(), CliError> {
        let p = &self.request;
        outln!(
            "{}",
            steps::render_request(&p.method, &p.url.target, &p.headers, &p.body, show)
        )?;
        if let Some(plan) = self.encoder.as_ref().map(ChunkedEncoder::plan) {
            // curl sends a body as it is; the chunk signatures exist only when canreq sends it.
            let data = p.body.len();
            return outln!(
                "(sent as {}: {} bytes on the wire, {} chunk(s) of up to {} bytes{}; \
                 no curl equivalent, as curl cannot sign chunks)",
                plan.mode(),
                plan.encoded_length(data),
                data.div_ceil(plan.chunk_size() as u64),
                plan.chunk_size(),
                plan.checksum()
                    .map(|alg| format!(", trailing {}", alg.header_name()))
                    .unwrap_or_default(),
            );
        }
        let url = p.url.with_target(&p.url.target);
        outln!(
            "{}",
            steps::curl_command(&p.method, &url, &p.headers, &p.body, show)
        )
    }
}

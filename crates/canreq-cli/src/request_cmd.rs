//! `canreq request`: sign and send, like curl with SigV4 built in.

use std::io::Write;
use std::path::PathBuf;

use canreq::chunked::{ChecksumAlgorithm, ChunkedEncoder, StreamingMode, StreamingUpload};

use crate::args::{Format, RequestArgs, SigningArgs};
use crate::body::Body;
use crate::client::{self, ClientOptions};
use crate::error::CliError;
use crate::out::outln;
use crate::presets;
use crate::resolve::{Prepared, Resolved};
use crate::response::{self, OutputArgs, Sent};
use crate::signing::{self, Placement, Signed};
use crate::steps;

/// Options of `canreq request`.
#[derive(Debug, clap::Args)]
pub struct RequestCmdArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Query protocol preset: Action=NAME and the service's Version (IAM, STS, EC2, SQS, SNS…).
    #[arg(long, value_name = "NAME", help_heading = "Presets")]
    pub action: Option<String>,
    /// A parameter of --action, KEY=VALUE. Repeatable.
    #[arg(
        long,
        value_name = "KEY=VALUE",
        requires = "action",
        help_heading = "Presets"
    )]
    pub param: Vec<String>,
    /// API version for --action when the built-in table has none.
    #[arg(
        long,
        value_name = "DATE",
        requires = "action",
        help_heading = "Presets"
    )]
    pub api_version: Option<String>,
    /// JSON protocol preset: X-Amz-Target Service.Operation and the x-amz-json content type.
    #[arg(
        long,
        value_name = "SERVICE.OPERATION",
        conflicts_with = "action",
        help_heading = "Presets"
    )]
    pub target: Option<String>,
    /// JSON protocol version for --target: 1.0 or 1.1 (default: by service).
    #[arg(
        long,
        value_name = "1.0|1.1",
        requires = "target",
        help_heading = "Presets"
    )]
    pub json_version: Option<String>,
    /// Upload the body as aws-chunked (S3 streaming signatures): each chunk signed, the file read
    /// once. With --unsigned-payload: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a checksum.
    #[arg(long, help_heading = "Streaming")]
    pub chunked: bool,
    /// Chunk size for --chunked, 8192 to 16777216 bytes.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = canreq::chunked::DEFAULT_CHUNK_SIZE,
        requires = "chunked",
        help_heading = "Streaming"
    )]
    pub chunk_size: usize,
    /// Trailing checksum for --chunked: crc32, crc32c, crc64nvme, sha1 or sha256 (default with
    /// --unsigned-payload: crc32).
    #[arg(
        long,
        value_name = "ALG",
        requires = "chunked",
        help_heading = "Streaming"
    )]
    pub checksum: Option<String>,
    /// Send to this endpoint (e.g. http://127.0.0.1:9000) while signing for the URL's service.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Print the steps and the request and response headers on stderr (secrets redacted).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Print the signed request and an equivalent curl command; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// PEM file of extra CA certificates to trust (e.g. a local test server's).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Seconds to wait for the connection.
    #[arg(long, default_value_t = 10)]
    pub connect_timeout: u64,
    #[command(flatten)]
    pub signing: SigningArgs,
}

pub fn run(args: RequestCmdArgs) -> Result<(), CliError> {
    let mut plan = None;
    let resolved = Resolved::completed(
        &args.request,
        args.endpoint_url.as_deref(),
        &args.signing,
        |request, scope| {
            apply_presets(&args, request, scope.service())?;
            if args.chunked {
                plan = Some(chunked_plan(&args, request)?);
            }
            Ok(())
        },
    )?;
    let signed = signing::sign(resolved, Placement::Header, plan.map(|p| p.payload()))?;
    let encoder = plan
        .map(|p| p.encoder_from_steps(&signed.steps))
        .transpose()?;
    let show = args.signing.show_secrets;
    let p = &signed.request;
    if args.verbose || args.dry_run {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}", steps::labelled(&signed.steps, show, false));
        if let Some(auth) = &signed.authorization {
            let _ = writeln!(err, "Authorization:     {auth}\n");
        }
    }
    if args.dry_run {
        outln!(
            "{}",
            steps::render_request(&p.method, &p.url.target, &p.headers, &p.body, show)
        )?;
        if let Some(plan) = encoder.as_ref().map(ChunkedEncoder::plan) {
            // curl sends a body as it is; the chunk signatures exist only when canreq sends it.
            let data = p.body.len();
            outln!(
                "(sent as {}: {} bytes on the wire, {} chunk(s) of up to {} bytes{}; \
                 no curl equivalent, as curl cannot sign chunks)",
                plan.mode(),
                plan.encoded_length(data),
                data.div_ceil(plan.chunk_size() as u64),
                plan.chunk_size(),
                plan.checksum()
                    .map(|alg| format!(", trailing {}", alg.header_name()))
                    .unwrap_or_default(),
            )?;
            return Ok(());
        }
        let url = p.url.with_target(&p.url.target);
        outln!(
            "{}",
            steps::curl_command(&p.method, &url, &p.headers, &p.body, show)
        )?;
        return Ok(());
    }
    if args.verbose {
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
    let options = ClientOptions {
        ca_file: args.cacert.clone(),
        connect_timeout: args.connect_timeout,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(send_and_print(&args, &signed, encoder, &options))
}

/// The aws-chunked plan from the flags; adds its headers (`Content-Encoding: aws-chunked`,
/// the encoded `Content-Length`, `x-amz-decoded-content-length`, `x-amz-trailer`).
fn chunked_plan(
    args: &RequestCmdArgs,
    prepared: &mut Prepared,
) -> Result<StreamingUpload, CliError> {
    let checksum = args
        .checksum
        .as_deref()
        .map(str::parse::<ChecksumAlgorithm>)
        .transpose()?;
    let mode = if args.signing.unsigned_payload {
        StreamingMode::UnsignedWithTrailer
    } else {
        StreamingMode::Signed
    };
    let mut plan = StreamingUpload::new(mode, args.chunk_size)?;
    match (checksum, mode) {
        (Some(alg), _) => plan = plan.with_checksum(alg),
        // Without a checksum nothing would protect the data at all.
        (None, StreamingMode::UnsignedWithTrailer) => {
            plan = plan.with_checksum(ChecksumAlgorithm::Crc32)
        }
        (None, _) => {}
    }
    // The plan's length headers replace any the user gave; a content coding of the user's
    // (e.g. gzip) stays, after aws-chunked.
    let mut coding = None;
    prepared.headers.retain(|(name, value)| {
        let lower = name.to_ascii_lowercase();
        if lower == "content-encoding" {
            coding = Some(value.clone());
        }
        !matches!(
            lower.as_str(),
            "content-encoding"
                | "content-length"
                | "x-amz-decoded-content-length"
                | "x-amz-trailer"
        )
    });
    for (name, value) in plan.headers(prepared.body.len()) {
        let value = match (name, &coding) {
            ("Content-Encoding", Some(theirs)) => format!("{value},{theirs}"),
            _ => value,
        };
        prepared.headers.push((name.to_owned(), value));
    }
    Ok(plan)
}

/// `--action` and `--target`: the parameters, headers and body of the service's protocol.
fn apply_presets(
    args: &RequestCmdArgs,
    prepared: &mut Prepared,
    service: &str,
) -> Result<(), CliError> {
    let has =
        |p: &Prepared, name: &str| p.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if let Some(action) = &args.action {
        let version = presets::query_version(service, args.api_version.as_deref())?;
        let params = presets::query_params(action, &version, &args.param)?;
        if matches!(prepared.method.as_str(), "GET" | "HEAD" | "DELETE") {
            let t = &mut prepared.url.target;
            t.push(if t.contains('?') { '&' } else { '?' });
            t.push_str(&params);
        } else {
            if prepared.body.len() > 0 {
                return Err(CliError::usage(
                    "--action with a POST sends its parameters as the body; drop -d or use GET",
                ));
            }
            prepared.body = Body::Bytes(params.into_bytes());
            if !has(prepared, "content-type") {
                prepared.headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                ));
            }
        }
    }
    if let Some(target) = &args.target {
        presets::check_target(target)?;
        let content_type = presets::json_content_type(service, args.json_version.as_deref())?;
        if !has(prepared, "content-type") {
            prepared.headers.push(("Content-Type".into(), content_type));
        }
        prepared
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-target"));
        prepared
            .headers
            .push(("X-Amz-Target".into(), target.clone()));
        if matches!(prepared.body, Body::Empty) {
            prepared.body = Body::Bytes(b"{}".to_vec());
        }
    }
    Ok(())
}

async fn send_and_print(
    args: &RequestCmdArgs,
    signed: &Signed,
    encoder: Option<ChunkedEncoder>,
    options: &ClientOptions,
) -> Result<(), CliError> {
    let response = client::send(&signed.request, encoder, options).await?;
    let show_secrets = args.signing.show_secrets;
    let mut report = serde_json::Map::new();
    if args.out.format == Format::Json {
        let p = &signed.request;
        report.insert(
            "steps".into(),
            steps::steps_json(&signed.steps, show_secrets),
        );
        report.insert(
            "request".into(),
            serde_json::json!({
                "method": p.method,
                "url": p.url.with_target(&p.url.target),
                "headers": steps::headers_json(&p.headers, show_secrets),
            }),
        );
    }
    let sent = Sent {
        report,
        show_secrets,
        verbose: args.verbose,
    };
    response::deliver(response, &args.out, sent).await
}

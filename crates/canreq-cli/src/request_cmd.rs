//! `canreq request`: sign and send, like curl with SigV4 built in.

use std::path::PathBuf;
use std::time::Duration;

use canreq::chunked::{ChecksumAlgorithm, StreamingMode, StreamingUpload};

use crate::args::{EndpointArgs, Format, RequestArgs, SigningArgs};
use crate::body::Body;
use crate::client::ClientOptions;
use crate::error::CliError;
use crate::outgoing::{Outgoing, Shown};
use crate::resolve::{self, Prepared};
use crate::response::{self, OutputArgs, Sent};
use crate::{follow, presets, steps, upload_checksum};

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
    /// Checksum of the body: a trailer with --chunked (default with --unsigned-payload: crc32),
    /// else an x-amz-checksum-ALG header, as the AWS CLI sends it.
    #[arg(
        long,
        value_name = "ALG",
        value_parser = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"],
        ignore_case = true,
        help_heading = "Streaming"
    )]
    pub checksum: Option<String>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Send the request unsigned (public buckets, presigned flows), looking for no credentials.
    #[arg(long, help_heading = "Signing")]
    pub no_sign_request: bool,
    /// Follow 301, 302, 307 and 308 redirects to the same service, signing again for the new
    /// host (and the region it names), as curl's -L.
    #[arg(short = 'L', long = "location", help_heading = "Connection")]
    pub location: bool,
    /// Accept any TLS certificate (curl's -k). The exchange can then be read and changed by
    /// anyone on the path.
    #[arg(short = 'k', long, help_heading = "Connection")]
    pub insecure: bool,
    /// Give up after SECONDS in all (exit 28, as curl).
    #[arg(short = 'm', long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Connection")]
    pub max_time: Option<Duration>,
    /// Give up when nothing arrives for SECONDS once connected (exit 28), as the AWS CLI's
    /// --cli-read-timeout; 0 waits for ever.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds_or_zero, help_heading = "Connection")]
    pub read_timeout: ReadTimeout,
    /// No progress bar and no error message (curl's -s); the exit code still tells.
    #[arg(short = 's', long, help_heading = "Output")]
    pub silent: bool,
    /// With -s, still print the error message (curl's -S).
    #[arg(short = 'S', long, help_heading = "Output")]
    pub show_error: bool,
    /// Print the steps and the request and response headers on stderr (secrets redacted).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Print the signed request and an equivalent curl command; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// PEM file of extra CA certificates to trust (e.g. a local test server's); default:
    /// AWS_CA_BUNDLE.
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub cacert: Option<PathBuf>,
    /// Seconds to wait for the connection (exit 28 when it does not come).
    #[arg(long, default_value_t = 10, help_heading = "Connection")]
    pub connect_timeout: u64,
    #[command(flatten)]
    pub signing: SigningArgs,
}

pub fn run(args: RequestCmdArgs) -> Result<(), CliError> {
    crate::quiet::set_silent(args.silent);
    if args.insecure && !args.silent {
        eprintln!(
            "canreq: warning: -k: the server's certificate is not checked; anyone on the path \
             can read and change this exchange"
        );
    }
    let mut plan = None;
    let mut addressed = resolve::address(&args.request, &args.endpoint, &args.signing)?;
    apply_presets(&args, &mut addressed.request, addressed.scope.service())?;
    if args.chunked {
        plan = Some(chunked_plan(&args, &mut addressed.request)?);
    } else if let Some(alg) = &args.checksum {
        upload_checksum::add_header(&mut addressed.request, alg.parse()?)?;
    }
    if args.verbose
        && let Some((url, source)) = &addressed.endpoint
    {
        eprintln!("* sending to {url} (from {source})");
    }
    // `unsigned` is what a redirect is signed again from; `None` when nothing is signed.
    let (first, unsigned) = if args.no_sign_request {
        (Outgoing::unsigned(addressed.request), None)
    } else {
        let resolved = addressed.signed_by(&args.signing)?;
        (Outgoing::signed(resolved.clone(), plan)?, Some(resolved))
    };
    first.show(shown(&args))?;
    if args.dry_run {
        return Ok(());
    }
    let options = ClientOptions {
        ca_file: args.cacert.clone(),
        connect_timeout: args.connect_timeout,
        read_timeout: args.read_timeout.0,
        insecure: args.insecure,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    let sent = report(&args, &first);
    runtime.block_on(async {
        let exchange = async {
            let response =
                follow::send(first, unsigned, plan, &options, args.location, shown(&args)).await?;
            response::deliver(response, &args.out, sent).await
        };
        match args.max_time {
            None => exchange.await,
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(CliError::timeout(format!(
                        "gave up after {} s (--max-time)",
                        limit.as_secs_f64()
                    )))
                }),
        }
    })
}

/// What the flags ask to see of each request sent.
fn shown(args: &RequestCmdArgs) -> Shown {
    Shown {
        verbose: args.verbose,
        dry_run: args.dry_run,
        secrets: args.signing.show_secrets,
    }
}

/// `--read-timeout`: `None` waits for ever.
#[derive(Debug, Clone, Copy)]
pub struct ReadTimeout(Option<Duration>);

/// Seconds, fractions allowed, more than zero.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match parse_seconds_or_zero(text)?.0 {
        Some(d) => Ok(d),
        None => Err("give more than 0 seconds".to_owned()),
    }
}

/// Seconds, fractions allowed; 0 is no limit.
fn parse_seconds_or_zero(text: &str) -> Result<ReadTimeout, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.0..=1e9).contains(&seconds) {
        return Err(format!("{text:?} is not between 0 and 1e9 seconds"));
    }
    Ok(ReadTimeout(
        (seconds > 0.0).then(|| Duration::from_secs_f64(seconds)),
    ))
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
        // Chunks chain from the head's signature: SigV4a's head, SigV4a's chunks.
        StreamingMode::signed(args.signing.algorithm(), false)
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

/// What `--format json` reports of the request: its steps and the request as first sent.
fn report(args: &RequestCmdArgs, first: &Outgoing) -> Sent {
    let show_secrets = args.signing.show_secrets;
    let mut report = serde_json::Map::new();
    if args.out.format == Format::Json {
        if let Some((steps, _)) = &first.signed {
            report.insert("steps".into(), steps::steps_json(steps, show_secrets));
        }
        let p = &first.request;
        report.insert(
            "request".into(),
            serde_json::json!({
                "method": p.method,
                "url": p.url.with_target(&p.url.target),
                "headers": steps::headers_json(&p.headers, show_secrets),
            }),
        );
    }
    Sent {
        report,
        show_secrets,
        verbose: args.verbose,
        signed_steps: first.signed.as_ref().map(|(steps, _)| {
            (
                steps.canonical_request().as_str().to_owned(),
                steps.string_to_sign().to_owned(),
            )
        }),
        sigv4a: first
            .signed
            .as_ref()
            .is_some_and(|(steps, _)| steps.algorithm() == canreq::Algorithm::EcdsaP256Sha256),
    }
}

//! `canreq man`: a manual page for the command and one for each subcommand
//! (`canreq-request(1)` …), clap_mangen's sections followed by EXIT STATUS, ENVIRONMENT and
//! EXAMPLES.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Options of `canreq man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (default: canreq(1) itself).
    #[arg(value_name = "SUBCOMMAND")]
    pub page: Option<String>,
    /// Write every page (canreq.1, canreq-request.1, …) into DIR instead.
    #[arg(long, value_name = "DIR", conflicts_with = "page")]
    pub dir: Option<PathBuf>,
}

const EXIT_STATUS: &str = "\
0 success. 1 refused: an AWS error answer, an invalid signature. 2 bad input (a flag, URL, \
header, file or credentials). 3 network failure. 28 timeout (--connect-timeout, \
--read-timeout, --max-time), as curl.";

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "CANREQ_ACCESS_KEY, CANREQ_SECRET_KEY, CANREQ_SESSION_TOKEN",
        "The key to sign with, as --access-key, --secret-key and --session-token.",
    ),
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE",
        "The AWS credential chain, read when no key is given: the environment, then the \
         profile in ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE, \
         AWS_SHARED_CREDENTIALS_FILE), SSO, web identity, credential_process, container and \
         instance metadata.",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION",
        "The region when neither --region nor the host names one.",
    ),
    (
        "AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL",
        "Where requests go without --endpoint-url, before the profile's services section and \
         endpoint_url (SERVICE is the SDK service id upper-cased, spaces as _: S3, DYNAMODB). \
         AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores them all.",
    ),
    (
        "AWS_CA_BUNDLE",
        "PEM certificates to trust besides the system's, when --cacert is not given.",
    ),
];

/// Examples of each page, as (command, what it does).
fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "sign" => &[(
            "canreq sign GET 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08' \
             --date 20150830T123600Z --access-key AKIDEXAMPLE \
             --secret-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "Every step of a signature with AWS's example key, reproducible.",
        )],
        "presign" => &[(
            "canreq presign PUT https://my-bucket.s3.eu-west-1.amazonaws.com/notes.txt \
             -H 'Content-Type: text/plain' --expires 15m",
            "A URL to upload with for 15 minutes; stderr tells the headers to send with it.",
        )],
        "request" => &[
            (
                "canreq request https://iam.amazonaws.com/ --action ListUsers",
                "List IAM users with the AWS chain's credentials.",
            ),
            (
                "canreq request -T big.iso https://s3.us-east-1.amazonaws.com/bucket/big.iso \
                 --endpoint-url http://127.0.0.1:9000",
                "Upload a file (PUT) to a local S3, signed for S3.",
            ),
            (
                "canreq request -L -m 30 https://bucket.s3.amazonaws.com/key",
                "Follow S3's redirect to the bucket's region; give up after 30 seconds.",
            ),
        ],
        "verify" => &[(
            "canreq verify --url \"$URL\" --access-key AKIDEXAMPLE --date request",
            "Check a presigned URL with CANREQ_SECRET_KEY.",
        )],
        "serve" => &[(
            "canreq serve --listen 127.0.0.1:8080 --access-key AKIDEXAMPLE",
            "A local endpoint verifying every request signed with CANREQ_SECRET_KEY.",
        )],
        "demo" => &[(
            "canreq demo",
            "The walkthrough; nothing leaves the machine.",
        )],
        _ => &[(
            "canreq demo",
            "The walkthrough: sign, send to a local verifying endpoint, see a tampered request \
             refused.",
        )],
    }
}

pub fn run(args: ManArgs, root: clap::Command) -> Result<(), CliError> {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::usage(format!("cannot create {}: {e}", dir.display())))?;
        for (name, cmd) in pages(&root) {
            write_page(&dir.join(format!("{}.1", page_name(&name))), &name, cmd)?;
        }
        return Ok(());
    }
    let (name, cmd) = match &args.page {
        None => ("canreq".to_owned(), root.clone()),
        Some(page) => {
            let cmd = root.find_subcommand(page).ok_or_else(|| {
                CliError::usage(format!(
                    "no subcommand {page:?}: `canreq --help` lists them"
                ))
            })?;
            (page.clone(), cmd.clone())
        }
    };
    let mut page = Vec::new();
    render(&name, cmd, &mut page)
        .map_err(|e| CliError::usage(format!("cannot write the manual: {e}")))?;
    crate::out::bytes(&page)
}

/// The command and its visible subcommands, by name (`canreq` for the command itself).
fn pages(root: &clap::Command) -> Vec<(String, clap::Command)> {
    let mut all = vec![("canreq".to_owned(), root.clone())];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        all.push((sub.get_name().to_owned(), sub.clone()));
    }
    all
}

fn page_name(name: &str) -> String {
    if name == "canreq" {
        name.to_owned()
    } else {
        format!("canreq-{name}")
    }
}

fn write_page(path: &Path, name: &str, cmd: clap::Command) -> Result<(), CliError> {
    let failed =
        |e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", path.display()));
    let mut file = std::fs::File::create(path).map_err(failed)?;
    render(name, cmd, &mut file).map_err(failed)?;
    file.flush().map_err(failed)
}

fn render(name: &str, cmd: clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let title = page_name(name);
    let man = clap_mangen::Man::new(cmd.clone())
        .title(title)
        .source(format!("canreq {}", env!("CARGO_PKG_VERSION")));
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    writeln!(w, ".SH \"EXIT STATUS\"\n{}", roff_text(EXIT_STATUS))?;
    writeln!(w, ".SH ENVIRONMENT")?;
    for (names, what) in ENVIRONMENT {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", roff_text(names), roff_text(what))?;
    }
    writeln!(w, ".SH EXAMPLES")?;
    for (command, what) in examples(name) {
        writeln!(
            w,
            ".PP\n{}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE",
            roff_text(what),
            roff_text(command)
        )?;
    }
    // clap_mangen's version section needs a version: only the command itself has one.
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// Text for roff: backslashes doubled, `-` as a real hyphen-minus (so options can be copied),
/// and a leading `.` or `'` kept from being read as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

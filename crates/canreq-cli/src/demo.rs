//! `canreq demo`: the seeds' walkthrough with no AWS account and no network.
//!
//! A verifying endpoint (the same code as `canreq serve`) runs in-process on a free loopback
//! port. Two requests are signed with AWS's documented example key exactly as they would be for
//! `iam.amazonaws.com` and `ssm.us-east-1.amazonaws.com` (same `Host` header, same canonical
//! request), sent to the endpoint, and its verdict printed. A third is changed after signing and
//! shown refused, with the line of the canonical request that differs. A fourth is signed with
//! SigV4a for an S3 Multi-Region Access Point (every region, `*`): its algorithm, region set and
//! the public key derived from the secret are shown, and the endpoint verifies it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use canreq::verify::{Accept, Verifier};
use canreq::{Algorithm, Credentials, Scope, SigningSettings, SigningTime};

use crate::body::Body;
use crate::client::{self, ClientOptions};
use crate::creds::{self, AwsChain};
use crate::error::CliError;
use crate::out::{out, outln};
use crate::pretty::{self, Syntax};
use crate::resolve::{Prepared, Resolved};
use crate::serve::{BodyLimits, State};
use crate::server;
use crate::signing::{self, Placement, Signed};
use crate::steps;
use crate::target::{Scheme, Url};

/// AWS's documented example key: not a secret, so the demo shows the signing key.
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Options of `canreq demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

struct Example {
    title: &'static str,
    method: &'static str,
    host: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    /// Signed with SigV4a for this service and region set, instead of SigV4 for the host's.
    sigv4a: Option<(&'static str, &'static str)>,
}

const IAM: Example = Example {
    title: "IAM ListUsers: GET, Query protocol",
    method: "GET",
    host: "iam.amazonaws.com",
    target: "/?Action=ListUsers&Version=2010-05-08",
    headers: &[(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )],
    body: "",
    sigv4a: None,
};

const SSM: Example = Example {
    title: "SSM GetParameter: POST, JSON protocol",
    method: "POST",
    host: "ssm.us-east-1.amazonaws.com",
    target: "/",
    headers: &[
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "AmazonSSM.GetParameter"),
    ],
    body: r#"{"Name":"/canreq/demo","WithDecryption":false}"#,
    sigv4a: None,
};

/// A Multi-Region Access Point only takes SigV4a, valid in every region.
const MRAP: Example = Example {
    title: "S3 GetObject through a Multi-Region Access Point: SigV4a",
    method: "GET",
    host: "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
    target: "/docs/demo.txt",
    headers: &[],
    body: "",
    sigv4a: Some(("s3", "*")),
};

pub fn run(_args: DemoArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::network(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(demo())
}

async fn demo() -> Result<(), CliError> {
    let (listener, local) = server::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let port = local.port();
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY)?;
    let store: HashMap<String, Credentials> = [(ACCESS_KEY.to_owned(), credentials.clone())].into();
    let verifier = Verifier::new(store)
        .regions(Accept::Any)
        .services(Accept::Any);
    // Only the demo's own requests come: the limits need only keep them small.
    let bodies = BodyLimits {
        max_body: 1 << 20,
        max_unverified: 1 << 20,
        time: server::BodyTime {
            total: None,
            min_rate: 0,
            grace: Duration::ZERO,
            between_pieces: Duration::from_secs(10),
        },
    };
    let state = Arc::new(State::new(verifier, bodies, true));
    let limits = server::Limits {
        max_connections: 16,
        max_connections_per_address: 16,
        timeout: Duration::from_secs(10),
        max_header_bytes: 64 * 1024,
    };
    // Stopped when the walkthrough ends (or fails: the sender is dropped), not on a signal:
    // Ctrl-C must still end the demo itself at once.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = server::Shutdown {
        signal: async {
            let _ = stopped.await;
        },
        drain: Duration::from_secs(2),
    };
    let server = tokio::spawn(server::accept_loop(listener, state, None, limits, shutdown));

    outln!("canreq demo: a verifying endpoint is listening on http://127.0.0.1:{port}")?;
    outln!("Credentials: AWS's documented example key {ACCESS_KEY} (not a secret).\n")?;
    let mut ok = true;
    for (n, example) in [IAM, SSM].iter().enumerate() {
        outln!("=== {}. {} ===\n", n + 1, example.title)?;
        let signed = sign_example(example, port, &credentials)?;
        print_signed(&signed, example, port)?;
        let (status, body) = send(&signed).await?;
        outln!("Endpoint's verdict: {status}")?;
        outln!("{}\n", shown_body(&body))?;
        ok &= status == 200;
    }

    outln!("=== 3. The SSM request, changed after signing ===\n")?;
    let mut signed = sign_example(&SSM, port, &credentials)?;
    let sent_creq = signed.steps.canonical_request().as_str().to_owned();
    for (name, value) in &mut signed.request.headers {
        if name.eq_ignore_ascii_case("x-amz-target") {
            *value = "AmazonSSM.DeleteParameter".to_owned();
        }
    }
    outln!(
        "Signed for X-Amz-Target: AmazonSSM.GetParameter, then the header is changed to\n\
         AmazonSSM.DeleteParameter on the way (what a tampering proxy would do).\n"
    )?;
    let (status, body) = send(&signed).await?;
    let error = pretty::aws_error(Syntax::Json, &body, None);
    match &error {
        Some(e) => outln!("Endpoint's verdict: {status} {}: {}", e.code, e.message)?,
        None => outln!("Endpoint's verdict: {status}")?,
    }
    // SSM is a JSON service: a wrong signature is its 400 InvalidSignatureException.
    let refused = status == 400
        && error
            .as_ref()
            .is_some_and(|e| e.code == "InvalidSignatureException");
    let server_creq = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("CanonicalRequest")?.as_str().map(str::to_owned));
    if let Some(server_creq) = server_creq {
        for (i, (a, b)) in sent_creq.lines().zip(server_creq.lines()).enumerate() {
            if a != b {
                outln!("The canonical requests differ at line {}:", i + 1)?;
                outln!("  signed by the client:    {a}")?;
                outln!("  computed by the server:  {b}")?;
            }
        }
    }
    ok &= sigv4a_step(port, &credentials).await?;
    let _ = stop.send(());
    let _ = server.await;
    if ok && refused {
        outln!(
            "\nThe signed requests (SigV4 and SigV4a) were accepted and the changed one was refused."
        )?;
        Ok(())
    } else {
        Err(CliError::refused(
            "the demo did not go as expected (see above)",
        ))
    }
}

fn sign_example(
    example: &Example,
    port: u16,
    credentials: &Credentials,
) -> Result<Signed, CliError> {
    // Signed for the AWS host (the Host header says so), sent to the local endpoint.
    let mut headers = vec![("Host".to_owned(), example.host.to_owned())];
    headers.extend(
        example
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    let request = Prepared {
        method: example.method.to_owned(),
        url: Url {
            scheme: Scheme::Http,
            host: "127.0.0.1".to_owned(),
            port,
            explicit_port: true,
            target: example.target.to_owned(),
        },
        headers,
        body: if example.body.is_empty() {
            Body::Empty
        } else {
            Body::Bytes(example.body.as_bytes().to_vec())
        },
    };
    // The host says the scope: the AWS chain is never asked.
    let (scope, algorithm) = match example.sigv4a {
        Some((service, set)) => (
            Scope::for_region_set(set.split(','), service)?,
            Algorithm::EcdsaP256Sha256,
        ),
        None => (
            creds::choose_scope(None, None, example.host, &mut AwsChain::new(None))?,
            Algorithm::HmacSha256,
        ),
    };
    let resolved = Resolved {
        request,
        settings: SigningSettings::for_service(scope.service()),
        scope,
        credentials: credentials.clone(),
        time: SigningTime::now(),
        unsigned_payload: false,
        algorithm,
    };
    signing::sign(resolved, Placement::Header, None)
}

/// The fourth step, kept short: what SigV4a signs with, and the endpoint's verdict. Whether it
/// was verified as SigV4a.
async fn sigv4a_step(port: u16, credentials: &Credentials) -> Result<bool, CliError> {
    outln!("\n=== 4. {} ===\n", MRAP.title)?;
    let signed = sign_example(&MRAP, port, credentials)?;
    let steps = &signed.steps;
    let scope = steps.credential_scope();
    outln!(
        "Signed for https://{}{} (scope {scope}),",
        MRAP.host,
        MRAP.target
    )?;
    outln!("sent to http://127.0.0.1:{port} with the same Host header.\n")?;
    let region_set = MRAP.sigv4a.map_or("", |(_, set)| set);
    outln!("Algorithm:         {}", steps.algorithm())?;
    outln!("Region set:        {region_set} (an access point is valid in every region)")?;
    if let Some(key) = steps.ecdsa_key() {
        // The private key is the secret's: the public key is what a verifier derives too.
        outln!("Public key:        {}", key.public_key().to_hex())?;
        outln!("Private key:       {}", steps::REDACTED)?;
    }
    outln!(
        "Signature:         {} (ECDSA P-256, DER)\n",
        steps.signature()
    )?;
    let (status, body) = send(&signed).await?;
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let verified = status == 200 && report["verified"] == true;
    let said = |field: &str| report[field].as_str().unwrap_or("?").to_owned();
    if verified {
        outln!(
            "Endpoint's verdict: {status}, verified: {}, region set {}",
            said("algorithm"),
            said("region_set")
        )?;
    } else {
        outln!("Endpoint's verdict: {status}")?;
        outln!("{}", shown_body(&body))?;
    }
    Ok(verified && report["algorithm"] == Algorithm::EcdsaP256Sha256.name())
}

fn print_signed(signed: &Signed, example: &Example, port: u16) -> Result<(), CliError> {
    let scope = signed.steps.credential_scope();
    outln!(
        "Signed for https://{}{} (scope {scope}),",
        example.host,
        example.target
    )?;
    outln!("sent to http://127.0.0.1:{port} with the same Host header.\n")?;
    out!("{}", steps::signed_text(signed, false))
}

async fn send(signed: &Signed) -> Result<(u16, Vec<u8>), CliError> {
    let options = ClientOptions {
        connect_timeout: 5,
        read_timeout: Some(std::time::Duration::from_secs(30)),
        ..ClientOptions::default()
    };
    let response = client::send(&signed.request, None, &options).await?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    Ok((status, client::read_limited(&mut body, 1 << 20).await?))
}

fn shown_body(body: &[u8]) -> String {
    let syntax = Syntax::of(None, body);
    pretty::pretty(syntax, body, crate::out::Paint::PLAIN)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}

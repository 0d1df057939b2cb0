//! Credentials and region: flags first, then the standard AWS chain through `aws-config`
//! (environment, shared files and profiles, SSO, web identity, `credential_process`, container
//! and instance metadata). Nothing here is hand-rolled; the chain is the SDKs' own.

use aws_config::meta::region::ProvideRegion;
use aws_credential_types::provider::ProvideCredentials;
use canreq::{Credentials, Scope};

use crate::args::CredentialArgs;
use crate::error::CliError;
use crate::infer;

/// The AWS chain, asked through one async runtime started the first time it is needed: flags
/// alone need none, and a run that asks for both the region and the key starts one, not two.
pub struct AwsChain<'a> {
    profile: Option<&'a str>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl<'a> AwsChain<'a> {
    /// The chain for `profile` (`None`: `AWS_PROFILE`, else "default").
    pub fn new(profile: Option<&'a str>) -> Self {
        AwsChain {
            profile,
            runtime: None,
        }
    }

    fn block_on<F: std::future::Future>(&mut self, work: F) -> Result<F::Output, CliError> {
        let runtime = match &mut self.runtime {
            Some(runtime) => runtime,
            empty => empty.insert(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        CliError::network(format!("cannot start the async runtime: {e}"))
                    })?,
            ),
        };
        Ok(runtime.block_on(work))
    }

    /// `AWS_REGION` / `AWS_DEFAULT_REGION`, then the profile's `region`. Instance metadata is
    /// not asked: a region guessed from the machine would silently sign for the wrong endpoint.
    pub fn region(&mut self) -> Result<Option<String>, CliError> {
        let profile = self.profile;
        self.block_on(async {
            let env = aws_config::environment::EnvironmentVariableRegionProvider::new();
            if let Some(region) = env.region().await {
                return Some(region.to_string());
            }
            let mut builder = aws_config::profile::ProfileFileRegionProvider::builder();
            if let Some(p) = profile {
                builder = builder.profile_name(p);
            }
            builder.build().region().await.map(|r| r.to_string())
        })
    }
}

/// Chooses region and service: the flags, else what the host says; for the region the
/// environment and profile come after the host, because a regional endpoint signs for its own
/// region whatever `AWS_REGION` says.
pub fn choose_scope(
    region: Option<&str>,
    service: Option<&str>,
    host: &str,
    chain: &mut AwsChain<'_>,
) -> Result<Scope, CliError> {
    let inferred = infer::infer(host);
    let service = match (service, &inferred) {
        (Some(s), _) => s.to_owned(),
        (None, Some(i)) => i.service.clone(),
        (None, None) => {
            return Err(CliError::usage(format!(
                "cannot tell the service from the host {host:?}: give --service (e.g. --service s3) and --region"
            )));
        }
    };
    let region = match (region, &inferred) {
        (Some(r), _) => r.to_owned(),
        (None, Some(i)) => i.region.clone(),
        (None, None) => chain.region()?.ok_or_else(|| {
            CliError::usage(format!(
                "cannot tell the region from the host {host:?}: give --region, or set AWS_REGION or a region in the profile"
            ))
        })?,
    };
    Ok(Scope::new(region, service)?)
}

/// The flags' key, else the default chain.
pub fn resolve(
    args: &CredentialArgs,
    region: &str,
    chain: &mut AwsChain<'_>,
) -> Result<Credentials, CliError> {
    if let Some(akid) = &args.access_key {
        let secret = args.secret_key.clone().ok_or_else(|| {
            CliError::usage("--access-key needs --secret-key (or CANREQ_SECRET_KEY)")
        })?;
        let creds = Credentials::new(akid.clone(), secret)?;
        return Ok(match &args.session_token {
            Some(token) => creds.with_session_token(token.clone())?,
            None => creds,
        });
    }
    if args.secret_key.is_some() {
        return Err(CliError::usage("--secret-key needs --access-key"));
    }
    chain.credentials(region)
}

impl AwsChain<'_> {
    /// The default credentials chain, signing its own requests (SSO, STS) for `region`.
    fn credentials(&mut self, region: &str) -> Result<Credentials, CliError> {
        let profile = self.profile;
        let found = self.block_on(async {
            // The environment is the chain's first link. Asking it alone first skips building
            // the whole chain (profile parsing, an HTTP client for SSO and metadata), which costs
            // a few milliseconds on every `canreq sign`. An explicit --profile always takes the
            // full chain.
            if profile.is_none() {
                let env = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
                if let Ok(found) = env.provide_credentials().await {
                    return Ok(found);
                }
            }
            let mut builder =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                    .configure(crate::aws_http::provider_config())
                    .region(aws_config::Region::new(region.to_owned()));
            if let Some(p) = profile {
                builder = builder.profile_name(p);
            }
            builder.build().await.provide_credentials().await
        })?;
        let found = found.map_err(|e| {
            let profile = profile
                .map(str::to_owned)
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".to_owned());
            CliError::usage(format!(
                "no AWS credentials found ({e}). Looked at: --access-key/--secret-key; the environment \
                 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); web identity \
                 (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN); profile {profile:?} in ~/.aws/credentials \
                 and ~/.aws/config (keys, credential_process, SSO, role_arn); the container credentials \
                 endpoint; EC2 instance metadata"
            ))
        })?;
        let creds = Credentials::new(
            found.access_key_id().to_owned(),
            found.secret_access_key().to_owned(),
        )?;
        Ok(match found.session_token() {
            Some(token) => creds.with_session_token(token.to_owned())?,
            None => creds,
        })
    }
}

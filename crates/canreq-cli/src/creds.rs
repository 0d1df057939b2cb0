//! Credentials and region: flags first, then the standard AWS chain through `aws-config`
//! (environment, shared files and profiles, SSO, web identity, `credential_process`, container
//! and instance metadata). Nothing here is hand-rolled; the chain is the SDKs' own.

use std::path::PathBuf;

use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileSet;
use aws_credential_types::provider::ProvideCredentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use canreq::{Credentials, Scope};

use crate::args::CredentialArgs;
use crate::error::CliError;
use crate::infer;

/// The AWS chain, asked through one async runtime started the first time it is needed: flags
/// alone need none, and a run that asks for both the region and the key starts one, not two.
pub struct AwsChain<'a> {
    profile: Option<&'a str>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The shared files, read the first time a setting of theirs is needed.
    profiles: Option<Option<ProfileSet>>,
}

impl<'a> AwsChain<'a> {
    /// The chain for `profile` (`None`: `AWS_PROFILE`, else "default").
    pub fn new(profile: Option<&'a str>) -> Self {
        AwsChain {
            profile,
            runtime: None,
            profiles: None,
        }
    }

    /// The shared config and credentials files, parsed by aws-config (`None`: neither exists
    /// or they cannot be parsed; the credential chain reports the latter itself).
    pub fn profiles(&mut self) -> Result<Option<&ProfileSet>, CliError> {
        if self.profiles.is_none() {
            let name = self.profile.map(|p| p.to_owned().into());
            let loaded = self.block_on(async {
                aws_config::profile::load(
                    &Fs::real(),
                    &Env::real(),
                    &EnvConfigFiles::default(),
                    name,
                )
                .await
                .ok()
            })?;
            self.profiles = Some(loaded);
        }
        Ok(self.profiles.as_ref().and_then(Option::as_ref))
    }

    /// The profile named by `--profile` or `AWS_PROFILE`, if one was named.
    fn named_profile(&self) -> Option<String> {
        self.profile
            .map(str::to_owned)
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
    }

    /// A named profile that neither file holds: which one, and which files were read. The
    /// chain would only say that it found no credentials.
    fn check_named_profile(&mut self) -> Result<(), CliError> {
        let Some(name) = self.named_profile() else {
            return Ok(());
        };
        let found = self
            .profiles()?
            .is_some_and(|set| set.get_profile(&name).is_some());
        if found {
            return Ok(());
        }
        Err(CliError::usage(format!(
            "profile {name:?} (from {}) is in neither shared file; read: {}",
            if self.profile.is_some() {
                "--profile"
            } else {
                "AWS_PROFILE"
            },
            shared_files_read()
        )))
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
    if args.session_token.is_some() {
        // The chain's keys come with their own token (or none); pairing them with another
        // would sign with a token that belongs to other keys.
        return Err(CliError::usage(
            "--session-token (or CANREQ_SESSION_TOKEN) goes with --access-key and --secret-key; \
             keys from the environment or a profile bring their own token (AWS_SESSION_TOKEN, \
             aws_session_token)",
        ));
    }
    chain.credentials(region)
}

impl AwsChain<'_> {
    /// The default credentials chain, signing its own requests (SSO, STS) for `region`.
    fn credentials(&mut self, region: &str) -> Result<Credentials, CliError> {
        let profile = self.profile;
        if profile.is_some() {
            self.check_named_profile()?;
        }
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
            default_chain(profile, region)
                .await
                .provide_credentials()
                .await
        })?;
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                self.check_named_profile()?;
                let profile = self.named_profile().unwrap_or_else(|| "default".to_owned());
                // The cause is in the sources (a credential_process's stderr, a profile's
                // mistake); the top error alone says only that loading failed.
                return Err(CliError::usage(format!(
                    "no AWS credentials found ({}). Looked at: --access-key/--secret-key; the \
                     environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); web \
                     identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN); profile {profile:?} \
                     (keys, credential_process, SSO, role_arn) in {}; the container credentials \
                     endpoint; EC2 instance metadata",
                    error_chain(&e),
                    shared_files_read()
                )));
            }
        };
        from_aws(&found)
    }
}

/// The default credentials chain for `profile` (`None`: `AWS_PROFILE`, else "default"),
/// signing its own requests (SSO, STS) for `region`, over the ring HTTPS client.
pub async fn default_chain(
    profile: Option<&str>,
    region: &str,
) -> aws_config::default_provider::credentials::DefaultCredentialsChain {
    let mut builder = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
        .configure(crate::aws_http::provider_config())
        .region(aws_config::Region::new(region.to_owned()));
    if let Some(p) = profile {
        builder = builder.profile_name(p);
    }
    builder.build().await
}

/// The chain's credentials as canreq's.
pub fn from_aws(found: &aws_credential_types::Credentials) -> Result<Credentials, CliError> {
    let creds = Credentials::new(
        found.access_key_id().to_owned(),
        found.secret_access_key().to_owned(),
    )?;
    Ok(match found.session_token() {
        Some(token) => creds.with_session_token(token.to_owned())?,
        None => creds,
    })
}

/// An error and its sources, joined with ": ".
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        // Some errors repeat their source's text in their own.
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The two shared files aws-config reads, each with whether it exists.
fn shared_files_read() -> String {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, default: &str| {
        let path = std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default));
        let state = if path.is_file() { "" } else { " (not found)" };
        let shown = match path.strip_prefix(&home) {
            Ok(rest) if !home.as_os_str().is_empty() => format!("~/{}", rest.display()),
            _ => path.display().to_string(),
        };
        format!("{shown}{state}")
    };
    format!(
        "{} and {}",
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
    )
}

//! The HTTPS client the AWS credential chain uses (SSO, web identity and assume-role through STS,
//! container and instance metadata). aws-config's built-in client is rustls on aws-lc-rs; this
//! one is the same smithy client on ring, the provider the rest of canreq already uses, so the
//! binary links one crypto backend and builds without a C/cmake toolchain. `.ci/run` fails if
//! aws-lc comes back into the CLI's dependencies.

use aws_config::provider_config::ProviderConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The chain's configuration: its defaults (environment, files, Tokio sleep), with the ring client.
pub fn provider_config() -> ProviderConfig {
    ProviderConfig::without_region().with_http_client(https_client())
}

/// The smithy HTTPS client on ring, for an SDK configuration (the proxy's `--role-arn`).
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

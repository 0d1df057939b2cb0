//! The proxy's credentials, for as long as it runs: the flags' fixed key, or the AWS chain's
//! (environment, profile, SSO, `credential_process`, web identity, container and instance
//! metadata; with `--role-arn`, a role assumed through STS with them), kept and fetched again
//! before they expire.
//!
//! aws-config 1.x caches credentials in the SDK clients' identity cache, which needs a client's
//! runtime components; its providers themselves do not cache (`credential_process` runs its
//! program at every call). So the proxy keeps the last credentials here, with their expiry,
//! and asks the provider again once they are within [`REFRESH_AHEAD`] of it; one request
//! refreshes while the others wait for it.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use canreq::Credentials;

use crate::creds;
use crate::error::CliError;

/// How long before their expiry credentials are fetched again: the SDKs' own lazy cache's
/// margin, long enough for a request signed now to reach AWS before they expire.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(10);

/// What is called when the provider yields credentials anew (not the first time).
pub type OnRefresh = Box<dyn Fn() + Send + Sync>;

/// Where the keys come from.
pub enum Provider {
    /// `--access-key`/`--secret-key`: never expire.
    Fixed(Arc<Credentials>),
    /// The AWS chain (or a role assumed with it).
    Chain(SharedCredentialsProvider),
}

/// Credentials as they were last fetched.
#[derive(Clone)]
struct Current {
    credentials: Arc<Credentials>,
    expires: Option<SystemTime>,
}

/// The proxy's keys: the provider and what it last gave.
pub struct KeySource {
    provider: Provider,
    current: RwLock<Option<Current>>,
    /// Held by the one request that refreshes.
    refreshing: tokio::sync::Mutex<()>,
    on_refresh: Option<OnRefresh>,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys themselves are never shown.
        f.debug_struct("KeySource").finish_non_exhaustive()
    }
}

impl KeySource {
    pub fn new(provider: Provider) -> KeySource {
        KeySource {
            provider,
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            on_refresh: None,
        }
    }

    /// Calls `on_refresh` each time the provider yields credentials after the first.
    pub fn on_refresh(mut self, on_refresh: OnRefresh) -> KeySource {
        self.on_refresh = Some(on_refresh);
        self
    }

    /// The credentials to sign with now: the kept ones, or fresh ones once those are within
    /// [`REFRESH_AHEAD`] of their expiry.
    pub async fn credentials(&self) -> Result<Arc<Credentials>, CliError> {
        let chain = match &self.provider {
            Provider::Fixed(credentials) => return Ok(Arc::clone(credentials)),
            Provider::Chain(chain) => chain,
        };
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let _refreshing = self.refreshing.lock().await;
        // Another request may have refreshed while this one waited.
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let found = chain.provide_credentials().await.map_err(|e| {
            CliError::usage(format!(
                "no AWS credentials found ({})",
                creds::error_chain(&e)
            ))
        })?;
        let next = Current {
            credentials: Arc::new(creds::from_aws(&found)?),
            expires: found.expiry(),
        };
        let previous = self
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .replace(next.clone());
        if previous.is_some()
            && let Some(on_refresh) = &self.on_refresh
        {
            on_refresh();
        }
        Ok(next.credentials)
    }

    /// The kept credentials, if they are not about to expire.
    fn fresh(&self) -> Option<Arc<Credentials>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let current = current.as_ref()?;
        let fresh = current
            .expires
            .is_none_or(|expires| SystemTime::now() + REFRESH_AHEAD < expires);
        fresh.then(|| Arc::clone(&current.credentials))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out a new key at each call, valid for `lifetime`.
    #[derive(Debug)]
    struct Rotating {
        calls: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Rotating {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(
                aws_credential_types::Credentials::new(
                    format!("AKID{n}"),
                    "secret",
                    Some("token".into()),
                    Some(SystemTime::now() + self.lifetime),
                    "test",
                ),
            ))
        }
    }

    fn source(lifetime: Duration) -> (KeySource, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let refreshes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&refreshes);
        let provider = Rotating {
            calls: Arc::clone(&calls),
            lifetime,
        };
        let source = KeySource::new(Provider::Chain(SharedCredentialsProvider::new(provider)))
            .on_refresh(Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }));
        (source, calls, refreshes)
    }

    #[tokio::test]
    async fn credentials_are_kept_until_they_near_their_expiry() {
        let (source, calls, refreshes) = source(Duration::from_secs(3600));
        for _ in 0..5 {
            let c = source.credentials().await.unwrap();
            assert_eq!(c.access_key_id(), "AKID0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            refreshes.load(Ordering::SeqCst),
            0,
            "the first fetch is no refresh"
        );
    }

    #[tokio::test]
    async fn credentials_about_to_expire_are_fetched_again_and_counted() {
        // Within the margin from the start: every request refreshes.
        let (source, calls, refreshes) = source(REFRESH_AHEAD / 2);
        let first = source.credentials().await.unwrap();
        let second = source.credentials().await.unwrap();
        assert_eq!(
            (first.access_key_id(), second.access_key_id()),
            ("AKID0", "AKID1")
        );
        assert!(second.session_token().is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn fixed_keys_are_never_fetched() {
        let fixed = Arc::new(Credentials::new("AKIDFIXED", "secret").unwrap());
        let source = KeySource::new(Provider::Fixed(fixed));
        assert_eq!(
            source.credentials().await.unwrap().access_key_id(),
            "AKIDFIXED"
        );
        assert_eq!(format!("{source:?}"), "KeySource { .. }");
    }
}

//! The keys a gateway accepts, with their policies: a [`KeyRing`] the verifier looks keys up
//! in, replaced whole when the key file changes (polled) or on SIGHUP, so that requests in
//! flight keep the keys they started with and no connection is dropped. A file that does not
//! parse leaves the keys as they were, and the log says why.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use canreq::Credentials;
use canreq::verify::{CredentialStore, Found};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::serve::config::{self, Policy, PolicyKey};

/// How often the key file is looked at.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

type Keys = HashMap<String, (Credentials, Arc<Policy>)>;

/// The current keys, shared by the verifier and the reloader.
#[derive(Clone, Default)]
pub struct KeyRing {
    current: Arc<RwLock<Arc<Keys>>>,
}

impl KeyRing {
    pub fn new(keys: HashMap<String, PolicyKey>) -> KeyRing {
        let ring = KeyRing::default();
        ring.replace(keys);
        ring
    }

    /// Puts `keys` in place of the current ones.
    pub fn replace(&self, keys: HashMap<String, PolicyKey>) {
        let keys: Keys = keys
            .into_iter()
            .map(|(akid, key)| (akid, (key.credentials, Arc::new(key.policy))))
            .collect();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    fn snapshot(&self) -> Arc<Keys> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl CredentialStore for KeyRing {
    type Data = Arc<Policy>;

    fn lookup(&self, access_key_id: &str) -> Option<Found<Arc<Policy>>> {
        let keys = self.current.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(access_key_id).map(|(credentials, policy)| Found {
            credentials: credentials.clone(),
            data: Arc::clone(policy),
        })
    }
}

/// Reloads a [`KeyRing`] from its file when the file's contents change.
pub struct Reloader {
    ring: KeyRing,
    path: PathBuf,
    /// SHA-256 of the contents last looked at (loaded or refused), so that a change is acted
    /// on once, and a refused file is not logged again every poll.
    seen: Option<[u8; 32]>,
    /// Why the file could not be read last time, so that it is logged once.
    unreadable: Option<String>,
}

impl Reloader {
    /// A reloader for the keys `ring` holds, read from `path` already.
    pub fn new(ring: KeyRing, path: PathBuf) -> Reloader {
        let seen = std::fs::read(&path).ok().map(|mut bytes| {
            let digest = Sha256::digest(&bytes).into();
            bytes.zeroize();
            digest
        });
        Reloader {
            ring,
            path,
            seen,
            unreadable: None,
        }
    }

    /// Loads the file if it changed (or always, when `forced`); returns whether keys were
    /// replaced.
    pub fn reload(&mut self, forced: bool) -> bool {
        let mut bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) => {
                let why = e.to_string();
                if self.unreadable.as_ref() != Some(&why) {
                    tracing::warn!(
                        path = %self.path.display(),
                        "cannot read the key file {}: {why}; keeping the previous keys",
                        self.path.display()
                    );
                    self.unreadable = Some(why);
                }
                return false;
            }
        };
        self.unreadable = None;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if !forced && self.seen == Some(digest) {
            bytes.zeroize();
            return false;
        }
        self.seen = Some(digest);
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| format!("{} is not UTF-8", self.path.display()))
            .and_then(|text| {
                config::parse_with_policies(text, &self.path).map_err(|e| e.to_string())
            });
        bytes.zeroize();
        match parsed {
            Ok(keys) => {
                let count = keys.len();
                self.ring.replace(keys);
                tracing::info!(
                    path = %self.path.display(),
                    keys = count,
                    "reloaded {count} keys from {}",
                    self.path.display()
                );
                true
            }
            Err(why) => {
                tracing::warn!(
                    path = %self.path.display(),
                    "the key file is not loaded, keeping the previous keys: {why}"
                );
                false
            }
        }
    }

    /// Polls the file every [`POLL_EVERY`], and reloads it on SIGHUP, until the runtime ends.
    pub fn spawn(mut self) {
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut ticks = tokio::time::interval(POLL_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let forced = match hangup.as_mut() {
                    Some(signal) => tokio::select! {
                        _ = ticks.tick() => false,
                        _ = signal.recv() => true,
                    },
                    None => {
                        ticks.tick().await;
                        false
                    }
                };
                #[cfg(not(unix))]
                let forced = {
                    ticks.tick().await;
                    false
                };
                // Reading and parsing a file blocks: off the request threads.
                let (back, _) = match tokio::task::spawn_blocking(move || {
                    let replaced = self.reload(forced);
                    (self, replaced)
                })
                .await
                {
                    Ok(done) => done,
                    Err(_) => return,
                };
                self = back;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "[[keys]]\naccess_key_id = \"AKIDONE\"\nsecret_access_key = \"s1\"\n";
    const TWO: &str = "[[keys]]\naccess_key_id = \"AKIDONE\"\nsecret_access_key = \"s1\"\n\
                       [[keys]]\naccess_key_id = \"AKIDTWO\"\nsecret_access_key = \"s2\"\n\
                       principal = \"second\"\nmethods = [\"GET\"]\n";

    #[test]
    fn a_changed_file_replaces_the_keys_and_a_broken_one_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, ONE).unwrap();
        let ring = KeyRing::new(config::load_with_policies(&path).unwrap());
        let mut reloader = Reloader::new(ring.clone(), path.clone());
        assert!(!reloader.reload(false), "unchanged");
        assert_eq!(ring.len(), 1);

        std::fs::write(&path, TWO).unwrap();
        assert!(reloader.reload(false));
        let found = ring.lookup("AKIDTWO").expect("the added key");
        assert_eq!(found.data.principal, "second");
        assert_eq!(found.data.methods, Some(vec!["GET".to_owned()]));
        assert_eq!(ring.lookup("AKIDONE").unwrap().data.principal, "AKIDONE");

        std::fs::write(&path, "[[keys]]\naccess_key_id = ").unwrap();
        assert!(!reloader.reload(false));
        assert_eq!(ring.len(), 2, "the previous keys stay");
        std::fs::remove_file(&path).unwrap();
        assert!(!reloader.reload(true));
        assert_eq!(ring.len(), 2);

        std::fs::write(&path, ONE).unwrap();
        assert!(reloader.reload(false));
        assert!(ring.lookup("AKIDTWO").is_none(), "the removed key");
    }
}

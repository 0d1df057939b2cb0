//! The keys `canreq serve` accepts: a TOML file, or one key from the command line.
//!
//! ```toml
//! [[keys]]
//! access_key_id = "AKIDEXAMPLE"
//! secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
//!
//! [[keys]]
//! access_key_id = "ASIATEMPORARY"
//! secret_access_key = "…"
//! session_token = "…"   # requests must carry exactly this token
//! ```
//!
//! `canreq gateway` reads the same file, where a key may also name its principal and what it
//! may do (each list absent: anything):
//!
//! ```toml
//! [[keys]]
//! access_key_id = "AKIDTENANT1"
//! secret_access_key = "…"
//! principal = "tenant-1"            # passed upstream (default: the access key id)
//! services = ["s3"]
//! regions = ["us-east-1"]
//! methods = ["GET", "HEAD", "PUT"]
//! path_prefixes = ["/tenant-1/"]
//! ```
//!
//! `serve` refuses a file with these fields: it has no policy to apply, and a file written for
//! a gateway must not quietly grant more through `serve`.

use std::collections::HashMap;
use std::path::Path;

use canreq::Credentials;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::error::CliError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    principal: Option<String>,
    services: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    methods: Option<Vec<String>>,
    path_prefixes: Option<Vec<String>>,
}

impl KeyEntry {
    /// The first gateway-only field the entry sets, if any.
    fn policy_field(&self) -> Option<&'static str> {
        [
            ("principal", self.principal.is_some()),
            ("services", self.services.is_some()),
            ("regions", self.regions.is_some()),
            ("methods", self.methods.is_some()),
            ("path_prefixes", self.path_prefixes.is_some()),
        ]
        .into_iter()
        .find_map(|(name, set)| set.then_some(name))
    }
}

/// What a key may do, as its file entry says: `None` allows anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Who the key is, as told to the upstream.
    pub principal: String,
    pub services: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub methods: Option<Vec<String>>,
    pub path_prefixes: Option<Vec<String>>,
}

/// A key with its policy.
#[derive(Debug, Clone)]
pub struct PolicyKey {
    pub credentials: Credentials,
    pub policy: Policy,
}

/// Reads a key file for `serve`, which has no policy to apply: a key with a policy field is
/// refused. The file's text is wiped from memory once parsed.
pub fn load(path: &Path) -> Result<HashMap<String, Credentials>, CliError> {
    let entries = read(path, |text| parse(text, path))?;
    let mut keys = HashMap::with_capacity(entries.len());
    for (akid, (credentials, entry)) in entries {
        if let Some(field) = entry.policy_field() {
            return Err(CliError::usage(format!(
                "credentials file {}, key {akid:?}: {field} is a gateway policy field; serve \
                 accepts every request a key signs (use canreq gateway for policies)",
                path.display()
            )));
        }
        keys.insert(akid, credentials);
    }
    Ok(keys)
}

/// Reads a key file with each key's policy (`gateway`).
pub fn load_with_policies(path: &Path) -> Result<HashMap<String, PolicyKey>, CliError> {
    read(path, |text| parse_with_policies(text, path))
}

/// Parses a key file's `text` (read from `path`, named in errors) with each key's policy.
pub fn parse_with_policies(
    text: &str,
    path: &Path,
) -> Result<HashMap<String, PolicyKey>, CliError> {
    let entries = parse(text, path)?;
    let mut keys = HashMap::with_capacity(entries.len());
    for (akid, (credentials, entry)) in entries {
        let principal = entry.principal.unwrap_or_else(|| akid.clone());
        // It is sent upstream in a header.
        if principal.is_empty() || !principal.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(CliError::usage(format!(
                "credentials file {}, key {akid:?}: the principal must be printable ASCII",
                path.display()
            )));
        }
        let policy = Policy {
            principal,
            services: entry.services,
            regions: entry.regions,
            methods: entry.methods,
            path_prefixes: entry.path_prefixes,
        };
        keys.insert(
            akid,
            PolicyKey {
                credentials,
                policy,
            },
        );
    }
    Ok(keys)
}

/// Reads `path` and parses it with `parse`, wiping the text from memory after.
fn read<T>(path: &Path, parse: impl FnOnce(&str) -> Result<T, CliError>) -> Result<T, CliError> {
    let mut text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read credentials file {}: {e}",
            path.display()
        ))
    })?;
    let parsed = parse(&text);
    text.zeroize();
    parsed
}

/// The keys of a key file's text, each with its entry (its secret moved into the credentials).
fn parse(text: &str, path: &Path) -> Result<HashMap<String, (Credentials, KeyEntry)>, CliError> {
    let file: KeyFile = toml::from_str(text).map_err(|e| {
        // toml's message quotes the offending line, which may hold a secret: keep only the place.
        let place = e
            .span()
            .map_or(String::new(), |s| format!(" at byte {}", s.start));
        CliError::usage(format!(
            "credentials file {} is not valid{place}: expected [[keys]] tables with access_key_id, \
             secret_access_key and an optional session_token",
            path.display()
        ))
    })?;
    if file.keys.is_empty() {
        return Err(CliError::usage(format!(
            "credentials file {} holds no [[keys]]",
            path.display()
        )));
    }
    let mut keys = HashMap::new();
    for mut entry in file.keys {
        let akid = entry.access_key_id.clone();
        let creds = one(
            akid.clone(),
            std::mem::take(&mut entry.secret_access_key),
            entry.session_token.take(),
        )
        .map_err(|e| {
            CliError::usage(format!(
                "credentials file {}, key {akid:?}: {e}",
                path.display()
            ))
        })?;
        if keys.insert(akid.clone(), (creds, entry)).is_some() {
            return Err(CliError::usage(format!(
                "credentials file {} lists {akid} twice",
                path.display()
            )));
        }
    }
    Ok(keys)
}

/// One key from flags.
pub fn one(
    access_key_id: String,
    secret: String,
    token: Option<String>,
) -> Result<Credentials, CliError> {
    let creds = Credentials::new(access_key_id, secret)?;
    Ok(match token {
        Some(t) => creds.with_session_token(t)?,
        None => creds,
    })
}

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
}

/// Reads a key file. The file's text is wiped from memory once parsed.
pub fn load(path: &Path) -> Result<HashMap<String, Credentials>, CliError> {
    let mut text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read credentials file {}: {e}",
            path.display()
        ))
    })?;
    let parsed: Result<KeyFile, _> = toml::from_str(&text);
    text.zeroize();
    let file = parsed.map_err(|e| {
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
    for entry in file.keys {
        let akid = entry.access_key_id.clone();
        let creds = one(
            entry.access_key_id,
            entry.secret_access_key,
            entry.session_token,
        )
        .map_err(|e| {
            CliError::usage(format!(
                "credentials file {}, key {akid:?}: {e}",
                path.display()
            ))
        })?;
        if keys.insert(akid.clone(), creds).is_some() {
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

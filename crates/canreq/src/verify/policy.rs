//! What a verifier trusts and accepts: the credential store and the accepted scopes.

use std::collections::HashMap;

use crate::credentials::Credentials;

/// Where a verifier finds the secret for an access key id.
///
/// Closures `Fn(&str) -> Option<Credentials>` and `HashMap<String, Credentials>` are stores
/// with no caller data; implement the trait to attach data (an account, a tenant, a policy) to
/// each key. A stored session token must match the request's `X-Amz-Security-Token`.
pub trait CredentialStore {
    /// What the caller attaches to a key; handed back in [`Verified::data`].
    type Data;
    /// The credentials of `access_key_id`, if it is known.
    fn lookup(&self, access_key_id: &str) -> Option<Found<Self::Data>>;
}

/// A store's answer: the credentials and the caller's data.
#[derive(Debug, Clone)]
pub struct Found<D> {
    /// Secret and optional session token of the key.
    pub credentials: Credentials,
    /// The caller's data.
    pub data: D,
}

impl<F: Fn(&str) -> Option<Credentials>> CredentialStore for F {
    type Data = ();
    fn lookup(&self, access_key_id: &str) -> Option<Found<()>> {
        self(access_key_id).map(|credentials| Found {
            credentials,
            data: (),
        })
    }
}

impl CredentialStore for HashMap<String, Credentials> {
    type Data = ();
    fn lookup(&self, access_key_id: &str) -> Option<Found<()>> {
        self.get(access_key_id).map(|c| Found {
            credentials: c.clone(),
            data: (),
        })
    }
}

/// Which regions or services a verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Accept {
    /// Any value.
    #[default]
    Any,
    /// Only these values.
    Only(Vec<String>),
}

impl Accept {
    /// Only `value`.
    pub fn one(value: impl Into<String>) -> Self {
        Accept::Only(vec![value.into()])
    }

    pub(super) fn allows(&self, value: &str) -> bool {
        match self {
            Accept::Any => true,
            Accept::Only(list) => list.iter().any(|v| v == value),
        }
    }

    pub(super) fn expected(&self) -> &str {
        match self {
            Accept::Any => "",
            Accept::Only(list) => list.first().map_or("", String::as_str),
        }
    }
}

/// What a presigned request without `x-amz-content-sha256` signs as its payload hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PresignedPayload {
    /// `UNSIGNED-PAYLOAD`, as S3 and botocore's presigned URLs for every service sign.
    #[default]
    Unsigned,
    /// The SHA-256 of the body (the AWS test suite's query-form cases).
    BodyHash,
}

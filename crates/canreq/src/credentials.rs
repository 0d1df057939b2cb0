//! Credentials and the credential scope.
//!
//! Secrets live in [`Secret`], which zeroizes its bytes on drop and prints as `<redacted>`.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::error::{Error, Result, shown};

/// A secret string (secret access key, session token): zeroized on drop, never printed by
/// `Debug`.
///
/// ```
/// use canreq::Secret;
///
/// let s = Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// assert_eq!(format!("{s:?}"), "<redacted>");
/// assert_eq!(s.expose().len(), 40);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Named so that every use stands out in review.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An access key id, its secret access key and an optional session token.
///
/// ```
/// use canreq::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?
///     .with_session_token("token-from-sts")?;
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// let debug = format!("{creds:?}");
/// assert!(debug.contains("AKIDEXAMPLE") && !debug.contains("EXAMPLEKEY") && !debug.contains("token-from-sts"));
/// # Ok::<(), canreq::Error>(())
/// ```
///
/// Cloning is cheap (the values are shared, not copied), so a credential store can hand out
/// copies per request; the secrets are zeroized when the last copy is dropped.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    access_key_id: Box<str>,
    secret_access_key: Secret,
    session_token: Option<Secret>,
}

impl Credentials {
    /// Long-term credentials. The access key id must be non-empty and free of `/`, whitespace and
    /// control characters (it is written into the credential scope); the secret must be non-empty.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Result<Self> {
        let access_key_id: String = access_key_id.into();
        let secret = Secret::new(secret_access_key);
        check_scope_part("access key id", &access_key_id)?;
        if secret.expose().is_empty() {
            return Err(Error::Empty {
                field: "secret access key",
            });
        }
        Ok(Credentials {
            inner: Arc::new(Inner {
                access_key_id: access_key_id.into(),
                secret_access_key: secret,
                session_token: None,
            }),
        })
    }

    /// Adds a session token (temporary credentials from STS, SSO, …). It must be non-empty and
    /// free of control characters, because it is sent as a header value.
    pub fn with_session_token(mut self, token: impl Into<String>) -> Result<Self> {
        let token = Secret::new(token);
        if token.expose().is_empty() {
            return Err(Error::Empty {
                field: "session token",
            });
        }
        if let Some(&byte) = token
            .expose()
            .as_bytes()
            .iter()
            .find(|b| b.is_ascii_control())
        {
            return Err(Error::InvalidHeaderValue {
                name: "x-amz-security-token".into(),
                value: "<redacted>".into(),
                byte,
            });
        }
        Arc::make_mut(&mut self.inner).session_token = Some(token);
        Ok(self)
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.inner.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.inner.secret_access_key
    }

    /// The session token, if any.
    pub fn session_token(&self) -> Option<&Secret> {
        self.inner.session_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.inner.access_key_id)
            .field("secret_access_key", &self.inner.secret_access_key)
            .field("session_token", &self.inner.session_token)
            .finish()
    }
}

/// What ends every credential scope, and the last step of the key derivation.
pub(crate) const SCOPE_TERMINATOR: &str = "aws4_request";

/// Region and service: the variable middle of the credential scope
/// `DATE/REGION/SERVICE/aws4_request`.
///
/// A scope names one region (SigV4) or a region set (SigV4a, which signs the set in
/// `X-Amz-Region-Set` and leaves the region out of the credential scope). SigV4 refuses a set
/// ([`Error::RegionSetNeedsSigV4a`]); SigV4a signs a one-region scope as the set of that region.
///
/// ```
/// use canreq::Scope;
///
/// let scope = Scope::new("us-east-1", "iam")?;
/// assert_eq!(scope.region(), "us-east-1");
/// assert_eq!(scope.region_set(), None);
/// assert!(Scope::new("us-east-1/x", "iam").is_err());
///
/// let global = Scope::for_region_set(["us-east-1", "us-west-2"], "s3")?;
/// assert_eq!(global.region_set(), Some("us-east-1,us-west-2"));
/// assert_eq!(global.credential_scope("20150830"), "20150830/s3/aws4_request");
/// assert_eq!(Scope::for_region_set(["*"], "s3")?.region_set(), Some("*"));
/// assert!(Scope::for_region_set(["us-east-1", "*"], "s3").is_err());
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// One region, or a region set written as `X-Amz-Region-Set` holds it.
    region: Box<str>,
    service: Box<str>,
    is_region_set: bool,
}

impl Scope {
    /// Region and service must be non-empty and free of `/`, whitespace and control characters.
    pub fn new(region: impl Into<String>, service: impl Into<String>) -> Result<Self> {
        let region: String = region.into();
        let service: String = service.into();
        check_scope_part("region", &region)?;
        check_scope_part("service", &service)?;
        Ok(Scope {
            region: region.into(),
            service: service.into(),
            is_region_set: false,
        })
    }

    /// A SigV4a scope: the regions the signature is valid in (each a valid region, or `*` alone
    /// for every region) and the service.
    pub fn for_region_set<R: AsRef<str>>(
        regions: impl IntoIterator<Item = R>,
        service: impl Into<String>,
    ) -> Result<Self> {
        let mut set = String::new();
        let mut wildcard = false;
        for (i, region) in regions.into_iter().enumerate() {
            let region = region.as_ref();
            if i > 0 {
                set.push(',');
            }
            if region == "*" {
                wildcard = true;
            } else {
                check_scope_part("region", region)?;
            }
            set.push_str(region);
        }
        if set.is_empty() {
            return Err(Error::Empty {
                field: "region set",
            });
        }
        if wildcard && set != "*" {
            return Err(Error::InvalidCharacter {
                field: "region set",
                value: shown(&set),
                character: '*',
            });
        }
        let service: String = service.into();
        check_scope_part("service", &service)?;
        Ok(Scope {
            region: set.into(),
            service: service.into(),
            is_region_set: true,
        })
    }

    /// The region, e.g. `us-east-1`; for a region set, the set as `X-Amz-Region-Set` holds it.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The region set (`us-east-1,us-west-2` or `*`) of a SigV4a scope; `None` for one region.
    pub fn region_set(&self) -> Option<&str> {
        self.is_region_set.then_some(&*self.region)
    }

    /// The signing name of the service, e.g. `s3`, `iam`, `execute-api`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// `DATE/REGION/SERVICE/aws4_request` for the given `YYYYMMDD` date; SigV4a's
    /// `DATE/SERVICE/aws4_request` for a region set.
    pub fn credential_scope(&self, date: &str) -> String {
        let algorithm = if self.is_region_set {
            Algorithm::EcdsaP256Sha256
        } else {
            Algorithm::HmacSha256
        };
        let mut out = String::with_capacity(self.credential_scope_len(date, algorithm));
        self.write_credential_scope(&mut out, date, algorithm);
        out
    }

    /// Whether the credential scope names the region: SigV4's does, SigV4a's never (a one-region
    /// scope signed with SigV4a sends its region as the set).
    fn scope_names_region(&self, algorithm: Algorithm) -> bool {
        !self.is_region_set && !algorithm.uses_region_set()
    }

    /// The length of the credential scope's text for `algorithm`.
    pub(crate) fn credential_scope_len(&self, date: &str, algorithm: Algorithm) -> usize {
        let region = if self.scope_names_region(algorithm) {
            self.region.len() + 1
        } else {
            0
        };
        date.len() + 1 + region + self.service.len() + 1 + SCOPE_TERMINATOR.len()
    }

    /// Appends the credential scope of `algorithm` to `out`.
    pub(crate) fn write_credential_scope(
        &self,
        out: &mut String,
        date: &str,
        algorithm: Algorithm,
    ) {
        out.push_str(date);
        out.push('/');
        if self.scope_names_region(algorithm) {
            out.push_str(&self.region);
            out.push('/');
        }
        out.push_str(&self.service);
        out.push('/');
        out.push_str(SCOPE_TERMINATOR);
    }

    /// What `X-Amz-Region-Set` says when signing with SigV4a: the set, or the one region.
    pub(crate) fn region_set_value(&self) -> &str {
        &self.region
    }

    /// `Ok` when `algorithm` signs this scope: SigV4 one region, SigV4a a region set or one
    /// region (sent as the set).
    pub(crate) fn check_algorithm(&self, algorithm: Algorithm) -> Result<()> {
        if self.is_region_set && !algorithm.uses_region_set() {
            return Err(Error::RegionSetNeedsSigV4a {
                regions: shown(&self.region),
            });
        }
        algorithm.require_supported()
    }
}

/// ASCII bytes that may stand in a scope part: graphic, and not `/`, `,` or `=`.
static PLAIN_SCOPE_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b < 0x7f {
        table[b] = !matches!(b as u8, b'/' | b',' | b'=');
        b += 1;
    }
    table
};

/// A part of the credential scope may not be empty, nor hold the scope's separator `/`, nor
/// anything that would break the `Authorization` header's syntax.
#[inline]
pub(crate) fn check_scope_part(field: &'static str, value: &str) -> Result<()> {
    // The common all-ASCII case by a table, inline (a verifier checks two parts per request);
    // anything else by `char`, for Unicode whitespace and controls.
    let plain = value
        .bytes()
        .fold(true, |ok, b| ok & PLAIN_SCOPE_BYTE[usize::from(b)]);
    if plain && !value.is_empty() {
        return Ok(());
    }
    check_scope_part_slowly(field, value)
}

#[cold]
fn check_scope_part_slowly(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::Empty { field });
    }
    if let Some(character) = value
        .chars()
        .find(|c| *c == '/' || *c == ',' || *c == '=' || c.is_whitespace() || c.is_control())
    {
        return Err(Error::InvalidCharacter {
            field,
            value: shown(value),
            character,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_bad_parts_are_named() {
        assert_eq!(
            Credentials::new("", "s").unwrap_err(),
            Error::Empty {
                field: "access key id"
            }
        );
        assert_eq!(
            Credentials::new("A", "").unwrap_err(),
            Error::Empty {
                field: "secret access key"
            }
        );
        let err = Credentials::new("AK ID", "s").unwrap_err();
        assert!(err.to_string().contains("access key id \"AK ID\""), "{err}");
        assert!(Scope::new("r", "").is_err());
        assert!(Scope::new("r", "s\n").is_err());
        let err = Credentials::new("A", "s")
            .unwrap()
            .with_session_token("tok\nen-secret")
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

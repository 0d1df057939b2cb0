//! What a verifier trusts and accepts: the credential store and the accepted scopes.

use std::collections::HashMap;

use crate::credentials::Credentials;

/// Where a verifier finds the secret for an access key id.
///
/// Closures `Fn(&str) -> Option<Credentials>` and `HashMap<String, Credentials>` are stores
/// with no caller data; implement the trait to attach data (an account, a tenant, a policy) to
/// each key. A stored session token must match the request's `X-Amz-Security-Token`.
///
/// ```
/// use std::collections::HashMap;
///
/// use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
/// use canreq::verify::{CredentialStore, ErrorCode, Found, Verifier};
///
/// /// Keys with the tenant each belongs to.
/// struct Tenants(HashMap<String, (Credentials, String)>);
///
/// impl CredentialStore for Tenants {
///     type Data = String;
///     fn lookup(&self, access_key_id: &str) -> Option<Found<String>> {
///         let (credentials, tenant) = self.0.get(access_key_id)?;
///         Some(Found { credentials: credentials.clone(), data: tenant.clone() })
///     }
/// }
///
/// let creds = Credentials::new("AKIDTENANT1", "secret-1")?;
/// let tenants = Tenants(HashMap::from([("AKIDTENANT1".to_string(), (creds.clone(), "acme".to_string()))]));
/// let verifier = Verifier::new(tenants);
///
/// let now = SigningTime::parse("20150830T123600Z")?;
/// let req = Request::new("GET", "/").header("Host", "api.example.com");
/// let signed = Signer::new(&creds, Scope::new("us-east-1", "execute-api")?, now).sign(&req, Payload::Empty)?;
/// let mut received = req.clone();
/// for (name, value) in signed.headers() {
///     received.push_header(name, value);
/// }
/// assert_eq!(verifier.verify(&received, b"", now).unwrap().data(), "acme");
///
/// // A key the store does not know is refused before any signature is computed.
/// let stranger = Credentials::new("AKIDSTRANGER", "secret-1")?;
/// let signed = Signer::new(&stranger, Scope::new("us-east-1", "execute-api")?, now).sign(&req, Payload::Empty)?;
/// let mut received = req.clone();
/// for (name, value) in signed.headers() {
///     received.push_header(name, value);
/// }
/// let err = verifier.verify(&received, b"", now).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidAccessKeyId);
/// # Ok::<(), canreq::Error>(())
/// ```
pub trait CredentialStore {
    /// What the caller attaches to a key; handed back in [`Verified::data`](crate::verify::Verified::data).
    type Data;
    /// The credentials of `access_key_id`, if it is known.
    fn lookup(&self, access_key_id: &str) -> Option<Found<Self::Data>>;
}

/// A store's answer: the credentials and the caller's data. See [`CredentialStore`] for a store
/// that attaches data to each key.
///
/// ```
/// use canreq::Credentials;
/// use canreq::verify::Found;
///
/// let credentials = Credentials::new("ASIATEMP", "secret")?.with_session_token("token-from-sts")?;
/// let found = Found { credentials, data: 42_u32 };
/// assert_eq!(found.credentials.access_key_id(), "ASIATEMP");
/// # Ok::<(), canreq::Error>(())
/// ```
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

/// Which regions or services a verifier accepts ([`Accept::Any`] unless set); see
/// [`Verifier::regions`](super::Verifier::regions) for a refusal.
///
/// ```
/// use canreq::verify::Accept;
///
/// assert_eq!(Accept::one("us-east-1"), Accept::Only(vec!["us-east-1".to_string()]));
/// assert_eq!(Accept::default(), Accept::Any);
/// ```
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
    ///
    /// ```
    /// # use canreq::verify::{Accept, Verifier};
    /// # let store = |_: &str| None::<canreq::Credentials>;
    /// let verifier = Verifier::new(store).services(Accept::one("s3"));
    /// ```
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

/// What a presigned request without `x-amz-content-sha256` signs as its payload hash; see
/// [`Verifier::presigned_payload`](super::Verifier::presigned_payload).
///
/// ```
/// use canreq::verify::PresignedPayload;
///
/// // As the AWS SDKs presign: UNSIGNED-PAYLOAD for S3, the body's hash for other services.
/// assert_eq!(PresignedPayload::default(), PresignedPayload::ByService);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PresignedPayload {
    /// As AWS's signers do: `UNSIGNED-PAYLOAD` for the S3 family (every SDK's presigned S3
    /// URL), the SHA-256 of the body for every other service (botocore's presigned STS, IAM or
    /// EC2 URLs, EKS tokens, the AWS test suite's query form, `canreq presign`).
    #[default]
    ByService,
    /// `UNSIGNED-PAYLOAD`, whatever the service.
    Unsigned,
    /// The SHA-256 of the body, whatever the service.
    BodyHash,
}

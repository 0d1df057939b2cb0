//! Server-side verification of SigV4 requests, on the signer's own canonicalizer.
//!
//! A verifier computes exactly one canonical request from the bytes received (no second try
//! with another encoding, normalization or header set) and compares signatures in constant time.
//! Before any key is looked up it checks what AWS checks: the algorithm, the credential's form,
//! the scope (date, region, service), the clock, that `host` and every `x-amz-*` header present
//! are signed, the session token wherever it is sent, and for presigned URLs the expiry.
//!
//! The request's time is `X-Amz-Date` (header or presign parameter). A header-signed request
//! without one takes it from a signed `Date` header, as AWS does and as older signers (and the
//! 2011 edition of AWS's test suite) expect.
//!
//! The claim's `SignedHeaders` must be the canonical request's list (lowercase, sorted, each
//! name once), so what a verified request says is signed is what was signed. A listed header
//! the request does not carry is signed as an empty value, as AWS reads it; `host` must be sent.
//!
//! Verification has two steps because the payload hash may come last. [`Verifier::begin`]
//! checks everything that the head of the request decides and, when the signed payload hash
//! is declared in `x-amz-content-sha256` or is a marker (`UNSIGNED-PAYLOAD`, `STREAMING-*`),
//! the signature too, before any body byte is read. It returns what the body still needs as a
//! [`Begun`] state, each offering only the calls that make sense for it:
//!
//! - [`Begun::Whole`]: a [`Pending`] body, streamed through [`Pending::update`] and judged by
//!   [`Pending::finish`] (against the declared hash, or hashed to check the signature);
//! - [`Begun::Chunked`]: an aws-chunked body, read through [`PendingChunks`], which releases
//!   each chunk only after its signature matched and vouches for the body in `finish`;
//! - [`Begun::Done`]: nothing to read (`UNSIGNED-PAYLOAD`), the request already [`Verified`].
//!
//! Nothing of a body may be trusted before its state's `finish` returns `Ok`.
//! [`Verifier::verify`] does both steps for a body at hand. Refusals are [`AuthError`]s: data
//! (a code, its HTTP status, a message and the values behind it, such as the server's canonical
//! request), which a server renders in its service's dialect.
//!
//! ```
//! use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};
//! use canreq::verify::{ErrorCode, Verifier};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let now = SigningTime::parse("20150830T123600Z")?;
//! let signer = Signer::new(&creds, Scope::new("us-east-1", "iam")?, now);
//! let req = Request::new("GET", "/?Action=ListUsers&Version=2010-05-08").header("Host", "iam.amazonaws.com");
//! let signed = signer.sign(&req, Payload::Empty)?;
//!
//! // The server's view: the request as received, signature headers included.
//! let mut received = req.clone();
//! for (name, value) in signed.headers() {
//!     received.push_header(name, value);
//! }
//! let store = |akid: &str| (akid == "AKIDEXAMPLE").then(|| creds.clone());
//! let verifier = Verifier::new(store);
//! let verified = verifier.verify(&received, b"", now).unwrap();
//! assert_eq!(verified.access_key_id(), "AKIDEXAMPLE");
//! assert_eq!(verified.service(), "iam");
//!
//! // One changed byte of the query: rejected, with the server's canonical request attached.
//! let tampered = Request::new("GET", "/?Action=ListUsers&Version=2010-05-09")
//!     .header("Host", "iam.amazonaws.com")
//!     .header("X-Amz-Date", &signed.headers()[0].1)
//!     .header("Authorization", signed.authorization());
//! let err = verifier.verify(&tampered, b"", now).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::SignatureDoesNotMatch);
//! assert!(err.detail("CanonicalRequest").unwrap().contains("Version=2010-05-09"));
//! # Ok::<(), canreq::Error>(())
//! ```

pub(crate) mod claim;
mod pending;
mod policy;
mod verified;
mod verifier;

pub use crate::refusal::{AuthError, ErrorCode};
pub use claim::AuthLocation;
pub use pending::{Begun, Pending, PendingChunks};
pub use policy::{Accept, CredentialStore, Found, PresignedPayload};
pub use verified::{PayloadMode, Verified};
pub use verifier::Verifier;

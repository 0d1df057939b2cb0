//! AWS Signature Version 4, byte for byte, without I/O.
//!
//! `canreq` turns a request into the SigV4 *canonical request*, hashes it into the *string to
//! sign*, derives the *signing key* (`AWS4`+secret → date → region → service → `aws4_request`)
//! and computes the *signature*, exactly as AWS services check it, for any service. Every
//! intermediate value is handed back in [`Steps`], because a signature that does not match is
//! debugged by comparing steps.
//!
//! # Design
//!
//! The crate follows the signing pipeline, one module per stage:
//!
//! - `encode`: SigV4's `UriEncode` (the RFC 3986 unreserved set, uppercase `%XY`) and hex;
//! - `canonical`: the canonical request. This is the only place where the canonicalization
//!   rules live; signing and verification both go through it;
//! - `key`: key derivation and [`KeyCache`], which keeps derived keys with their HMAC state
//!   precomputed, so a cached signature costs one HMAC;
//! - `sign`: the `Authorization` header form ([`Signer::sign`]) and the presigned-URL form
//!   ([`Signer::presign`]);
//! - [`verify`]: the server side, on the same canonicalizer;
//! - [`chunked`]: aws-chunked streaming bodies (chunk signatures, trailers, checksums), both
//!   encoding and verifying.
//!
//! The library does no network I/O, has no global state and reads no clock unless asked
//! ([`SigningTime::now`]); the only threads it starts are the scoped ones of
//! [`chunked::hash_chunks_parallel`], when called. Inputs are borrowed; a signature allocates only its
//! outputs (canonical request, string to sign, header values or URL), never per header.
//!
//! Service differences are data, not code paths: [`SigningSettings::for_service`] gives S3 its
//! single encoding, no path normalization and the `x-amz-content-sha256` header.
//!
//! # Example
//!
//! ```
//! use canreq::{Credentials, KeyCache, Payload, Request, Scope, Signer, SigningTime};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let cache = KeyCache::default();
//! let signer = Signer::new(&creds, Scope::new("us-east-1", "iam")?, SigningTime::parse("20150830T123600Z")?)
//!     .with_key_cache(&cache);
//!
//! let req = Request::new("GET", "/?Action=ListUsers&Version=2010-05-08")
//!     .header("Host", "iam.amazonaws.com")
//!     .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
//! let signed = signer.sign(&req, Payload::Empty)?;
//!
//! let steps = signed.steps();
//! assert_eq!(steps.signing_key().to_hex(), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
//! assert!(steps.string_to_sign().starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"));
//! for (name, value) in signed.headers() {
//!     println!("{name}: {value}");
//! }
//! # Ok::<(), canreq::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod algorithm;
mod canonical;
pub mod chunked;
mod credentials;
mod encode;
mod error;
#[cfg(feature = "http")]
mod http_request;
mod key;
mod raw;
mod refusal;
mod request;
mod settings;
mod sign;
mod text;
mod time;
pub mod verify;

pub use algorithm::Algorithm;
pub use canonical::{CanonicalRequest, SECRET_HEADERS, UriEncoding, is_secret_header};
pub use credentials::{Credentials, Scope, Secret};
pub use error::{Error, Result};
#[cfg(feature = "http")]
pub use http_request::{presign_http_request, sign_http_request};
pub use key::{KeyCache, SigningKey};
pub use raw::RawRequest;
pub use request::{Request, wire_target};
pub use settings::{
    DEFAULT_UNSIGNED_HEADERS, EMPTY_SHA256, Payload, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER, SessionTokenMode, SigningSettings, UNSIGNED_PAYLOAD, is_s3_family,
};
pub use sign::{
    ALGORITHM, MAX_EXPIRES_SECONDS, PresignedRequest, SignedRequest, Signer, Steps,
    string_to_sign_for,
};
pub use time::SigningTime;

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

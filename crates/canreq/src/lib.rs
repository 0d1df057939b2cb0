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
//! The crate follows the signing pipeline, one module per stage; each imports only from the
//! stages above it in this list, so the graph reads top-down with no cycles:
//!
//! - `text`, `encode`, `crypto`: byte scanners (each held to a plain reference by a property
//!   test), SigV4's `UriEncode` and hex, and the crypto seam (SHA-256, HMAC, constant-time
//!   comparison, SigV4a's key derivation and ECDSA P-256: the only primitives the rest of the
//!   crate calls);
//! - `error`, `time`, [`Algorithm`], `credentials`: the library's [`Error`], [`SigningTime`],
//!   the signing algorithm, [`Credentials`] and the [`Scope`] (one region, or a SigV4a region set);
//! - `canonical`: the canonical request. The only place where the canonicalization rules live;
//!   signing and verification both go through it. [`SigningSettings`] says which rules a
//!   service uses;
//! - `key`: key derivation and [`KeyCache`], which keeps derived keys with their HMAC state
//!   precomputed, so a cached signature costs one HMAC, and SigV4a's [`EcdsaKey`] per
//!   credentials;
//! - `sign`: the `Authorization` header form ([`Signer::sign`]) and the presigned-URL form
//!   ([`Signer::presign`]), each returning every step ([`Steps`]);
//! - `refusal`: [`verify::AuthError`], what both the chunk decoder and the verifier refuse
//!   with: data (code, status, message, the values behind it), never a rendered document;
//! - [`chunked`]: aws-chunked streaming bodies (chunk signatures, trailers, checksums), both
//!   encoding and verifying;
//! - [`verify`]: the server side, on the same canonicalizer. [`Verifier::begin`](verify::Verifier::begin)
//!   returns a [`Begun`](verify::Begun) state per body rule, so no caller can read a body the
//!   wrong way;
//! - `request`, `raw`, `http_request`: the glue that reads requests from borrowed parts, raw
//!   HTTP/1.1 bytes or an `http::Request`.
//!
//! SigV4a is the second [`Algorithm`]: its P-256 key derivation and ECDSA in `crypto` and
//! `key`, its region set and region-less scope in `Scope` and `sign`, its claim (region-less
//! credential, `X-Amz-Region-Set`) and ECDSA check in `verify`, its aws-chunked chunk and
//! trailer signatures (aws-c-auth's format) in `chunked`'s one signature chain. A diagnosis of
//! mismatched signatures is a `diagnose` module below `verify`, comparing canonical requests
//! and strings to sign and re-signing with known mistakes through `sign`. Proxies, servers and
//! rendering (XML, JSON, logs) are the CLI's: the library stays sans-IO and presents nothing.
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
//! assert_eq!(steps.signing_key().unwrap().to_hex(), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
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
mod crypto;
pub mod diagnose;
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
pub use key::{EcdsaKey, EcdsaPublicKey, KeyCache, SigningKey};
pub use raw::{Framing, Message, RawRequest};
pub use request::{Request, wire_target};
pub use settings::{
    DEFAULT_UNSIGNED_HEADERS, EMPTY_SHA256, Payload, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER, SessionTokenMode, SigningSettings, UNSIGNED_PAYLOAD, is_s3_family,
};
pub use sign::{
    ALGORITHM, MAX_EXPIRES_SECONDS, PRESIGN_PARAMS, PresignedRequest, SignedRequest, Signer, Steps,
    string_to_sign_for,
};
pub use time::SigningTime;

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

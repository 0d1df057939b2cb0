//! SigV4a's key: a P-256 key pair derived from the access key id and the secret, one per
//! credentials (not per day, region or service as SigV4's HMAC key is).

use std::fmt;

use p256::ecdsa::SigningKey as P256Key;

use crate::crypto::ecdsa;
use crate::encode;
use crate::error::{Error, Result};

/// The SigV4a signing key of one set of credentials: the P-256 private key AWS derives from the
/// secret access key (see [`EcdsaKey::derive`]) and its public key.
///
/// The private key is zeroized on drop and never shown by `Debug`, which prints the public key;
/// [`expose_private_key_hex`](Self::expose_private_key_hex) gives it on request.
///
/// ```
/// use canreq::EcdsaKey;
///
/// // The AWS SigV4a test suite's credentials and the public key it publishes for them.
/// let key = EcdsaKey::derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// assert_eq!(
///     key.public_key().to_hex(),
///     "04b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1\
///        865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518"
/// );
/// let signature = key.sign(b"string to sign");
/// assert!(key.public_key().verify(b"string to sign", &signature));
/// assert!(!format!("{key:?}").contains(&key.expose_private_key_hex()));
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone)]
pub struct EcdsaKey {
    /// `p256`'s signing key zeroizes its scalar on drop.
    private: P256Key,
    public: EcdsaPublicKey,
}

impl EcdsaKey {
    /// Derives the key as AWS does (NIST SP 800-108 HMAC-SHA256 counter-mode KDF over `AWS4A` +
    /// secret, labelled `AWS4-ECDSA-P256-SHA256`, the access key id and a counter as context).
    /// Costs an HMAC and a scalar multiplication: cache it ([`KeyCache::ecdsa_key`](crate::KeyCache::ecdsa_key)).
    ///
    /// Fails only if no counter up to 254 gives a candidate in range, a chance of about
    /// 2^-8000 that AWS's signers give up on too.
    pub fn derive(access_key_id: &str, secret_access_key: &str) -> Result<Self> {
        let private = ecdsa::derive_private_key(access_key_id, secret_access_key)
            .ok_or(Error::KeyDerivationFailed)?;
        let public = EcdsaPublicKey(ecdsa::PublicKey::of(&private));
        Ok(EcdsaKey { private, public })
    }

    /// The public key.
    pub fn public_key(&self) -> &EcdsaPublicKey {
        &self.public
    }

    /// The signature of `string_to_sign`: ECDSA P-256 over its SHA-256, DER-encoded, in
    /// lowercase hex (at most 144 digits).
    pub fn sign(&self, string_to_sign: &[u8]) -> String {
        encode::hex(self.sign_der(string_to_sign).as_bytes())
    }

    /// [`sign`](Self::sign) without the hex: the DER bytes, on the stack (a chunk signature each
    /// chunk of an aws-chunked body).
    pub(crate) fn sign_der(&self, string_to_sign: &[u8]) -> p256::ecdsa::DerSignature {
        ecdsa::sign(&self.private, string_to_sign)
    }

    /// The private scalar, 64 lowercase hex digits. A secret as long-lived as the secret access
    /// key it is derived from.
    pub fn expose_private_key_hex(&self) -> String {
        encode::hex(&self.private.to_bytes())
    }
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaKey")
            .field("public_key", &self.public)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// A SigV4a public key (P-256): what a verifier needs, and what the step-by-step output shows.
///
/// ```
/// use canreq::EcdsaPublicKey;
///
/// // From an uncompressed point (`04`, X, Y), e.g. the AWS suite's `public-key.json`.
/// let x = "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1";
/// let y = "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518";
/// let key = EcdsaPublicKey::from_hex(&format!("04{x}{y}")).unwrap();
/// assert_eq!(key.to_hex(), format!("04{x}{y}"));
/// assert!(EcdsaPublicKey::from_hex("04").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EcdsaPublicKey(ecdsa::PublicKey);

impl EcdsaPublicKey {
    /// A key from a SEC1 point in lowercase hex (uncompressed `04…` or compressed `02…`/`03…`);
    /// `None` if it is not a point on the curve.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0u8; 65];
        let bytes = bytes.get_mut(..hex.len() / 2)?;
        if !encode::parse_lower_hex(hex, bytes) {
            return None;
        }
        ecdsa::PublicKey::from_point(bytes).map(EcdsaPublicKey)
    }

    /// The uncompressed point (`04`, X, Y) in lowercase hex, 130 digits.
    pub fn to_hex(&self) -> String {
        encode::hex(self.0.uncompressed())
    }

    /// Whether `signature` (DER in lowercase hex, as in `Authorization`) is this key's signature
    /// of `string_to_sign`.
    pub fn verify(&self, string_to_sign: &[u8], signature: &str) -> bool {
        let mut der = [0u8; ecdsa::MAX_DER_LEN];
        let Some(der) = der.get_mut(..signature.len() / 2) else {
            return false;
        };
        // `parse_lower_hex` also refuses an odd number of digits.
        encode::parse_lower_hex(signature, der) && self.verify_der(string_to_sign, der)
    }

    /// Whether `der` (a DER-encoded signature) is this key's signature of `string_to_sign`.
    pub(crate) fn verify_der(&self, string_to_sign: &[u8], der: &[u8]) -> bool {
        ecdsa::verify(&self.0, string_to_sign, der)
    }
}

impl fmt::Debug for EcdsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

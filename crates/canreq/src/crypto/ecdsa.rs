//! SigV4a's primitives: the derivation of a P-256 private key from the secret access key, and
//! ECDSA P-256 over SHA-256 with DER-encoded signatures: signing and the curve's arithmetic with
//! `p256` (RustCrypto), verification with `ring`.
//!
//! Verification is `ring`'s because it is five times faster than `p256`'s (about 77 µs against
//! 380 µs, within 1.3x of OpenSSL's; BENCHMARKS.md, "SigV4a"): `p256` 0.14 verifies with its
//! portable field arithmetic and a fresh wNAF table of the base point per call (its precomputed
//! tables serve only `k·G`, that is signing and derivation), where `ring` has P-256 assembly.
//! The key, the DER parsing and the hashing cost little on either side. Signing and derivation
//! stay on `p256`: its deterministic (RFC 6979) nonces need no random source, and a signature
//! is made once per request by a client, where a server verifies every request it gets.
//!
//! The derivation is AWS's (aws-c-auth's `aws_ecc_key_pair_new_ecdsa_p256_key_from_aws_credentials`,
//! the SDKs' SigV4a signers): NIST SP 800-108's HMAC-SHA256 KDF in counter mode, one block,
//! keyed with `AWS4A` + secret, over the fixed input
//!
//! ```text
//! 0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 || access key id || counter (one byte) || 0x00000100
//! ```
//!
//! (the block counter 1, the label, a zero byte, the context — the access key id and a
//! one-byte counter starting at 1 — and the output length, 256 bits). The candidate `c` is read
//! big-endian; if `c > n − 2` (`n` the curve's order) the counter goes up and another candidate is
//! made, else the private scalar is `c + 1`, in `[1, n − 1]`. AWS gives up past counter 254 (a
//! chance of about 2^-8000).

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::{FieldBytes, NonZeroScalar};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::{HmacKey, sha256};

/// The label of the KDF's fixed input: the algorithm's name.
const LABEL: &[u8] = b"AWS4-ECDSA-P256-SHA256";

/// The last counter AWS's signers try.
const MAX_COUNTER: u8 = 254;

/// The order of P-256 less two (SP 800-186 §3.2.1.3), big-endian: the largest candidate kept.
const N_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// The longest DER encoding of a P-256 signature: a sequence of two 33-byte integers.
pub(crate) const MAX_DER_LEN: usize = 72;

/// The private key AWS derives from `secret_access_key` for `access_key_id`; `None` only if every
/// counter up to 254 gave a candidate out of range (never seen: about 2^-8000).
pub(crate) fn derive_private_key(
    access_key_id: &str,
    secret_access_key: &str,
) -> Option<SigningKey> {
    let mut seed = Zeroizing::new(Vec::with_capacity(5 + secret_access_key.len()));
    seed.extend_from_slice(b"AWS4A");
    seed.extend_from_slice(secret_access_key.as_bytes());
    let kdf = HmacKey::new(&seed);
    let mut input = Vec::with_capacity(4 + LABEL.len() + 1 + access_key_id.len() + 1 + 4);
    input.extend_from_slice(&1u32.to_be_bytes());
    input.extend_from_slice(LABEL);
    input.push(0);
    input.extend_from_slice(access_key_id.as_bytes());
    let counter_at = input.len();
    input.push(1);
    input.extend_from_slice(&256u32.to_be_bytes());
    for counter in 1..=MAX_COUNTER {
        input[counter_at] = counter;
        let mut candidate = Zeroizing::new(kdf.mac(&input));
        if !at_most(&candidate, &N_MINUS_2) {
            continue;
        }
        add_one(&mut candidate);
        let bytes = Zeroizing::new(FieldBytes::from(*candidate));
        let scalar = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(*bytes))?;
        return Some(SigningKey::from(scalar));
    }
    None
}

/// Whether big-endian `a` ≤ `b`, without a branch on their bytes (the candidate is secret).
fn at_most(a: &[u8; 32], b: &[u8; 32]) -> bool {
    // b − a, byte by byte from the least significant: a borrow out of the top means a > b.
    let mut borrow = 0u16;
    for (x, y) in a.iter().zip(b).rev() {
        let difference = u16::from(*y)
            .wrapping_sub(u16::from(*x))
            .wrapping_sub(borrow);
        borrow = (difference >> 8) & 1;
    }
    borrow == 0
}

/// Adds one to big-endian `value` (which is below n − 1, so it never wraps).
fn add_one(value: &mut [u8; 32]) {
    let mut carry = 1u16;
    for byte in value.iter_mut().rev() {
        let sum = u16::from(*byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
}

/// ECDSA P-256 signature of SHA-256(`message`), DER-encoded (RFC 6979 nonces).
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> DerSignature {
    let digest = sha256(message);
    // A prehash of the curve's size is always accepted; the fallback is never taken.
    let signature: Signature = key
        .sign_prehash(&digest)
        .unwrap_or_else(|_| unreachable!("a 32-byte prehash is accepted"));
    signature.to_der()
}

/// A P-256 public key: a point on the curve (checked when it was made), kept as its
/// uncompressed SEC1 encoding (`04`, X, Y), the form `ring` verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PublicKey([u8; 65]);

impl PublicKey {
    /// The public key of `private`.
    pub(crate) fn of(private: &SigningKey) -> Self {
        Self::from_p256(private.verifying_key())
    }

    /// A public key from a SEC1 point (uncompressed or compressed), if it is one on the curve.
    pub(crate) fn from_point(bytes: &[u8]) -> Option<Self> {
        VerifyingKey::from_sec1_bytes(bytes)
            .ok()
            .map(|key| Self::from_p256(&key))
    }

    fn from_p256(key: &VerifyingKey) -> Self {
        let point = key.to_sec1_point(false);
        let mut out = [0u8; 65];
        if let Some(bytes) = point.as_bytes().get(..65) {
            out.copy_from_slice(bytes);
        }
        PublicKey(out)
    }

    /// The uncompressed point: `04`, X, Y (65 bytes).
    pub(crate) fn uncompressed(&self) -> &[u8; 65] {
        &self.0
    }
}

/// Whether `der` is a DER-encoded ECDSA signature of SHA-256(`message`) under `public`.
/// (`ring` checks the point again, a few field operations, and hashes `message` itself.)
pub(crate) fn verify(public: &PublicKey, message: &[u8], der: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &public.0)
        .verify(message, der)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_compare_and_increment_as_integers() {
        let mut below = N_MINUS_2;
        below[31] -= 1;
        let mut above = N_MINUS_2;
        above[31] += 1;
        assert!(at_most(&below, &N_MINUS_2));
        assert!(at_most(&N_MINUS_2, &N_MINUS_2));
        assert!(!at_most(&above, &N_MINUS_2));
        assert!(!at_most(&[0xff; 32], &N_MINUS_2));
        assert!(at_most(&[0; 32], &N_MINUS_2));
        let mut carried = [0u8; 32];
        carried[31] = 0xff;
        carried[30] = 0xff;
        add_one(&mut carried);
        assert_eq!(carried[29..], [1, 0, 0]);
    }

    #[test]
    fn a_signature_verifies_and_nothing_else_does() {
        let key = derive_private_key("AKIDEXAMPLE", "secret").expect("derived");
        let der = sign(&key, b"message");
        let public = PublicKey::of(&key);
        assert!(verify(&public, b"message", der.as_bytes()));
        assert!(!verify(&public, b"messagf", der.as_bytes()));
        assert!(!verify(&public, b"message", &der.as_bytes()[1..]));
        assert!(!verify(&public, b"message", b""));
        let point = public.uncompressed();
        assert_eq!(point[0], 4);
        assert_eq!(PublicKey::from_point(point), Some(public));
        assert!(PublicKey::from_point(&point[..64]).is_none());
        // The compressed form names the same key.
        let mut compressed = [0u8; 33];
        compressed[0] = 2 | (point[64] & 1);
        compressed[1..].copy_from_slice(&point[1..33]);
        assert_eq!(PublicKey::from_point(&compressed), Some(public));
        // Another key's signature is refused, and so is a signature of the right length whose
        // DER is broken.
        let other = derive_private_key("AKIDEXAMPLE", "another").expect("derived");
        assert!(!verify(&PublicKey::of(&other), b"message", der.as_bytes()));
        let mut broken = der.as_bytes().to_vec();
        broken[0] = 0x31;
        assert!(!verify(&public, b"message", &broken));
    }
}

//! The crypto seam: SHA-256, HMAC-SHA256 and constant-time comparison, the only primitives the
//! rest of the crate calls, and SigV4a's key derivation and ECDSA P-256 ([`ecdsa`]).
//!
//! SHA-256 and HMAC-SHA256 are of short messages, on top of `sha2`'s block function.
//!
//! A signature hashes three short messages (body, canonical request, string to sign). For
//! those, `sha2`'s streaming hasher and `hmac`'s state copy and double finalization cost about
//! as much as one or two more compressions (measured: +37 ns on a 250-byte digest, +67 ns on
//! an HMAC of a string to sign, against ~35 ns per block). Here whole blocks go straight to
//! `sha2::block_api::compress256` and only the padded tail is built, on the stack.

use sha2::block_api::compress256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub(crate) mod ecdsa;

/// The SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut state = IV;
    finish(&mut state, 0, data)
}

/// Hashes `data` into `state`, which has already absorbed `absorbed` bytes (whole blocks),
/// pads, and returns the digest. `state` is left as scratch.
fn finish(state: &mut [u32; 8], absorbed: u64, data: &[u8]) -> [u8; 32] {
    let (blocks, tail) = data.as_chunks::<64>();
    compress256(state, blocks);
    // The tail, the 0x80 marker, zeros, and the bit length: one block, or two when the tail
    // leaves fewer than 9 bytes.
    let mut last = [[0u8; 64]; 2];
    let count = if tail.len() < 56 { 1 } else { 2 };
    let bytes = last.as_flattened_mut();
    bytes[..tail.len()].copy_from_slice(tail);
    bytes[tail.len()] = 0x80;
    let bits = (absorbed + data.len() as u64).wrapping_mul(8);
    bytes[64 * count - 8..64 * count].copy_from_slice(&bits.to_be_bytes());
    compress256(state, &last[..count]);
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state.iter()) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// An HMAC-SHA256 key with its inner and outer pads already hashed (RFC 2104), so that a MAC
/// costs the message's blocks plus one. The states are secrets: zeroized on drop.
#[derive(Clone)]
pub(crate) struct HmacKey {
    inner: Zeroizing<[u32; 8]>,
    outer: Zeroizing<[u32; 8]>,
}

impl HmacKey {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = Zeroizing::new([0u8; 64]);
        if key.len() > 64 {
            block[..32].copy_from_slice(&sha256(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut padded = Zeroizing::new([[0u8; 64]; 1]);
            for (p, k) in padded[0].iter_mut().zip(block.iter()) {
                *p = k ^ byte;
            }
            let mut state = Zeroizing::new(IV);
            compress256(&mut state, &padded[..]);
            state
        };
        HmacKey {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// HMAC-SHA256 of `data`.
    pub(crate) fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut state = Zeroizing::new(*self.inner);
        let inner = finish(&mut state, 64, data);
        *state = *self.outer;
        finish(&mut state, 64, &inner)
    }
}

/// Constant-time equality of two secrets or signatures (their lengths are not secret).
///
/// `subtle`'s slice comparison guards every byte separately (about 40 ns for a 32-byte
/// signature, more than the rest of a cache hit); here the difference is folded word by word,
/// without branches, and only the folded word goes through `subtle`.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or_default());
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_words
        .remainder()
        .iter()
        .zip(b_words.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let diff = a_words
        .zip(b_words)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    bool::from(diff.ct_eq(&0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    /// Bytes that differ at every position and length.
    fn message(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn sha256_agrees_with_sha2_at_every_length_around_the_blocks() {
        for len in (0..=300).chain([1023, 1024, 1025, 65_536 + 55]) {
            let data = message(len, 7);
            let expected: [u8; 32] = Sha256::digest(&data).into();
            assert_eq!(sha256(&data), expected, "length {len}");
        }
    }

    #[test]
    fn hmac_agrees_with_the_hmac_crate() {
        for key_len in [0, 1, 31, 32, 33, 63, 64, 65, 100, 200] {
            let key = message(key_len, 3);
            let ours = HmacKey::new(&key);
            for len in (0..=200).step_by(7).chain([55, 56, 63, 64, 119, 120]) {
                let data = message(len, 11);
                let mut theirs = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                theirs.update(&data);
                let expected: [u8; 32] = theirs.finalize().into_bytes().into();
                assert_eq!(ours.mac(&data), expected, "key {key_len}, data {len}");
            }
        }
    }
}

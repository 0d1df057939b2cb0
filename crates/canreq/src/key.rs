//! The signing key: `AWS4`+secret → date → region → service → `aws4_request`, SigV4a's
//! P-256 key derived from the credentials ([`EcdsaKey`]), and the cache of both.
//!
//! Deriving a key costs four HMACs (eight SHA-256 compressions plus key padding); a signature
//! with a known key costs one. The key is the same for a whole day per (secret, region,
//! service), so [`KeyCache`] keeps derived keys, and [`SigningKey`] keeps the HMAC state *after*
//! absorbing the padded key, so each signature starts from precomputed inner and outer hashes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::credentials::{Credentials, SCOPE_TERMINATOR, Scope};
use crate::encode;

use crate::crypto::{HmacKey, constant_time_eq};
use crate::error::Result;

mod ecdsa;
pub use ecdsa::{EcdsaKey, EcdsaPublicKey};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// A derived SigV4 signing key for one (secret, date, region, service).
///
/// Its bytes are zeroized on drop and `Debug` does not show them; [`SigningKey::to_hex`] does,
/// for the step-by-step output.
///
/// ```
/// use canreq::SigningKey;
///
/// // The AWS documentation's example key (IAM, us-east-1, 2015-08-30).
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
/// assert_eq!(key.to_hex(), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
/// assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
/// ```
#[derive(Clone)]
pub struct SigningKey {
    bytes: Zeroizing<[u8; 32]>,
    /// The HMAC state with the key already absorbed (inner and outer pads hashed).
    keyed: HmacKey,
}

impl SigningKey {
    /// Derives the key from a secret access key, a `YYYYMMDD` date, a region and a service.
    pub fn derive(secret_access_key: &str, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac(&seed, date.as_bytes());
        let k_region = hmac(&*k_date, region.as_bytes());
        let k_service = hmac(&*k_region, service.as_bytes());
        let bytes = hmac(&*k_service, SCOPE_TERMINATOR.as_bytes());
        Self::from_bytes(*bytes)
    }

    /// A key from its 32 raw bytes (for a key derived elsewhere).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let bytes = Zeroizing::new(bytes);
        let keyed = HmacKey::new(&*bytes);
        SigningKey { bytes, keyed }
    }

    /// HMAC-SHA256 of `data` under this key: the raw signature of a string to sign.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        self.keyed.mac(data)
    }

    /// The key's bytes. A derived key is a secret for one day, region and service.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The key in lowercase hex, as the step-by-step output shows it.
    pub fn to_hex(&self) -> String {
        encode::hex(&*self.bytes)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// A bounded, thread-safe cache of derived signing keys: SigV4's keyed by (secret, date,
/// region, service), SigV4a's by (access key id, secret) ([`ecdsa_key`](Self::ecdsa_key)), each
/// kind up to the capacity.
///
/// A hit does no key derivation: it compares the date, region and service, then the secret in
/// constant time, and hands out a shared [`SigningKey`]. The cache holds copies of the secrets it
/// has seen (zeroized on eviction and drop) and never prints them.
///
/// ```
/// use canreq::{Credentials, KeyCache, Scope};
///
/// let cache = KeyCache::new(8);
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let scope = Scope::new("us-east-1", "iam")?;
/// let a = cache.get(&creds, "20150830", &scope);
/// let b = cache.get(&creds, "20150830", &scope);
/// assert_eq!(a.to_hex(), b.to_hex());
/// assert_eq!((cache.derivations(), cache.hits()), (1, 1));
/// # Ok::<(), canreq::Error>(())
/// ```
pub struct KeyCache {
    entries: RwLock<Entries>,
    capacity: usize,
    derivations: AtomicU64,
    hits: AtomicU64,
}

#[derive(Default)]
struct Entries {
    slots: Vec<Entry>,
    /// Where the next insertion goes once the cache is full (oldest first).
    next_victim: usize,
    ecdsa: Vec<EcdsaEntry>,
    next_ecdsa_victim: usize,
}

/// Puts `entry` in `slots`, or in place of the oldest once `capacity` are held.
fn insert_bounded<T>(slots: &mut Vec<T>, next_victim: &mut usize, capacity: usize, entry: T) {
    if slots.len() < capacity {
        slots.push(entry);
    } else if let Some(slot) = slots.get_mut(*next_victim) {
        *slot = entry;
        *next_victim = (*next_victim + 1) % capacity;
    }
}

/// A SigV4a key and what it was derived from.
struct EcdsaEntry {
    secret: Zeroizing<Box<[u8]>>,
    access_key_id: Box<str>,
    key: Arc<EcdsaKey>,
}

impl EcdsaEntry {
    fn matches(&self, access_key_id: &str, secret: &[u8]) -> bool {
        access_key_id == &*self.access_key_id && constant_time_eq(secret, &self.secret)
    }
}

struct Entry {
    secret: Zeroizing<Box<[u8]>>,
    date: [u8; 8],
    region: Box<str>,
    service: Box<str>,
    key: Arc<SigningKey>,
}

impl Entry {
    fn matches(&self, secret: &[u8], date: &[u8], region: &str, service: &str) -> bool {
        date == self.date
            && region == &*self.region
            && service == &*self.service
            && constant_time_eq(secret, &self.secret)
    }
}

impl KeyCache {
    /// A cache holding at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        KeyCache {
            entries: RwLock::new(Entries::default()),
            capacity: capacity.max(1),
            derivations: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The key for these credentials, `YYYYMMDD` date and scope: from the cache, or derived and
    /// stored.
    ///
    /// ```
    /// use canreq::{Credentials, KeyCache, Scope};
    ///
    /// let cache = KeyCache::new(16);
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let scope = Scope::new("us-east-1", "iam")?;
    /// let first = cache.get(&creds, "20150830", &scope);
    /// let again = cache.get(&creds, "20150830", &scope);
    /// assert_eq!(first.to_hex(), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    /// assert_eq!(again.to_hex(), first.to_hex());
    /// assert_eq!((cache.derivations(), cache.hits(), cache.len()), (1, 1, 1));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn get(&self, credentials: &Credentials, date: &str, scope: &Scope) -> Arc<SigningKey> {
        self.get_for(credentials, date, scope.region(), scope.service())
    }

    /// [`get`](Self::get) from the scope's parts (the verifier has them from the claim).
    pub(crate) fn get_for(
        &self,
        credentials: &Credentials,
        date: &str,
        region: &str,
        service: &str,
    ) -> Arc<SigningKey> {
        let secret = credentials.secret_access_key().expose().as_bytes();
        let date_bytes = date.as_bytes();
        {
            // A poisoned lock only means another thread panicked mid-insert; the entries are
            // still whole, so keep using them.
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = entries
                .slots
                .iter()
                .find(|e| e.matches(secret, date_bytes, region, service))
            {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Arc::clone(&e.key);
            }
        }
        let key = Arc::new(SigningKey::derive(
            credentials.secret_access_key().expose(),
            date,
            region,
            service,
        ));
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let Ok(date_arr) = <[u8; 8]>::try_from(date_bytes) else {
            // Not a YYYYMMDD date: usable, but not worth caching.
            return key;
        };
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries
            .slots
            .iter()
            .any(|e| e.matches(secret, date_bytes, region, service))
        {
            return key;
        }
        let entry = Entry {
            secret: Zeroizing::new(secret.into()),
            date: date_arr,
            region: region.into(),
            service: service.into(),
            key: Arc::clone(&key),
        };
        let Entries {
            slots, next_victim, ..
        } = &mut *entries;
        insert_bounded(slots, next_victim, self.capacity, entry);
        key
    }

    /// The SigV4a key of these credentials: from the cache, or derived and stored. Derivation
    /// costs an HMAC and a P-256 scalar multiplication, a hit a comparison of the access key id
    /// and, in constant time, the secret.
    ///
    /// ```
    /// use canreq::{Credentials, KeyCache};
    ///
    /// let cache = KeyCache::new(4);
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let first = cache.ecdsa_key(&creds)?;
    /// let again = cache.ecdsa_key(&creds)?;
    /// assert_eq!(first.public_key(), again.public_key());
    /// assert_eq!((cache.derivations(), cache.hits()), (1, 1));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn ecdsa_key(&self, credentials: &Credentials) -> Result<Arc<EcdsaKey>> {
        let access_key_id = credentials.access_key_id();
        let secret = credentials.secret_access_key().expose();
        {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = entries
                .ecdsa
                .iter()
                .find(|e| e.matches(access_key_id, secret.as_bytes()))
            {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Arc::clone(&e.key));
            }
        }
        let key = Arc::new(EcdsaKey::derive(access_key_id, secret)?);
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries
            .ecdsa
            .iter()
            .any(|e| e.matches(access_key_id, secret.as_bytes()))
        {
            return Ok(key);
        }
        let entry = EcdsaEntry {
            secret: Zeroizing::new(secret.as_bytes().into()),
            access_key_id: access_key_id.into(),
            key: Arc::clone(&key),
        };
        let Entries {
            ecdsa,
            next_ecdsa_victim,
            ..
        } = &mut *entries;
        insert_bounded(ecdsa, next_ecdsa_victim, self.capacity, entry);
        Ok(key)
    }

    /// How many keys this cache has derived (misses).
    pub fn derivations(&self) -> u64 {
        self.derivations.load(Ordering::Relaxed)
    }

    /// How many lookups were answered without derivation.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many keys are held now (SigV4's and SigV4a's).
    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.slots.len() + entries.ecdsa.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for KeyCache {
    /// Room for 64 keys: many credentials × regions × services for one day.
    fn default() -> Self {
        KeyCache::new(64)
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .field("derivations", &self.derivations())
            .field("hits", &self.hits())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(
            b"0123456789abcdefXYZ",
            b"0123456789abcdefXYZ"
        ));
        assert!(!constant_time_eq(
            b"0123456789abcdefXYZ",
            b"0123456789abcdefXYz"
        ));
        assert!(!constant_time_eq(b"x0123456789", b"y0123456789"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn cache_separates_every_key_part_and_evicts_oldest() {
        let cache = KeyCache::new(2);
        let a = Credentials::new("A", "secret-a").unwrap();
        let b = Credentials::new("A", "secret-b").unwrap();
        let s1 = Scope::new("us-east-1", "s3").unwrap();
        let s2 = Scope::new("us-west-2", "s3").unwrap();
        let k1 = cache.get(&a, "20200101", &s1);
        let k2 = cache.get(&b, "20200101", &s1);
        assert_ne!(k1.to_hex(), k2.to_hex());
        assert_eq!(cache.derivations(), 2);
        cache.get(&a, "20200101", &s1);
        assert_eq!((cache.derivations(), cache.hits()), (2, 1));
        cache.get(&a, "20200101", &s2); // evicts (a, s1)
        cache.get(&a, "20200101", &s1);
        assert_eq!(cache.derivations(), 4);
        assert_eq!(cache.len(), 2);
        let debug = format!("{cache:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }
}

//! The SigV4 signing key, derived from the secret key per (date, region, service), and its cache.
//!
//! Derivation costs four HMACs; a signature costs one more. Caching the derived key per scope
//! makes repeated signing (every outbound call of a request) cost a single HMAC.

use super::encode::push_hex;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::Mutex;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A derived signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// Kept with the HMAC state already keyed with it (its inner and outer pads absorbed), so a
/// signature costs the hashing of the string to sign and nothing to set the key up.
#[derive(Clone)]
pub struct SigningKey {
    bytes: [u8; 32],
    keyed: HmacSha256,
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for SigningKey {}

impl SigningKey {
    /// Derives the key for one scope from the secret access key.
    pub fn derive(secret_access_key: &str, scope_date: &str, region: &str, service: &str) -> Self {
        let mut secret = Vec::with_capacity(4 + secret_access_key.len());
        secret.extend_from_slice(b"AWS4");
        secret.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac_sha256(&secret, scope_date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        let bytes = hmac_sha256(&k_service, b"aws4_request");
        let keyed = HmacSha256::new_from_slice(&bytes).expect("HMAC accepts keys of any length");
        Self { bytes, keyed }
    }

    /// The lowercase hex HMAC of `string_to_sign`: the signature.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(string_to_sign.as_bytes());
        let mut signature = String::with_capacity(64);
        push_hex(&mut signature, &mac.finalize().into_bytes().into());
        signature
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

/// Derived keys of one set of credentials, kept for the current date only.
///
/// Keys of other dates are dropped when a new date is first seen, so the cache never grows
/// beyond the (region, service) pairs in use on one day.
#[derive(Debug, Default)]
pub(crate) struct SigningKeyCache {
    entries: Mutex<Vec<CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    scope_date: String,
    region: String,
    service: String,
    key: SigningKey,
}

impl SigningKeyCache {
    /// Signs `string_to_sign` with the key for the scope, derived on first use. The key is
    /// used where it is kept, not copied out.
    pub(crate) fn sign(
        &self,
        secret: &str,
        scope: (&str, &str, &str),
        string_to_sign: &str,
    ) -> String {
        self.with_key(secret, scope, |key| key.sign(string_to_sign))
    }

    /// A copy of the key for the scope, for a signer that outlives one call (a streamed
    /// body's chunk signatures).
    pub(crate) fn key(&self, secret: &str, scope: (&str, &str, &str)) -> SigningKey {
        self.with_key(secret, scope, SigningKey::clone)
    }

    fn with_key<T>(
        &self,
        secret: &str,
        scope: (&str, &str, &str),
        use_key: impl FnOnce(&SigningKey) -> T,
    ) -> T {
        let (scope_date, region, service) = scope;
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = entries
            .iter()
            .position(|e| e.scope_date == scope_date && e.region == region && e.service == service);
        let index = found.unwrap_or_else(|| {
            entries.retain(|e| e.scope_date == scope_date);
            entries.push(CacheEntry {
                scope_date: scope_date.to_owned(),
                region: region.to_owned(),
                service: service.to_owned(),
                key: SigningKey::derive(secret, scope_date, region, service),
            });
            entries.len() - 1
        });
        use_key(&entries[index].key)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_key_from_the_aws_general_reference_example() {
        // https://docs.aws.amazon.com/general/latest/gr/signature-v4-examples.html (kSigning).
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.bytes),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_reuses_keys_and_drops_older_dates() {
        let cache = SigningKeyCache::default();
        let sign = |date, region| cache.sign("secret", (date, region, "s3"), "text");
        let direct = SigningKey::derive("secret", "20240101", "us-east-1", "s3").sign("text");
        assert_eq!(sign("20240101", "us-east-1"), direct);
        assert_ne!(sign("20240101", "eu-west-1"), direct);
        assert_eq!(cache.len(), 2);
        assert_eq!(sign("20240101", "us-east-1"), direct);
        assert_eq!(cache.len(), 2);
        assert_ne!(sign("20240102", "us-east-1"), direct);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SigningKey::derive("secret", "20240101", "us-east-1", "s3");
        assert_eq!(format!("{key:?}"), "SigningKey(** redacted **)");
    }
}

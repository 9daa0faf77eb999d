//! Keyed hashing of user ids: a raw user id never reaches a span.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hashes a user id with HMAC-SHA256 under the configured key
/// ([`Config::user_hash_key`](crate::Config::user_hash_key) or `GENAI_OTEL_USER_HASH_KEY`)
/// and returns the first 16 bytes as 32 lowercase hex characters: the value this crate
/// records as `user.hash`.
///
/// The same id and key always give the same hash, so one user's traces can be found
/// together; without the key the id cannot be recovered or checked by guessing. Without a
/// configured key a random per-process key is used (and `init_observability` warns): hashes
/// then do not correlate across restarts.
///
/// # Examples
///
/// ```
/// let a = genai_otel::hash_user_id("user-42");
/// assert_eq!(a.len(), 32);
/// assert_eq!(a, genai_otel::hash_user_id("user-42"));
/// assert_ne!(a, genai_otel::hash_user_id("user-43"));
/// assert!(!a.contains("user-42"));
/// ```
pub fn hash_user_id(user_id: &str) -> String {
    let runtime = crate::runtime::current();
    hash_with_key(&runtime.hash_key, user_id)
}

pub(crate) fn hash_with_key(key: &[u8], value: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; the fallback keeps
    // the function total without a panic path.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return "0".repeat(32),
    };
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A fresh random 32-byte key.
pub(crate) fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        // No OS randomness: derive from the std hasher's random state and the clock.
        use std::hash::{BuildHasher, Hasher};
        for chunk in key.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    key
}

/// One random key per process, for use when nothing was configured.
pub(crate) fn process_random_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(random_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            hash_with_key(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
    }
}

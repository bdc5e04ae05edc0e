//! Virtual keys: minting one (random, shown once), hashing it, and checking
//! a presented key's shape before anything looks it up. Pure but for the
//! OS's randomness in [`mint`]; no store, no clock.
//!
//! A key is `ccsk_` and 48 lowercase hex digits (24 random bytes). Its
//! first 13 characters (`ccsk_` and 8 digits) are its display prefix,
//! which lists and logs show; the store keeps that prefix and the SHA-256
//! of the whole key, never the key. The 40 digits after the prefix still
//! carry 160 random bits, so showing the prefix gives nothing away.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What every key starts with: tells a gateway key from a provider's key
/// or a session token at a glance (and to secret scanners).
pub const SCHEME: &str = "ccsk_";
/// Random bytes in a key.
const SECRET_BYTES: usize = 24;
/// A key's length in bytes (all ASCII).
pub const KEY_LEN: usize = SCHEME.len() + SECRET_BYTES * 2;
/// The display prefix's length: the scheme and 8 hex digits.
pub const PREFIX_LEN: usize = SCHEME.len() + 8;

/// The SHA-256 of a whole key: what the store keeps and looks keys up by.
/// A fast hash is enough: keys are random, not passwords, so there is
/// nothing to guess from it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

// Not secret, but nothing a log needs either: hashes in debug output
// would only invite matching them up.
impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

/// A key just minted: the key itself (to show once), its display prefix
/// and its hash (to store).
pub struct Minted {
    pub key: SecretString,
    pub prefix: String,
    pub hash: KeyHash,
}

/// A presented key whose shape is right: what a lookup needs, and the
/// prefix to name it by in logs. The key itself is not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presented {
    pub prefix: String,
    pub hash: KeyHash,
}

/// Why a presented key cannot be one of ours, decided without the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("{}", crate::t!("gateway.malformed_length", len = KEY_LEN))]
    Length,
    #[error("{}", crate::t!("gateway.malformed_scheme", scheme = SCHEME))]
    Scheme,
    #[error("{}", crate::t!("gateway.malformed_characters"))]
    Characters,
}

/// A new random key.
pub fn mint() -> Minted {
    let key = format!("{SCHEME}{}", crate::random::random_hex(SECRET_BYTES));
    Minted {
        prefix: key[..PREFIX_LEN].to_string(),
        hash: hash(&key),
        key: SecretString::from(key),
    }
}

/// The SHA-256 of `key`, as the store keeps it.
pub fn hash(key: &str) -> KeyHash {
    KeyHash(Sha256::digest(key.as_bytes()).into())
}

/// Check `presented`'s shape and hash it. The length is checked first,
/// on bytes: a huge or multi-byte header costs one comparison, and nothing
/// is sliced where a character could be cut.
pub fn parse(presented: &str) -> Result<Presented, Malformed> {
    let bytes = presented.as_bytes();
    if bytes.len() != KEY_LEN {
        return Err(Malformed::Length);
    }
    if !bytes.starts_with(SCHEME.as_bytes()) {
        return Err(Malformed::Scheme);
    }
    let digits = &bytes[SCHEME.len()..];
    if !digits
        .iter()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return Err(Malformed::Characters);
    }
    // All ASCII from here: slicing by bytes cuts no character.
    Ok(Presented {
        prefix: presented[..PREFIX_LEN].to_string(),
        hash: hash(presented),
    })
}

/// What a command line names a key by: its prefix, or the whole key when
/// someone pasted that (only its prefix is used, and only that is ever
/// echoed back).
pub fn prefix_named(given: &str) -> &str {
    match parse(given) {
        Ok(_) => &given[..PREFIX_LEN],
        Err(_) => given,
    }
}

impl Minted {
    /// The key, for the one time it is shown.
    pub fn reveal(&self) -> &str {
        self.key.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_key_parses_back_to_its_prefix_and_hash() {
        let m = mint();
        let key = m.reveal();
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.starts_with("ccsk_"));
        assert_eq!(m.prefix, &key[..13]);
        let p = parse(key).unwrap();
        assert_eq!(p.prefix, m.prefix);
        assert_eq!(p.hash, m.hash);
        assert_ne!(mint().hash, m.hash);
    }

    /// The known SHA-256 of a fixed key: the store and any other backend
    /// must agree on it byte for byte.
    #[test]
    fn the_hash_is_sha256_of_the_whole_key() {
        let key = format!("ccsk_{}", "0".repeat(48));
        let h = hash(&key);
        assert_eq!(h, hash(&key));
        assert_ne!(h, hash(&format!("ccsk_{}1", "0".repeat(47))));
        assert_eq!(
            crate::random::hex(&hash("abc").0),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn shapes_that_cannot_be_keys_are_refused_before_any_lookup() {
        let good = format!("ccsk_{}", "ab".repeat(24));
        assert!(parse(&good).is_ok());
        let huge = "a".repeat(1 << 20);
        for (bad, why) in [
            ("", Malformed::Length),
            ("ccsk_", Malformed::Length),
            (&huge[..], Malformed::Length),
            (&good[..KEY_LEN - 1], Malformed::Length),
            (&format!("{good}0")[..], Malformed::Length),
            (&format!("sk-a_{}", "ab".repeat(24))[..], Malformed::Scheme),
            (
                &format!("ccsk_{}", "AB".repeat(24))[..],
                Malformed::Characters,
            ),
            (
                &format!("ccsk_{}g", "a".repeat(47))[..],
                Malformed::Characters,
            ),
            (
                &format!("ccsk_{} ", "a".repeat(47))[..],
                Malformed::Characters,
            ),
            // Multi-byte: the right length in bytes, never sliced.
            (
                &format!("ccsk_{}é", "a".repeat(46))[..],
                Malformed::Characters,
            ),
            (&format!("ccsé{}", "a".repeat(48))[..], Malformed::Scheme),
        ] {
            assert_eq!(parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn a_pasted_key_is_named_by_its_prefix_only() {
        let m = mint();
        assert_eq!(prefix_named(m.reveal()), m.prefix);
        assert_eq!(prefix_named("ccsk_12345678"), "ccsk_12345678");
        assert_eq!(prefix_named("anything"), "anything");
    }
}

//! Issuing and rotating keys: mint one, store its hash, hand the key back
//! once. What the `gateway key` commands (and later an admin page) call.

use std::time::{Duration, SystemTime};

use secrecy::SecretString;

use super::keys;
use super::store::{KeyRecord, KeySettings, NewKey, Store, StoreError};

/// Mints before giving up on prefix clashes. A clash is one in four
/// billion per pair of keys; three in a row means something else is wrong.
const MINT_TRIES: usize = 3;

/// A key just issued: the key, to show once, and what the store keeps.
pub struct Issued {
    pub key: SecretString,
    pub record: KeyRecord,
}

/// A key issued in place of another, which is now revoked.
pub struct Rotated {
    pub key: SecretString,
    pub old: KeyRecord,
    pub new: KeyRecord,
}

/// Issue a key to `member` with `settings`, valid for `expires_in` (none:
/// until revoked).
pub async fn issue(
    store: &Store,
    member: &str,
    settings: KeySettings,
    expires_in: Option<Duration>,
    now: SystemTime,
) -> Result<Issued, StoreError> {
    let mut tries = 0;
    loop {
        let minted = keys::mint();
        let new = NewKey {
            prefix: minted.prefix,
            hash: minted.hash,
            member: member.to_owned(),
            settings: settings.clone(),
            created_at: now,
            expires_at: expires_in.map(|d| now + d),
        };
        match store.add_key(new).await {
            Err(StoreError::PrefixTaken { .. }) if tries + 1 < MINT_TRIES => tries += 1,
            Err(e) => return Err(e),
            Ok(record) => {
                return Ok(Issued {
                    key: minted.key,
                    record,
                });
            }
        }
    }
}

/// Revoke the key with `prefix` and issue its member a new one with the
/// same settings and lifetime.
pub async fn rotate(store: &Store, prefix: &str, now: SystemTime) -> Result<Rotated, StoreError> {
    let mut tries = 0;
    loop {
        let minted = keys::mint();
        match store
            .rotate_key(prefix, &minted.prefix, minted.hash, now)
            .await
        {
            Err(StoreError::PrefixTaken { .. }) if tries + 1 < MINT_TRIES => tries += 1,
            Err(e) => return Err(e),
            Ok((old, new)) => {
                return Ok(Rotated {
                    key: minted.key,
                    old,
                    new,
                });
            }
        }
    }
}

//! What the budget tests share: their clock, prices, and a member's key
//! issued and authenticated.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::gateway::auth::{self, Principal};
use crate::gateway::keys;
use crate::gateway::store::{KeySettings, NewKey, Store};
use crate::usage::prices::Price;
use crate::usage::writer::Pricer;

/// 2026-12-07 12:00 UTC.
pub fn noon() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(20_794 * 86_400 + 43_200)
}

/// $1 per million input tokens, $10 per million output tokens.
pub fn pricer() -> Pricer {
    Box::new(|_, _| {
        Some(Price {
            input: 1.0,
            output: 10.0,
            cache_read: None,
            cache_write: None,
            cache_write_1h: None,
        })
    })
}

/// A key for `member` with `settings`, issued at noon, and the principal
/// it authenticates as.
pub async fn member_key(store: &Store, member: &str, settings: KeySettings) -> Arc<Principal> {
    let minted = keys::mint();
    store
        .add_key(NewKey {
            prefix: minted.prefix.clone(),
            hash: minted.hash,
            member: member.into(),
            settings,
            created_at: noon(),
            expires_at: None,
        })
        .await
        .unwrap();
    let key = secrecy::ExposeSecret::expose_secret(&minted.key);
    Arc::new(auth::authenticate(store, key, noon()).await.unwrap())
}

//! The last balance of each provider, in `balances.json` in the data
//! folder, with when it was asked: the status line is a new process after
//! every message, and must show a balance without asking for it each time.
//! Every reader asks again at most once per [`FRESH`]; a failed ask keeps
//! the last balance had (shown as it was) and notes the error and the
//! time, so a provider that is down is not asked after every message
//! either. Only balances and errors are written, never a key.
//!
//! Writers hold a lock while reading, changing and replacing the file (as
//! `circuits.json`); a missing or unreadable file reads as empty.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::fetch::fetch;
use super::model::{Balance, FRESH};
use crate::fsutil::{create_private_dir, lock_exclusive, write_atomic};
use crate::proxy::upstream::client::Upstream;

/// One provider's last balance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix seconds of the last ask, answered or not.
    pub checked: u64,
    /// The last balance had, and when (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    #[serde(default)]
    pub at: u64,
    /// Why the last ask failed (one line), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its stable id ([`super::BalanceError::code`]): `rejected` says the
    /// key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl Entry {
    /// Asked within [`FRESH`] of `now` (a clock set back counts as stale).
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let now = unix_secs(now);
        now >= self.checked && now - self.checked < FRESH.as_secs()
    }

    /// When the balance was had.
    pub fn had(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.at)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    providers: BTreeMap<String, Entry>,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `balances.json` beside the other files ccswitch writes as it runs.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("balances.json")
}

/// Every provider's entry, fresh or not.
pub fn read_all(path: &Path) -> BTreeMap<String, Entry> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<File>(&b).ok())
        .unwrap_or_default()
        .providers
}

/// The provider's entry, fresh or not.
pub fn get(path: &Path, provider: &str) -> Option<Entry> {
    read_all(path).remove(provider)
}

/// Replace the provider's entry.
pub fn put(path: &Path, provider: &str, entry: &Entry) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let _lock = lock_exclusive(Path::new(&lock))?;
    let mut all = read_all(path);
    all.insert(provider.to_string(), entry.clone());
    let mut text = serde_json::to_vec_pretty(&File { providers: all })?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// The provider's balance as of at most [`FRESH`] ago: the cached entry
/// while fresh, else asked (within `limit`) and cached. The last balance
/// had stays in the entry when the ask fails. Writing the cache is best
/// effort: a read-only data folder still shows a balance.
pub async fn current(path: &Path, up: &Upstream, now: SystemTime, limit: Duration) -> Entry {
    let name = &up.provider.name;
    let before = get(path, name).unwrap_or_default();
    if before.is_fresh(now) {
        return before;
    }
    let entry = match fetch(up, 0, limit).await {
        Ok(b) => Entry {
            checked: unix_secs(now),
            balance: Some(b),
            at: unix_secs(now),
            error: None,
            error_code: None,
        },
        Err(e) => Entry {
            checked: unix_secs(now),
            error: Some(e.to_string()),
            error_code: Some(e.code().to_string()),
            ..before
        },
    };
    let _ = put(path, name, &entry);
    entry
}

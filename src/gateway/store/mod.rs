//! The gateway's own database: teams, members and virtual keys, behind one
//! async API whatever the backend. Today that is SQLite (one file, one
//! machine); a `Postgres` variant joins [`Store`] without its callers
//! changing: every method is `async`, takes and returns plain values
//! ([`model`]), and each backend numbers its migrations the same way.

mod error;
mod model;
pub mod spend;
mod sqlite;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::gateway::keys::KeyHash;

pub use error::StoreError;
pub use model::{
    Budgets, KeyRecord, KeySettings, KeyStatus, MAX_NAME_CHARS, Member, NewKey, RateLimits, Team,
    check_name,
};
pub use sqlite::SqliteStore;
/// The newest migration step this build knows.
pub use sqlite::VERSION as SCHEMA_VERSION;

/// Where a store is, as `--store` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
}

impl StoreLocation {
    /// A file path; a database URL is refused by name until that backend
    /// exists, rather than becoming a file called `postgres:…`.
    pub fn parse(given: &str) -> Result<StoreLocation, StoreError> {
        let scheme = given.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            None | Some("file") => Ok(StoreLocation::Sqlite(PathBuf::from(
                given.strip_prefix("file://").unwrap_or(given),
            ))),
            Some(_) => Err(StoreError::Unsupported {
                // Only the scheme: the rest may hold a password.
                location: format!("{}://…", scheme.unwrap_or_default()),
            }),
        }
    }
}

/// An open store. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
}

impl Store {
    /// Open (creating and migrating) the store at `location`.
    pub async fn open(location: &StoreLocation, now: SystemTime) -> Result<Store, StoreError> {
        match location {
            StoreLocation::Sqlite(path) => Ok(Store::Sqlite(SqliteStore::open(path, now).await?)),
        }
    }

    /// Open a SQLite store at `path`.
    pub async fn open_sqlite(path: &Path, now: SystemTime) -> Result<Store, StoreError> {
        Store::open(&StoreLocation::Sqlite(path.to_path_buf()), now).await
    }

    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
        }
    }

    pub async fn add_team(&self, name: &str, at: SystemTime) -> Result<Team, StoreError> {
        match self {
            Store::Sqlite(s) => s.add_team(name, at).await,
        }
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        match self {
            Store::Sqlite(s) => s.teams().await,
        }
    }

    pub async fn add_member(
        &self,
        name: &str,
        team: &str,
        at: SystemTime,
    ) -> Result<Member, StoreError> {
        match self {
            Store::Sqlite(s) => s.add_member(name, team, at).await,
        }
    }

    /// Every member, by team, then name.
    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        match self {
            Store::Sqlite(s) => s.members().await,
        }
    }

    /// Store a minted key ([`PrefixTaken`](StoreError::PrefixTaken) when
    /// its prefix is in use: mint another).
    pub async fn add_key(&self, key: NewKey) -> Result<KeyRecord, StoreError> {
        match self {
            Store::Sqlite(s) => s.add_key(key).await,
        }
    }

    /// Every key, oldest first.
    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        match self {
            Store::Sqlite(s) => s.keys().await,
        }
    }

    /// The key with this hash, whatever its state: what authentication
    /// asks.
    pub async fn key_by_hash(&self, hash: KeyHash) -> Result<Option<KeyRecord>, StoreError> {
        match self {
            Store::Sqlite(s) => s.key_by_hash(hash).await,
        }
    }

    /// The key with this display prefix; unknown, an error listing those
    /// there are.
    pub async fn key_by_prefix(&self, prefix: &str) -> Result<KeyRecord, StoreError> {
        match self {
            Store::Sqlite(s) => s.key_by_prefix(prefix).await,
        }
    }

    /// Revoke a key; one revoked before keeps its first revocation time.
    pub async fn revoke_key(&self, prefix: &str, at: SystemTime) -> Result<KeyRecord, StoreError> {
        match self {
            Store::Sqlite(s) => s.revoke_key(prefix, at).await,
        }
    }

    /// Revoke a live key and store a minted one (`new_prefix`, `new_hash`)
    /// in its place, with its member, settings and lifetime, atomically:
    /// (old, new).
    pub async fn rotate_key(
        &self,
        prefix: &str,
        new_prefix: &str,
        new_hash: KeyHash,
        at: SystemTime,
    ) -> Result<(KeyRecord, KeyRecord), StoreError> {
        match self {
            Store::Sqlite(s) => s.rotate_key(prefix, new_prefix, new_hash, at).await,
        }
    }
}

impl Store {
    /// Set (or, with `None`s, clear) what a whole team may spend.
    pub async fn set_team_budgets(&self, name: &str, b: Budgets) -> Result<Team, StoreError> {
        match self {
            Store::Sqlite(s) => s.set_team_budgets(name, b).await,
        }
    }

    /// Set (or clear) what a member may spend over all their keys.
    pub async fn set_member_budgets(&self, name: &str, b: Budgets) -> Result<Member, StoreError> {
        match self {
            Store::Sqlite(s) => s.set_member_budgets(name, b).await,
        }
    }

    /// Store one finished member request and count its cost and tokens
    /// against its key, member and team on its UTC day, atomically.
    pub async fn record_request(&self, row: spend::RequestRow) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.record_request(row).await,
        }
    }

    /// The ledger's rows in `[since_ms, until_ms)`, summed per `by` (or
    /// all in one row keyed `""`).
    pub async fn usage(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: Option<spend::Group>,
    ) -> Result<Vec<(String, spend::RowSums)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.usage(since_ms, until_ms, by).await,
        }
    }

    /// What `owner`'s key, member and team spent on `day` and in its
    /// month (up to and including `day`).
    pub async fn spent(
        &self,
        owner: spend::Owner,
        day: i64,
    ) -> Result<spend::OwnerSpent, StoreError> {
        match self {
            Store::Sqlite(s) => s.spent(owner, day).await,
        }
    }
}

#[cfg(test)]
mod tests;

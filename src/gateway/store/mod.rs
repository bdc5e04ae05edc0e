//! The gateway's own database: teams, members and virtual keys, behind one
//! async API whatever the backend: SQLite (one file, one machine, the
//! default) or PostgreSQL (one database several gateways share). Every
//! method is `async`, takes and returns plain values ([`model`]), and
//! both backends number their migrations the same way.

mod error;
mod location;
mod model;
mod postgres;
pub mod rates;
pub mod spend;
mod sqlite;

use std::path::Path;
use std::time::SystemTime;

use crate::gateway::keys::KeyHash;

pub use error::StoreError;
pub use location::{PgRootCert, PgSslMode, PgTlsConfig, PgUrl, StoreLocation};
pub use model::{
    Budgets, KeyRecord, KeySettings, KeyStatus, MAX_NAME_CHARS, Member, NewKey, RateLimits, Team,
    check_name,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
/// The newest migration step this build knows.
pub use sqlite::VERSION as SCHEMA_VERSION;

// Both backends know the same steps.
const _: () = assert!(sqlite::VERSION == postgres::VERSION);

/// `$call` on whichever backend `$store` is, awaited.
macro_rules! each {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            Store::Sqlite($s) => $call.await,
            Store::Postgres($s) => $call.await,
        }
    };
}

/// An open store. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Open (creating and migrating) the store at `location`.
    pub async fn open(location: &StoreLocation, now: SystemTime) -> Result<Store, StoreError> {
        match location {
            StoreLocation::Sqlite(path) => Ok(Store::Sqlite(SqliteStore::open(path, now).await?)),
            StoreLocation::Postgres(url) => Ok(Store::Postgres(PgStore::open(url, now).await?)),
        }
    }

    /// Open a SQLite store at `path`.
    pub async fn open_sqlite(path: &Path, now: SystemTime) -> Result<Store, StoreError> {
        Store::open(&StoreLocation::Sqlite(path.to_path_buf()), now).await
    }

    /// Where it is, for messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
            Store::Postgres(s) => s.shown().to_owned(),
        }
    }

    pub async fn add_team(&self, name: &str, at: SystemTime) -> Result<Team, StoreError> {
        each!(self, s => s.add_team(name, at))
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        each!(self, s => s.teams())
    }

    pub async fn add_member(
        &self,
        name: &str,
        team: &str,
        at: SystemTime,
    ) -> Result<Member, StoreError> {
        each!(self, s => s.add_member(name, team, at))
    }

    /// Every member, by team, then name.
    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        each!(self, s => s.members())
    }

    /// Store a minted key ([`PrefixTaken`](StoreError::PrefixTaken) when
    /// its prefix is in use: mint another).
    pub async fn add_key(&self, key: NewKey) -> Result<KeyRecord, StoreError> {
        each!(self, s => s.add_key(key))
    }

    /// Every key, oldest first.
    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        each!(self, s => s.keys())
    }

    /// The key with this hash, whatever its state: what authentication
    /// asks.
    pub async fn key_by_hash(&self, hash: KeyHash) -> Result<Option<KeyRecord>, StoreError> {
        each!(self, s => s.key_by_hash(hash))
    }

    /// The key with this display prefix; unknown, an error listing those
    /// there are.
    pub async fn key_by_prefix(&self, prefix: &str) -> Result<KeyRecord, StoreError> {
        each!(self, s => s.key_by_prefix(prefix))
    }

    /// Revoke a key; one revoked before keeps its first revocation time.
    pub async fn revoke_key(&self, prefix: &str, at: SystemTime) -> Result<KeyRecord, StoreError> {
        each!(self, s => s.revoke_key(prefix, at))
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
        each!(self, s => s.rotate_key(prefix, new_prefix, new_hash, at))
    }
}

impl Store {
    /// Set (or, with `None`s, clear) what a whole team may spend.
    pub async fn set_team_budgets(&self, name: &str, b: Budgets) -> Result<Team, StoreError> {
        each!(self, s => s.set_team_budgets(name, b))
    }

    /// Set (or clear) what a member may spend over all their keys.
    pub async fn set_member_budgets(&self, name: &str, b: Budgets) -> Result<Member, StoreError> {
        each!(self, s => s.set_member_budgets(name, b))
    }

    /// Store one finished member request and count its cost and tokens
    /// against its key, member and team on its UTC day, atomically.
    pub async fn record_request(&self, row: spend::RequestRow) -> Result<(), StoreError> {
        each!(self, s => s.record_request(row))
    }

    /// Whether rate limits are counted here, for every replica (Postgres),
    /// rather than in the gateway's memory (SQLite: one process).
    pub fn shares_rates(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// Count a request of `tokens` against key `key_id`'s `limits` in the
    /// minute ending at Unix second `now`; `wait: Some(secs)`: it does
    /// not fit, and would in that many seconds (nothing counted). A store
    /// that does not share rates ([`Store::shares_rates`]) lets everything
    /// through.
    pub async fn rate_admit(
        &self,
        key_id: i64,
        limits: RateLimits,
        tokens: u64,
        now: u64,
    ) -> Result<rates::RateAnswer, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(rates::RateAnswer::default()),
            Store::Postgres(s) => s.rate_admit(key_id, limits, tokens, now).await,
        }
    }

    /// [`rate_admit`](Self::rate_admit) for `owner`'s key and, if the
    /// request fits, [`spent`](Self::spent) for `owner` on `day`: on
    /// PostgreSQL in one round trip, where they would be two in a row
    /// before every budgeted request went upstream.
    pub async fn admit_and_spent(
        &self,
        owner: spend::Owner,
        limits: RateLimits,
        tokens: u64,
        now: u64,
        day: i64,
    ) -> Result<(rates::RateAnswer, spend::OwnerSpent), StoreError> {
        match self {
            Store::Sqlite(s) => Ok((rates::RateAnswer::default(), s.spent(owner, day).await?)),
            Store::Postgres(s) => s.admit_and_spent(owner, limits, tokens, now, day).await,
        }
    }

    /// The ledger's rows in `[since_ms, until_ms)`, summed per `by` (or
    /// all in one row keyed `""`).
    pub async fn usage(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: Option<spend::LedgerGroup>,
    ) -> Result<Vec<(String, spend::RowSums)>, StoreError> {
        each!(self, s => s.usage(since_ms, until_ms, by))
    }

    /// What `owner`'s key, member and team spent on `day` and in its
    /// month (up to and including `day`).
    pub async fn spent(
        &self,
        owner: spend::Owner,
        day: i64,
    ) -> Result<spend::OwnerSpent, StoreError> {
        each!(self, s => s.spent(owner, day))
    }

    /// The ledger's rows in `[since_ms, until_ms)` summed per UTC day
    /// (`YYYY-MM-DD`) and `by`: (day, key, sums), days oldest first.
    pub async fn usage_by_day_and(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: spend::LedgerGroup,
    ) -> Result<Vec<(String, String, spend::RowSums)>, StoreError> {
        each!(self, s => s.usage_by_day_and(since_ms, until_ms, by))
    }

    /// The newest `limit` failed requests at or after `since_ms`, newest
    /// first.
    pub async fn recent_errors(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<spend::FailedRequest>, StoreError> {
        each!(self, s => s.recent_errors(since_ms, limit))
    }

    /// What every key, member and team spent on `day` and in its month
    /// (up to and including `day`): one row per scope and id that spent.
    pub async fn spent_all(&self, day: i64) -> Result<Vec<spend::ScopeRow>, StoreError> {
        each!(self, s => s.spent_all(day))
    }
}

#[cfg(all(test, unix))]
pub(crate) use postgres::testdb;
#[cfg(test)]
mod tests;

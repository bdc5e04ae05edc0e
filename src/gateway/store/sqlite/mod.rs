//! The gateway's store in one SQLite file, for a gateway on one machine.
//! rusqlite blocks, so every call runs on tokio's blocking pool and the
//! async callers (`serve`'s requests) never stall their runtime thread.

mod queries;
mod schema;
mod spend;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use rusqlite::Connection;

use super::error::StoreError;
use super::model::{Budgets, KeyRecord, Member, NewKey, Team};
use super::spend::{FailedRequest, LedgerGroup, Owner, OwnerSpent, RequestRow, RowSums, ScopeRow};
use crate::gateway::keys::KeyHash;
use queries::Fail;

pub use schema::VERSION;

/// Cheap to clone: clones share one connection. One is enough here: the
/// auth cache keeps lookups rare, and SQLite takes one writer at a time
/// anyway.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Open (creating and migrating) the file at `path`.
    pub async fn open(path: &Path, now: SystemTime) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let conn = blocking(move || schema::open(&path, now).map(|c| (c, path))).await?;
        let (conn, path) = conn;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                conn: Mutex::new(conn),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` on the connection, on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            // A query that panicked left no transaction open (dropping it
            // rolled back): the connection is still good.
            let mut conn = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn).map_err(|e| e.at(&inner.path))
        })
        .await
    }

    pub async fn add_team(&self, name: &str, at: SystemTime) -> Result<Team, StoreError> {
        let name = name.to_owned();
        self.run(move |c| queries::add_team(c, &name, at)).await
    }

    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.run(queries::teams).await
    }

    pub async fn add_member(
        &self,
        name: &str,
        team: &str,
        at: SystemTime,
    ) -> Result<Member, StoreError> {
        let (name, team) = (name.to_owned(), team.to_owned());
        self.run(move |c| queries::add_member(c, &name, &team, at))
            .await
    }

    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        self.run(queries::members).await
    }

    pub async fn add_key(&self, key: NewKey) -> Result<KeyRecord, StoreError> {
        self.run(move |c| queries::add_key(c, &key)).await
    }

    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.run(queries::keys).await
    }

    pub async fn key_by_hash(&self, hash: KeyHash) -> Result<Option<KeyRecord>, StoreError> {
        self.run(move |c| queries::key_by_hash(c, &hash)).await
    }

    pub async fn key_by_prefix(&self, prefix: &str) -> Result<KeyRecord, StoreError> {
        let prefix = prefix.to_owned();
        self.run(move |c| queries::key_by_prefix(c, &prefix)).await
    }

    pub async fn revoke_key(&self, prefix: &str, at: SystemTime) -> Result<KeyRecord, StoreError> {
        let prefix = prefix.to_owned();
        self.run(move |c| queries::revoke_key(c, &prefix, at)).await
    }

    pub async fn rotate_key(
        &self,
        prefix: &str,
        new_prefix: &str,
        new_hash: KeyHash,
        at: SystemTime,
    ) -> Result<(KeyRecord, KeyRecord), StoreError> {
        let (prefix, new_prefix) = (prefix.to_owned(), new_prefix.to_owned());
        self.run(move |c| queries::rotate_key(c, &prefix, &new_prefix, new_hash, at))
            .await
    }
}

impl SqliteStore {
    pub async fn set_team_budgets(&self, name: &str, b: Budgets) -> Result<Team, StoreError> {
        let name = name.to_owned();
        self.run(move |c| spend::set_team_budgets(c, &name, b))
            .await
    }

    pub async fn set_member_budgets(&self, name: &str, b: Budgets) -> Result<Member, StoreError> {
        let name = name.to_owned();
        self.run(move |c| spend::set_member_budgets(c, &name, b))
            .await
    }

    pub async fn record_request(&self, row: RequestRow) -> Result<(), StoreError> {
        self.run(move |c| spend::record_request(c, &row)).await
    }

    pub async fn usage(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: Option<LedgerGroup>,
    ) -> Result<Vec<(String, RowSums)>, StoreError> {
        self.run(move |c| spend::usage(c, since_ms, until_ms, by))
            .await
    }

    pub async fn spent(&self, owner: Owner, day: i64) -> Result<OwnerSpent, StoreError> {
        self.run(move |c| spend::spent(c, owner, day)).await
    }

    pub async fn usage_by_day_and(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: LedgerGroup,
    ) -> Result<Vec<(String, String, RowSums)>, StoreError> {
        self.run(move |c| spend::usage_by_day_and(c, since_ms, until_ms, by))
            .await
    }

    pub async fn recent_errors(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<FailedRequest>, StoreError> {
        self.run(move |c| spend::recent_errors(c, since_ms, limit))
            .await
    }

    pub async fn spent_all(&self, day: i64) -> Result<Vec<ScopeRow>, StoreError> {
        self.run(move |c| spend::spent_all(c, day)).await
    }
}

/// `f` on tokio's blocking pool; a task that panicked is an error, not a
/// panic here.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task {
            error: e.to_string(),
        })?
}

//! The gateway's store in one SQLite file, for a gateway on one machine.
//! rusqlite blocks, so every call runs on tokio's blocking pool and the
//! async callers (`serve`'s requests) never stall their runtime thread.
//!
//! Four connections, as WAL lets readers and a writer work at once: one
//! for reads (keys, budgets, the usage page), one for the admin commands'
//! writes, and the ledger writer's thread and its checkpoints' (see
//! [`writer`]), so a key or budget check never waits behind a burst of
//! finished requests, nor a finished request behind a checkpoint.

mod queries;
mod schema;
mod spend;
mod writer;

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

/// Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
    read: Mutex<Connection>,
    ledger: writer::Writer,
}

impl SqliteStore {
    /// Open (creating and migrating) the file at `path`.
    pub async fn open(path: &Path, now: SystemTime) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let opened = blocking(move || {
            let conn = schema::open(&path, now)?;
            let read = schema::connect(&path)?;
            let ledger = schema::connect(&path)?;
            let checkpoints = schema::connect(&path)?;
            Ok((conn, read, (ledger, checkpoints), path))
        })
        .await?;
        let (conn, read, (ledger, checkpoints), path) = opened;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                ledger: writer::Writer::start(ledger, checkpoints, &path),
                path,
                conn: Mutex::new(conn),
                read: Mutex::new(read),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` on the writing connection, on the blocking pool.
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

    /// Run the read-only `f` on the reading connection, on the blocking
    /// pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner.read.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn).map_err(|e| e.at(&inner.path))
        })
        .await
    }

    pub async fn add_team(&self, name: &str, at: SystemTime) -> Result<Team, StoreError> {
        let name = name.to_owned();
        self.run(move |c| queries::add_team(c, &name, at)).await
    }

    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.read(queries::teams).await
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
        self.read(queries::members).await
    }

    pub async fn add_key(&self, key: NewKey) -> Result<KeyRecord, StoreError> {
        self.run(move |c| queries::add_key(c, &key)).await
    }

    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.read(queries::keys).await
    }

    pub async fn key_by_hash(&self, hash: KeyHash) -> Result<Option<KeyRecord>, StoreError> {
        self.read(move |c| queries::key_by_hash(c, &hash)).await
    }

    pub async fn key_by_prefix(&self, prefix: &str) -> Result<KeyRecord, StoreError> {
        let prefix = prefix.to_owned();
        self.read(move |c| queries::key_by_prefix(c, &prefix)).await
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
        self.inner.ledger.write(row).await
    }

    pub async fn usage(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: Option<LedgerGroup>,
    ) -> Result<Vec<(String, RowSums)>, StoreError> {
        self.read(move |c| spend::usage(c, since_ms, until_ms, by))
            .await
    }

    pub async fn spent(&self, owner: Owner, day: i64) -> Result<OwnerSpent, StoreError> {
        self.read(move |c| spend::spent(c, owner, day)).await
    }

    pub async fn usage_by_day_and(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: LedgerGroup,
    ) -> Result<Vec<(String, String, RowSums)>, StoreError> {
        self.read(move |c| spend::usage_by_day_and(c, since_ms, until_ms, by))
            .await
    }

    pub async fn recent_errors(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<FailedRequest>, StoreError> {
        self.read(move |c| spend::recent_errors(c, since_ms, limit))
            .await
    }

    pub async fn spent_all(&self, day: i64) -> Result<Vec<ScopeRow>, StoreError> {
        self.read(move |c| spend::spent_all(c, day)).await
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

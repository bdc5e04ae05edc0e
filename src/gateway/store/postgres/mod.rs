//! The gateway's store in a PostgreSQL database, so that several `serve`
//! replicas behind a load balancer act as one gateway: they share keys,
//! members and revocations through it.
//!
//! Connections come from a bounded pool. Every call is bounded in time as
//! well: while the server is down or restarting, a call fails within
//! `bound::CALL_BOUND` with [`StoreError::Postgres`] (`unreachable`; a gateway
//! answers 503, which clients retry), and once the server is back the
//! next call gets a fresh connection: a pooled connection is checked
//! before it is handed out, and one the restart closed is dropped.

mod admit;
mod bound;
mod fail;
mod ledger;
mod queries;
mod schema;
mod spend;
mod tls;

use std::sync::Arc;
use std::time::SystemTime;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};

use super::error::StoreError;
use super::location::PgUrl;
use super::model::{Budgets, KeyRecord, Member, NewKey, RateLimits, Team};
use super::rates::RateAnswer;
use super::spend::{FailedRequest, LedgerGroup, Owner, OwnerSpent, RequestRow, RowSums, ScopeRow};
use crate::gateway::keys::KeyHash;
use fail::Fail;

use bound::{CONNECT_BOUND, bounded};
pub use schema::VERSION;

/// Connections at most, per process: a gateway's lookups are cached, so
/// a few carry it; more would only crowd the server's `max_connections`.
const POOL_SIZE: usize = 16;

/// Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
    /// Requests' rows waiting to be written together.
    ledger: ledger::Ledger,
}

impl PgStore {
    /// Connect to the database `url` names, and create or migrate the
    /// store in it.
    pub async fn open(url: &PgUrl, now: SystemTime) -> Result<PgStore, StoreError> {
        let mut config = url.config()?;
        config.connect_timeout(CONNECT_BOUND);
        config.application_name("ccswitch-gateway");
        // Requests' ledger rows, spend sums and rate counts are committed
        // without waiting for the server's disk: a commit is then a
        // round trip, not an fsync, and sixteen requests of one key no
        // longer queue on its spend rows' locks for one fsync each. A
        // replica killed mid-request loses nothing it committed; only a
        // crash of the server itself may lose its last fraction of a
        // second of them (never anything half-written). The admin
        // commands' writes still wait for the disk (see `writing`). A URL
        // that sets `synchronous_commit` itself is obeyed.
        let options = config.get_options().unwrap_or_default().to_owned();
        if !options.contains("synchronous_commit") {
            config.options(format!("{options} -c synchronous_commit=off").trim_start());
        }
        let manager = Manager::from_config(
            config,
            tls::connector(url.tls(), url.shown())?,
            // A connection a server restart closed is replaced, not handed
            // to a request: its client reads closed once the socket ends.
            // (`Verified` would also ask `SELECT 1` on every checkout: a
            // round trip per store call, which doubled a gateway's.)
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_BOUND))
            .create_timeout(Some(CONNECT_BOUND))
            .recycle_timeout(Some(CONNECT_BOUND))
            .build()
            .map_err(|e| StoreError::Postgres {
                location: url.shown().to_owned(),
                unreachable: false,
                error: e.to_string(),
            })?;
        let store = PgStore {
            inner: Arc::new(Inner {
                ledger: ledger::Ledger::new(pool.clone(), url.shown()),
                pool,
                shown: url.shown().to_owned(),
            }),
        };
        store.run(async |c| schema::migrate(c, now).await).await?;
        Ok(store)
    }

    /// The URL, without its password.
    pub fn shown(&self) -> &str {
        &self.inner.shown
    }

    /// Run `f` on a pooled connection, within [`CALL_BOUND`].
    async fn run<T>(
        &self,
        f: impl AsyncFnOnce(&mut tokio_postgres::Client) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let call = async {
            let mut conn: Object =
                (self.inner.pool.get().await).map_err(|e| Fail::Pool(e, CONNECT_BOUND))?;
            f(&mut conn).await
        };
        bounded(call).await.map_err(|e| e.at(&self.inner.shown))
    }

    /// [`run`](Self::run) for the calls every gateway request makes: the
    /// connection's wrapper, whose `prepare_cached` parses each statement
    /// once per connection instead of once per call.
    async fn run_hot<T>(
        &self,
        f: impl AsyncFnOnce(&deadpool_postgres::ClientWrapper) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let call = async {
            let conn: Object =
                (self.inner.pool.get().await).map_err(|e| Fail::Pool(e, CONNECT_BOUND))?;
            f(&conn).await
        };
        bounded(call).await.map_err(|e| e.at(&self.inner.shown))
    }

    pub async fn add_team(&self, name: &str, at: SystemTime) -> Result<Team, StoreError> {
        self.run(async |c| queries::add_team(c, name, at).await)
            .await
    }

    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.run(async |c| queries::teams(c).await).await
    }

    pub async fn add_member(
        &self,
        name: &str,
        team: &str,
        at: SystemTime,
    ) -> Result<Member, StoreError> {
        self.run(async |c| queries::add_member(c, name, team, at).await)
            .await
    }

    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        self.run(async |c| queries::members(c).await).await
    }

    pub async fn add_key(&self, key: NewKey) -> Result<KeyRecord, StoreError> {
        self.run(async |c| queries::add_key(c, &key).await).await
    }

    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.run(async |c| queries::keys(c).await).await
    }

    pub async fn key_by_hash(&self, hash: KeyHash) -> Result<Option<KeyRecord>, StoreError> {
        self.run(async |c| queries::key_by_hash(c, &hash).await)
            .await
    }

    pub async fn key_by_prefix(&self, prefix: &str) -> Result<KeyRecord, StoreError> {
        self.run(async |c| queries::key_by_prefix(&*c, prefix).await)
            .await
    }

    pub async fn revoke_key(&self, prefix: &str, at: SystemTime) -> Result<KeyRecord, StoreError> {
        self.run(async |c| queries::revoke_key(c, prefix, at).await)
            .await
    }

    pub async fn rotate_key(
        &self,
        prefix: &str,
        new_prefix: &str,
        new_hash: KeyHash,
        at: SystemTime,
    ) -> Result<(KeyRecord, KeyRecord), StoreError> {
        self.run(async |c| queries::rotate_key(c, prefix, new_prefix, new_hash, at).await)
            .await
    }
}

impl PgStore {
    pub async fn set_team_budgets(&self, name: &str, b: Budgets) -> Result<Team, StoreError> {
        self.run(async |c| spend::set_team_budgets(c, name, b).await)
            .await
    }

    pub async fn set_member_budgets(&self, name: &str, b: Budgets) -> Result<Member, StoreError> {
        self.run(async |c| spend::set_member_budgets(c, name, b).await)
            .await
    }

    /// Written with other requests' rows that arrive meanwhile.
    pub async fn record_request(&self, row: RequestRow) -> Result<(), StoreError> {
        self.inner.ledger.write(row).await
    }

    pub async fn usage(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: Option<LedgerGroup>,
    ) -> Result<Vec<(String, RowSums)>, StoreError> {
        self.run(async |c| spend::usage(c, since_ms, until_ms, by).await)
            .await
    }

    pub async fn rate_admit(
        &self,
        key_id: i64,
        limits: RateLimits,
        tokens: u64,
        now: u64,
    ) -> Result<RateAnswer, StoreError> {
        self.run_hot(async |c| admit::rate_admit(c, key_id, &limits, tokens, now).await)
            .await
    }

    pub async fn admit_and_spent(
        &self,
        owner: Owner,
        limits: RateLimits,
        tokens: u64,
        now: u64,
        day: i64,
    ) -> Result<(RateAnswer, OwnerSpent), StoreError> {
        self.run_hot(async |c| admit::admit_and_spent(c, owner, &limits, tokens, now, day).await)
            .await
    }

    pub async fn spent(&self, owner: Owner, day: i64) -> Result<OwnerSpent, StoreError> {
        self.run_hot(async |c| spend::spent(c, owner, day).await)
            .await
    }

    pub async fn usage_by_day_and(
        &self,
        since_ms: i64,
        until_ms: i64,
        by: LedgerGroup,
    ) -> Result<Vec<(String, String, RowSums)>, StoreError> {
        self.run(async |c| spend::usage_by_day_and(c, since_ms, until_ms, by).await)
            .await
    }

    pub async fn recent_errors(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<FailedRequest>, StoreError> {
        self.run(async |c| spend::recent_errors(c, since_ms, limit).await)
            .await
    }

    pub async fn spent_all(&self, day: i64) -> Result<Vec<ScopeRow>, StoreError> {
        self.run(async |c| spend::spent_all(c, day).await).await
    }
}

#[cfg(test)]
pub(crate) mod testdb;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;

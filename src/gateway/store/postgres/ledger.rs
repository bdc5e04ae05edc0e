//! The ledger's writer on PostgreSQL, by group commit: a request whose row
//! finds no write in flight writes it at once, on its own task (at idle,
//! one round trip and no hand-off); rows that arrive while a write is in
//! flight wait, and are written together in the next statement (their
//! rows, and one sum per scope and day). A statement
//! per request made sixteen requests of one key queue on the same three
//! spend rows' locks, each for a round trip, and cost the database a
//! statement each; now a burst is a few statements, and only the
//! replicas' writers ever wait for one another.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use deadpool_postgres::{ClientWrapper, Object, Pool};
use tokio::sync::oneshot;

use super::bound::{CONNECT_BOUND, bounded};
use super::fail::Fail;
use crate::gateway::store::error::StoreError;
use crate::gateway::store::spend::RequestRow;

/// Most requests one statement takes.
const BATCH: usize = 256;

type Done = oneshot::Sender<Result<(), StoreError>>;

/// The rows waiting for a write, and whether one is in flight. Cheap to
/// clone: clones share the queue.
#[derive(Clone)]
pub(super) struct Ledger {
    state: Arc<Mutex<Queue>>,
    pool: Pool,
    shown: Arc<str>,
}

#[derive(Default)]
struct Queue {
    writing: bool,
    waiting: Vec<(RequestRow, Done)>,
}

impl Ledger {
    pub(super) fn new(pool: Pool, shown: &str) -> Ledger {
        Ledger {
            state: Arc::default(),
            pool,
            shown: shown.into(),
        }
    }

    /// Store `row`: written now if no write is in flight (with whatever
    /// else is waiting), else by the write that follows the one in flight.
    pub(super) async fn write(&self, row: RequestRow) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        let lead = {
            let mut q = lock(&self.state);
            q.waiting.push((row, done));
            !std::mem::replace(&mut q.writing, true)
        };
        if lead {
            self.lead().await;
        }
        wait.await.unwrap_or_else(|_| {
            Err(StoreError::Task {
                error: "the gateway ledger's writer stopped".into(),
            })
        })
    }

    /// Write one batch of what waits (this request's row in it). If more
    /// arrived meanwhile, a task of its own goes on writing them, so this
    /// request's answer never waits for others' rows.
    async fn lead(&self) {
        if self.batch().await {
            let next = self.clone();
            tokio::spawn(async move { while next.batch().await {} });
        }
    }

    /// Write up to [`BATCH`] waiting rows; whether more wait (the lead is
    /// then still held, for the caller to go on).
    async fn batch(&self) -> bool {
        // Dropped mid-write (its runtime ending), the lead is let go, so
        // later rows still find a writer.
        let mut guard = Lead(self, true);
        let batch: Vec<_> = {
            let mut q = lock(&self.state);
            let n = q.waiting.len().min(BATCH);
            q.waiting.drain(..n).collect()
        };
        let (rows, waiting): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let failed = write_batch(&self.pool, &rows)
            .await
            .err()
            .map(|e| e.at(&self.shown));
        for done in waiting {
            let _ = done.send(match &failed {
                None => Ok(()),
                Some(e) => Err(again(e, &self.shown)),
            });
        }
        guard.1 = false;
        let mut q = lock(&self.state);
        q.writing = !q.waiting.is_empty();
        q.writing
    }
}

fn lock(m: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lets the lead go if its task is dropped while it writes.
struct Lead<'a>(&'a Ledger, bool);

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.1 {
            lock(&self.0.state).writing = false;
        }
    }
}

/// The batch's error for each of its waiters (the error is not Clone).
fn again(e: &StoreError, shown: &str) -> StoreError {
    match e {
        StoreError::Postgres {
            location,
            unreachable,
            error,
        } => StoreError::Postgres {
            location: location.clone(),
            unreachable: *unreachable,
            error: error.clone(),
        },
        other => StoreError::Postgres {
            location: shown.to_owned(),
            unreachable: false,
            error: other.to_string(),
        },
    }
}

/// `rows` and their sums in one statement, on a pooled connection.
async fn write_batch(pool: &Pool, rows: &[RequestRow]) -> Result<(), Fail> {
    bounded(async {
        let conn: Object = pool.get().await.map_err(|e| Fail::Pool(e, CONNECT_BOUND))?;
        insert(&conn, rows).await
    })
    .await
}

async fn insert(c: &ClientWrapper, rows: &[RequestRow]) -> Result<(), Fail> {
    let big = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let col = |f: &dyn Fn(&RequestRow) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    let text = |f: &dyn Fn(&RequestRow) -> &str| {
        rows.iter()
            .map(|r| f(r).to_owned())
            .collect::<Vec<String>>()
    };
    let at = col(&|r| r.at_ms);
    let key = col(&|r| r.owner.key_id);
    let prefix = text(&|r| &r.key_prefix);
    let member = text(&|r| &r.member);
    let team = text(&|r| &r.team);
    let project: Vec<Option<String>> = rows.iter().map(|r| r.project.clone()).collect();
    let profile = text(&|r| &r.profile);
    let provider = text(&|r| &r.provider);
    let model = text(&|r| &r.model);
    let status: Vec<i32> = rows.iter().map(|r| i32::from(r.status)).collect();
    let error: Vec<Option<String>> = rows.iter().map(|r| r.error.clone()).collect();
    let input = col(&|r| big(r.input_tokens));
    let output = col(&|r| big(r.output_tokens));
    let cache_read = col(&|r| big(r.cache_read_tokens));
    let cache_write = col(&|r| big(r.cache_write_tokens));
    let cost: Vec<f64> = rows.iter().map(|r| r.cost_usd).collect();
    let duration = col(&|r| big(r.duration_ms));
    // One sum per scope, id and day, in key order: an upsert may not touch
    // a row twice, and every writer locks sum rows in the same order, so
    // two replicas never deadlock.
    let mut sums: BTreeMap<(&str, i64, i64), (f64, i64, i64)> = BTreeMap::new();
    for r in rows {
        for (scope, id) in r.owner.rows() {
            let s = sums.entry((scope, id, r.day())).or_default();
            s.0 += r.cost_usd;
            s.1 = s.1.saturating_add(big(r.tokens()));
            s.2 += 1;
        }
    }
    let s_scope: Vec<&str> = sums.keys().map(|k| k.0).collect();
    let s_id: Vec<i64> = sums.keys().map(|k| k.1).collect();
    let s_day: Vec<i64> = sums.keys().map(|k| k.2).collect();
    let s_usd: Vec<f64> = sums.values().map(|v| v.0).collect();
    let s_tokens: Vec<i64> = sums.values().map(|v| v.1).collect();
    let s_n: Vec<i64> = sums.values().map(|v| v.2).collect();
    let stmt = c
        .prepare_cached(
            "WITH r AS (
                INSERT INTO requests (at_ms, key_id, key_prefix, member, team, project, profile,
                    provider, model, status, error, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, cost_usd, duration_ms)
                SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[],
                    $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::INTEGER[],
                    $11::TEXT[], $12::BIGINT[], $13::BIGINT[], $14::BIGINT[], $15::BIGINT[],
                    $16::DOUBLE PRECISION[], $17::BIGINT[])
             )
             INSERT INTO spend (scope, id, day, usd, tokens, requests)
             SELECT * FROM unnest($18::TEXT[], $19::BIGINT[], $20::BIGINT[],
                 $21::DOUBLE PRECISION[], $22::BIGINT[], $23::BIGINT[])
             ON CONFLICT (scope, id, day) DO UPDATE SET
                usd = spend.usd + excluded.usd,
                tokens = spend.tokens + excluded.tokens,
                requests = spend.requests + excluded.requests",
        )
        .await?;
    c.execute(
        &stmt,
        &[
            &at,
            &key,
            &prefix,
            &member,
            &team,
            &project,
            &profile,
            &provider,
            &model,
            &status,
            &error,
            &input,
            &output,
            &cache_read,
            &cache_write,
            &cost,
            &duration,
            &s_scope,
            &s_id,
            &s_day,
            &s_usd,
            &s_tokens,
            &s_n,
        ],
    )
    .await?;
    Ok(())
}

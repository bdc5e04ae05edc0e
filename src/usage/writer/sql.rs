//! One batch into the ledger: its rows, and their sums added to the
//! 15-minute and daily rollups, in one transaction.

use rusqlite::{Connection, TransactionBehavior, params};

use crate::usage::record::{ErrorClass, Record};

/// Rollup buckets: 15 minutes, in milliseconds.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// A record with its number and its cost worked out.
pub(super) struct Priced {
    pub r: Record,
    pub seq: u64,
    /// None: tokens were used but no price is known.
    pub cost: Option<f64>,
    pub cache_cost: f64,
}

/// Token counts come from upstreams and may be anything. Clamped far above
/// any real request (a trillion tokens) so that sums of them can never
/// overflow SQLite's 64-bit integers.
fn n(v: u64) -> i64 {
    const MAX: u64 = 1 << 40;
    i64::try_from(v.min(MAX)).unwrap_or(0)
}

const INSERT: &str = "INSERT INTO requests (at, session, cc_session, profile, slot, provider,
    requested_model, model, subagent, status, error, ttft_ms, duration_ms, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, estimated, cost_usd,
    attempt, cache_read_cost_usd, member, team, project, key_prefix)
    VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,
    ?25,?26)";

/// A batch's sums for one (bucket, session, profile, provider, model,
/// member, team, project) into the 15-minute rollup and, with the bucket
/// slot holding the time, the daily one. The rollups key an unknown
/// member, team or project as '': NULL would make every row its own key.
const UPSERT: &str = "INSERT INTO rollup (bucket, session, profile, provider, model, member, team,
    project, requests, errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    reasoning_tokens, cost_usd, cache_read_cost_usd, unpriced)
    VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)
    ON CONFLICT DO UPDATE SET requests = requests + excluded.requests,
    errors = errors + excluded.errors,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cost_usd = cost_usd + excluded.cost_usd,
    cache_read_cost_usd = cache_read_cost_usd + excluded.cache_read_cost_usd,
    unpriced = unpriced + excluded.unpriced";

/// A rollup key: bucket, session, profile, provider, model, member, team,
/// project.
type Key<'a> = (
    i64,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

/// One rollup key's sums within a batch.
struct Sum<'a> {
    key: Key<'a>,
    counts: Counts,
    cost: f64,
    cache_cost: f64,
}

/// What a rollup row counts, as its columns do.
#[derive(Clone, Copy, Default)]
struct Counts {
    requests: i64,
    errors: i64,
    input: i64,
    output: i64,
    cache_read: i64,
    cache_write: i64,
    reasoning: i64,
    /// Requests that used tokens at no known price.
    unpriced: i64,
}

/// The batch's rows added up per rollup key: a busy batch has hundreds of
/// rows and a handful of keys, but a `serve` shared by many sessions (or a
/// backlog after a stall) may have thousands of each, so the keys are
/// hashed, not scanned.
fn sums(batch: &[Priced]) -> Vec<Sum<'_>> {
    let mut out: Vec<Sum<'_>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for p in batch {
        let r = &p.r;
        let t = &r.tokens;
        let key = (
            r.at_ms.div_euclid(BUCKET_MS),
            &*r.session,
            &*r.profile,
            r.provider.as_str(),
            r.model.as_str(),
            r.who.member.as_deref().unwrap_or(""),
            r.who.team.as_deref().unwrap_or(""),
            r.who.project.as_deref().unwrap_or(""),
        );
        let i = *index.entry(key).or_insert_with(|| {
            out.push(Sum {
                key,
                counts: Counts::default(),
                cost: 0.0,
                cache_cost: 0.0,
            });
            out.len() - 1
        });
        let s = &mut out[i];
        let c = &mut s.counts;
        c.requests += 1;
        c.errors += i64::from(r.error.is_some());
        c.input += n(t.input);
        c.output += n(t.output);
        c.cache_read += n(t.cache_read);
        c.cache_write += n(t.cache_write);
        c.reasoning += n(t.reasoning);
        c.unpriced += i64::from(p.cost.is_none());
        s.cost += p.cost.unwrap_or(0.0);
        s.cache_cost += p.cache_cost;
    }
    out
}

/// Local days as SQLite's `localtime` has them when the row is written.
fn daily_upsert() -> String {
    UPSERT
        .replacen("INSERT INTO rollup (bucket,", "INSERT INTO daily (day,", 1)
        .replacen(
            "VALUES (?1,",
            "VALUES (date(?1 * 900, 'unixepoch', 'localtime'),",
            1,
        )
}

pub(super) fn write(conn: &mut Connection, batch: &[Priced]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut ins = tx.prepare_cached(INSERT)?;
        let mut up = tx.prepare_cached(UPSERT)?;
        let mut day = tx.prepare_cached(&daily_upsert())?;
        for p in batch {
            let r = &p.r;
            let t = &r.tokens;
            let error = r.error.map(ErrorClass::as_str);
            ins.execute(params![
                r.at_ms,
                &*r.session,
                r.cc_session,
                &*r.profile,
                r.slot,
                r.provider,
                r.requested,
                r.model,
                r.subagent,
                r.status,
                error,
                r.ttft_ms.map(n),
                n(r.duration_ms),
                n(t.input),
                n(t.output),
                n(t.cache_read),
                n(t.cache_write),
                n(t.reasoning),
                r.estimated,
                p.cost,
                r.attempt,
                p.cache_cost,
                r.who.member.as_deref(),
                r.who.team.as_deref(),
                r.who.project.as_deref(),
                r.who.key_prefix.as_deref(),
            ])?;
        }
        for s in sums(batch) {
            let (bucket, session, profile, provider, model, member, team, project) = s.key;
            let c = s.counts;
            let values = params![
                bucket,
                session,
                profile,
                provider,
                model,
                member,
                team,
                project,
                c.requests,
                c.errors,
                c.input,
                c.output,
                c.cache_read,
                c.cache_write,
                c.reasoning,
                s.cost,
                s.cache_cost,
                c.unpriced,
            ];
            up.execute(values)?;
            day.execute(values)?;
        }
    }
    tx.commit()
}

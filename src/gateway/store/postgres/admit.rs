//! A gateway request's admission on PostgreSQL: counted against its
//! key's rate limits, shared by every replica, and (when it has budgets)
//! what its key, member and team spent, read in the same statement: one
//! round trip before the request goes upstream, not two.

use deadpool_postgres::ClientWrapper;

use super::fail::Fail;
use crate::gateway::store::model::RateLimits;
use crate::gateway::store::rates::RateAnswer;
use crate::gateway::store::spend::{Owner, OwnerSpent, month_start};

/// The rate limits' check-and-count, as the CTEs of a statement that
/// selects `pass` from `ok` (and the minute's counts before it from `w`). Two replicas counting the same key in the
/// same instant may both pass: a limit overshoots by at most the requests
/// that arrive together.
const RATE_CTES: &str = "WITH gone AS (
        DELETE FROM rates WHERE key_id = $1::BIGINT AND second <= $2::BIGINT - 60
     ), w AS (
        SELECT coalesce(sum(requests), 0)::BIGINT AS r,
               coalesce(sum(tokens), 0)::BIGINT AS t
        FROM rates WHERE key_id = $1::BIGINT AND second > $2::BIGINT - 60
     ), ok AS (
        SELECT ($3::BIGINT IS NULL OR w.r < $3)
           AND ($4::BIGINT IS NULL OR w.t = 0 OR w.t + $5::BIGINT <= $4) AS pass
        FROM w
     ), counted AS (
        INSERT INTO rates (key_id, second, requests, tokens)
        SELECT $1, $2, 1, $5 FROM ok WHERE ok.pass
        ON CONFLICT (key_id, second) DO UPDATE SET
            requests = rates.requests + 1,
            tokens = rates.tokens + excluded.tokens
     )";

/// The statement's first five parameters: key, second, limits, tokens.
struct RateArgs {
    key_id: i64,
    now: i64,
    rpm: Option<i64>,
    tpm: Option<i64>,
    tokens: i64,
}

fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl RateArgs {
    fn new(key_id: i64, limits: &RateLimits, tokens: u64, now: u64) -> RateArgs {
        RateArgs {
            key_id,
            now: big(now),
            rpm: limits.rpm.map(i64::from),
            tpm: limits.tpm.map(big),
            tokens: big(tokens),
        }
    }
}

/// Count a request of `tokens` against key `key_id`'s limits in the minute
/// ending at Unix second `now`, if it fits; else leave the count alone and
/// say how many seconds until it would. One statement checks and counts,
/// and drops the key's buckets that left the minute.
pub(super) async fn rate_admit(
    c: &ClientWrapper,
    key_id: i64,
    limits: &RateLimits,
    tokens: u64,
    now: u64,
) -> Result<RateAnswer, Fail> {
    let a = RateArgs::new(key_id, limits, tokens, now);
    let sql = format!("{RATE_CTES} SELECT ok.pass, w.r, w.t FROM ok CROSS JOIN w");
    let row = c
        .query_one(
            &c.prepare_cached(&sql).await?,
            &[&a.key_id, &a.now, &a.rpm, &a.tpm, &a.tokens],
        )
        .await?;
    let mut answer = RateAnswer {
        wait: None,
        requests: count(row.try_get(1)?),
        tokens: count(row.try_get(2)?),
    };
    if !row.try_get::<_, bool>(0)? {
        answer.wait = Some(wait(c, key_id, limits, tokens, now).await?);
    }
    Ok(answer)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// [`rate_admit`], and if the request fits, what `owner`'s key, member and
/// team spent on `day` and in its month (as `spend::spent` reads it), in
/// one statement. The key counted is `owner`'s.
pub(super) async fn admit_and_spent(
    c: &ClientWrapper,
    owner: Owner,
    limits: &RateLimits,
    tokens: u64,
    now: u64,
    day: i64,
) -> Result<(RateAnswer, OwnerSpent), Fail> {
    let a = RateArgs::new(owner.key_id, limits, tokens, now);
    // One row per scope that spent (or one with a NULL scope when none
    // has), each carrying the verdict.
    let sql = format!(
        "{RATE_CTES}, s AS (
            SELECT scope, coalesce(sum(CASE WHEN day = $8 THEN usd END), 0)::DOUBLE PRECISION AS d,
                   coalesce(sum(usd), 0)::DOUBLE PRECISION AS m
            FROM spend
            WHERE day >= $9 AND day <= $8
              AND ((scope = 'key' AND id = $1) OR (scope = 'member' AND id = $6)
                   OR (scope = 'team' AND id = $7))
            GROUP BY scope
         )
         SELECT ok.pass, w.r, w.t, s.scope, s.d, s.m FROM ok CROSS JOIN w LEFT JOIN s ON true"
    );
    let rows = c
        .query(
            &c.prepare_cached(&sql).await?,
            &[
                &a.key_id,
                &a.now,
                &a.rpm,
                &a.tpm,
                &a.tokens,
                &owner.member_id,
                &owner.team_id,
                &day,
                &month_start(day),
            ],
        )
        .await?;
    let mut spent = OwnerSpent::default();
    let mut pass = true;
    let mut answer = RateAnswer::default();
    for r in &rows {
        pass = r.try_get(0)?;
        answer.requests = count(r.try_get(1)?);
        answer.tokens = count(r.try_get(2)?);
        let scope: Option<String> = r.try_get(3)?;
        if let Some(s) = scope.as_deref().and_then(|s| spent.of_mut(s)) {
            s.day_usd = r.try_get(4)?;
            s.month_usd = r.try_get(5)?;
        }
    }
    if !pass {
        answer.wait = Some(wait(c, owner.key_id, limits, tokens, now).await?);
    }
    Ok((answer, spent))
}

/// How many seconds until a request of `tokens` would fit key `key_id`'s
/// minute ending at `now`, from its buckets.
async fn wait(
    c: &ClientWrapper,
    key_id: i64,
    limits: &RateLimits,
    tokens: u64,
    now: u64,
) -> Result<u64, Fail> {
    let rows = c
        .query(
            &c.prepare_cached(
                "SELECT second, requests, tokens FROM rates
             WHERE key_id = $1::BIGINT AND second > $2::BIGINT - 60 ORDER BY second",
            )
            .await?,
            &[&key_id, &big(now)],
        )
        .await?;
    let mut live = Vec::with_capacity(rows.len());
    for r in &rows {
        let n = |i| {
            r.try_get::<_, i64>(i)
                .map(|v| u64::try_from(v).unwrap_or(0))
        };
        live.push((n(0)?, n(1)?, n(2)?));
    }
    Ok(crate::gateway::store::rates::shared_wait(&live, limits, tokens, now).unwrap_or(1))
}

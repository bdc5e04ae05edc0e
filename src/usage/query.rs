//! Reading the ledger: totals over a time range, grouped one way. Summaries
//! read the daily sums (whole local days) or the 15-minute rollup (other
//! ranges, with their ragged ends from the rows), never every row, so a
//! 30-day summary costs about the same over a thousand requests or a
//! million.
//!
//! Days and months are the machine's local ones: SQLite's `localtime`
//! follows the same time zone settings as every other program.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::writer::BUCKET_MS;

/// What a summary groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Day,
    Profile,
    Provider,
    Model,
    Session,
    // A team gateway's member and team, and the project label clients
    // send; `-` groups the requests without one. (Plain comments: clap
    // would print doc comments in `--help`, which comes from the catalogs.)
    Member,
    Team,
    Project,
}

impl By {
    /// The group key over the daily sums.
    fn day_key(self) -> &'static str {
        match self {
            By::Day => "day",
            _ => self.keys().1,
        }
    }

    /// The group key, over the rollup and over single rows.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            By::Day => (
                "date(bucket * 900, 'unixepoch', 'localtime')",
                "date(at / 1000, 'unixepoch', 'localtime')",
            ),
            By::Profile => ("profile", "profile"),
            By::Provider => ("provider", "provider"),
            By::Model => ("provider || '/' || model", "provider || '/' || model"),
            By::Session => ("session", "session"),
            // Rows hold NULL where unknown, the rollups '': both are `-`.
            By::Member => (
                "coalesce(nullif(member, ''), '-')",
                "coalesce(nullif(member, ''), '-')",
            ),
            By::Team => (
                "coalesce(nullif(team, ''), '-')",
                "coalesce(nullif(team, ''), '-')",
            ),
            By::Project => (
                "coalesce(nullif(project, ''), '-')",
                "coalesce(nullif(project, ''), '-')",
            ),
        }
    }
}

/// A time range (Unix ms, `until` exclusive) and an optional profile.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since_ms: i64,
    pub until_ms: i64,
    pub profile: Option<String>,
}

/// Sums over some requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sums {
    pub requests: u64,
    pub errors: u64,
    /// Uncached input, as Anthropic counts `input_tokens`.
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    /// Part of `output_tokens`.
    pub reasoning_tokens: u64,
    /// USD over the priced requests.
    pub cost_usd: f64,
    /// The part of `cost_usd` paid for cache reads.
    pub cache_read_cost_usd: f64,
    /// Requests that used tokens at no known price: `cost_usd` leaves them
    /// out, so it is then a lower bound.
    pub unpriced_requests: u64,
}

impl Sums {
    /// Cache reads as a share of all input tokens (0 to 1).
    pub fn cache_share(&self) -> f64 {
        match self.all_input() {
            0 => 0.0,
            all => self.cache_read_tokens as f64 / all as f64,
        }
    }

    /// Input of every kind: uncached, cache reads and cache writes.
    pub fn all_input(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.cache_read_tokens)
            .saturating_add(self.cache_write_tokens)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsageGroup {
    pub key: String,
    #[serde(flatten)]
    pub sums: Sums,
}

const SUMS: &str = "sum(requests), sum(errors), sum(input_tokens), sum(output_tokens),
    sum(cache_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens), total(cost_usd),
    total(cache_read_cost_usd), sum(unpriced)";

/// Whole 15-minute buckets come from the rollup; the ragged ends of a
/// range (`--since 1h` starts mid-bucket) from single rows, so any range
/// is exact and a long one still reads few rows.
fn union(rollup_key: &str, row_key: &str) -> String {
    format!(
        "SELECT {rollup_key} AS k, requests, errors, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
            cache_read_cost_usd, unpriced
         FROM rollup WHERE bucket >= ?1 AND bucket < ?2 AND (?3 IS NULL OR profile = ?3)
         UNION ALL {rows_before} UNION ALL {rows_after}",
        rows_before = rows(row_key, "?4", "?5"),
        rows_after = rows(row_key, "?6", "?7"),
    )
}

/// Single rows in `[from, to)`. One range per query: SQLite searches the
/// `at` index for it, where an OR of two ranges scanned the whole table.
fn rows(key: &str, from: &str, to: &str) -> String {
    format!(
        "SELECT {key}, 1, error IS NOT NULL, input_tokens, output_tokens, cache_read_tokens,
            cache_write_tokens, reasoning_tokens, coalesce(cost_usd, 0), cache_read_cost_usd,
            cost_usd IS NULL
         FROM requests WHERE at >= {from} AND at < {to} AND (?3 IS NULL OR profile = ?3)"
    )
}

fn sums(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<Sums> {
    let u = |i: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, Option<i64>>(from + i)?
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0))
    };
    Ok(Sums {
        requests: u(0)?,
        errors: u(1)?,
        input_tokens: u(2)?,
        output_tokens: u(3)?,
        cache_read_tokens: u(4)?,
        cache_write_tokens: u(5)?,
        reasoning_tokens: u(6)?,
        cost_usd: r.get(from + 7)?,
        cache_read_cost_usd: r.get(from + 8)?,
        unpriced_requests: u(9)?,
    })
}

/// The query's parameters: whole buckets `[lo, hi)`, and the row ranges
/// before and after them.
fn params(f: &Filter) -> (i64, i64, Option<&str>, i64, i64, i64, i64) {
    let (since, until) = (f.since_ms, f.until_ms.max(f.since_ms));
    let lo = since.div_euclid(BUCKET_MS) + i64::from(since.rem_euclid(BUCKET_MS) != 0);
    let hi = until.div_euclid(BUCKET_MS);
    if lo >= hi {
        // Within one bucket (or two partial ones): rows only.
        return (0, 0, f.profile.as_deref(), since, until, 0, 0);
    }
    let profile = f.profile.as_deref();
    (
        lo,
        hi,
        profile,
        since,
        lo * BUCKET_MS,
        hi * BUCKET_MS,
        until,
    )
}

/// The local dates `[first, end)` when both ends of the range are local
/// midnights: the daily sums then answer it, reading a row per day (and
/// session and model) instead of one per 15 minutes.
fn whole_days(conn: &Connection, f: &Filter) -> rusqlite::Result<Option<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d, CAST(strftime('%s', d, 'utc') AS INTEGER) * 1000 FROM
         (SELECT date(?1 / 1000, 'unixepoch', 'localtime') AS d)",
    )?;
    // Out of SQLite's date range (far past or future): NULL, not a day.
    let mut day = |ms: i64| -> rusqlite::Result<Option<String>> {
        let (d, start): (Option<String>, Option<i64>) =
            stmt.query_row([ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(d.filter(|_| start == Some(ms)))
    };
    Ok(day(f.since_ms)?.zip(day(f.until_ms.max(f.since_ms))?))
}

fn daily(key: &str) -> String {
    format!(
        "SELECT {key} AS k, requests, errors, input_tokens, output_tokens, cache_read_tokens,
            cache_write_tokens, reasoning_tokens, cost_usd, cache_read_cost_usd, unpriced
         FROM daily WHERE day >= ?1 AND day < ?2 AND (?3 IS NULL OR profile = ?3)"
    )
}

/// Whether the ledger holds any request at all (of `profile`, when one
/// is given): the daily sums keep every day, however old.
pub fn recorded(conn: &Connection, profile: Option<&str>) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS(SELECT 1 FROM daily WHERE ?1 IS NULL OR profile = ?1)")?
        .query_row([profile], |r| r.get(0))
}

/// Totals over the filter.
pub fn total(conn: &Connection, f: &Filter) -> rusqlite::Result<Sums> {
    if let Some((from, to)) = whole_days(conn, f)? {
        let sql = format!("SELECT {SUMS} FROM ({})", daily("''"));
        return conn
            .prepare_cached(&sql)?
            .query_row(params![from, to, f.profile], |r| sums(r, 0));
    }
    let sql = format!("SELECT {SUMS} FROM ({})", union("''", "''"));
    let p = params(f);
    conn.prepare_cached(&sql)?
        .query_row(params![p.0, p.1, p.2, p.3, p.4, p.5, p.6], |r| sums(r, 0))
}

/// Totals over the filter, one per group: days in order, the rest by cost.
pub fn grouped(conn: &Connection, f: &Filter, by: By) -> rusqlite::Result<Vec<UsageGroup>> {
    let order = match by {
        By::Day => "1",
        _ => "9 DESC, 4 + 6 + 7 DESC, 1",
    };
    let group = |r: &rusqlite::Row<'_>| {
        Ok(UsageGroup {
            key: r.get(0)?,
            sums: sums(r, 1)?,
        })
    };
    if let Some((from, to)) = whole_days(conn, f)? {
        let sql = format!(
            "SELECT k, {SUMS} FROM ({}) GROUP BY 1 ORDER BY {order}",
            daily(by.day_key())
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        return stmt
            .query_map(params![from, to, f.profile], group)?
            .collect();
    }
    let (rollup_key, row_key) = by.keys();
    let sql = format!(
        "SELECT k, {SUMS} FROM ({}) GROUP BY 1 ORDER BY {order}",
        union(rollup_key, row_key)
    );
    let p = params(f);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![p.0, p.1, p.2, p.3, p.4, p.5, p.6], group)?;
    rows.collect()
}

/// Totals of one proxy run (`ccswitch run` or `serve`), and the upstream
/// model its latest request went to.
pub fn session(conn: &Connection, session: &str) -> rusqlite::Result<(Sums, Option<String>)> {
    let sql = format!("SELECT {SUMS} FROM daily WHERE session = ?1");
    let sums = conn
        .prepare_cached(&sql)?
        .query_row([session], |r| sums(r, 0))?;
    // Newest rows first: the session asking is writing now, so its rows
    // are near the end (no index on session: every insert would pay for
    // it).
    let model = conn
        .prepare_cached("SELECT model FROM requests WHERE session = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([session], |r| r.get(0))
        .ok();
    Ok((sums, model))
}

/// The profile each of these Claude Code sessions ran with last, by the
/// ledger's rows at or after `since_ms` (Unix ms): a session resumed on
/// another profile belongs to the later one. A session with no row there
/// is not in the map: a launch without the proxy, or older than `since_ms`.
pub fn session_profiles(
    conn: &Connection,
    ids: &[String],
    since_ms: i64,
) -> rusqlite::Result<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // `cc_session` has no index (every insert would pay for one): the time
    // bound keeps the scan to the `at` index's recent rows.
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT cc_session, profile FROM requests WHERE at >= ?1 AND cc_session IN ({marks})
         ORDER BY at, id"
    );
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&since_ms];
    values.extend(ids.iter().map(|id| id as &dyn rusqlite::ToSql));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(values.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?;
    // Oldest first: each later row replaces the one before.
    rows.collect()
}

/// Local calendar boundaries, as SQLite's `localtime` sees them.
pub struct Bounds {
    pub today: i64,
    pub week: i64,
    pub days30: i64,
    pub month: i64,
    pub tomorrow: i64,
}

/// Start of today, of the last 7 and 30 days (today included) and of this
/// month, at `now_secs`, in Unix ms.
pub fn bounds(conn: &Connection, now_secs: i64) -> rusqlite::Result<Bounds> {
    let at = |m: &str| -> rusqlite::Result<i64> {
        let sql = format!(
            "SELECT CAST(strftime('%s', ?1, 'unixepoch', 'localtime', 'start of day', {m} 'utc') AS INTEGER)"
        );
        conn.query_row(&sql, [now_secs], |r| r.get::<_, i64>(0))
            .map(|s| s * 1000)
    };
    Ok(Bounds {
        today: at("")?,
        week: at("'-6 days',")?,
        days30: at("'-29 days',")?,
        month: at("'start of month',")?,
        tomorrow: at("'+1 day',")?,
    })
}

/// The local midnight that starts the last `days` days (today included),
/// in Unix ms; `None` when that is outside the dates SQLite can count
/// (years 0000 to 9999).
pub fn days_back(conn: &Connection, now_secs: i64, days: u64) -> rusqlite::Result<Option<i64>> {
    let back = format!("-{} days", days.saturating_sub(1));
    conn.query_row(
        "SELECT CAST(strftime('%s', ?1, 'unixepoch', 'localtime', 'start of day', ?2, 'utc') AS INTEGER)",
        params![now_secs, back],
        |r| r.get::<_, Option<i64>>(0),
    )
    .map(|s| s.map(|s| s * 1000))
}

/// The last `days` local dates (today included), oldest first, as
/// [`By::Day`] keys them: SQLite works them out, so they follow the same
/// time zone rules as the day groups.
pub fn day_keys(conn: &Connection, now_secs: i64, days: u32) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE n(i) AS (SELECT ?2 - 1 UNION ALL SELECT i - 1 FROM n WHERE i > 0)
         SELECT date(?1, 'unixepoch', 'localtime', '-' || i || ' days') FROM n ORDER BY i DESC",
    )?;
    stmt.query_map(params![now_secs, days.max(1)], |r| r.get(0))?
        .collect()
}

/// A local date (`YYYY-MM-DD`) or date and time (`YYYY-MM-DD HH:MM`,
/// seconds optional, `T` or a space between) as Unix ms; with `end`, a
/// date alone means the end of that day. `None` when it is not one: SQLite
/// would roll `2026-02-30` over into March, so the calendar is checked
/// here first.
pub fn local_time(conn: &Connection, text: &str, end: bool) -> rusqlite::Result<Option<i64>> {
    if !is_local_time(text) {
        return Ok(None);
    }
    let next = if end && text.len() == 10 {
        "+1 day"
    } else {
        "+0 day"
    };
    conn.query_row(
        "SELECT CAST(strftime('%s', ?1, ?2, 'utc') AS INTEGER)",
        [text, next],
        |r| r.get::<_, Option<i64>>(0),
    )
    .map(|s| s.map(|s| s * 1000))
}

/// `YYYY-MM-DD`, then optionally `[ T]HH:MM` and `:SS`, each part in range
/// (February 29th in leap years only).
fn is_local_time(text: &str) -> bool {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let (Some(y), Some(m), Some(d)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !(sep(4, b"-") && sep(7, b"-") && (1..=days).contains(&d)) {
        return false;
    }
    let clock = |h: Option<u32>, min: Option<u32>| {
        sep(10, b" T") && sep(13, b":") && h.is_some_and(|h| h < 24) && min.is_some_and(|m| m < 60)
    };
    match b.len() {
        10 => true,
        16 => clock(num(11, 2), num(14, 2)),
        19 => clock(num(11, 2), num(14, 2)) && sep(16, b":") && num(17, 2).is_some_and(|s| s < 60),
        _ => false,
    }
}

#[cfg(test)]
mod tests;

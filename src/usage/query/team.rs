//! What a team gateway's usage page reads beyond the plain summaries: spend
//! per day and team (the chart), spend per virtual key (budgets left), and
//! the latest failed requests. Each is one short read: the chart from the
//! daily sums, the others from rows found by the `at` index.

use std::collections::HashMap;

use rusqlite::{Connection, params};

/// One day's spend and tokens of one team (`-`: requests without one).
#[derive(Clone, Debug, PartialEq)]
pub struct DayTeam {
    pub day: String,
    pub team: String,
    pub cost_usd: f64,
    pub tokens: u64,
}

/// Spend per day and team over the local dates `first..=last`
/// (`YYYY-MM-DD`), days in order.
pub fn daily_by_team(conn: &Connection, first: &str, last: &str) -> rusqlite::Result<Vec<DayTeam>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, coalesce(nullif(team, ''), '-'), total(cost_usd),
            sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens)
         FROM daily WHERE day >= ?1 AND day <= ?2 GROUP BY 1, 2 ORDER BY 1, 2",
    )?;
    let rows = stmt.query_map(params![first, last], |r| {
        Ok(DayTeam {
            day: r.get(0)?,
            team: r.get(1)?,
            cost_usd: r.get(2)?,
            tokens: r
                .get::<_, Option<i64>>(3)?
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
        })
    })?;
    rows.collect()
}

/// USD spent through each gateway key (by its display prefix) in
/// `[since_ms, until_ms)`. Only single rows know the key, so this reads
/// rows; the `at` index bounds it to the range.
pub fn spend_by_key(
    conn: &Connection,
    since_ms: i64,
    until_ms: i64,
) -> rusqlite::Result<HashMap<String, f64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key_prefix, total(cost_usd) FROM requests
         WHERE at >= ?1 AND at < ?2 AND key_prefix IS NOT NULL GROUP BY 1",
    )?;
    let rows = stmt.query_map(params![since_ms, until_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// A request that failed, as the usage page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Failed {
    /// Local date and time, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    pub member: Option<String>,
    pub team: Option<String>,
    pub project: Option<String>,
    /// `provider/model`, as [`super::By::Model`] names it.
    pub model: String,
    pub status: u16,
    /// The ledger's error class (`rate_limited`, `upstream`, ...).
    pub error: String,
}

/// The newest `limit` failed requests at or after `since_ms`, newest
/// first. The scan walks the `at` index backwards and stops at `limit`
/// (there is no index on `error`: every insert would pay for one).
pub fn recent_errors(
    conn: &Connection,
    since_ms: i64,
    limit: u32,
) -> rusqlite::Result<Vec<Failed>> {
    let mut stmt = conn.prepare_cached(
        "SELECT datetime(at / 1000, 'unixepoch', 'localtime'), member, team, project,
            provider || '/' || model, status, error
         FROM requests WHERE at >= ?1 AND error IS NOT NULL ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![since_ms, limit], |r| {
        Ok(Failed {
            at: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            member: r.get(1)?,
            team: r.get(2)?,
            project: r.get(3)?,
            model: r.get(4)?,
            status: r.get(5)?,
            error: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// `secs` (Unix) as a local date and time, `YYYY-MM-DD HH:MM`, as SQLite's
/// `localtime` sees it: the same clock as the day groups.
pub fn local_minute(conn: &Connection, secs: i64) -> rusqlite::Result<String> {
    conn.query_row(
        "SELECT strftime('%Y-%m-%d %H:%M', ?1, 'unixepoch', 'localtime')",
        [secs],
        |r| Ok(r.get::<_, Option<String>>(0)?.unwrap_or_default()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::testing::{all_but_local, ledger_path, open_ledger, price};
    use crate::usage::{Attribution, ErrorClass, Record};

    fn rec(at_ms: i64, team: &str, prefix: &str, input: u64, status: u16) -> Record {
        Record {
            at_ms,
            status,
            error: ErrorClass::of(status, false),
            tokens: crate::usage::prices::Tokens {
                input,
                ..Default::default()
            },
            who: Attribution {
                member: Some("ann".into()),
                team: Some(team.into()),
                key_prefix: Some(prefix.into()),
                project: None,
            },
            ..Record::sample()
        }
    }

    #[test]
    fn chart_key_spend_and_errors_come_from_the_ledger() {
        let (_dir, path) = ledger_path();
        let ledger = open_ledger(&path, all_but_local(price(1.0, 0.0)));
        let sink = ledger.sink().expect("sink");
        let day = 86_400_000;
        sink.send(rec(10 * day, "core", "ccsk_aaaaaaaa", 1_000_000, 200));
        sink.send(rec(10 * day + 5, "web", "ccsk_bbbbbbbb", 2_000_000, 200));
        sink.send(rec(11 * day, "core", "ccsk_aaaaaaaa", 500_000, 429));
        ledger.close();
        let conn = crate::usage::db::open_read(&path).expect("open");
        let days = daily_by_team(&conn, "1970-01-01", "1970-12-31").expect("daily");
        assert_eq!(days.len(), 3, "{days:?}");
        assert!((days.iter().map(|d| d.cost_usd).sum::<f64>() - 3.5).abs() < 1e-9);
        let keys = spend_by_key(&conn, 0, 12 * day).expect("keys");
        assert!((keys["ccsk_aaaaaaaa"] - 1.5).abs() < 1e-9, "{keys:?}");
        assert!((keys["ccsk_bbbbbbbb"] - 2.0).abs() < 1e-9, "{keys:?}");
        let keys = spend_by_key(&conn, 11 * day, 12 * day).expect("keys");
        assert!(!keys.contains_key("ccsk_bbbbbbbb"), "{keys:?}");
        let errors = recent_errors(&conn, 0, 20).expect("errors");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].status, 429);
        assert_eq!(errors[0].error, "rate_limited");
        assert_eq!(errors[0].model, "prov/m");
        assert_eq!(errors[0].member.as_deref(), Some("ann"));
        assert!(recent_errors(&conn, 12 * day, 20).expect("none").is_empty());
    }
}

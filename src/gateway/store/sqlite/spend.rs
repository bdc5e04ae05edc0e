//! The SQLite store's budgets for members and teams, and its spend sums.

use rusqlite::{Connection, OptionalExtension};

use super::queries::{Fail, MEMBER, TEAM, immediate, member_row, names, team_row};
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{Budgets, Member, Team};
use crate::gateway::store::spend::{
    FailedRequest, LedgerGroup, Owner, OwnerSpent, RequestRow, RowSums, ScopeRow, ScopeSpent,
    month_start,
};

pub(super) fn set_team_budgets(
    conn: &mut Connection,
    name: &str,
    budgets: Budgets,
) -> Result<Team, Fail> {
    budgets.check()?;
    let tx = immediate(conn)?;
    let n = tx.execute(
        "UPDATE teams SET daily_usd = ?2, monthly_usd = ?3 WHERE name = ?1",
        (name, budgets.daily_usd, budgets.monthly_usd),
    )?;
    if n == 0 {
        return Err(StoreError::UnknownTeam {
            name: name.into(),
            known: names(&tx, "SELECT name FROM teams ORDER BY name")?,
        }
        .into());
    }
    let team = tx.query_row(&format!("{TEAM} WHERE name = ?1"), [name], team_row)?;
    tx.commit()?;
    Ok(team)
}

pub(super) fn set_member_budgets(
    conn: &mut Connection,
    name: &str,
    budgets: Budgets,
) -> Result<Member, Fail> {
    budgets.check()?;
    let tx = immediate(conn)?;
    let n = tx.execute(
        "UPDATE members SET daily_usd = ?2, monthly_usd = ?3 WHERE name = ?1",
        (name, budgets.daily_usd, budgets.monthly_usd),
    )?;
    if n == 0 {
        return Err(StoreError::UnknownMember {
            name: name.into(),
            known: names(&tx, "SELECT name FROM members ORDER BY name")?,
        }
        .into());
    }
    let member = tx
        .query_row(&format!("{MEMBER} WHERE m.name = ?1"), [name], member_row)
        .optional()?;
    tx.commit()?;
    member.ok_or(Fail::Sql(rusqlite::Error::QueryReturnedNoRows))
}

/// Store finished requests and add each one's cost to its key's, member's
/// and team's sums for its UTC day, all in one transaction (the writer
/// thread groups what arrives together): the ledger and the budgets never
/// disagree.
/// (scope, id, UTC day): one row of the spend sums.
type SpendKey = (&'static str, i64, i64);

pub(super) fn record_requests(conn: &mut Connection, rows: &[RequestRow]) -> Result<(), Fail> {
    let big = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let tx = immediate(conn)?;
    // One sum row per scope and day for the whole batch: under load most
    // rows share their key, member and team.
    let mut sums: Vec<(SpendKey, (f64, i64, i64))> = Vec::new();
    for row in rows {
        add_row(&tx, row)?;
        for (scope, id) in row.owner.rows() {
            let k = (scope, id, row.day());
            match sums.iter_mut().find(|(key, _)| *key == k) {
                Some((_, (usd, tokens, n))) => {
                    *usd += row.cost_usd;
                    *tokens = tokens.saturating_add(big(row.tokens()));
                    *n += 1;
                }
                None => sums.push((k, (row.cost_usd, big(row.tokens()), 1))),
            }
        }
    }
    {
        let mut up = tx.prepare_cached(
            "INSERT INTO spend (scope, id, day, usd, tokens, requests)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (scope, id, day) DO UPDATE SET
                usd = usd + excluded.usd,
                tokens = tokens + excluded.tokens,
                requests = requests + excluded.requests",
        )?;
        for ((scope, id, day), (usd, tokens, n)) in sums {
            up.execute(rusqlite::params![scope, id, day, usd, tokens, n])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One row, in the caller's transaction.
fn add_row(tx: &rusqlite::Transaction<'_>, row: &RequestRow) -> Result<(), Fail> {
    let big = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    tx.prepare_cached(
        "INSERT INTO requests (at_ms, key_id, key_prefix, member, team, project, profile,
             provider, model, status, error, input_tokens, output_tokens, cache_read_tokens,
             cache_write_tokens, cost_usd, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(rusqlite::params![
        row.at_ms,
        row.owner.key_id,
        row.key_prefix,
        row.member,
        row.team,
        row.project,
        row.profile,
        row.provider,
        row.model,
        row.status,
        row.error,
        big(row.input_tokens),
        big(row.output_tokens),
        big(row.cache_read_tokens),
        big(row.cache_write_tokens),
        row.cost_usd,
        big(row.duration_ms),
    ])?;
    Ok(())
}

/// The column a group reads: a constant, never user text.
fn group_column(g: LedgerGroup) -> &'static str {
    match g {
        LedgerGroup::Day => "strftime('%Y-%m-%d', at_ms / 1000, 'unixepoch')",
        LedgerGroup::Profile => "profile",
        LedgerGroup::Provider => "provider",
        LedgerGroup::Model => "model",
        LedgerGroup::Member => "member",
        LedgerGroup::Team => "team",
        LedgerGroup::Project => "coalesce(project, '-')",
    }
}

/// The ledger's rows from `since_ms` until (not including) `until_ms`,
/// summed per group (most spent first; by day, oldest first), or all in
/// one with the key `""`.
pub(super) fn usage(
    conn: &mut Connection,
    since_ms: i64,
    until_ms: i64,
    by: Option<LedgerGroup>,
) -> Result<Vec<(String, RowSums)>, Fail> {
    let key = by.map_or("''", group_column);
    let order = match by {
        Some(LedgerGroup::Day) => "1",
        _ => "8 DESC, 1",
    };
    let sql = format!(
        "SELECT {key}, {SUMS} FROM requests WHERE at_ms >= ?1 AND at_ms < ?2
         GROUP BY 1 ORDER BY {order}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([since_ms, until_ms], |r| {
        Ok((r.get::<_, String>(0)?, sums(r, 1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The sums [`SUMS`] selects, from column `first` on.
fn sums(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<RowSums> {
    let n = |i| r.get::<_, f64>(first + i).map(|v| v as u64);
    Ok(RowSums {
        requests: r.get::<_, i64>(first)? as u64,
        errors: r.get::<_, i64>(first + 1)? as u64,
        input_tokens: n(2)?,
        output_tokens: n(3)?,
        cache_read_tokens: n(4)?,
        cache_write_tokens: n(5)?,
        cost_usd: r.get(first + 6)?,
    })
}

/// What [`sums`] reads, in its order.
const SUMS: &str = "count(*), count(error), total(input_tokens), total(output_tokens),
    total(cache_read_tokens), total(cache_write_tokens), total(cost_usd)";

/// The ledger's rows in `[since_ms, until_ms)` summed per UTC day and
/// `by`: (day, key, sums), days oldest first. What the usage page's chart
/// draws.
pub(super) fn usage_by_day_and(
    conn: &mut Connection,
    since_ms: i64,
    until_ms: i64,
    by: LedgerGroup,
) -> Result<Vec<(String, String, RowSums)>, Fail> {
    let sql = format!(
        "SELECT {}, {}, {SUMS} FROM requests WHERE at_ms >= ?1 AND at_ms < ?2
         GROUP BY 1, 2 ORDER BY 1, 2",
        group_column(LedgerGroup::Day),
        group_column(by),
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([since_ms, until_ms], |r| {
        Ok((r.get(0)?, r.get(1)?, sums(r, 2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest `limit` failed requests at or after `since_ms`, newest
/// first (step 4's partial index holds only failures, so this reads no
/// successful row).
pub(super) fn recent_errors(
    conn: &mut Connection,
    since_ms: i64,
    limit: u32,
) -> Result<Vec<FailedRequest>, Fail> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, member, team, project, provider, model, status, error FROM requests
         WHERE error IS NOT NULL AND at_ms >= ?1 ORDER BY at_ms DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(rusqlite::params![since_ms, limit], |r| {
        Ok(FailedRequest {
            at_ms: r.get(0)?,
            member: r.get(1)?,
            team: r.get(2)?,
            project: r.get(3)?,
            provider: r.get(4)?,
            model: r.get(5)?,
            status: r.get(6)?,
            error: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What every key, member and team spent on `day` and in its month, one
/// row each that spent anything.
pub(super) fn spent_all(conn: &mut Connection, day: i64) -> Result<Vec<ScopeRow>, Fail> {
    let mut stmt = conn.prepare_cached(
        "SELECT scope, id, total(CASE WHEN day = ?1 THEN usd END), total(usd) FROM spend
         WHERE day >= ?2 AND day <= ?1 GROUP BY scope, id ORDER BY scope, id",
    )?;
    let rows = stmt.query_map([day, month_start(day)], |r| {
        Ok(ScopeRow {
            scope: r.get(0)?,
            id: r.get(1)?,
            spent: ScopeSpent {
                day_usd: r.get(2)?,
                month_usd: r.get(3)?,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What `owner`'s key, member and team spent on `day` and in its month.
pub(super) fn spent(conn: &mut Connection, owner: Owner, day: i64) -> Result<OwnerSpent, Fail> {
    let mut stmt = conn.prepare_cached(
        "SELECT scope, total(CASE WHEN day = ?4 THEN usd END), total(usd) FROM spend
         WHERE day >= ?5 AND day <= ?4
           AND ((scope = 'key' AND id = ?1) OR (scope = 'member' AND id = ?2)
                OR (scope = 'team' AND id = ?3))
         GROUP BY scope",
    )?;
    let mut out = OwnerSpent::default();
    let rows = stmt.query_map(
        rusqlite::params![
            owner.key_id,
            owner.member_id,
            owner.team_id,
            day,
            month_start(day)
        ],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
            ))
        },
    )?;
    for row in rows {
        let (scope, day_usd, month_usd) = row?;
        if let Some(s) = out.of_mut(&scope) {
            s.day_usd = day_usd;
            s.month_usd = month_usd;
        }
    }
    Ok(out)
}

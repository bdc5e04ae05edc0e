//! The PostgreSQL store's budgets for members and teams, and its spend
//! sums, with the SQLite store's meaning. Several replicas add to the same
//! rows: each addition is one upsert, which PostgreSQL applies atomically,
//! so none is lost.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Client;

use super::fail::Fail;
use super::queries::{MEMBER, TEAM, member_row, names, team_row, writing};
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{Budgets, Member, Team};
use crate::gateway::store::spend::{
    FailedRequest, LedgerGroup, Owner, OwnerSpent, RowSums, ScopeRow, ScopeSpent, month_start,
};

pub(super) async fn set_team_budgets(
    c: &mut Client,
    name: &str,
    budgets: Budgets,
) -> Result<Team, Fail> {
    budgets.check()?;
    let tx = writing(c).await?;
    let n = tx
        .execute(
            "UPDATE teams SET daily_usd = $2, monthly_usd = $3 WHERE name = $1",
            &[&name, &budgets.daily_usd, &budgets.monthly_usd],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::UnknownTeam {
            name: name.into(),
            known: names(&tx, r#"SELECT name FROM teams ORDER BY name COLLATE "C""#).await?,
        }
        .into());
    }
    let row = tx
        .query_one(&format!("{TEAM} WHERE name = $1"), &[&name])
        .await?;
    tx.commit().await?;
    Ok(team_row(&row)?)
}

pub(super) async fn set_member_budgets(
    c: &mut Client,
    name: &str,
    budgets: Budgets,
) -> Result<Member, Fail> {
    budgets.check()?;
    let tx = writing(c).await?;
    let n = tx
        .execute(
            "UPDATE members SET daily_usd = $2, monthly_usd = $3 WHERE name = $1",
            &[&name, &budgets.daily_usd, &budgets.monthly_usd],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::UnknownMember {
            name: name.into(),
            known: names(&tx, r#"SELECT name FROM members ORDER BY name COLLATE "C""#).await?,
        }
        .into());
    }
    let row = tx
        .query_one(&format!("{MEMBER} WHERE m.name = $1"), &[&name])
        .await?;
    tx.commit().await?;
    Ok(member_row(&row)?)
}

/// The column a group reads: a constant, never user text.
fn group_column(g: LedgerGroup) -> &'static str {
    match g {
        LedgerGroup::Day => {
            "to_char(to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        LedgerGroup::Profile => "profile",
        LedgerGroup::Provider => "provider",
        LedgerGroup::Model => "model",
        LedgerGroup::Member => "member",
        LedgerGroup::Team => "team",
        LedgerGroup::Project => "coalesce(project, '-')",
    }
}

/// The ledger's rows in `[since_ms, until_ms)`, summed per group (most
/// spent first; by day, oldest first), or all in one keyed `""`.
pub(super) async fn usage(
    c: &mut Client,
    since_ms: i64,
    until_ms: i64,
    by: Option<LedgerGroup>,
) -> Result<Vec<(String, RowSums)>, Fail> {
    let key = by.map_or("''::TEXT", group_column);
    let order = match by {
        Some(LedgerGroup::Day) => "1",
        _ => "8 DESC, 1",
    };
    let sql = format!(
        // Names sort bytewise, as SQLite sorts them.
        "SELECT ({key}) COLLATE \"C\", {} FROM requests
         WHERE at_ms >= $1 AND at_ms < $2 GROUP BY 1 ORDER BY {order}",
        sums_sql()
    );
    let rows = c.query(&sql, &[&since_ms, &until_ms]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((r.try_get::<_, String>(0)?, sums(r, 1)?));
    }
    Ok(out)
}

/// What [`sums`] reads, in its order: SQLite's `total()` in PostgreSQL's
/// words (0, never NULL, as a double).
fn sums_sql() -> String {
    let num = "coalesce(sum({}), 0)::DOUBLE PRECISION";
    let cols: Vec<String> = [
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "cost_usd",
    ]
    .iter()
    .map(|c| num.replace("{}", c))
    .collect();
    format!("count(*), count(error), {}", cols.join(", "))
}

/// The sums [`sums_sql`] selects, from column `first` on.
fn sums(r: &tokio_postgres::Row, first: usize) -> Result<RowSums, tokio_postgres::Error> {
    let n = |i| r.try_get::<_, f64>(first + i).map(|v| v as u64);
    Ok(RowSums {
        requests: r.try_get::<_, i64>(first)? as u64,
        errors: r.try_get::<_, i64>(first + 1)? as u64,
        input_tokens: n(2)?,
        output_tokens: n(3)?,
        cache_read_tokens: n(4)?,
        cache_write_tokens: n(5)?,
        cost_usd: r.try_get(first + 6)?,
    })
}

/// The ledger's rows in `[since_ms, until_ms)` summed per UTC day and
/// `by`: (day, key, sums), days oldest first.
pub(super) async fn usage_by_day_and(
    c: &mut Client,
    since_ms: i64,
    until_ms: i64,
    by: LedgerGroup,
) -> Result<Vec<(String, String, RowSums)>, Fail> {
    let sql = format!(
        "SELECT ({}) COLLATE \"C\", ({}) COLLATE \"C\", {} FROM requests
         WHERE at_ms >= $1 AND at_ms < $2 GROUP BY 1, 2 ORDER BY 1, 2",
        group_column(LedgerGroup::Day),
        group_column(by),
        sums_sql()
    );
    let rows = c.query(&sql, &[&since_ms, &until_ms]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((r.try_get(0)?, r.try_get(1)?, sums(r, 2)?));
    }
    Ok(out)
}

/// The newest `limit` failed requests at or after `since_ms`, newest
/// first (through step 4's partial index of failures).
pub(super) async fn recent_errors(
    c: &mut Client,
    since_ms: i64,
    limit: u32,
) -> Result<Vec<FailedRequest>, Fail> {
    let rows = c
        .query(
            "SELECT at_ms, member, team, project, provider, model, status, error FROM requests
             WHERE error IS NOT NULL AND at_ms >= $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
            &[&since_ms, &i64::from(limit)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(FailedRequest {
            at_ms: r.try_get(0)?,
            member: r.try_get(1)?,
            team: r.try_get(2)?,
            project: r.try_get(3)?,
            provider: r.try_get(4)?,
            model: r.try_get(5)?,
            status: u16::try_from(r.try_get::<_, i32>(6)?).unwrap_or(0),
            error: r.try_get(7)?,
        });
    }
    Ok(out)
}

/// What every key, member and team spent on `day` and in its month, one
/// row each that spent anything.
pub(super) async fn spent_all(c: &mut Client, day: i64) -> Result<Vec<ScopeRow>, Fail> {
    let rows = c
        .query(
            "SELECT scope, id, coalesce(sum(CASE WHEN day = $1 THEN usd END), 0)::DOUBLE PRECISION,
                    coalesce(sum(usd), 0)::DOUBLE PRECISION
             FROM spend WHERE day >= $2 AND day <= $1
             GROUP BY scope, id ORDER BY scope COLLATE \"C\", id",
            &[&day, &month_start(day)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(ScopeRow {
            scope: r.try_get(0)?,
            id: r.try_get(1)?,
            spent: ScopeSpent {
                day_usd: r.try_get(2)?,
                month_usd: r.try_get(3)?,
            },
        });
    }
    Ok(out)
}

/// What `owner`'s key, member and team spent on `day` and in its month.
pub(super) async fn spent(c: &ClientWrapper, owner: Owner, day: i64) -> Result<OwnerSpent, Fail> {
    let rows = c
        .query(
            &c.prepare_cached(
                "SELECT scope, coalesce(sum(CASE WHEN day = $4 THEN usd END), 0)::DOUBLE PRECISION,
                    coalesce(sum(usd), 0)::DOUBLE PRECISION
             FROM spend
             WHERE day >= $5 AND day <= $4
               AND ((scope = 'key' AND id = $1) OR (scope = 'member' AND id = $2)
                    OR (scope = 'team' AND id = $3))
             GROUP BY scope",
            )
            .await?,
            &[
                &owner.key_id,
                &owner.member_id,
                &owner.team_id,
                &day,
                &month_start(day),
            ],
        )
        .await?;
    let mut out = OwnerSpent::default();
    for r in &rows {
        let scope: String = r.try_get(0)?;
        if let Some(s) = out.of_mut(&scope) {
            s.day_usd = r.try_get(1)?;
            s.month_usd = r.try_get(2)?;
        }
    }
    Ok(out)
}

//! The SQLite store's budgets for members and teams, and its spend sums.

use rusqlite::{Connection, OptionalExtension};

use super::queries::{Fail, MEMBER, TEAM, immediate, member_row, names, team_row};
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{Budgets, Member, Team};
use crate::gateway::store::spend::{Owner, OwnerSpent, month_start};

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

/// Add one finished request's cost to its key's, member's and team's sums
/// for `day`, in one transaction.
pub(super) fn add_spend(
    conn: &mut Connection,
    owner: Owner,
    day: i64,
    usd: f64,
    tokens: u64,
) -> Result<(), Fail> {
    let tx = immediate(conn)?;
    {
        let mut up = tx.prepare_cached(
            "INSERT INTO spend (scope, id, day, usd, tokens, requests)
             VALUES (?1, ?2, ?3, ?4, ?5, 1)
             ON CONFLICT (scope, id, day) DO UPDATE SET
                usd = usd + excluded.usd,
                tokens = tokens + excluded.tokens,
                requests = requests + 1",
        )?;
        let tokens = i64::try_from(tokens).unwrap_or(i64::MAX);
        for (scope, id) in owner.rows() {
            up.execute(rusqlite::params![scope, id, day, usd, tokens])?;
        }
    }
    tx.commit()?;
    Ok(())
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

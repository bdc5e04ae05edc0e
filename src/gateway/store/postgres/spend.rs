//! The PostgreSQL store's budgets for members and teams, and its spend
//! sums, with the SQLite store's meaning. Several replicas add to the same
//! rows: each addition is one upsert, which PostgreSQL applies atomically,
//! so none is lost.

use tokio_postgres::Client;

use super::fail::Fail;
use super::queries::{MEMBER, TEAM, member_row, names, team_row, writing};
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{Budgets, Member, Team};
use crate::gateway::store::spend::{Owner, OwnerSpent, month_start};

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

/// Add one finished request's cost to its key's, member's and team's sums
/// for `day`: one statement, so all three or none. (The three rows are
/// always locked in this order, so two replicas adding at once never
/// deadlock.)
pub(super) async fn add_spend(
    c: &mut Client,
    owner: Owner,
    day: i64,
    usd: f64,
    tokens: u64,
) -> Result<(), Fail> {
    let tokens = i64::try_from(tokens).unwrap_or(i64::MAX);
    let [(s1, key), (s2, member), (s3, team)] = owner.rows();
    c.execute(
        "INSERT INTO spend (scope, id, day, usd, tokens, requests)
         VALUES ($1, $2, $7, $8, $9, 1), ($3, $4, $7, $8, $9, 1), ($5, $6, $7, $8, $9, 1)
         ON CONFLICT (scope, id, day) DO UPDATE SET
            usd = spend.usd + excluded.usd,
            tokens = spend.tokens + excluded.tokens,
            requests = spend.requests + 1",
        &[&s1, &key, &s2, &member, &s3, &team, &day, &usd, &tokens],
    )
    .await?;
    Ok(())
}

/// What `owner`'s key, member and team spent on `day` and in its month.
pub(super) async fn spent(c: &mut Client, owner: Owner, day: i64) -> Result<OwnerSpent, Fail> {
    let rows = c
        .query(
            "SELECT scope, coalesce(sum(CASE WHEN day = $4 THEN usd END), 0)::DOUBLE PRECISION,
                    coalesce(sum(usd), 0)::DOUBLE PRECISION
             FROM spend
             WHERE day >= $5 AND day <= $4
               AND ((scope = 'key' AND id = $1) OR (scope = 'member' AND id = $2)
                    OR (scope = 'team' AND id = $3))
             GROUP BY scope",
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

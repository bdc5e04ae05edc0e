//! The PostgreSQL store's queries, with the SQLite store's meaning. Every
//! name and value is a bound parameter, never spliced into SQL text, so a
//! member called `x'); DROP TABLE keys;--` is just that name. Writes that
//! check before they insert take one transaction-scoped advisory lock
//! first, as SQLite's `BEGIN IMMEDIATE` does: two admins, on two
//! replicas, cannot both pass the check. Names sort by code point
//! (`COLLATE "C"`), as in SQLite, whatever the database's locale.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Row, Transaction};

use super::fail::Fail;
use crate::gateway::keys::KeyHash;
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{
    Budgets, KeyRecord, KeySettings, Member, NewKey, RateLimits, Team, check_name,
};

/// `pg_advisory_xact_lock` key of the store's writes: "ccgw", then 2
/// (1 is the migrations').
const WRITE_LOCK: i64 = 0x6363_6777_0000_0002;

/// Whole seconds since the epoch: what the tables hold.
pub(super) fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn time(s: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

/// A transaction holding the write lock, whose commit waits for the
/// server's disk (the pool's connections don't, for the requests' rows):
/// a key revoked or a budget set is never lost.
pub(super) async fn writing(c: &mut Client) -> Result<Transaction<'_>, Fail> {
    let tx = c.transaction().await?;
    tx.batch_execute("SET LOCAL synchronous_commit = on")
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    Ok(tx)
}

/// Every value of one text column, in order: the names an error lists.
pub(super) async fn names(c: &impl GenericClient, sql: &str) -> Result<Vec<String>, Fail> {
    let rows = c.query(sql, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

pub(super) async fn add_team(c: &mut Client, name: &str, at: SystemTime) -> Result<Team, Fail> {
    check_name(name)?;
    let tx = writing(c).await?;
    let exists = tx
        .query_opt("SELECT id FROM teams WHERE name = $1", &[&name])
        .await?;
    if exists.is_some() {
        return Err(StoreError::TeamExists { name: name.into() }.into());
    }
    let row = tx
        .query_one(
            "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id",
            &[&name, &secs(at)],
        )
        .await?;
    tx.commit().await?;
    Ok(Team {
        id: row.try_get(0)?,
        name: name.into(),
        created_at: time(secs(at)),
        budgets: Budgets::default(),
    })
}

pub(super) async fn teams(c: &mut Client) -> Result<Vec<Team>, Fail> {
    let rows = c
        .query(&format!(r#"{TEAM} ORDER BY name COLLATE "C""#), &[])
        .await?;
    Ok(rows.iter().map(team_row).collect::<Result<_, _>>()?)
}

/// A team, as [`team_row`] reads it.
pub(super) const TEAM: &str = "SELECT id, name, created_at, daily_usd, monthly_usd FROM teams";

pub(super) fn team_row(r: &Row) -> Result<Team, tokio_postgres::Error> {
    Ok(Team {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        created_at: time(r.try_get(2)?),
        budgets: Budgets {
            daily_usd: r.try_get(3)?,
            monthly_usd: r.try_get(4)?,
        },
    })
}

/// A member with their team's name, as [`member_row`] reads it.
pub(super) const MEMBER: &str =
    "SELECT m.id, m.name, t.name, m.created_at, m.daily_usd, m.monthly_usd
     FROM members m JOIN teams t ON t.id = m.team_id";

pub(super) fn member_row(r: &Row) -> Result<Member, tokio_postgres::Error> {
    Ok(Member {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        team: r.try_get(2)?,
        created_at: time(r.try_get(3)?),
        budgets: Budgets {
            daily_usd: r.try_get(4)?,
            monthly_usd: r.try_get(5)?,
        },
    })
}

pub(super) async fn add_member(
    c: &mut Client,
    name: &str,
    team: &str,
    at: SystemTime,
) -> Result<Member, Fail> {
    check_name(name)?;
    let tx = writing(c).await?;
    let Some(team_row) = tx
        .query_opt("SELECT id FROM teams WHERE name = $1", &[&team])
        .await?
    else {
        let known = names(&tx, r#"SELECT name FROM teams ORDER BY name COLLATE "C""#).await?;
        return Err(StoreError::UnknownTeam {
            name: team.into(),
            known,
        }
        .into());
    };
    let team_id: i64 = team_row.try_get(0)?;
    let existing = tx
        .query_opt(
            "SELECT t.name FROM members m JOIN teams t ON t.id = m.team_id WHERE m.name = $1",
            &[&name],
        )
        .await?;
    if let Some(row) = existing {
        return Err(StoreError::MemberExists {
            name: name.into(),
            team: row.try_get(0)?,
        }
        .into());
    }
    let row = tx
        .query_one(
            "INSERT INTO members (name, team_id, created_at) VALUES ($1, $2, $3) RETURNING id",
            &[&name, &team_id, &secs(at)],
        )
        .await?;
    tx.commit().await?;
    Ok(Member {
        id: row.try_get(0)?,
        name: name.into(),
        team: team.into(),
        created_at: time(secs(at)),
        budgets: Budgets::default(),
    })
}

pub(super) async fn members(c: &mut Client) -> Result<Vec<Member>, Fail> {
    let sql = format!(r#"{MEMBER} ORDER BY t.name COLLATE "C", m.name COLLATE "C""#);
    let rows = c.query(&sql, &[]).await?;
    Ok(rows.iter().map(member_row).collect::<Result<_, _>>()?)
}

/// Keys with their member, team, predecessor and profiles; `filter` is a
/// constant condition on `k` whose values are parameters.
fn key_query(filter: &str) -> String {
    format!(
        r#"SELECT k.id, k.prefix, m.name, t.name, k.daily_usd, k.monthly_usd, k.rpm, k.tpm,
                  k.created_at, k.expires_at, k.revoked_at, r.prefix,
                  ARRAY(SELECT p.profile FROM key_profiles p WHERE p.key_id = k.id
                        ORDER BY p.profile COLLATE "C"),
                  m.id, t.id, m.daily_usd, m.monthly_usd, t.daily_usd, t.monthly_usd
           FROM keys k
           JOIN members m ON m.id = k.member_id
           JOIN teams t ON t.id = m.team_id
           LEFT JOIN keys r ON r.id = k.rotated_from
           {filter}"#
    )
}

fn key_row(r: &Row) -> Result<KeyRecord, tokio_postgres::Error> {
    let rpm: Option<i64> = r.try_get(6)?;
    let tpm: Option<i64> = r.try_get(7)?;
    Ok(KeyRecord {
        id: r.try_get(0)?,
        prefix: r.try_get(1)?,
        member: r.try_get(2)?,
        team: r.try_get(3)?,
        member_id: r.try_get(13)?,
        team_id: r.try_get(14)?,
        member_budgets: Budgets {
            daily_usd: r.try_get(15)?,
            monthly_usd: r.try_get(16)?,
        },
        team_budgets: Budgets {
            daily_usd: r.try_get(17)?,
            monthly_usd: r.try_get(18)?,
        },
        settings: KeySettings {
            profiles: r.try_get(12)?,
            budgets: Budgets {
                daily_usd: r.try_get(4)?,
                monthly_usd: r.try_get(5)?,
            },
            limits: RateLimits {
                rpm: rpm.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                tpm: tpm.map(|n| u64::try_from(n).unwrap_or(0)),
            },
        },
        created_at: time(r.try_get(8)?),
        expires_at: r.try_get::<_, Option<i64>>(9)?.map(time),
        revoked_at: r.try_get::<_, Option<i64>>(10)?.map(time),
        rotated_from: r.try_get(11)?,
    })
}

async fn one_key(
    c: &impl GenericClient,
    filter: &str,
    param: &(dyn ToSql + Sync),
) -> Result<Option<KeyRecord>, Fail> {
    let row = c.query_opt(&key_query(filter), &[param]).await?;
    Ok(row.as_ref().map(key_row).transpose()?)
}

pub(super) async fn keys(c: &mut Client) -> Result<Vec<KeyRecord>, Fail> {
    let rows = c
        .query(&key_query("ORDER BY k.created_at, k.id"), &[])
        .await?;
    Ok(rows.iter().map(key_row).collect::<Result<_, _>>()?)
}

pub(super) async fn key_by_hash(c: &mut Client, hash: &KeyHash) -> Result<Option<KeyRecord>, Fail> {
    one_key(&*c, "WHERE k.hash = $1", &&hash.0[..]).await
}

/// The key with this display prefix, or what prefixes there are.
pub(super) async fn key_by_prefix(c: &impl GenericClient, prefix: &str) -> Result<KeyRecord, Fail> {
    match one_key(c, "WHERE k.prefix = $1", &prefix).await? {
        Some(k) => Ok(k),
        None => Err(StoreError::UnknownKey {
            prefix: prefix.into(),
            known: names(c, "SELECT prefix FROM keys ORDER BY id DESC").await?,
        }
        .into()),
    }
}

/// Store `key`; the id it got.
async fn insert_key(
    tx: &Transaction<'_>,
    key: &NewKey,
    rotated_from: Option<i64>,
) -> Result<i64, Fail> {
    key.settings.check()?;
    let Some(member) = tx
        .query_opt("SELECT id FROM members WHERE name = $1", &[&key.member])
        .await?
    else {
        return Err(StoreError::UnknownMember {
            name: key.member.clone(),
            known: names(tx, r#"SELECT name FROM members ORDER BY name COLLATE "C""#).await?,
        }
        .into());
    };
    let member: i64 = member.try_get(0)?;
    let hash = &key.hash.0[..];
    let taken: i64 = tx
        .query_one(
            "SELECT count(*) FROM keys WHERE prefix = $1 OR hash = $2",
            &[&key.prefix, &hash],
        )
        .await?
        .try_get(0)?;
    if taken > 0 {
        return Err(StoreError::PrefixTaken {
            prefix: key.prefix.clone(),
        }
        .into());
    }
    let (b, l) = (key.settings.budgets, key.settings.limits);
    let row = tx
        .query_one(
            "INSERT INTO keys (prefix, hash, member_id, daily_usd, monthly_usd, rpm, tpm,
                               created_at, expires_at, rotated_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &key.prefix,
                &hash,
                &member,
                &b.daily_usd,
                &b.monthly_usd,
                &l.rpm.map(i64::from),
                &l.tpm.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                &secs(key.created_at),
                &key.expires_at.map(secs),
                &rotated_from,
            ],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    for p in &key.settings.profiles {
        tx.execute(
            "INSERT INTO key_profiles (key_id, profile) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&id, p],
        )
        .await?;
    }
    Ok(id)
}

pub(super) async fn add_key(c: &mut Client, key: &NewKey) -> Result<KeyRecord, Fail> {
    let tx = writing(c).await?;
    let id = insert_key(&tx, key, None).await?;
    let record = one_key(&tx, "WHERE k.id = $1", &id).await?;
    tx.commit().await?;
    record.ok_or_else(|| missing(&key.prefix))
}

/// A key just written and not read back: the database changed under the
/// transaction, which cannot happen while it holds the write lock.
fn missing(prefix: &str) -> Fail {
    Fail::Store(StoreError::UnknownKey {
        prefix: prefix.into(),
        known: Vec::new(),
    })
}

/// Revoke the key with this prefix (a key revoked before stays revoked
/// from then); the key as it is now.
pub(super) async fn revoke_key(
    c: &mut Client,
    prefix: &str,
    at: SystemTime,
) -> Result<KeyRecord, Fail> {
    let tx = writing(c).await?;
    let key = key_by_prefix(&tx, prefix).await?;
    tx.execute(
        "UPDATE keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[&key.id, &secs(at)],
    )
    .await?;
    let key = key_by_prefix(&tx, prefix).await?;
    tx.commit().await?;
    Ok(key)
}

/// Revoke the key with `prefix` and store a successor (`new_prefix`,
/// `new_hash`) for the same member with its settings and lifetime, in one
/// transaction: both happen or neither.
pub(super) async fn rotate_key(
    c: &mut Client,
    prefix: &str,
    new_prefix: &str,
    new_hash: KeyHash,
    at: SystemTime,
) -> Result<(KeyRecord, KeyRecord), Fail> {
    let tx = writing(c).await?;
    let old = key_by_prefix(&tx, prefix).await?;
    if old.revoked_at.is_some() {
        return Err(StoreError::Revoked { prefix: old.prefix }.into());
    }
    tx.execute(
        "UPDATE keys SET revoked_at = $2 WHERE id = $1",
        &[&old.id, &secs(at)],
    )
    .await?;
    let successor = NewKey {
        prefix: new_prefix.into(),
        hash: new_hash,
        member: old.member.clone(),
        settings: old.settings.clone(),
        created_at: at,
        expires_at: old.lifetime().map(|d| at + d),
    };
    let id = insert_key(&tx, &successor, Some(old.id)).await?;
    let old = key_by_prefix(&tx, prefix).await?;
    let new = one_key(&tx, "WHERE k.id = $1", &id).await?;
    tx.commit().await?;
    Ok((old, new.ok_or_else(|| missing(new_prefix))?))
}

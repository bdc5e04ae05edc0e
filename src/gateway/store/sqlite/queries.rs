//! The SQLite store's queries: plain blocking functions on a connection.
//! Every name and value is bound as a parameter, never spliced into SQL
//! text, so a member called `x'); DROP TABLE keys;--` is just that name.
//! Writes that check before they insert run under the write lock
//! (`BEGIN IMMEDIATE`), so two admins cannot both pass the check.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use crate::gateway::keys::KeyHash;
use crate::gateway::store::error::StoreError;
use crate::gateway::store::model::{
    Budgets, KeyRecord, KeySettings, Member, NewKey, RateLimits, Team, check_name,
};

/// A query's failure before it knows which file it was about.
pub(super) enum Fail {
    Sql(rusqlite::Error),
    NotOurs,
    Newer { found: i64, known: i64 },
    Store(StoreError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Sql(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

impl Fail {
    pub(super) fn at(self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        match self {
            Fail::Sql(source) => StoreError::Sqlite { path, source },
            Fail::NotOurs => StoreError::NotOurs { path },
            Fail::Newer { found, known } => StoreError::Newer { path, found, known },
            Fail::Store(e) => e,
        }
    }
}

/// Whole seconds since the epoch: what the tables hold.
pub(super) fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn time(s: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

pub(super) fn immediate(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// Every value of one text column, in order: the names an error lists.
pub(super) fn names(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

pub(super) fn add_team(conn: &mut Connection, name: &str, at: SystemTime) -> Result<Team, Fail> {
    check_name(name)?;
    let tx = immediate(conn)?;
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM teams WHERE name = ?1", [name], |r| r.get(0))
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::TeamExists { name: name.into() }.into());
    }
    tx.execute(
        "INSERT INTO teams (name, created_at) VALUES (?1, ?2)",
        (name, secs(at)),
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Team {
        id,
        name: name.into(),
        created_at: time(secs(at)),
        budgets: Budgets::default(),
    })
}

pub(super) fn teams(conn: &mut Connection) -> Result<Vec<Team>, Fail> {
    let mut stmt = conn.prepare(&format!("{TEAM} ORDER BY name"))?;
    let rows = stmt.query_map([], team_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn add_member(
    conn: &mut Connection,
    name: &str,
    team: &str,
    at: SystemTime,
) -> Result<Member, Fail> {
    check_name(name)?;
    let tx = immediate(conn)?;
    let Some(team_id) = tx
        .query_row("SELECT id FROM teams WHERE name = ?1", [team], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
    else {
        let known = names(&tx, "SELECT name FROM teams ORDER BY name")?;
        return Err(StoreError::UnknownTeam {
            name: team.into(),
            known,
        }
        .into());
    };
    let existing: Option<String> = tx
        .query_row(
            "SELECT t.name FROM members m JOIN teams t ON t.id = m.team_id WHERE m.name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(team) = existing {
        return Err(StoreError::MemberExists {
            name: name.into(),
            team,
        }
        .into());
    }
    tx.execute(
        "INSERT INTO members (name, team_id, created_at) VALUES (?1, ?2, ?3)",
        (name, team_id, secs(at)),
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Member {
        id,
        name: name.into(),
        team: team.into(),
        created_at: time(secs(at)),
        budgets: Budgets::default(),
    })
}

pub(super) fn members(conn: &mut Connection) -> Result<Vec<Member>, Fail> {
    let mut stmt = conn.prepare(&format!("{MEMBER} ORDER BY t.name, m.name"))?;
    let rows = stmt.query_map([], member_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A team, as [`team_row`] reads it.
pub(super) const TEAM: &str = "SELECT id, name, created_at, daily_usd, monthly_usd FROM teams";

pub(super) fn team_row(r: &Row<'_>) -> rusqlite::Result<Team> {
    Ok(Team {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: time(r.get(2)?),
        budgets: Budgets {
            daily_usd: r.get(3)?,
            monthly_usd: r.get(4)?,
        },
    })
}

/// A member with their team's name, as [`member_row`] reads it.
pub(super) const MEMBER: &str =
    "SELECT m.id, m.name, t.name, m.created_at, m.daily_usd, m.monthly_usd
     FROM members m JOIN teams t ON t.id = m.team_id";

pub(super) fn member_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: r.get(0)?,
        name: r.get(1)?,
        team: r.get(2)?,
        created_at: time(r.get(3)?),
        budgets: Budgets {
            daily_usd: r.get(4)?,
            monthly_usd: r.get(5)?,
        },
    })
}

/// A key with its member, team and predecessor; `filter` is a constant
/// condition on `k` whose values are parameters.
fn key_query(filter: &str) -> String {
    format!(
        "SELECT k.id, k.prefix, m.name, t.name, k.daily_usd, k.monthly_usd, k.rpm, k.tpm,
                k.created_at, k.expires_at, k.revoked_at, r.prefix,
                m.id, t.id, m.daily_usd, m.monthly_usd, t.daily_usd, t.monthly_usd
         FROM keys k
         JOIN members m ON m.id = k.member_id
         JOIN teams t ON t.id = m.team_id
         LEFT JOIN keys r ON r.id = k.rotated_from
         {filter}"
    )
}

/// A row of [`key_query`], its profiles still to be read.
fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let rpm: Option<i64> = r.get(6)?;
    let tpm: Option<i64> = r.get(7)?;
    Ok(KeyRecord {
        id: r.get(0)?,
        prefix: r.get(1)?,
        member: r.get(2)?,
        team: r.get(3)?,
        member_id: r.get(12)?,
        team_id: r.get(13)?,
        member_budgets: Budgets {
            daily_usd: r.get(14)?,
            monthly_usd: r.get(15)?,
        },
        team_budgets: Budgets {
            daily_usd: r.get(16)?,
            monthly_usd: r.get(17)?,
        },
        settings: KeySettings {
            profiles: Vec::new(),
            budgets: Budgets {
                daily_usd: r.get(4)?,
                monthly_usd: r.get(5)?,
            },
            limits: RateLimits {
                rpm: rpm.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                tpm: tpm.map(|n| u64::try_from(n).unwrap_or(0)),
            },
        },
        created_at: time(r.get(8)?),
        expires_at: r.get::<_, Option<i64>>(9)?.map(time),
        revoked_at: r.get::<_, Option<i64>>(10)?.map(time),
        rotated_from: r.get(11)?,
    })
}

fn with_profiles(conn: &Connection, mut key: KeyRecord) -> rusqlite::Result<KeyRecord> {
    let mut stmt =
        conn.prepare_cached("SELECT profile FROM key_profiles WHERE key_id = ?1 ORDER BY profile")?;
    key.settings.profiles = stmt
        .query_map([key.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(key)
}

fn one_key(
    conn: &Connection,
    filter: &str,
    param: impl rusqlite::ToSql,
) -> rusqlite::Result<Option<KeyRecord>> {
    let key = conn
        .query_row(&key_query(filter), [param], key_row)
        .optional()?;
    key.map(|k| with_profiles(conn, k)).transpose()
}

pub(super) fn keys(conn: &mut Connection) -> Result<Vec<KeyRecord>, Fail> {
    let mut stmt = conn.prepare(&key_query("ORDER BY k.created_at, k.id"))?;
    let rows = stmt
        .query_map([], key_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|k| with_profiles(conn, k))
        .collect::<rusqlite::Result<_>>()?)
}

pub(super) fn key_by_hash(
    conn: &mut Connection,
    hash: &KeyHash,
) -> Result<Option<KeyRecord>, Fail> {
    Ok(one_key(conn, "WHERE k.hash = ?1", &hash.0[..])?)
}

/// The key with this display prefix, or what prefixes there are.
pub(super) fn key_by_prefix(conn: &Connection, prefix: &str) -> Result<KeyRecord, Fail> {
    match one_key(conn, "WHERE k.prefix = ?1", prefix)? {
        Some(k) => Ok(k),
        None => Err(StoreError::UnknownKey {
            prefix: prefix.into(),
            known: names(conn, "SELECT prefix FROM keys ORDER BY id DESC")?,
        }
        .into()),
    }
}

/// Store `key`; the id it got.
fn insert_key(tx: &Transaction<'_>, key: &NewKey, rotated_from: Option<i64>) -> Result<i64, Fail> {
    key.settings.check()?;
    let member: Option<i64> = tx
        .query_row(
            "SELECT id FROM members WHERE name = ?1",
            [&key.member],
            |r| r.get(0),
        )
        .optional()?;
    let Some(member) = member else {
        return Err(StoreError::UnknownMember {
            name: key.member.clone(),
            known: names(tx, "SELECT name FROM members ORDER BY name")?,
        }
        .into());
    };
    let taken: i64 = tx.query_row(
        "SELECT count(*) FROM keys WHERE prefix = ?1 OR hash = ?2",
        (&key.prefix, &key.hash.0[..]),
        |r| r.get(0),
    )?;
    if taken > 0 {
        return Err(StoreError::PrefixTaken {
            prefix: key.prefix.clone(),
        }
        .into());
    }
    let (b, l) = (key.settings.budgets, key.settings.limits);
    tx.execute(
        "INSERT INTO keys (prefix, hash, member_id, daily_usd, monthly_usd, rpm, tpm,
                           created_at, expires_at, rotated_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            key.prefix,
            &key.hash.0[..],
            member,
            b.daily_usd,
            b.monthly_usd,
            l.rpm,
            l.tpm.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            secs(key.created_at),
            key.expires_at.map(secs),
            rotated_from,
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO key_profiles (key_id, profile) VALUES (?1, ?2)")?;
    for p in &key.settings.profiles {
        add.execute((id, p))?;
    }
    Ok(id)
}

pub(super) fn add_key(conn: &mut Connection, key: &NewKey) -> Result<KeyRecord, Fail> {
    let tx = immediate(conn)?;
    let id = insert_key(&tx, key, None)?;
    let record = one_key(&tx, "WHERE k.id = ?1", id)?;
    tx.commit()?;
    record.ok_or(Fail::Sql(rusqlite::Error::QueryReturnedNoRows))
}

/// Revoke the key with this prefix (a key revoked before stays revoked
/// from then); the key as it is now.
pub(super) fn revoke_key(
    conn: &mut Connection,
    prefix: &str,
    at: SystemTime,
) -> Result<KeyRecord, Fail> {
    let tx = immediate(conn)?;
    let key = key_by_prefix(&tx, prefix)?;
    tx.execute(
        "UPDATE keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        (key.id, secs(at)),
    )?;
    let key = key_by_prefix(&tx, prefix)?;
    tx.commit()?;
    Ok(key)
}

/// Revoke the key with `prefix` and store a successor (`new_prefix`,
/// `new_hash`) for the same member with its settings and lifetime, in one
/// transaction: both happen or neither.
pub(super) fn rotate_key(
    conn: &mut Connection,
    prefix: &str,
    new_prefix: &str,
    new_hash: KeyHash,
    at: SystemTime,
) -> Result<(KeyRecord, KeyRecord), Fail> {
    let tx = immediate(conn)?;
    let old = key_by_prefix(&tx, prefix)?;
    if old.revoked_at.is_some() {
        return Err(StoreError::Revoked { prefix: old.prefix }.into());
    }
    tx.execute(
        "UPDATE keys SET revoked_at = ?2 WHERE id = ?1",
        (old.id, secs(at)),
    )?;
    let successor = NewKey {
        prefix: new_prefix.into(),
        hash: new_hash,
        member: old.member.clone(),
        settings: old.settings.clone(),
        created_at: at,
        expires_at: old.lifetime().map(|d| at + d),
    };
    let id = insert_key(&tx, &successor, Some(old.id))?;
    let old = key_by_prefix(&tx, prefix)?;
    let new = one_key(&tx, "WHERE k.id = ?1", id)?;
    tx.commit()?;
    Ok((
        old,
        new.ok_or(Fail::Sql(rusqlite::Error::QueryReturnedNoRows))?,
    ))
}

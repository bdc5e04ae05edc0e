//! The SQLite store's file: opening it, and its versioned migrations.
//!
//! Steps are numbered from 1 and recorded in a `schema_version` table (one
//! row per step run), not in SQLite's `user_version`: Postgres has no such
//! pragma, and both backends count steps the same way. Each backend writes
//! its own text for step N; the numbers, and what each step means, are
//! shared. Never edit a step that has shipped: add one.
//!
//! The file is marked as ours (`application_id`); a file that is not is
//! refused and left alone, never migrated or moved aside: unlike the usage
//! ledger, this one holds who may use the gateway.

use std::path::Path;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::queries::{Fail, secs};
use crate::gateway::store::error::StoreError;

/// `PRAGMA application_id`: "ccgw".
pub const APP_ID: i32 = 0x6363_6777;

/// How long a write waits for another process's write (a `gateway key
/// revoke` while `serve` reads) to finish.
pub(super) const BUSY: Duration = Duration::from_secs(5);

/// Schema steps; step N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: teams, members (each in one team), keys (a member's; the SHA-256
    // of the key and its display prefix, never the key) and the profiles
    // each key may use (none listed: all).
    "CREATE TABLE teams (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE members (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        team_id INTEGER NOT NULL REFERENCES teams(id),
        created_at INTEGER NOT NULL
     );
     CREATE INDEX members_team ON members(team_id);
     CREATE TABLE keys (
        id INTEGER PRIMARY KEY,
        prefix TEXT NOT NULL UNIQUE,
        hash BLOB NOT NULL UNIQUE,
        member_id INTEGER NOT NULL REFERENCES members(id),
        daily_usd REAL,
        monthly_usd REAL,
        rpm INTEGER,
        tpm INTEGER,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        rotated_from INTEGER REFERENCES keys(id)
     );
     CREATE INDEX keys_member ON keys(member_id);
     CREATE TABLE key_profiles (
        key_id INTEGER NOT NULL REFERENCES keys(id),
        profile TEXT NOT NULL,
        PRIMARY KEY (key_id, profile)
     ) WITHOUT ROWID;",
    // 2: budgets for whole members and teams; and what each key, member and
    // team spent per UTC day (days since 1970-01-01), which budgets are
    // checked against.
    "ALTER TABLE teams ADD COLUMN daily_usd REAL;
     ALTER TABLE teams ADD COLUMN monthly_usd REAL;
     ALTER TABLE members ADD COLUMN daily_usd REAL;
     ALTER TABLE members ADD COLUMN monthly_usd REAL;
     CREATE TABLE spend (
        scope TEXT NOT NULL,
        id INTEGER NOT NULL,
        day INTEGER NOT NULL,
        usd REAL NOT NULL,
        tokens INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        PRIMARY KEY (scope, id, day)
     ) WITHOUT ROWID;",
    // 3: the gateway's own ledger: one row per member request, written with
    // its spend in one transaction, so every replica's requests are in the
    // store (`ccswitch usage --gateway`). Times in Unix milliseconds.
    "CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        key_id INTEGER NOT NULL,
        key_prefix TEXT NOT NULL,
        member TEXT NOT NULL,
        team TEXT NOT NULL,
        project TEXT,
        profile TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        status INTEGER NOT NULL,
        error TEXT,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        duration_ms INTEGER NOT NULL
     );
     CREATE INDEX requests_at ON requests(at_ms);",
    // 4: each key's requests and tokens per second, for rate limits that
    // several replicas share. A SQLite gateway is one process and keeps
    // them in memory: the table is here so both backends count the same
    // steps.
    "CREATE TABLE rates (
        key_id INTEGER NOT NULL,
        second INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        PRIMARY KEY (key_id, second)
     ) WITHOUT ROWID;",
    // 5: the failed requests alone, newest last, for the usage page's
    // recent errors: only a failure's insert pays for it.
    "CREATE INDEX requests_failed ON requests(at_ms) WHERE error IS NOT NULL;",
];

/// The newest step this build knows.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Open (creating and migrating) the store at `path`.
pub fn open(path: &Path, now: SystemTime) -> Result<Connection, StoreError> {
    let at = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fsutil::create_private_dir(dir).map_err(at)?;
    }
    let created = !path.exists();
    let mut conn = Connection::open(path).map_err(|e| Fail::Sql(e).at(path))?;
    if created {
        private(path).map_err(at)?;
    }
    setup(&mut conn, now).map_err(|e| e.at(path))?;
    Ok(conn)
}

/// Only its owner reads the file: it names every member and what each may
/// spend. (SQLite gives its `-wal` and `-shm` files the same mode.)
fn private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn setup(conn: &mut Connection, now: SystemTime) -> Result<(), Fail> {
    conn.busy_timeout(BUSY)?;
    // The first read of the header tells a database from anything else.
    // WAL: `serve` keeps reading while an admin command writes.
    match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
        Ok(_) => {}
        Err(e) if not_a_database(&e) => return Err(Fail::NotOurs),
        Err(e) => return Err(e.into()),
    }
    tune(conn)?;
    migrate(conn, now)
}

/// What every connection to the file sets. `synchronous=NORMAL`: in WAL
/// mode a commit then reaches the OS at once (a killed process loses
/// nothing it committed) without an fsync per commit, which cost every
/// gateway request milliseconds; only a power cut may lose the last few.
fn tune(conn: &Connection) -> Result<(), Fail> {
    conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL")?;
    Ok(())
}

/// Another connection to a store [`open`] made ready: the reader's, or
/// the ledger writer's.
pub fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| Fail::Sql(e).at(path))?;
    conn.busy_timeout(BUSY).map_err(|e| Fail::Sql(e).at(path))?;
    tune(&conn).map_err(|e| e.at(path))?;
    Ok(conn)
}

fn not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Run the steps not yet run, under the write lock: two processes opening
/// a new file at once migrate it once.
fn migrate(conn: &mut Connection, now: SystemTime) -> Result<(), Fail> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let app: i32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app != APP_ID && !(app == 0 && tables == 0) {
        return Err(Fail::NotOurs);
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
         )",
    )?;
    let found: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if found > VERSION {
        return Err(Fail::Newer {
            found,
            known: VERSION,
        });
    }
    for (n, step) in (1i64..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.execute_batch(step)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            (n, secs(now)),
        )?;
    }
    tx.execute_batch(&format!("PRAGMA application_id={APP_ID}"))?;
    tx.commit()?;
    Ok(())
}

//! The ledger's SQLite file: opening it safely next to other sessions,
//! versioned migrations, and what to do with a file that is not ours.
//!
//! Many `ccswitch run` sessions and a `serve` may write at once: WAL mode
//! lets readers and one writer work together, and a busy timeout makes the
//! rare lock wait instead of fail. A corrupt or foreign file is moved aside
//! (never overwritten) and a new ledger started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::t;

/// `PRAGMA application_id`: "ccsw". Marks the file as ours, so a foreign
/// SQLite file that happens to sit at our path is never migrated.
pub const APP_ID: i32 = 0x6363_7377;

/// How long a write waits for another session's write to finish.
const BUSY: Duration = Duration::from_secs(5);

/// A rollup: sums per time slot (`$time`, of SQL type `$ty`), session,
/// profile, provider and model, and its index on the session. The
/// 15-minute and the daily one differ only in their time slot.
macro_rules! rollup_table {
    ($table:literal, $time:literal, $ty:literal) => {
        concat!(
            "CREATE TABLE ",
            $table,
            " (
        ",
            $time,
            " ",
            $ty,
            " NOT NULL,
        session TEXT NOT NULL,
        profile TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        cache_read_cost_usd REAL NOT NULL,
        unpriced INTEGER NOT NULL,
        PRIMARY KEY (",
            $time,
            ", session, profile, provider, model)
     ) WITHOUT ROWID;
     CREATE INDEX ",
            $table,
            "_session ON ",
            $table,
            "(session);"
        )
    };
}

/// Step 3's rebuild of a rollup (see `rollup_table!`) with `member`,
/// `team` and `project` in its key, its rows copied with '' for them. The
/// old table goes before the index is made again: its index has the name.
macro_rules! rebuild_rollup {
    ($table:literal, $time:literal, $ty:literal) => {
        concat!(
            "ALTER TABLE ",
            $table,
            " RENAME TO ",
            $table,
            "_v2;
     CREATE TABLE ",
            $table,
            " (
        ",
            $time,
            " ",
            $ty,
            " NOT NULL,
        session TEXT NOT NULL,
        profile TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        member TEXT NOT NULL,
        team TEXT NOT NULL,
        project TEXT NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        cache_read_cost_usd REAL NOT NULL,
        unpriced INTEGER NOT NULL,
        PRIMARY KEY (",
            $time,
            ", session, profile, provider, model, member, team, project)
     ) WITHOUT ROWID;
     INSERT INTO ",
            $table,
            " SELECT ",
            $time,
            ", session, profile, provider, model, '', '', '',
        requests, errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
        reasoning_tokens, cost_usd, cache_read_cost_usd, unpriced FROM ",
            $table,
            "_v2;
     DROP TABLE ",
            $table,
            "_v2;
     CREATE INDEX ",
            $table,
            "_session ON ",
            $table,
            "(session);
     "
        )
    };
}

/// Schema steps; `user_version` is how many have run. Never edit a step
/// that has shipped: add one. (Step 1 writes its two rollups with
/// `rollup_table!`; its text is still the one that shipped.)
const MIGRATIONS: &[&str] = &[
    // 1: one row per upstream request; sums per local day (the machine's
    // time zone when the row was written), which day, month and budget
    // figures read; and sums per 15 minutes for ranges that start or end
    // inside a day (the ragged ends come from the rows).
    concat!(
        "CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        session TEXT NOT NULL,
        cc_session TEXT,
        profile TEXT NOT NULL,
        slot TEXT NOT NULL,
        provider TEXT NOT NULL,
        requested_model TEXT NOT NULL,
        model TEXT NOT NULL,
        subagent INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error TEXT,
        ttft_ms INTEGER,
        duration_ms INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        estimated INTEGER NOT NULL,
        cost_usd REAL,
        cache_read_cost_usd REAL NOT NULL
     );
     CREATE INDEX requests_at ON requests(at);
     ",
        rollup_table!("rollup", "bucket", "INTEGER"),
        "
     ",
        rollup_table!("daily", "day", "TEXT")
    ),
    // 2: fallback chains try several targets for one request; each attempt
    // is a row, numbered from 0.
    "ALTER TABLE requests ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;",
    // 3: a team gateway's rows say who asked (member, team, the key's
    // prefix) and for which project; the sums are kept per member, team
    // and project too. SQLite cannot change a primary key in place: both
    // rollups are rebuilt, their rows copied with '' (unknown) for the new
    // key columns.
    concat!(
        "ALTER TABLE requests ADD COLUMN member TEXT;
     ALTER TABLE requests ADD COLUMN team TEXT;
     ALTER TABLE requests ADD COLUMN project TEXT;
     ALTER TABLE requests ADD COLUMN key_prefix TEXT;
     ",
        rebuild_rollup!("rollup", "bucket", "INTEGER"),
        rebuild_rollup!("daily", "day", "TEXT")
    ),
];

pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The ledger cannot be used; the session runs without it.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{}", t!("usage.db_error", path = path.display(), error = source))]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}", t!("usage.db_newer", path = path.display(), found = found, known = VERSION))]
    Newer { path: PathBuf, found: i64 },
    #[error("{}", t!("usage.db_io", path = path.display(), error = source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", t!("usage.db_missing", path = path.display()))]
    Missing { path: PathBuf },
    /// The file's pages do not hold together: only moving it aside helps.
    #[error("{}", t!("usage.db_damaged", path = path.display(), error = source))]
    Damaged {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

impl LedgerError {
    /// A failed read of the ledger at `path`, named with what to do.
    pub fn reading(path: &Path, source: rusqlite::Error) -> LedgerError {
        let path = path.to_path_buf();
        if not_a_database(&source) {
            LedgerError::Damaged { path, source }
        } else {
            LedgerError::Sqlite { path, source }
        }
    }
}

/// An open ledger, and where a bad file was moved, if one was.
pub struct Opened {
    pub conn: Connection,
    pub moved_aside: Option<PathBuf>,
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
    move |source| LedgerError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Open (creating and migrating) the ledger for writing.
pub fn open(path: &Path, now_secs: u64) -> Result<Opened, LedgerError> {
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir).map_err(|source| LedgerError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    match open_ours(path) {
        Ok(conn) => Ok(Opened {
            conn,
            moved_aside: None,
        }),
        Err(Bad::Ours(e)) => Err(e),
        Err(Bad::NotOurs) => {
            let aside = move_aside(path, now_secs)?;
            let conn = open_ours(path).map_err(|e| match e {
                Bad::Ours(e) => e,
                Bad::NotOurs => LedgerError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other("still not a ccswitch ledger"),
                },
            })?;
            Ok(Opened {
                conn,
                moved_aside: Some(aside),
            })
        }
    }
}

/// Open an existing ledger for reading only (`ccswitch usage`, the status
/// line): never creates, migrates or moves anything.
pub fn open_read(path: &Path) -> Result<Connection, LedgerError> {
    if !path.exists() {
        return Err(LedgerError::Missing {
            path: path.to_path_buf(),
        });
    }
    match read_only(path, false) {
        // A reader of a WAL file makes its `-shm` index next to it; in a
        // folder it cannot write (a read-only mount, another user's
        // folder) SQLite refuses. Then no writer can be at work there
        // either: reading the file as immutable is safe, and skips the
        // index. Rows still in a leftover `-wal` are not seen then.
        Err(e) if cannot_share(&e) => read_only(path, true).map_err(|_| e),
        other => other,
    }
    .map_err(|e| LedgerError::reading(path, e))
    .and_then(|conn| {
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| LedgerError::reading(path, e))?;
        if found > VERSION {
            return Err(LedgerError::Newer {
                path: path.to_path_buf(),
                found,
            });
        }
        Ok(conn)
    })
}

/// The ledger opened read-only, its header read (which is where a missing
/// WAL index shows).
fn read_only(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if immutable {
        let url = url::Url::from_file_path(path)
            .map_err(|()| rusqlite::Error::InvalidPath(path.to_path_buf()))?;
        Connection::open_with_flags(
            format!("{url}?immutable=1"),
            flags | OpenFlags::SQLITE_OPEN_URI,
        )?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    conn.busy_timeout(BUSY)?;
    conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

/// SQLite could not make or open the WAL index beside the file.
fn cannot_share(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
    )
}

/// An empty ledger in memory: what `ccswitch usage` reads before anything
/// was recorded, so every output has its usual shape.
pub fn empty() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    for step in MIGRATIONS {
        conn.execute_batch(step)?;
    }
    Ok(conn)
}

enum Bad {
    /// Our file, but unusable now (locked, read-only, newer): leave it.
    Ours(LedgerError),
    /// Not a ccswitch ledger: move it aside.
    NotOurs,
}

fn open_ours(path: &Path) -> Result<Connection, Bad> {
    let ours = |e| Bad::Ours(sql(path)(e));
    let conn = Connection::open(path).map_err(ours)?;
    conn.busy_timeout(BUSY).map_err(ours)?;
    // The first read of the header tells a database from anything else.
    match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
        Ok(_) => {}
        Err(e) if not_a_database(&e) => return Err(Bad::NotOurs),
        Err(e) => return Err(ours(e)),
    }
    // The writer appends and updates recent sums: a small page cache does,
    // and keeps a session's memory down (the default is 2 MiB).
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256")
        .map_err(ours)?;
    migrate(&conn, path)?;
    Ok(conn)
}

fn not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), Bad> {
    let ours = |e| Bad::Ours(sql(path)(e));
    let read = |conn: &Connection| -> Result<(i32, i64, i64), rusqlite::Error> {
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        Ok((app, version, tables))
    };
    let check = |(app, version, tables): (i32, i64, i64)| -> Result<bool, Bad> {
        match (app, version) {
            (APP_ID, v) if v > VERSION => Err(Bad::Ours(LedgerError::Newer {
                path: path.to_path_buf(),
                found: v,
            })),
            (APP_ID, v) => Ok(v < VERSION),
            (0, 0) if tables == 0 => Ok(true),
            _ => Err(Bad::NotOurs),
        }
    };
    // Most opens find the schema current: no write lock for them.
    if !check(read(conn).map_err(|e| {
        if not_a_database(&e) {
            Bad::NotOurs
        } else {
            ours(e)
        }
    })?)? {
        return Ok(());
    }
    // Two sessions may start on a new file at once: the write lock makes
    // one migrate and the other see the result.
    let tx =
        rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(ours)?;
    let now = read(&tx).map_err(ours)?;
    let version = now.1;
    if !check(now)? {
        return Ok(());
    }
    for step in &MIGRATIONS[usize::try_from(version).unwrap_or(0)..] {
        tx.execute_batch(step).map_err(ours)?;
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id={APP_ID}; PRAGMA user_version={VERSION};"
    ))
    .map_err(ours)?;
    tx.commit().map_err(ours)
}

/// Rename a file that is not a ledger (with its WAL and shared-memory
/// files) to `<name>.bad-<time>`, keeping it for the user to inspect.
fn move_aside(path: &Path, now_secs: u64) -> Result<PathBuf, LedgerError> {
    let aside = PathBuf::from(format!("{}.bad-{now_secs}", path.display()));
    std::fs::rename(path, &aside).map_err(|source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for ext in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{ext}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{ext}", aside.display()));
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests;

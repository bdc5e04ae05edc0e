//! Reading one source file within bounds: text files up to
//! `source::MAX_BYTES`, cc-switch's database with a step budget, a row cap
//! and a value size cap. The file's content is then the pure readers'
//! (`config::import::source`).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::error::ImportError;
use crate::config::Presets;
use crate::config::import::ccswitch::{self, StoredProvider};
use crate::config::import::source::{self, Kind};
use crate::config::import::{self, Found};
use crate::config::text::one_line;
use crate::t;

/// What one source gave, under its label.
pub struct ImportSource {
    pub label: String,
    pub found: Found,
    /// The shell's own variables: the ones it references are the user's
    /// setup, not a file's say (see `import::keyvar`).
    pub own_env: bool,
}

/// cc-switch's database in `dir`, else an older release's `config.json`.
pub fn ccswitch_store(dir: &Path) -> Option<PathBuf> {
    ["cc-switch.db", "config.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|f| f.is_file())
}

/// A file is what its content (or, for YAML, its name) says it is; a
/// folder is cc-switch's.
pub fn from_file(path: &Path, presets: &Presets) -> Result<ImportSource, ImportError> {
    if path.is_dir() {
        return match ccswitch_store(path) {
            Some(store) => read(&store, None, presets),
            None => Err(failed(t!("import.unknown_source", path = path.display()))),
        };
    }
    read(path, None, presets)
}

/// A source found on this machine, read as `kind`; a file that cannot be
/// read is one skipped line naming it, so the other sources still run.
pub fn found_here(path: &Path, kind: Option<Kind>, presets: &Presets) -> ImportSource {
    read(path, kind, presets).unwrap_or_else(|e| {
        let label = one_line(&path.display().to_string());
        let mut found = Found::default();
        found.skip(label.clone(), e.to_string());
        ImportSource {
            label,
            found,
            own_env: false,
        }
    })
}

/// One file, as `kind` (`None`: a cc-switch store, or whatever its
/// content says).
fn read(path: &Path, kind: Option<Kind>, presets: &Presets) -> Result<ImportSource, ImportError> {
    let label = path.display().to_string();
    let cannot =
        |e: &dyn std::fmt::Display| failed(t!("import.read_failed", path = label, error = e));
    let mut file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    // The header first: cc-switch's database may be large (it keeps more
    // than providers) and is not read whole.
    let mut bytes = Vec::new();
    (&mut file)
        .take(16)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    let found = if bytes.as_slice() == b"SQLite format 3\0" {
        let entries = rows(path).map_err(|e| match e {
            RowsError::TooMuchWork => failed(t!("import.too_much_work", path = label)),
            RowsError::TooMany => failed(import::too_many(&label)),
            RowsError::Sql(e) => cannot(&e),
        })?;
        ccswitch::read(&entries, &label, presets).map_err(failed)?
    } else {
        file.take(source::MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| cannot(&e))?;
        if bytes.len() as u64 > source::MAX_BYTES {
            let max = source::MAX_BYTES >> 20;
            return Err(failed(t!("import.too_big", path = label, max = max)));
        }
        let text = String::from_utf8(bytes).map_err(|e| cannot(&e))?;
        let yaml = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"));
        let kind = kind.unwrap_or(if yaml { Kind::Yaml } else { Kind::Json });
        source::read(&text, kind, &label, presets).map_err(failed)?
    };
    Ok(ImportSource {
        label,
        found,
        own_env: false,
    })
}

/// An import error as it may be printed: what a file put in it (its name,
/// a value a parser quotes) on one line, without escapes.
fn failed(message: impl AsRef<str>) -> ImportError {
    ImportError::Failed(one_line(message.as_ref()))
}

/// The most work the cc-switch query may take, in SQLite's steps: its real
/// table takes some thousands; a view over an endless query never ends.
const MAX_SQL_STEPS: u64 = 20_000_000;

/// How many steps between two looks at the budget.
const STEPS_PER_CHECK: u16 = 1000;

enum RowsError {
    Sql(rusqlite::Error),
    TooMuchWork,
    TooMany,
}

/// cc-switch's Claude Code providers, in the order its list shows them.
/// Read-only: cc-switch may be running, and its file is never changed.
/// The file's schema is the file's say (`providers` may be a view), so the
/// query runs within a step budget, a row cap and a value size cap.
fn rows(path: &Path) -> Result<Vec<StoredProvider>, RowsError> {
    use rusqlite::limits::Limit;
    use rusqlite::{Connection, OpenFlags};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(RowsError::Sql)?;
    db.busy_timeout(std::time::Duration::from_secs(2))
        .map_err(RowsError::Sql)?;
    let cap = i32::try_from(source::MAX_BYTES).unwrap_or(i32::MAX);
    db.set_limit(Limit::SQLITE_LIMIT_LENGTH, cap)
        .map_err(RowsError::Sql)?;
    let stopped = Arc::new(AtomicBool::new(false));
    let flag = stopped.clone();
    let mut steps = 0u64;
    db.progress_handler(
        i32::from(STEPS_PER_CHECK),
        Some(move || {
            steps += u64::from(STEPS_PER_CHECK);
            let stop = steps > MAX_SQL_STEPS;
            if stop {
                flag.store(true, Ordering::Relaxed);
            }
            stop
        }),
    )
    .map_err(RowsError::Sql)?;
    let row = |r: &rusqlite::Row| {
        Ok(StoredProvider {
            name: r.get(0)?,
            settings: r.get(1)?,
        })
    };
    let sql = "SELECT name, settings_config FROM providers WHERE app_type = 'claude'";
    let limit = import::MAX_ENTRIES + 1;
    // `sort_index` is the order the user arranged; older databases lack it.
    let ordered = format!("{sql} ORDER BY sort_index IS NULL, sort_index, rowid LIMIT {limit}");
    let rows: rusqlite::Result<Vec<StoredProvider>> = match db.prepare(&ordered) {
        Ok(mut q) => q.query_map([], row).and_then(Iterator::collect),
        Err(_) => db
            .prepare(&format!("{sql} ORDER BY rowid LIMIT {limit}"))
            .and_then(|mut q| q.query_map([], row)?.collect()),
    };
    match rows {
        _ if stopped.load(Ordering::Relaxed) => Err(RowsError::TooMuchWork),
        Ok(rows) if rows.len() > import::MAX_ENTRIES => Err(RowsError::TooMany),
        Ok(rows) => Ok(rows),
        Err(e) => Err(RowsError::Sql(e)),
    }
}

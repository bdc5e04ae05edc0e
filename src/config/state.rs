//! When each profile was last launched, for "last used" in `ccswitch profile
//! list` (and the TUI).
//!
//! Kept in `state.toml` in the data dir, never in `config.toml`: the user's
//! config is not rewritten on every launch. The file is a cache that
//! ccswitch owns: one `[last_used]` table mapping a profile name to an
//! RFC 3339 UTC timestamp *string* with whole seconds, e.g.
//!
//! ```toml
//! [last_used]
//! work = "2026-11-03T09:12:44Z"
//! ```
//!
//! A `[sessions]` table maps the Claude Code sessions `ccswitch run` saw to
//! the profile they ran with, so `ccswitch --resume ID` (the command Claude
//! Code's own resume hint names) picks the same profile.
//!
//! A missing or unreadable file reads as "never used" and is replaced on the
//! next launch; other tables in it are kept.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::fsutil::{create_private_dir, lock_exclusive, write_atomic};
use crate::paths::Paths;
use crate::{t, tn};

/// The table in `state.toml` that holds the launch times.
const TABLE: &str = "last_used";

/// The table of Claude Code session id → profile.
const SESSIONS: &str = "sessions";

/// Sessions remembered at most: the oldest go first. Claude Code keeps
/// transcripts for 30 days by default; this is months of sessions.
const SESSIONS_KEPT: usize = 500;

const HEADER: &str = "\
# ccswitch state: when each profile was last launched (RFC 3339, UTC).
# Written by ccswitch on every launch; safe to delete.
";

/// Profile name → when it was last launched.
pub type LastUsed = BTreeMap<String, SystemTime>;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}", t!("history.io", path = path.display(), error = source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The clock reads a time that RFC 3339 cannot hold (before 1970 or
    /// after 9999).
    #[error("{}", t!("history.bad_time"))]
    BadTime,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `2026-11-03T09:12:44Z`, or `None` for a time RFC 3339 cannot hold
/// (`humantime` would panic on those).
pub fn rfc3339(t: SystemTime) -> Option<String> {
    // The last second of 9999-12-31.
    const MAX_SECS: u64 = 253_402_300_799;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    if secs > MAX_SECS {
        return None;
    }
    let mut s = String::new();
    write!(s, "{}", humantime::format_rfc3339_seconds(t)).ok()?;
    Some(s)
}

/// Note that `profile` was launched at `now`.
pub fn record(paths: &Paths, profile: &str, now: SystemTime) -> Result<(), StateError> {
    let stamp = rfc3339(now).ok_or(StateError::BadTime)?;
    update(paths, TABLE, true, |table| {
        table.insert(profile.to_string(), toml::Value::String(stamp));
    })
}

/// A profile was renamed: its launch time goes with it.
pub fn rename(paths: &Paths, old: &str, new: &str) -> Result<(), StateError> {
    update(paths, TABLE, false, |table| {
        if let Some(v) = table.remove(old) {
            table.insert(new.to_string(), v);
        }
    })
}

/// A profile was removed: a new one by that name starts as never used.
pub fn forget(paths: &Paths, profile: &str) -> Result<(), StateError> {
    update(paths, TABLE, false, |table| {
        table.remove(profile);
    })
}

/// Note that Claude Code session `id` ran with `profile`.
pub fn remember_session(paths: &Paths, id: &str, profile: &str) -> Result<(), StateError> {
    update(paths, SESSIONS, true, |table| {
        // Re-inserted at the end: the table keeps the order of last use.
        table.remove(id);
        table.insert(id.to_string(), toml::Value::String(profile.to_string()));
        let extra = table.len().saturating_sub(SESSIONS_KEPT);
        let oldest: Vec<String> = table.keys().take(extra).cloned().collect();
        for k in oldest {
            table.remove(&k);
        }
    })
}

/// The profile Claude Code session `id` last ran with, if `run` saw it.
pub fn session_profile(paths: &Paths, id: &str) -> Option<String> {
    let src = std::fs::read_to_string(&paths.state_file).ok()?;
    let state = src.parse::<toml::Table>().ok()?;
    state.get(SESSIONS)?.get(id)?.as_str().map(str::to_string)
}

/// Re-read the state file under an exclusive lock, change table `name`,
/// replace the file atomically. Whatever the file held before, if it does
/// not parse it is started afresh. Without `create`, a missing file stays
/// missing.
fn update(
    paths: &Paths,
    name: &str,
    create: bool,
    change: impl FnOnce(&mut toml::Table),
) -> Result<(), StateError> {
    let file = &paths.state_file;
    if !create && !file.exists() {
        return Ok(());
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(io(dir))?;
    let lock_path = dir.join(".state.toml.lock");
    let lock = lock_exclusive(&lock_path).map_err(io(&lock_path))?;

    let mut state = std::fs::read_to_string(file)
        .ok()
        .and_then(|s| s.parse::<toml::Table>().ok())
        .unwrap_or_default();
    let entry = state
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    if let toml::Value::Table(table) = entry {
        change(table);
    }
    // A table of strings and tables always serializes; should it not, the
    // cache is simply reset.
    let body = toml::to_string(&state).unwrap_or_default();
    write_atomic(file, format!("{HEADER}\n{body}").as_bytes()).map_err(io(file))?;
    drop(lock);
    Ok(())
}

/// Every recorded launch time. Never fails: a missing or broken file, or a
/// broken entry, reads as "never used".
pub fn load(paths: &Paths) -> LastUsed {
    let Ok(src) = std::fs::read_to_string(&paths.state_file) else {
        return LastUsed::new();
    };
    parse(&src)
}

fn parse(src: &str) -> LastUsed {
    let Ok(state) = src.parse::<toml::Table>() else {
        return LastUsed::new();
    };
    let Some(toml::Value::Table(table)) = state.get(TABLE) else {
        return LastUsed::new();
    };
    table
        .iter()
        .filter_map(|(name, v)| {
            let t = humantime::parse_rfc3339(v.as_str()?).ok()?;
            Some((name.clone(), t))
        })
        .collect()
}

/// Short relative text for a launch at `then`, seen at `now`: "just now"
/// (under a minute, or a `then` in the future), "5 min ago", "3 h ago",
/// "2 days ago" (up to 6 days), then the UTC date, `2026-11-03`.
pub fn ago(then: SystemTime, now: SystemTime) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    let secs = now.duration_since(then).map_or(0, |d| d.as_secs());
    match secs {
        0..MIN => t!("history.just_now"),
        MIN..HOUR => t!("history.min_ago", n = secs / MIN),
        HOUR..DAY => t!("history.hours_ago", n = secs / HOUR),
        DAY..WEEK => tn!("history.days_ago", n = secs / DAY),
        _ => rfc3339(then).map_or_else(|| "-".into(), |s| s[..10].to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(s: &str) -> SystemTime {
        humantime::parse_rfc3339(s).unwrap()
    }

    fn home() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        (dir, paths)
    }

    #[test]
    fn record_then_load_round_trips() {
        let (_dir, paths) = home();
        assert!(load(&paths).is_empty(), "nothing recorded yet");
        let t1 = at("2026-11-03T09:12:44Z");
        let t2 = at("2026-11-04T10:00:00Z");
        record(&paths, "work", t1).unwrap();
        record(&paths, "play.local", t1).unwrap();
        record(&paths, "work", t2).unwrap();
        let got = load(&paths);
        assert_eq!(got.len(), 2);
        assert_eq!(got["work"], t2);
        assert_eq!(got["play.local"], t1);
        let text = std::fs::read_to_string(&paths.state_file).unwrap();
        assert!(text.contains("[last_used]"), "{text}");
        assert!(text.contains("work = \"2026-11-04T10:00:00Z\""), "{text}");
        assert!(
            !paths.config_file.exists(),
            "config.toml must not be written"
        );
    }

    #[test]
    fn rename_moves_and_forget_drops_an_entry() {
        let (_dir, paths) = home();
        rename(&paths, "a", "b").unwrap();
        forget(&paths, "a").unwrap();
        assert!(!paths.state_file.exists(), "no file made for nothing");
        let t = at("2026-11-03T09:12:44Z");
        record(&paths, "old", t).unwrap();
        record(&paths, "gone", t).unwrap();
        rename(&paths, "old", "new").unwrap();
        forget(&paths, "gone").unwrap();
        rename(&paths, "never-launched", "x").unwrap();
        let got = load(&paths);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got["new"], t);
    }

    #[test]
    fn concurrent_records_all_survive() {
        let (_dir, paths) = home();
        let t = at("2026-11-03T09:12:44Z");
        std::thread::scope(|s| {
            for i in 0..8 {
                let paths = &paths;
                s.spawn(move || record(paths, &format!("p{i}"), t).unwrap());
            }
        });
        assert_eq!(load(&paths).len(), 8);
    }

    #[test]
    fn sub_second_precision_is_dropped() {
        let (_dir, paths) = home();
        let t = at("2026-11-03T09:12:44Z");
        record(&paths, "p", t + Duration::from_millis(750)).unwrap();
        assert_eq!(load(&paths)["p"], t);
    }

    #[test]
    fn a_corrupted_file_is_replaced() {
        let (_dir, paths) = home();
        let file = paths.state_file.clone();
        std::fs::write(&file, "this is [not toml = \u{0}").unwrap();
        assert!(load(&paths).is_empty());
        let t = at("2026-01-02T03:04:05Z");
        record(&paths, "p", t).unwrap();
        assert_eq!(load(&paths), LastUsed::from([("p".to_string(), t)]));
    }

    #[test]
    fn a_wrong_shape_is_replaced_and_other_tables_kept() {
        let (_dir, paths) = home();
        let file = paths.state_file.clone();
        std::fs::write(&file, "last_used = 3\n[other]\nx = 1\n").unwrap();
        assert!(load(&paths).is_empty());
        let t = at("2026-01-02T03:04:05Z");
        record(&paths, "p", t).unwrap();
        assert_eq!(load(&paths)["p"], t);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("[other]"), "{text}");
    }

    #[test]
    fn broken_entries_are_skipped() {
        let got = parse(
            "[last_used]\nok = \"2026-01-02T03:04:05Z\"\nnum = 5\nbad = \"yesterday\"\n\
             local = \"2026-01-02T03:04:05+08:00\"\n",
        );
        assert_eq!(got.keys().collect::<Vec<_>>(), ["ok"]);
    }

    #[test]
    fn a_missing_data_dir_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(&dir.path().join("a/b"));
        record(&paths, "p", at("2026-01-02T03:04:05Z")).unwrap();
        assert_eq!(load(&paths).len(), 1);
    }

    #[test]
    fn unrepresentable_times_are_refused_not_panicked_on() {
        let (_dir, paths) = home();
        let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
        assert!(matches!(
            record(&paths, "p", before_epoch),
            Err(StateError::BadTime)
        ));
        let far = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(rfc3339(far), None);
        assert_eq!(rfc3339(before_epoch), None);
        assert_eq!(ago(before_epoch, SystemTime::now()), "-");
        assert_eq!(ago(far, far + Duration::from_secs(30 * 86_400)), "-");
        assert!(!paths.state_file.exists());
    }

    #[test]
    fn ago_boundaries() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let now = at("2026-11-10T12:00:00Z");
        let back = |secs: u64| ago(now - Duration::from_secs(secs), now);
        assert_eq!(ago(now + Duration::from_secs(90), now), "just now");
        assert_eq!(back(0), "just now");
        assert_eq!(back(59), "just now");
        assert_eq!(back(60), "1 min ago");
        assert_eq!(back(5 * 60 + 59), "5 min ago");
        assert_eq!(back(3599), "59 min ago");
        assert_eq!(back(3600), "1 h ago");
        assert_eq!(back(3 * 3600), "3 h ago");
        assert_eq!(back(86_399), "23 h ago");
        assert_eq!(back(86_400), "1 day ago");
        assert_eq!(back(2 * 86_400 - 1), "1 day ago");
        assert_eq!(back(2 * 86_400), "2 days ago");
        assert_eq!(back(7 * 86_400 - 1), "6 days ago");
        assert_eq!(back(7 * 86_400), "2026-11-03");
        assert_eq!(ago(at("2025-01-31T23:59:59Z"), now), "2025-01-31");
    }
}

//! Which fallback targets running sessions are skipping: each proxy notes
//! its circuit breakers opening and closing in `circuits.json`, so the
//! TUI's list and `ccswitch test` (other processes) can show a target that
//! is failing right now.
//!
//! A breaker lives in one session's proxy; this file is what sessions last
//! said, not a shared breaker. A record outlives its session (a closed
//! terminal writes nothing), so readers only trust one for [`FRESH`] past
//! its cooldown. Writers hold a lock while reading, changing and replacing
//! the file, so sessions do not drop each other's records. A missing or
//! unreadable file reads as empty and is replaced on the next change.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::fsutil::{create_private_dir, lock_exclusive, write_atomic};

/// How long after its cooldown ends a record still counts: a session that
/// sends nothing more (or ended) never says whether the target came back.
pub const FRESH: Duration = Duration::from_secs(600);

/// One target whose breaker is open, as a session last saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    pub provider: String,
    pub model: String,
    /// Unix seconds when it (re)opened.
    pub since: u64,
    /// Unix seconds when its cooldown ends and a trial request may go.
    pub until: u64,
    /// Failures in a row that opened it (a failed trial keeps the count
    /// it reopened after).
    pub failures: u32,
    /// The profile whose session saw it.
    pub profile: String,
}

impl Circuit {
    /// Still worth showing at `now`.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        unix_secs(now) < self.until.saturating_add(FRESH.as_secs())
    }

    /// When it (re)opened.
    pub fn opened(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.since)
    }

    /// How much longer its session skips it (cooling down, before the
    /// trial); `None` once the cooldown is over.
    pub fn cooling_left(&self, now: SystemTime) -> Option<Duration> {
        (UNIX_EPOCH + Duration::from_secs(self.until))
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    circuits: Vec<Circuit>,
}

/// Whole seconds since the Unix epoch, as the file keeps times.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What changed: a target opened (again), or closed.
pub enum Note<'a> {
    Open(&'a Circuit),
    Closed { provider: &'a str, model: &'a str },
}

/// Every fresh record, newest first.
pub fn read(path: &Path, now: SystemTime) -> Vec<Circuit> {
    let mut out: Vec<Circuit> = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<File>(&b).ok())
        .unwrap_or_default()
        .circuits
        .into_iter()
        .filter(|c| c.is_fresh(now))
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.since));
    out
}

/// The record of one target, if fresh.
pub fn find<'a>(all: &'a [Circuit], provider: &str, model: &str) -> Option<&'a Circuit> {
    all.iter()
        .find(|c| c.provider == provider && c.model == model)
}

/// Note a change, dropping stale records on the way.
pub fn note(path: &Path, change: &Note<'_>, now: SystemTime) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let _lock = lock_exclusive(&lock_path(path))?;
    let mut all = read(path, now);
    let (provider, model) = match change {
        Note::Open(c) => (c.provider.as_str(), c.model.as_str()),
        Note::Closed { provider, model } => (*provider, *model),
    };
    let before = find(&all, provider, model).map(|c| c.failures);
    all.retain(|c| !(c.provider == provider && c.model == model));
    if let Note::Open(c) = change {
        let mut c = (*c).clone();
        if c.failures == 0 {
            c.failures = before.unwrap_or(0);
        }
        all.push(c);
    }
    let mut text = serde_json::to_vec_pretty(&File { circuits: all })?;
    text.push(b'\n');
    write_atomic(path, &text)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn open(provider: &str, since: u64) -> Circuit {
        Circuit {
            provider: provider.into(),
            model: "m".into(),
            since,
            until: since + 30,
            failures: 3,
            profile: "p".into(),
        }
    }

    #[test]
    fn open_close_and_go_stale() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("circuits.json");
        assert!(read(&path, at(0)).is_empty(), "no file: nothing open");
        note(&path, &Note::Open(&open("a", 1000)), at(1000)).unwrap();
        note(&path, &Note::Open(&open("b", 1010)), at(1010)).unwrap();
        // Reopened after a failed trial: one record, the newer, with the
        // count it first opened after.
        let trial = Circuit {
            failures: 0,
            ..open("a", 1050)
        };
        note(&path, &Note::Open(&trial), at(1050)).unwrap();
        let all = read(&path, at(1060));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].since, 1050, "newest first");
        assert_eq!(all[0].failures, 3);
        let a = find(&all, "a", "m").unwrap();
        assert_eq!(a.cooling_left(at(1060)), Some(Duration::from_secs(20)));
        assert_eq!(a.opened(), at(1050));
        assert_eq!(find(&all, "b", "m").unwrap().cooling_left(at(1060)), None);
        note(
            &path,
            &Note::Closed {
                provider: "a",
                model: "m",
            },
            at(1070),
        )
        .unwrap();
        assert!(find(&read(&path, at(1070)), "a", "m").is_none());
        // Ten minutes past its cooldown a record no longer counts, and the
        // next write drops it.
        assert!(read(&path, at(1040 + 600)).is_empty());
        note(&path, &Note::Open(&open("c", 2000)), at(2000)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"b\""), "{text}");
    }

    #[test]
    fn a_broken_file_reads_as_empty_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("circuits.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(read(&path, at(0)).is_empty());
        note(&path, &Note::Open(&open("a", 10)), at(10)).unwrap();
        assert_eq!(read(&path, at(11)).len(), 1);
    }
}

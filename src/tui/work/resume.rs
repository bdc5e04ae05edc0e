//! Listing a profile's recent sessions for the resume screen: the
//! transcripts of this folder's Claude Code project, and whose each one
//! was by the ledger. On a thread of its own (it reads files and the
//! ledger), answering with a message.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, SystemTime};

use crate::claude::resume;
use crate::claude::sessions::{self, Transcript};
use crate::ctx::Ctx;
use crate::t;
use crate::tui::app::{Msg, SessionList, SessionRow};
use crate::usage::{db, query};

/// Sessions offered.
const SHOWN: usize = 20;

/// Sessions looked at to find them: other profiles' are left out, so more
/// are asked about than are shown. Only these have their names and times
/// read, not their contents.
const SCANNED: usize = 200;

/// How far before the oldest transcript looked at the ledger is read. A
/// session's last request comes shortly before its transcript's last
/// write; skipping older rows keeps the lookup quick (`cc_session` has no
/// index). A session whose last proxied request is older still is offered,
/// as one the ledger does not know.
const SLACK: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) fn spawn_list(ctx: &Ctx, seq: u64, profile: String, ledger: bool, tx: Sender<Msg>) {
    let home = crate::paths::home_dir(&*ctx.env);
    let claude_dir = resume::claude_dir(&*ctx.env, home.as_deref());
    // Claude Code, launched from here, resumes only this folder's sessions.
    let cwd = std::env::current_dir();
    let usage_db = ledger.then(|| ctx.paths.usage_db.clone());
    let now = (ctx.now)();
    std::thread::spawn(move || {
        let result = match (claude_dir, cwd) {
            (None, _) => Err(t!("resume.no_claude_dir")),
            (_, Err(e)) => Err(e.to_string()),
            (Some(dir), Ok(cwd)) => Ok(list(&dir, &cwd, usage_db, &profile, now)),
        };
        let _ = tx.send(Msg::Sessions(seq, Box::new(result)));
    });
}

fn list(
    claude_dir: &Path,
    cwd: &Path,
    usage_db: Option<PathBuf>,
    profile: &str,
    now: SystemTime,
) -> SessionList {
    let found = sessions::newest(&resume::project_dir(claude_dir, cwd), SCANNED);
    let owners = usage_db.map(|p| owners(&p, &found)).unwrap_or_default();
    let (kept, others) = offered(found, &owners, profile, SHOWN);
    let sessions = kept
        .into_iter()
        .map(|(t, unknown)| SessionRow {
            title: t.title(),
            id: t.id,
            modified: t.modified,
            unknown,
        })
        .collect();
    SessionList {
        folder: cwd.display().to_string(),
        sessions,
        others,
        now,
    }
}

/// Whose each session was, by the ledger. Nothing when it cannot be read:
/// every session is then unknown, and offered rather than hidden.
fn owners(usage_db: &Path, found: &[Transcript]) -> HashMap<String, String> {
    let Some(oldest) = found.iter().map(|t| t.modified).min() else {
        return HashMap::new();
    };
    let since = crate::usage::unix_ms(oldest.checked_sub(SLACK).unwrap_or(oldest));
    let ids: Vec<String> = found.iter().map(|t| t.id.clone()).collect();
    db::open_read(usage_db)
        .ok()
        .and_then(|conn| query::session_profiles(&conn, &ids, since).ok())
        .unwrap_or_default()
}

/// The sessions to offer `profile`, newest first, at most `limit`: its
/// own, and those the ledger does not know (marked `true`); and how many
/// were other profiles'.
fn offered(
    found: Vec<Transcript>,
    owners: &HashMap<String, String>,
    profile: &str,
    limit: usize,
) -> (Vec<(Transcript, bool)>, usize) {
    let mut kept = Vec::new();
    let mut others = 0;
    for t in found {
        match owners.get(&t.id) {
            Some(p) if p != profile => others += 1,
            owner if kept.len() < limit => kept.push((t, owner.is_none())),
            _ => {}
        }
    }
    (kept, others)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::usage::{Ledger, Record};

    fn transcript(dir: &Path, id: &str, prompt: &str, age_secs: u64) -> SystemTime {
        let path = dir.join(format!("{id}.jsonl"));
        let line = format!(r#"{{"type":"user","message":{{"role":"user","content":"{prompt}"}}}}"#);
        std::fs::write(&path, line).unwrap();
        let at = SystemTime::now() - Duration::from_secs(age_secs);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(at).unwrap();
        at
    }

    #[test]
    fn a_profile_is_offered_its_own_sessions_and_unknown_ones() {
        let home = tempfile::tempdir().unwrap();
        let cwd = Path::new("/home/ana/shop");
        let project = resume::project_dir(home.path(), cwd);
        std::fs::create_dir_all(&project).unwrap();
        let at = transcript(&project, "s-mine", "fix checkout", 60);
        transcript(&project, "s-theirs", "other work", 120);
        transcript(&project, "s-direct", "on bedrock", 180);
        // The ledger: s-mine ran on "work", s-theirs on "home".
        let usage_db = home.path().join("usage.db");
        let opened = db::open(&usage_db, 1).unwrap();
        let l = Ledger::start(opened.conn, Box::new(|_, _| None), Arc::new(|_: &str| {}));
        let sink = l.sink().unwrap();
        let now_ms = crate::usage::unix_ms(SystemTime::now());
        for (cc, profile) in [("s-mine", "work"), ("s-theirs", "home")] {
            sink.send(Record {
                at_ms: now_ms - 200_000,
                cc_session: Some(cc.into()),
                profile: profile.into(),
                ..Record::sample()
            });
        }
        l.close();

        let now = SystemTime::now();
        let got = list(home.path(), cwd, Some(usage_db.clone()), "work", now);
        assert_eq!(got.folder, "/home/ana/shop");
        assert_eq!(got.others, 1);
        assert_eq!(got.now, now);
        let rows: Vec<(&str, Option<&str>, bool)> = got
            .sessions
            .iter()
            .map(|s| (s.id.as_str(), s.title.as_deref(), s.unknown))
            .collect();
        assert_eq!(
            rows,
            [
                ("s-mine", Some("fix checkout"), false),
                ("s-direct", Some("on bedrock"), true)
            ]
        );
        assert_eq!(got.sessions[0].modified, at);

        // Without the ledger (off, or never written) nobody's are hidden.
        for db in [None, Some(home.path().join("missing.db"))] {
            let got = list(home.path(), cwd, db, "work", now);
            assert_eq!(got.sessions.len(), 3);
            assert!(got.sessions.iter().all(|s| s.unknown));
            assert_eq!(got.others, 0);
        }
        // A folder Claude Code never ran in.
        let got = list(
            home.path(),
            Path::new("/elsewhere"),
            Some(usage_db),
            "work",
            now,
        );
        assert!(got.sessions.is_empty() && got.others == 0);
    }

    #[test]
    fn at_most_the_limit_is_offered_and_every_other_profiles_is_counted() {
        let t = |id: &str| Transcript {
            id: id.into(),
            modified: SystemTime::UNIX_EPOCH,
            path: PathBuf::from(id),
        };
        let found = vec![t("a"), t("b"), t("c"), t("d")];
        let owners: HashMap<String, String> = [("a", "x"), ("d", "y")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let (kept, others) = offered(found, &owners, "x", 2);
        let ids: Vec<(&str, bool)> = kept.iter().map(|(t, u)| (t.id.as_str(), *u)).collect();
        assert_eq!(ids, [("a", false), ("b", true)]);
        assert_eq!(others, 1, "d was y's");
    }
}

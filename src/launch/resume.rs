//! After claude exits: the command that resumes its session. Claude Code
//! prints `claude --settings /tmp/ccswitch-…json --resume <id>`, which
//! cannot work (the settings file is gone, and nothing serves the proxy's
//! address), so ccswitch prints `ccswitch run PROFILE -- --resume <id>`.
//!
//! The id is the `X-Claude-Code-Session-Id` the proxy saw last. Without a
//! proxy (Anthropic direct, Bedrock, Vertex) it is the newest transcript
//! Claude Code wrote during the run, in `<claude dir>/projects/<cwd with
//! every character but ASCII letters and digits as '-'>/<id>.jsonl`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::t;

/// Claude Code's own folder: `CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn claude_dir(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Option<PathBuf> {
    env("CLAUDE_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".claude")))
}

/// The folder Claude Code keeps a project's transcripts in.
pub fn project_dir(claude_dir: &Path, cwd: &Path) -> PathBuf {
    let key: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    claude_dir.join("projects").join(key)
}

/// The session whose transcript changed last, at or after `since`.
pub fn latest_session(project_dir: &Path, since: SystemTime) -> Option<String> {
    std::fs::read_dir(project_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            let id = e.path().file_stem()?.to_str()?.to_string();
            (modified >= since).then_some((modified, id))
        })
        .max()
        .map(|(_, id)| id)
}

/// `Resume this session: ccswitch run p -- --resume <id>`; with no id,
/// `--continue` (the latest session in this folder).
pub fn hint(profile: &str, id: Option<&str>) -> String {
    let command = match id {
        Some(id) => format!("ccswitch run {profile} -- --resume {id}"),
        None => format!("ccswitch run {profile} -- --continue"),
    };
    t!("launch.resume", command = command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_are_found_where_claude_code_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let project = project_dir(dir.path(), Path::new("/home/ana/my.app_v2"));
        assert!(
            project.ends_with("projects/-home-ana-my-app-v2"),
            "{project:?}"
        );
        std::fs::create_dir_all(&project).unwrap();
        let before = SystemTime::now() - std::time::Duration::from_secs(5);
        assert_eq!(latest_session(&project, before), None);
        std::fs::write(project.join("0b5c2e6a-1.jsonl"), "{}\n").unwrap();
        std::fs::write(project.join("notes.txt"), "").unwrap();
        assert_eq!(
            latest_session(&project, before).as_deref(),
            Some("0b5c2e6a-1")
        );
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert_eq!(latest_session(&project, later), None, "older than the run");
    }

    #[test]
    fn the_hint_runs_through_ccswitch() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        assert!(hint("p", Some("abc")).contains("ccswitch run p -- --resume abc"));
        assert!(hint("p", None).contains("ccswitch run p -- --continue"));
    }
}

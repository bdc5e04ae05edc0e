//! Offering `ccswitch statusline` as Claude Code's status line for a
//! proxied session, only when the user has none of their own: a settings
//! file given with `--settings` outranks the user's and project's, so
//! setting one there would silently replace theirs.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The variables `ccswitch statusline` reads to find its session.
pub const PROFILE_VAR: &str = "CCSWITCH_PROFILE";
pub const SESSION_VAR: &str = "CCSWITCH_SESSION";
/// Set to `ignored` in a session run with `--ignore-budget`, so the status
/// line does not show a used-up budget as if it stopped anything.
pub const BUDGET_VAR: &str = "CCSWITCH_BUDGET";

/// The settings files that may hold the user's own status line, in Claude
/// Code's places: the user's (`CLAUDE_CONFIG_DIR` or `~/.claude`), and the
/// project's shared and local ones.
pub fn settings_files(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cwd: &Path,
) -> Vec<PathBuf> {
    let user_dir = super::resume::claude_dir(env, home);
    let mut out: Vec<PathBuf> = user_dir
        .into_iter()
        .map(|d| d.join("settings.json"))
        .collect();
    out.push(cwd.join(".claude/settings.json"));
    out.push(cwd.join(".claude/settings.local.json"));
    out
}

/// Whether the user set a status line: in one of `files`, or in the
/// settings they passed with `--settings`. A file that cannot be read or
/// parsed counts as having one: never risk replacing theirs.
pub fn user_has_one(files: &[PathBuf], passed: &Map<String, Value>) -> bool {
    if passed.contains_key("statusLine") {
        return true;
    }
    files.iter().any(|f| match std::fs::read_to_string(f) {
        Ok(text) => {
            serde_json::from_str::<Value>(&text).map_or(true, |v| v.get("statusLine").is_some())
        }
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    })
}

/// The `statusLine` setting that runs `command`.
pub fn setting(command: &str) -> Value {
    json!({"type": "command", "command": command, "padding": 0})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theirs_is_never_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let cwd = dir.path().join("proj");
        std::fs::create_dir_all(home.join(".claude")).expect("mkdir");
        std::fs::create_dir_all(cwd.join(".claude")).expect("mkdir");
        let env = |_: &str| None;
        let files = settings_files(&env, Some(&home), &cwd);
        assert_eq!(files.len(), 3);
        assert!(!user_has_one(&files, &Map::new()), "nothing set");
        let mut passed = Map::new();
        passed.insert(
            "statusLine".into(),
            json!({"type": "command", "command": "x"}),
        );
        assert!(user_has_one(&files, &passed));
        std::fs::write(home.join(".claude/settings.json"), r#"{"model": "x"}"#).expect("w");
        assert!(!user_has_one(&files, &Map::new()));
        std::fs::write(
            cwd.join(".claude/settings.local.json"),
            r#"{"statusLine": {"type": "command", "command": "mine"}}"#,
        )
        .expect("w");
        assert!(user_has_one(&files, &Map::new()));
        std::fs::remove_file(cwd.join(".claude/settings.local.json")).expect("rm");
        std::fs::write(home.join(".claude/settings.json"), "{ broken").expect("w");
        assert!(
            user_has_one(&files, &Map::new()),
            "unreadable counts as theirs"
        );
        let env = |k: &str| (k == "CLAUDE_CONFIG_DIR").then(|| "/cfg".to_string());
        assert_eq!(
            settings_files(&env, Some(&home), &cwd)[0],
            PathBuf::from("/cfg/settings.json")
        );
    }
}

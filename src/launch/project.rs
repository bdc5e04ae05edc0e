//! The project label a session's requests carry (`x-ccswitch-project`),
//! for a team gateway's usage by project: the profile's `project`, else
//! the git repository's folder name, else the working folder's name. It
//! goes through Claude Code's `ANTHROPIC_CUSTOM_HEADERS`, merged with the
//! headers the user already sends there.

use std::path::Path;

use crate::usage::project::{HEADER, sanitize, to_header};

/// Claude Code's variable of extra request headers: `Name: Value` lines.
pub const CUSTOM_HEADERS: &str = "ANTHROPIC_CUSTOM_HEADERS";

/// The label for a session started in `cwd`: the profile's own if it sets
/// one, else the name of the folder that holds `.git` (walking up from
/// `cwd`; a worktree's `.git` file counts), else `cwd`'s name.
pub fn label(profile_project: Option<&str>, cwd: &Path) -> Option<String> {
    if let Some(p) = profile_project.and_then(sanitize) {
        return Some(p);
    }
    let repo = cwd.ancestors().find(|dir| dir.join(".git").exists());
    repo.unwrap_or(cwd)
        .file_name()
        .and_then(|n| sanitize(&n.to_string_lossy()))
}

/// `theirs` (the headers already set, if any) with the project's line
/// added. A project header of theirs is kept as it is: they chose it.
pub fn merge_headers(theirs: Option<&str>, label: &str) -> String {
    let mut lines: Vec<&str> = theirs
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let already = lines.iter().any(|l| {
        l.split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case(HEADER))
    });
    let ours = format!("{HEADER}: {}", to_header(label));
    if !already {
        lines.push(&ours);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_is_the_profiles_the_repositorys_or_the_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("shop-web");
        let deep = repo.join("src/pages");
        std::fs::create_dir_all(&deep).expect("dirs");
        std::fs::create_dir_all(repo.join(".git")).expect("git");
        assert_eq!(label(None, &deep).as_deref(), Some("shop-web"));
        assert_eq!(label(None, &repo).as_deref(), Some("shop-web"));
        // A worktree's `.git` is a file.
        let wt = dir.path().join("wt-x");
        std::fs::create_dir_all(wt.join("a")).expect("dirs");
        std::fs::write(wt.join(".git"), "gitdir: /elsewhere\n").expect("file");
        assert_eq!(label(None, &wt.join("a")).as_deref(), Some("wt-x"));
        // No repository above: the folder itself (the temp folder has none).
        let plain = dir.path().join("notes  2026\u{7}");
        std::fs::create_dir_all(&plain).expect("dirs");
        assert_eq!(label(None, &plain).as_deref(), Some("notes 2026"));
        // The profile's own wins, sanitized; a blank one does not count.
        assert_eq!(
            label(Some(" billing\napi "), &deep).as_deref(),
            Some("billing api")
        );
        assert_eq!(label(Some("  "), &deep).as_deref(), Some("shop-web"));
        assert_eq!(label(None, Path::new("/")), None);
    }

    #[test]
    fn headers_are_merged_never_dropped() {
        assert_eq!(merge_headers(None, "web"), "x-ccswitch-project: web");
        assert_eq!(
            merge_headers(Some("X-Team: a\n\nX-Trace: 1\n"), "web"),
            "X-Team: a\nX-Trace: 1\nx-ccswitch-project: web"
        );
        // Theirs for the project stays.
        assert_eq!(
            merge_headers(Some("X-Ccswitch-Project: mine"), "web"),
            "X-Ccswitch-Project: mine"
        );
        assert_eq!(
            merge_headers(None, "项目"),
            "x-ccswitch-project: %E9%A1%B9%E7%9B%AE"
        );
    }
}

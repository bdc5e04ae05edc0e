//! Finding the `claude` binary.

use std::path::{Path, PathBuf};

/// Where to look, first hit wins: `--claude`, the profile's and the
/// config's `claude_path`, `$CCSWITCH_CLAUDE`, `PATH`, then the usual
/// install spots (Claude Code's own local install, npm's global bins).
pub fn find_claude(
    explicit: &[Option<PathBuf>],
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    for p in explicit.iter().flatten() {
        if p.is_file() {
            return Some(p.clone());
        }
    }
    if let Some(p) = env("CCSWITCH_CLAUDE").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    let path = env("PATH").unwrap_or_default();
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Ok(p) = which::which_in("claude", Some(path), cwd) {
        return Some(p);
    }
    let home = home?;
    let spots = [
        ".claude/local/claude",
        ".npm-global/bin/claude",
        ".local/bin/claude",
        ".bun/bin/claude",
        ".volta/bin/claude",
    ];
    spots
        .iter()
        .map(|s| home.join(s))
        .chain([
            PathBuf::from("/usr/local/bin/claude"),
            PathBuf::from("/opt/homebrew/bin/claude"),
        ])
        .find(|p| p.is_file())
}

/// The first explicit path that was given but does not exist, to say so.
pub fn missing_explicit(explicit: &[Option<PathBuf>]) -> Option<&Path> {
    explicit
        .iter()
        .flatten()
        .find(|p| !p.is_file())
        .map(PathBuf::as_path)
}

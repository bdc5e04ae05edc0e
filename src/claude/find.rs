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
    spots(env, home, cfg!(windows))
        .into_iter()
        .find(|p| p.is_file())
}

/// The usual install places, in order: Claude Code's native installer and
/// its old local install, npm's global folder (its prefix from the
/// environment, `%APPDATA%\npm` on Windows), bun, volta, Homebrew. On
/// Windows each is tried as `claude.exe`, then the npm shim `claude.cmd`.
fn spots(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>, windows: bool) -> Vec<PathBuf> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(home) = home {
        for d in [
            ".local/bin",
            ".claude/local",
            ".npm-global/bin",
            ".bun/bin",
            ".volta/bin",
        ] {
            dirs.push(home.join(d));
        }
    }
    // npm puts global commands in PREFIX/bin, and on Windows in PREFIX.
    if let Some(prefix) = var("NPM_CONFIG_PREFIX").or_else(|| var("npm_config_prefix")) {
        dirs.push(if windows { prefix } else { prefix.join("bin") });
    }
    if windows {
        dirs.extend(var("APPDATA").map(|d| d.join("npm")));
    } else {
        dirs.push(PathBuf::from("/usr/local/bin"));
        dirs.push(PathBuf::from("/opt/homebrew/bin"));
    }
    let names: &[&str] = if windows {
        &["claude.exe", "claude.cmd"]
    } else {
        &["claude"]
    };
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .collect()
}

/// The first explicit path that was given but does not exist, to say so.
pub fn missing_explicit(explicit: &[Option<PathBuf>]) -> Option<&Path> {
    explicit
        .iter()
        .flatten()
        .find(|p| !p.is_file())
        .map(PathBuf::as_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "APPDATA" => Some("C:/Users/ana/AppData/Roaming".into()),
            "NPM_CONFIG_PREFIX" => Some("/opt/npm".into()),
            _ => None,
        }
    }

    #[test]
    fn install_places_on_each_platform() {
        let home = Path::new("/home/ana");
        let unix = spots(&env, Some(home), false);
        assert_eq!(unix[0], Path::new("/home/ana/.local/bin/claude"));
        assert!(unix.contains(&PathBuf::from("/opt/npm/bin/claude")));
        assert!(unix.contains(&PathBuf::from("/opt/homebrew/bin/claude")));
        assert!(!unix.iter().any(|p| p.to_string_lossy().contains("AppData")));
        let win = spots(&env, Some(home), true);
        assert_eq!(win[0], Path::new("/home/ana/.local/bin/claude.exe"));
        assert_eq!(win[1], Path::new("/home/ana/.local/bin/claude.cmd"));
        assert!(
            win.contains(&PathBuf::from("/opt/npm/claude.cmd")),
            "{win:?}"
        );
        assert_eq!(
            win.last().unwrap(),
            Path::new("C:/Users/ana/AppData/Roaming/npm/claude.cmd")
        );
    }
}

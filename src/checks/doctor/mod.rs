//! `ccswitch doctor`: one screen of checks, each with the fix. What it
//! reads comes from the `Ctx` (paths, key stores, environment), so a test
//! plants each failure in a temp home.

use std::path::Path;
use std::time::Duration;

mod auto_mode;
mod check;
mod providers;
mod search;
mod traps;

use crate::claude::find::find_claude;
use crate::config::{self, Config};
use crate::ctx::Ctx;
use crate::{t, tn};

pub use check::{Check, Status};
use check::{check, first_line};

/// The oldest Claude Code ccswitch is tested with (its captured requests
/// are from 2.1.197 and 2.1.332); older ones lack variables it sets.
pub const MIN_CLAUDE: (u32, u32, u32) = (2, 1, 197);

/// Every check, in the order a user would fix them.
pub fn run(ctx: &Ctx) -> Vec<Check> {
    let env = &*ctx.env;
    let home = crate::paths::home_dir(env);
    let loaded = config::load(&ctx.paths);
    let cfg = loaded.as_ref().ok().map(|(c, _)| c);
    let mut out = vec![claude(cfg, env, home.as_deref())];
    out.push(match &loaded {
        Ok((c, _)) => check(
            "config",
            Status::Ok,
            t!(
                "doctor.config_ok",
                path = ctx.paths.config_file.display(),
                providers = tn!("count.providers", n = c.providers.len()),
                profiles = tn!("count.profiles", n = c.profiles.len())
            ),
            None,
        ),
        Err(e) => {
            // `file:line:col: what`, then the error's own hint.
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim);
            let detail = lines.next().unwrap_or_default().to_string();
            let hint: Vec<&str> = lines
                .map(|l| l.strip_prefix("fix:").map_or(l, str::trim))
                .filter(|l| !l.is_empty())
                .collect();
            let fix = if hint.is_empty() {
                t!("doctor.config_fix")
            } else {
                hint.join(" ")
            };
            check("config", Status::Fail, detail, Some(fix))
        }
    });
    out.push(keyring(ctx, cfg));
    out.extend(cfg.and_then(no_default));
    if let Some(cfg) = cfg {
        out.extend(providers::providers(ctx, cfg));
        out.extend(search::search(ctx, cfg));
        out.extend(auto_mode::auto_mode(cfg));
    }
    out.extend(traps::shell_env(env));
    out.extend(traps::claude_settings(env, home.as_deref()));
    out.extend(traps::no_proxy(env));
    out.push(traps::localhost(&traps::resolve_localhost()));
    out
}

/// Profiles but no default: every `run` and `serve` then needs a name
/// (an import into an empty config sets one; an older one may not have).
fn no_default(cfg: &Config) -> Option<Check> {
    if cfg.profiles.is_empty() || cfg.default.is_some() {
        return None;
    }
    Some(check(
        "default_profile",
        Status::Warn,
        t!("doctor.no_default"),
        Some(t!("doctor.no_default_fix", names = cfg.profile_names())),
    ))
}

/// `2.1.332 (Claude Code)` → (2, 1, 332).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

fn claude(
    cfg: Option<&Config>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Check {
    let explicit = [cfg.and_then(|c| c.claude_path.clone())];
    claude_found(find_claude(&explicit, env, home))
}

/// The check for the claude the search found, if any. Apart from the
/// search, which looks in fixed system places too, so that the missing
/// case can be tested on a machine that has one.
fn claude_found(path: Option<std::path::PathBuf>) -> Check {
    let Some(path) = path else {
        return check(
            "claude",
            Status::Fail,
            t!("doctor.claude_missing"),
            Some(t!("launch.claude_not_found")),
        );
    };
    let version = claude_version(&path);
    let min = format!("{}.{}.{}", MIN_CLAUDE.0, MIN_CLAUDE.1, MIN_CLAUDE.2);
    match version.as_deref().and_then(parse_version) {
        Some(v) if v >= MIN_CLAUDE => check(
            "claude",
            Status::Ok,
            t!(
                "doctor.claude_ok",
                path = path.display(),
                version = format!("{}.{}.{}", v.0, v.1, v.2)
            ),
            None,
        ),
        Some(v) => check(
            "claude",
            Status::Fail,
            t!(
                "doctor.claude_old",
                path = path.display(),
                version = format!("{}.{}.{}", v.0, v.1, v.2),
                min = min
            ),
            Some(t!("doctor.claude_update")),
        ),
        None => check(
            "claude",
            Status::Warn,
            t!(
                "doctor.claude_no_version",
                path = path.display(),
                output = version.unwrap_or_default()
            ),
            None,
        ),
    }
}

/// `claude --version`'s first line, within 10 s.
fn claude_version(path: &Path) -> Option<String> {
    use std::io::Read;
    use wait_timeout::ChildExt;
    let mut child = std::process::Command::new(path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    if child.wait_timeout(Duration::from_secs(10)).ok()?.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    let mut text = String::new();
    child.stdout.take()?.read_to_string(&mut text).ok()?;
    text.lines().next().map(|l| l.trim().to_string())
}

fn keyring(ctx: &Ctx, cfg: Option<&Config>) -> Check {
    let backend = if cfg!(target_os = "macos") {
        "Keychain"
    } else if cfg!(windows) {
        "Credential Manager"
    } else {
        "Secret Service"
    };
    // An account no one uses: reading it says whether the store answers.
    match ctx.secrets.keyring.get("ccswitch-doctor-probe") {
        Ok(_) => check(
            "keyring",
            Status::Ok,
            t!("doctor.keyring_ok", backend = backend),
            None,
        ),
        Err(e) => {
            let needed = cfg.is_some_and(|c| c.providers.values().any(|p| p.key.keyring));
            check(
                "keyring",
                if needed { Status::Fail } else { Status::Warn },
                t!(
                    "doctor.keyring_unavailable",
                    backend = backend,
                    error = first_line(&e.to_string())
                ),
                Some(t!("doctor.keyring_fix")),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_claude_fails_and_says_where_it_was_looked_for() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let c = serde_json::to_value(claude_found(None)).unwrap();
        assert_eq!(c["id"], "claude");
        assert_eq!(c["status"], "fail");
        assert!(c["detail"].as_str().unwrap().contains("not found"), "{c}");
        assert!(c["fix"].as_str().unwrap().contains("npm install"), "{c}");
    }

    #[test]
    fn claude_versions() {
        assert_eq!(parse_version("2.1.332 (Claude Code)"), Some((2, 1, 332)));
        assert_eq!(parse_version("1.0.0"), Some((1, 0, 0)));
        assert_eq!(parse_version("Claude Code"), None);
        assert!((2, 1, 332) >= MIN_CLAUDE && (2, 0, 9) < MIN_CLAUDE);
    }
}

//! `ccswitch doctor`: one screen of checks, each with the fix. What it
//! reads comes from the `Ctx` (paths, key stores, environment), so a test
//! plants each failure in a temp home.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::env::MANAGED;
use super::find::find_claude;
use crate::config::{self, Config};
use crate::ctx::Ctx;
use crate::t;

/// The oldest Claude Code ccswitch is tested with (its captured requests
/// are from 2.1.197 and 2.1.332); older ones lack variables it sets.
pub const MIN_CLAUDE: (u32, u32, u32) = (2, 1, 197);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Worth knowing; does not fail the run.
    Warn,
    Fail,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Stable, for `--json`: `claude`, `config`, `keyring`, `key`, `reach`,
    /// `shell_env`, `claude_settings`, `no_proxy`, `localhost`.
    pub id: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn check(id: &'static str, status: Status, detail: String, fix: Option<String>) -> Check {
    Check {
        id,
        status,
        detail,
        fix,
    }
}

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
                providers = c.providers.len(),
                profiles = c.profiles.len()
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
    if let Some(cfg) = cfg {
        out.extend(providers(ctx, cfg));
    }
    out.extend(shell_env(env));
    out.extend(claude_settings(env, home.as_deref()));
    out.extend(no_proxy(env));
    out.push(localhost(&resolve_localhost()));
    out
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
    let Some(path) = find_claude(&explicit, env, home) else {
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

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// Each provider's key (never printed) and whether its endpoint answers,
/// through its own proxy and CA; the endpoints are asked at once.
fn providers(ctx: &Ctx, cfg: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    let mut asks = Vec::new();
    for p in cfg.providers.values() {
        let key = match ctx.secrets.resolve(p, &*ctx.env) {
            Ok(Some(k)) => {
                out.push(check(
                    "key",
                    Status::Ok,
                    t!("doctor.key_ok", provider = p.name, source = k.source),
                    None,
                ));
                Some(k.secret)
            }
            Ok(None) if p.key.is_none() => None,
            Ok(None) => {
                out.push(check(
                    "key",
                    Status::Fail,
                    t!("doctor.key_missing", provider = p.name),
                    Some(t!("doctor.key_fix", provider = p.name)),
                ));
                continue;
            }
            Err(e) => {
                out.push(check(
                    "key",
                    Status::Fail,
                    format!("{}: {}", p.name, first_line(&e.to_string())),
                    Some(t!("doctor.key_fix", provider = p.name)),
                ));
                continue;
            }
        };
        if p.api.uses_base_url() {
            asks.push((p.clone(), key));
        }
    }
    let Ok(rt) = crate::proxy::runtime() else {
        return out;
    };
    let results = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, (provider, key)) in asks.into_iter().enumerate() {
            set.spawn(async move {
                let name = provider.name.clone();
                let r = match crate::proxy::Upstream::new(provider, key) {
                    Ok(up) => crate::proxy::models::list_models_within(&up, Duration::from_secs(8))
                        .await
                        .map_err(Unreached::List),
                    Err(e) => Err(Unreached::Client(e.to_string())),
                };
                (i, name, r)
            });
        }
        let mut all = Vec::new();
        while let Some(Ok(r)) = set.join_next().await {
            all.push(r);
        }
        all.sort_by_key(|(i, _, _)| *i);
        all
    });
    for (_, name, r) in results {
        out.push(reach(&name, r));
    }
    out
}

/// Why a provider's model list was not had.
enum Unreached {
    List(crate::proxy::models::ListError),
    /// Its client could not be built (a bad CA file, say).
    Client(String),
}

fn reach(name: &str, r: Result<Vec<String>, Unreached>) -> Check {
    use crate::proxy::models::ListError;
    match r {
        Ok(models) => check(
            "reach",
            Status::Ok,
            t!("doctor.reach_ok", provider = name, n = models.len()),
            None,
        ),
        // Reached; the key was refused.
        Err(Unreached::List(
            e @ ListError::Status {
                status: 401 | 403, ..
            },
        )) => check(
            "reach",
            Status::Fail,
            first_line(&e.to_string()),
            Some(t!("doctor.key_fix", provider = name)),
        ),
        // Reached: some providers have no model list.
        Err(Unreached::List(ListError::Status { status, .. })) => check(
            "reach",
            Status::Ok,
            t!("doctor.reach_no_list", provider = name, status = status),
            None,
        ),
        Err(Unreached::List(e)) => check(
            "reach",
            Status::Fail,
            first_line(&e.to_string()),
            Some(t!("doctor.reach_fix", provider = name)),
        ),
        Err(Unreached::Client(e)) => check(
            "reach",
            Status::Fail,
            format!("{name}: {}", first_line(&e)),
            Some(t!("doctor.reach_fix", provider = name)),
        ),
    }
}

/// Steering variables exported in this shell: `run` replaces them for its
/// sessions, but a plain `claude` (or another tool) follows them.
fn shell_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Check> {
    let set: Vec<&str> = MANAGED
        .iter()
        .copied()
        .filter(|k| env(k).is_some_and(|v| !v.is_empty()))
        .collect();
    (!set.is_empty()).then(|| {
        check(
            "shell_env",
            Status::Warn,
            t!("doctor.shell_env", names = set.join(", ")),
            Some(t!("doctor.shell_env_fix")),
        )
    })
}

/// An `env` block in Claude Code's user settings with steering variables:
/// it beats the environment of a plain `claude`.
fn claude_settings(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Option<Check> {
    let file: PathBuf = super::resume::claude_dir(env, home)?.join("settings.json");
    let text = std::fs::read_to_string(&file).ok()?;
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Some(check(
            "claude_settings",
            Status::Warn,
            t!("doctor.settings_unreadable", path = file.display()),
            None,
        ));
    };
    let block = json.get("env")?.as_object()?;
    let found: Vec<&str> = MANAGED
        .iter()
        .copied()
        .filter(|k| block.contains_key(*k))
        .collect();
    (!found.is_empty()).then(|| {
        check(
            "claude_settings",
            Status::Warn,
            t!(
                "doctor.settings_env",
                path = file.display(),
                names = found.join(", ")
            ),
            Some(t!("doctor.settings_env_fix")),
        )
    })
}

/// An HTTP proxy for everything, and loopback not exempt: a client of
/// `ccswitch serve` would send its requests to 127.0.0.1 through it.
fn no_proxy(env: &dyn Fn(&str) -> Option<String>) -> Option<Check> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let proxy = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .find_map(|k| var(k).map(|_| *k))?;
    let exempt = [var("NO_PROXY"), var("no_proxy")]
        .into_iter()
        .flatten()
        .any(|v| {
            v.split(',')
                .map(str::trim)
                .any(|h| matches!(h, "127.0.0.1" | "localhost" | "*" | "127.0.0.0/8"))
        });
    Some(if exempt {
        check(
            "no_proxy",
            Status::Ok,
            t!("doctor.no_proxy_ok", var = proxy),
            None,
        )
    } else {
        check(
            "no_proxy",
            Status::Warn,
            t!("doctor.no_proxy_missing", var = proxy),
            Some(t!("doctor.no_proxy_fix")),
        )
    })
}

fn resolve_localhost() -> Vec<std::net::IpAddr> {
    use std::net::ToSocketAddrs;
    ("localhost", 0)
        .to_socket_addrs()
        .map(|a| a.map(|s| s.ip()).collect())
        .unwrap_or_default()
}

/// `localhost` answering `::1` first: a tool told `http://localhost:PORT`
/// may miss a server that listens on 127.0.0.1 (the article's trap).
pub fn localhost(addrs: &[std::net::IpAddr]) -> Check {
    match addrs.first() {
        Some(ip) if ip.is_ipv6() => check(
            "localhost",
            Status::Warn,
            t!("doctor.localhost_v6"),
            Some(t!("doctor.localhost_fix")),
        ),
        Some(ip) => check(
            "localhost",
            Status::Ok,
            t!("doctor.localhost_ok", ip = ip),
            None,
        ),
        None => check("localhost", Status::Warn, t!("doctor.localhost_none"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_localhost() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        assert_eq!(parse_version("2.1.332 (Claude Code)"), Some((2, 1, 332)));
        assert_eq!(parse_version("1.0.0"), Some((1, 0, 0)));
        assert_eq!(parse_version("Claude Code"), None);
        assert!((2, 1, 332) >= MIN_CLAUDE && (2, 0, 9) < MIN_CLAUDE);
        let v6: std::net::IpAddr = "::1".parse().unwrap();
        let v4: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(localhost(&[v6, v4]).status, Status::Warn);
        assert_eq!(localhost(&[v4, v6]).status, Status::Ok);
        assert_eq!(localhost(&[]).status, Status::Warn);
    }

    #[test]
    fn proxy_without_loopback_exempt() {
        let env = |k: &str| match k {
            "HTTPS_PROXY" => Some("http://corp:3128".to_string()),
            "NO_PROXY" => Some("example.com".to_string()),
            _ => None,
        };
        assert_eq!(no_proxy(&env).unwrap().status, Status::Warn);
        let env = |k: &str| match k {
            "https_proxy" => Some("http://corp:3128".to_string()),
            "no_proxy" => Some("example.com, localhost".to_string()),
            _ => None,
        };
        assert_eq!(no_proxy(&env).unwrap().status, Status::Ok);
        assert!(no_proxy(&|_| None).is_none());
    }
}

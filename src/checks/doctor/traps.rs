//! The environment's traps: variables and settings that steer a plain
//! `claude`, a proxy that would catch loopback traffic, and `localhost`
//! answering IPv6 first.

use std::path::{Path, PathBuf};

use super::check::{Check, Status, check};
use crate::launch::env::MANAGED;
use crate::t;

/// Steering variables exported in this shell: `run` replaces them for its
/// sessions, but a plain `claude` (or another tool) follows them.
pub(super) fn shell_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Check> {
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
pub(super) fn claude_settings(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Option<Check> {
    let file: PathBuf = crate::claude::resume::claude_dir(env, home)?.join("settings.json");
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
pub(super) fn no_proxy(env: &dyn Fn(&str) -> Option<String>) -> Option<Check> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let proxy = crate::ctx::PROXY_VARS
        .iter()
        .find_map(|k| var(k).map(|_| *k))?;
    let exempt = crate::ctx::NO_PROXY_VARS
        .iter()
        .filter_map(|k| var(k))
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

pub(super) fn resolve_localhost() -> Vec<std::net::IpAddr> {
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
    fn localhost_v6_first_is_a_warning() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
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

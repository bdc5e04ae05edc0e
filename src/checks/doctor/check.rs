//! What one check found: its status, what it saw and the fix.

use serde::Serialize;

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
    /// `search`, `auto_mode`, `shell_env`, `claude_settings`, `no_proxy`,
    /// `localhost`, `default_profile`, `balance`.
    pub id: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

pub(super) fn check(
    id: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
) -> Check {
    Check {
        id,
        status,
        detail,
        fix,
    }
}

/// An error's first line (the rest is detail for a log).
pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

//! Everything a session `ccswitch run` launches gives Claude Code: its
//! environment and its `--settings` file, decided here in one place (the
//! key handed over by `apiKeyHelper`, the status line, the session's own
//! variables). Pure, like the rest of the plan: what only the launch can
//! find out (the user's settings, whether they have a status line, where
//! this ccswitch lives) comes in as [`Facts`]; launching only applies it.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{EnvPlan, Reach, plan};
use crate::claude::status_line;
use crate::config::{Config, Profile};
use crate::launch::project::{CUSTOM_HEADERS, merge_headers};

/// The variable that carries a direct-mode key to the helper, in claude's
/// environment only.
pub const HELPER_VAR: &str = "CCSWITCH_SESSION_KEY";

/// The hidden subcommand Claude Code runs as `apiKeyHelper`.
pub const KEY_HELPER: &str = "__key-helper";

/// What the helper prints: the key from its environment, or nothing (and
/// a failure) outside a session.
pub fn key_helper(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    env(HELPER_VAR).filter(|k| !k.is_empty())
}

/// What the launch found out before planning.
pub struct Facts<'a> {
    /// The user's own `--settings`, which ours go on top of.
    pub user_settings: Map<String, Value>,
    /// This ccswitch as the start of a command line for Claude Code, which
    /// runs it through a shell (so already quoted for one).
    pub me: &'a str,
    /// The proxy's session id in the ledger; `None` without the proxy.
    pub session: Option<&'a str>,
    /// Whether the user has a status line of their own (in a settings file
    /// or the `--settings` they passed): theirs is never replaced.
    pub user_status_line: bool,
    /// The session was started with `--ignore-budget`.
    pub ignore_budget: bool,
    /// The project label its requests carry (see `launch::project`).
    pub project: Option<&'a str>,
}

/// What to give the child process: apply it as it is.
#[derive(Debug)]
pub struct SessionPlan {
    /// Variables to set, in order.
    pub set: IndexMap<String, String>,
    /// Inherited variables to remove (before `set` is applied).
    pub unset: Vec<String>,
    /// The `--settings` file's contents.
    pub settings: Value,
    /// Things the user should know (written to the log).
    pub warnings: Vec<String>,
}

/// The whole plan for a session of `profile` reached through `mode`.
pub fn session_plan(
    config: &Config,
    profile: &Profile,
    mode: &Reach,
    inherited: &dyn Fn(&str) -> Option<String>,
    facts: Facts<'_>,
) -> SessionPlan {
    let mut base = plan(config, profile, mode, inherited);
    // Only the proxy reads the label: a provider reached directly never
    // learns the folder's name.
    if facts.session.is_some()
        && let Some(label) = facts.project
    {
        project_header(&mut base, &facts.user_settings, label, inherited);
    }
    let helper = base
        .helper_key
        .as_ref()
        .map(|_| format!("{} {KEY_HELPER}", facts.me));
    let mut settings = settings_json(&base, facts.user_settings, helper.as_deref());
    let EnvPlan {
        mut set,
        mut unset,
        warnings,
        helper_key,
        ..
    } = base;
    if let Some(id) = facts.session {
        // The status line reads the ledger: only for proxied sessions, and
        // never over the user's own.
        if !facts.user_status_line
            && let Some(obj) = settings.as_object_mut()
        {
            let command = format!("{} statusline", facts.me);
            obj.insert("statusLine".into(), status_line::setting(&command));
        }
        // For `ccswitch statusline`, run by claude.
        set.insert(status_line::PROFILE_VAR.into(), profile.name.clone());
        set.insert(status_line::SESSION_VAR.into(), id.to_string());
        if facts.ignore_budget {
            set.insert(status_line::BUDGET_VAR.into(), "ignored".into());
        } else {
            // Not from an outer session that ignored its budget.
            unset.push(status_line::BUDGET_VAR.into());
        }
    }
    // Claude Code's own resume line would name this session's settings
    // file, gone once it ends; `ccswitch --resume ID` finds the profile.
    set.insert(
        crate::claude::resume::HINT_COMMAND_VAR.into(),
        crate::claude::resume::HINT_COMMAND.into(),
    );
    if let Some(var) = helper_key {
        // Only the helper's variable carries the key: the settings file
        // blanks `var`, and an inherited one must not come back.
        if let Some(key) = set.shift_remove(&var) {
            set.insert(HELPER_VAR.into(), key);
        }
        if !unset.contains(&var) {
            unset.push(var);
        }
    }
    SessionPlan {
        set,
        unset,
        settings,
        warnings,
    }
}

/// The project's header merged into the headers the user already sends:
/// from their `--settings`, else the profile's `env`, else the shell. It
/// goes into our settings file only where theirs was there, to keep it:
/// one in their `~/.claude/settings.json` beats the environment, so it is
/// kept whole (and the session goes without the label).
fn project_header(
    p: &mut EnvPlan,
    user: &Map<String, Value>,
    label: &str,
    inherited: &dyn Fn(&str) -> Option<String>,
) {
    let in_settings = user
        .get("env")
        .and_then(|e| e.get(CUSTOM_HEADERS))
        .and_then(Value::as_str);
    let theirs = in_settings
        .map(str::to_string)
        .or_else(|| p.set.get(CUSTOM_HEADERS).cloned())
        .or_else(|| inherited(CUSTOM_HEADERS));
    let merged = merge_headers(theirs.as_deref(), label);
    if in_settings.is_some() || p.settings_env.contains_key(CUSTOM_HEADERS) {
        p.settings_env.insert(CUSTOM_HEADERS.into(), merged.clone());
    }
    p.set.insert(CUSTOM_HEADERS.into(), merged);
}

/// The session's settings: the user's own, with our `env` entries on top
/// and, when the plan passes a key that way, our `apiKeyHelper`.
pub fn settings_json(plan: &EnvPlan, mut base: Map<String, Value>, helper: Option<&str>) -> Value {
    let mut env = base
        .remove("env")
        .and_then(|e| e.as_object().cloned())
        .unwrap_or_default();
    for (k, v) in &plan.settings_env {
        env.insert(k.clone(), Value::String(v.clone()));
    }
    base.insert("env".into(), Value::Object(env));
    if let Some(h) = helper {
        base.insert("apiKeyHelper".into(), Value::String(h.to_string()));
    }
    if plan.skip_web_fetch_preflight {
        base.insert("skipWebFetchPreflight".into(), Value::Bool(true));
    }
    Value::Object(base)
}

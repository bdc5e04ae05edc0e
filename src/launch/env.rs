//! The environment Claude Code gets for a profile. Pure: no I/O, no clock;
//! the inherited environment is passed in.

use indexmap::IndexMap;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Api, AuthStyle, Config, Profile, Provider, Slot};
use crate::t;

mod labels;
pub mod session;

pub use labels::label_vars;
/// How Claude Code reaches the model.
pub enum Reach {
    /// Through the embedded proxy: Claude Code only knows the proxy and its
    /// session token; the provider key stays in ccswitch.
    Proxy {
        base_url: String,
        token: SecretString,
    },
    /// Official Anthropic API, directly (the profile says `direct = true`).
    Direct { key: Option<SecretString> },
    /// Bedrock or Vertex, natively; a Bedrock API key if one is configured.
    Cloud { key: Option<SecretString> },
}

/// What to give the child process.
#[derive(Debug, Default)]
pub struct EnvPlan {
    /// Variables to set, in order.
    pub set: IndexMap<String, String>,
    /// Inherited variables to remove.
    pub unset: Vec<String>,
    /// Values for the `--settings` file's `env` block: it outranks
    /// `~/.claude/settings.json`, whose `env` would otherwise beat ours.
    pub settings_env: IndexMap<String, String>,
    /// Things the user should know (written to the log).
    pub warnings: Vec<String>,
    /// The variable in `set` that holds the provider key Claude Code sends
    /// itself (direct mode). A session passes the key through `apiKeyHelper`
    /// instead: the settings file must blank this variable to beat a stale
    /// one in the user's settings, and must never hold the key.
    pub helper_key: Option<String>,
    /// Write `skipWebFetchPreflight` into the session's settings.
    pub skip_web_fetch_preflight: bool,
}

/// Variables that steer where Claude Code sends requests; inherited values
/// are removed so an old `export` cannot divert the session.
pub const MANAGED: &[&str] = &[
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL_NAME",
    "ANTHROPIC_DEFAULT_SONNET_MODEL_NAME",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME",
    "ANTHROPIC_DEFAULT_OPUS_MODEL_DESCRIPTION",
    "ANTHROPIC_DEFAULT_SONNET_MODEL_DESCRIPTION",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL_DESCRIPTION",
    "ANTHROPIC_DEFAULT_OPUS_MODEL_SUPPORTED_CAPABILITIES",
    "ANTHROPIC_DEFAULT_SONNET_MODEL_SUPPORTED_CAPABILITIES",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL_SUPPORTED_CAPABILITIES",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "CLAUDE_CODE_SUBAGENT_MODEL",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
    "CLAUDE_CODE_USE_MANTLE",
    // Backends Claude Code 2.1.332 knows besides those: each would send
    // the session past the proxy.
    "CLAUDE_CODE_USE_ANTHROPIC_AWS",
    "CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD",
    "CLAUDE_CODE_USE_GATEWAY",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "ANTHROPIC_BEDROCK_MANTLE_BASE_URL",
    "ANTHROPIC_VERTEX_BASE_URL",
    "ANTHROPIC_FOUNDRY_BASE_URL",
    "ANTHROPIC_AWS_BASE_URL",
    "ANTHROPIC_GOOGLE_CLOUD_BASE_URL",
    "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
    "CLAUDE_CODE_MAX_CONTEXT_TOKENS",
    "DISABLE_PROMPT_CACHING",
];

/// Blanked in the settings file when not set, so a stale value in the
/// user's own settings cannot switch the backend or add a second key.
const BLANK_IN_SETTINGS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
    "CLAUDE_CODE_USE_MANTLE",
];

/// Variables that hold a key: never written to the settings file.
const SECRET: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
];

/// Loopback must never go through a corporate proxy.
const LOOPBACK: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// Model variables for a profile's slots, so `/model`, subagents and
/// background work all land on the right upstream model.
///
/// Claude Code resolves the small-fast role from `ANTHROPIC_SMALL_FAST_MODEL`
/// first (deprecated but still honoured by 2.1.x), then the haiku alias, so
/// both are set.
pub fn model_vars(profile: &Profile) -> Vec<(&'static str, String)> {
    let main = profile.main.model.clone();
    let fast = profile.fast.model.clone();
    let pick = |s: &Option<Slot>, or: &str| s.as_ref().map_or(or.to_string(), |s| s.model.clone());
    let mut vars = vec![
        ("ANTHROPIC_MODEL", main.clone()),
        ("ANTHROPIC_DEFAULT_OPUS_MODEL", pick(&profile.opus, &main)),
        (
            "ANTHROPIC_DEFAULT_SONNET_MODEL",
            pick(&profile.sonnet, &main),
        ),
        ("ANTHROPIC_DEFAULT_HAIKU_MODEL", pick(&profile.haiku, &fast)),
        ("ANTHROPIC_SMALL_FAST_MODEL", fast),
    ];
    if let Some(s) = &profile.subagent {
        vars.push(("CLAUDE_CODE_SUBAGENT_MODEL", s.model.clone()));
    }
    vars
}

/// Auto mode's safety check, where the proxy's upstreams cannot run it
/// server-side: Claude Code runs it itself, on the classifier slot's model
/// (the proxy routes the check's requests to that slot whatever model they
/// name). Unset, it would ask the upstream for the check, get no verdict,
/// and (with nonessential traffic off, as ccswitch launches it) refuse
/// every action that needs one. See docs/claude-code-auto-mode.md.
pub fn auto_mode_vars(config: &Config, profile: &Profile) -> Vec<(&'static str, String)> {
    let server_check = profile.providers().iter().all(|name| {
        config
            .providers
            .get(*name)
            .is_some_and(|p| p.api == Api::Anthropic && p.quirks.safeguards)
    });
    if server_check {
        return Vec::new();
    }
    vec![
        ("CLAUDE_CODE_AUTO_MODE_SERVER", "0".into()),
        (
            "CLAUDE_CODE_AUTO_MODE_MODEL",
            profile.classifier_slot().model.clone(),
        ),
    ]
}

/// What a client of `ccswitch serve` needs: endpoint, token, models, and
/// how auto mode checks actions.
pub fn serve_vars(
    config: &Config,
    profile: &Profile,
    base_url: &str,
    token: &str,
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("ANTHROPIC_BASE_URL", base_url.to_string()),
        ("ANTHROPIC_AUTH_TOKEN", token.to_string()),
        // Both headers go out when both are set; an inherited API key would
        // be sent to the proxy (and asked about) for nothing.
        ("ANTHROPIC_API_KEY", String::new()),
    ];
    vars.extend(model_vars(profile));
    vars.extend(auto_mode_vars(config, profile));
    vars
}

/// The output cap to announce: the profile's, else 32000 (Claude Code's own
/// default for unknown models), never above what the model and provider
/// accept. `None` when no limit is known, so Claude Code keeps its default
/// and the proxy clamps.
fn max_output(profile: &Profile, provider: &Provider) -> Option<u64> {
    let info = provider.model(&profile.main.model);
    let limits: Vec<u64> = [info.max_output, provider.quirks.max_output_tokens]
        .into_iter()
        .flatten()
        .collect();
    match (profile.max_output_tokens, limits.iter().min()) {
        (Some(want), Some(&lim)) => Some(want.min(lim)),
        (Some(want), None) => Some(want),
        (None, Some(&lim)) => Some(lim.min(32_000)),
        (None, None) => None,
    }
}

/// The window to tell Claude Code: the profile's own, else the smallest
/// known of the main slot's model and the menu's single models. Claude
/// Code cannot be told a window per model, and `/model` may move the
/// conversation to any model of the menu.
fn context_window(config: &Config, profile: &Profile) -> Option<u64> {
    if profile.context_window.is_some() {
        return profile.context_window;
    }
    std::iter::once(&profile.main)
        .chain(profile.menu_slots())
        .filter_map(|s| config.providers.get(&s.provider)?.model(&s.model).context)
        .min()
}

/// Build the child's environment for a profile.
pub fn plan(
    config: &Config,
    profile: &Profile,
    mode: &Reach,
    inherited: &dyn Fn(&str) -> Option<String>,
) -> EnvPlan {
    let mut p = EnvPlan::default();
    let mut p_helper = None;
    let main = &config.providers[&profile.main.provider];
    let mut set = |k: &str, v: String| {
        p.set.insert(k.to_string(), v);
    };
    match mode {
        Reach::Proxy { base_url, token } => {
            set("ANTHROPIC_BASE_URL", base_url.clone());
            set("ANTHROPIC_AUTH_TOKEN", token.expose_secret().to_string());
        }
        Reach::Direct { key } => {
            if let Some(u) = &main.base_url {
                set(
                    "ANTHROPIC_BASE_URL",
                    u.as_str().trim_end_matches('/').to_string(),
                );
            }
            if let Some(k) = key {
                let var = if main.auth == AuthStyle::Bearer {
                    "ANTHROPIC_AUTH_TOKEN"
                } else {
                    "ANTHROPIC_API_KEY"
                };
                set(var, k.expose_secret().to_string());
                p_helper = Some(var.to_string());
            }
        }
        Reach::Cloud { key } => match main.api {
            Api::Bedrock => {
                set("CLAUDE_CODE_USE_BEDROCK", "1".into());
                if let Some(r) = &main.region {
                    set("AWS_REGION", r.clone());
                }
                if let Some(a) = &main.aws_profile {
                    set("AWS_PROFILE", a.clone());
                }
                if let Some(u) = &main.base_url {
                    set(
                        "ANTHROPIC_BEDROCK_BASE_URL",
                        u.as_str().trim_end_matches('/').to_string(),
                    );
                }
                if let Some(k) = key {
                    set("AWS_BEARER_TOKEN_BEDROCK", k.expose_secret().to_string());
                }
            }
            _ => {
                set("CLAUDE_CODE_USE_VERTEX", "1".into());
                if let Some(r) = &main.region {
                    set("CLOUD_ML_REGION", r.clone());
                }
                if let Some(pr) = &main.project {
                    set("ANTHROPIC_VERTEX_PROJECT_ID", pr.clone());
                }
                if let Some(u) = &main.base_url {
                    set(
                        "ANTHROPIC_VERTEX_BASE_URL",
                        u.as_str().trim_end_matches('/').to_string(),
                    );
                }
            }
        },
    }
    for (k, v) in model_vars(profile) {
        set(k, v);
    }
    for (k, v) in label_vars(config, profile) {
        set(&k, v);
    }
    let proxied = matches!(mode, Reach::Proxy { .. });
    // Through the proxy, each upstream's `prompt_caching` quirk decides:
    // the proxy strips cache_control where it is not taken, and keeps it
    // where the provider caches. Turning caching off in Claude Code as well
    // would only cost cache hits there (and greet every session with a
    // "prompt caching off" warning). Without the proxy, Claude Code's own
    // switch is the only one.
    let no_caching = !proxied && !main.quirks.prompt_caching;
    if no_caching {
        set("DISABLE_PROMPT_CACHING", "1".into());
    }
    if let Some(n) = max_output(profile, main) {
        set("CLAUDE_CODE_MAX_OUTPUT_TOKENS", n.to_string());
    }
    // Claude Code assumes a 1M window for model ids it does not know and
    // would compact too late on a smaller one.
    if let Some(n) = context_window(config, profile) {
        set("CLAUDE_CODE_MAX_CONTEXT_TOKENS", n.to_string());
    }
    let official = main.preset.as_deref() == Some("anthropic");
    if !profile.nonessential_traffic && !official {
        set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into());
    }
    // Tool search keeps MCP tools' schemas out of every request until the
    // model looks one up. The proxy serves it on any upstream (it applies
    // `defer_loading` itself where the upstream has no such thing: every
    // OpenAI-kind one, and Anthropic-kind ones without the `tool_search`
    // quirk), so it is asked for whenever the proxy runs, unless the user's
    // shell already decides; the profile's `tool_search` always wins.
    // `/model` lists the profile's slots by their real names (the proxy's
    // `GET /v1/models`).
    if proxied {
        set("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY", "1".into());
        for (k, v) in auto_mode_vars(config, profile) {
            set(k, v);
        }
    }
    let tool_search = match profile.tool_search {
        Some(on) => Some(on),
        None if proxied && inherited("ENABLE_TOOL_SEARCH").is_none() => Some(true),
        None => None,
    };
    if let Some(on) = tool_search {
        set("ENABLE_TOOL_SEARCH", on.to_string());
    }
    p.skip_web_fetch_preflight = !profile.web_fetch_preflight;
    if let Some(ms) = profile.api_timeout_ms {
        set("API_TIMEOUT_MS", ms.to_string());
    }
    if !proxied {
        network_vars(main, &mut set, &mut p.warnings);
    }
    let no_proxy = merge_no_proxy(inherited("NO_PROXY"), inherited("no_proxy"));
    set("NO_PROXY", no_proxy.clone());
    set("no_proxy", no_proxy);
    for (k, v) in &profile.env {
        set(k, v.clone());
    }
    p.unset = MANAGED
        .iter()
        .filter(|k| !p.set.contains_key(**k))
        .map(std::string::ToString::to_string)
        .collect();
    if proxied {
        // The proxy holds the provider keys; claude (and every command its
        // Bash tool runs) must not see them, whatever variable holds them.
        for name in profile.providers() {
            let provider = &config.providers[name];
            for var in provider.key.env.iter().chain(&provider.preset_key_env) {
                if !p.set.contains_key(var) && !p.unset.contains(var) {
                    p.unset.push(var.clone());
                }
            }
        }
    }
    // The session token is the one secret the file may hold: it is worth
    // nothing once ccswitch exits, and it must beat a stale token in the
    // user's settings.
    p.settings_env = p
        .set
        .iter()
        .filter(|(k, _)| proxied || !SECRET.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for k in BLANK_IN_SETTINGS {
        p.settings_env.entry(k.to_string()).or_default();
    }
    if p_helper.is_some() {
        // Blank both, so the key comes from the helper alone.
        for k in ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"] {
            p.settings_env.insert(k.to_string(), String::new());
        }
    }
    p.helper_key = p_helper;
    p
}

/// The provider's network options for Claude Code's own connections.
fn network_vars(
    provider: &Provider,
    set: &mut impl FnMut(&str, String),
    warnings: &mut Vec<String>,
) {
    if let Some(proxy) = &provider.proxy {
        if proxy.scheme().starts_with("socks") {
            // Claude Code (Node/Bun) cannot use SOCKS; only the embedded
            // proxy can.
            warnings.push(t!("launch.socks_direct", provider = provider.name));
        } else {
            set("HTTPS_PROXY", proxy.as_str().to_string());
            set("https_proxy", proxy.as_str().to_string());
        }
    }
    if let Some(ca) = &provider.ca_file {
        set("NODE_EXTRA_CA_CERTS", ca.display().to_string());
    }
}

/// `NO_PROXY` with the loopback names added once, keeping what was there.
pub fn merge_no_proxy(upper: Option<String>, lower: Option<String>) -> String {
    let mut items: Vec<String> = Vec::new();
    for v in [upper, lower].into_iter().flatten() {
        for item in v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            if !items.iter().any(|i| i == item) {
                items.push(item.to_string());
            }
        }
    }
    for l in LOOPBACK {
        if !items.iter().any(|i| i == l) {
            items.push(l.to_string());
        }
    }
    items.join(",")
}

#[cfg(test)]
mod tests;

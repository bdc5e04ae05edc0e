//! Stage two: validated configuration that the rest of ccswitch uses. Every
//! profile's providers exist, every slot has a model, URLs parse, and preset
//! defaults are already merged in.

pub use super::keyspec::KeySpec;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Serialize;
use url::Url;

use super::audit::Audit;
use super::budget::Budget;
use super::error::ConfigError;
use super::preset::{Api, AuthStyle, ModelInfo};
use super::quirks::Quirks;

pub const CONFIG_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub version: u32,
    pub default: Option<String>,
    pub claude_path: Option<PathBuf>,
    /// The home `~` in the file's paths was expanded against, so a path
    /// typed into the TUI's form for this config means the same.
    #[serde(skip)]
    pub home: Option<PathBuf>,
    pub audit: Audit,
    /// Whether proxied requests are written to the usage ledger. Off: no
    /// history is kept (and budgets, which read it, cannot be set).
    pub ledger: bool,
    /// When a failing fallback target is skipped, and for how long.
    pub breaker: super::breaker::Breaker,
    /// The web search backend (`[search]`); none: searches answer that
    /// search is not configured.
    pub search: Option<super::search::Search>,
    pub providers: IndexMap<String, Provider>,
    pub profiles: IndexMap<String, Profile>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Provider {
    pub name: String,
    pub preset: Option<String>,
    /// Human name: the preset's display name, else the provider name.
    pub display_name: String,
    pub api: Api,
    /// Set for `anthropic`/`openai` providers; optional gateway URL for
    /// bedrock/vertex. May hold `user:pass@` (a gateway's basic auth):
    /// shown and serialized redacted, like `proxy`.
    #[serde(serialize_with = "serialize_redacted")]
    pub base_url: Option<Url>,
    pub auth: AuthStyle,
    pub key: KeySpec,
    /// More keys for the same account or others: the proxy moves to the
    /// next when one is rate-limited (a key pool). Empty: one key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_keys: Vec<ExtraKey>,
    /// Upstream proxy (`http`, `https`, `socks5`, `socks5h`). May hold
    /// credentials: never print it whole (see [`redact_url`]).
    #[serde(serialize_with = "serialize_redacted")]
    pub proxy: Option<Url>,
    pub ca_file: Option<PathBuf>,
    pub region: Option<String>,
    pub project: Option<String>,
    pub aws_profile: Option<String>,
    /// A cloud provider (Bedrock, Vertex) Claude Code calls itself instead
    /// of through the proxy. Bedrock goes through the proxy unless the
    /// provider says `direct = true` or the ledger is off (nothing the
    /// proxy adds would be kept); Vertex is always direct for now.
    pub direct: bool,
    pub headers: IndexMap<String, String>,
    /// Preset models merged with the provider's overrides.
    pub models: IndexMap<String, ModelInfo>,
    /// Preset quirks for this API merged with the provider's overrides,
    /// resolved to plain values.
    pub quirks: Quirks,
    pub timeouts: Timeouts,
    pub local: bool,
    /// The preset's conventional key variable (`DEEPSEEK_API_KEY`), so the
    /// launcher can keep it out of Claude Code's environment.
    pub preset_key_env: Option<String>,
    /// Spending limits over every profile's requests to this provider.
    pub budget: Option<Budget>,
}

impl Provider {
    /// Whether requests to this provider go through ccswitch's proxy.
    pub fn proxied(&self) -> bool {
        self.api.uses_base_url() || (matches!(self.api, Api::Bedrock | Api::Vertex) && !self.direct)
    }

    /// What is known about a model (empty when nothing is).
    pub fn model(&self, id: &str) -> ModelInfo {
        self.models.get(id).cloned().unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    #[serde(serialize_with = "serialize_secs")]
    pub connect: Duration,
    #[serde(serialize_with = "serialize_secs")]
    pub first_byte: Duration,
    #[serde(serialize_with = "serialize_secs")]
    pub idle: Duration,
}

impl Default for Timeouts {
    /// Generous first-byte and idle limits: reasoning models think silently
    /// for minutes before the first token.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(600),
            idle: Duration::from_secs(300),
        }
    }
}

fn serialize_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

fn serialize_redacted<S: serde::Serializer>(u: &Option<Url>, s: S) -> Result<S::Ok, S::Error> {
    match u {
        Some(u) => s.serialize_str(&redact_url(u)),
        None => s.serialize_none(),
    }
}

/// A URL with any password replaced, for display.
pub fn redact_url(u: &Url) -> String {
    super::redact::masked(u.as_str())
}

/// A model slot: which provider serves it and the upstream model id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub provider: String,
    pub model: String,
    /// Where a request goes when this target fails (connection, timeout,
    /// overload, an empty reply), in order. Empty: no fallback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<Target>,
}

/// One more key of a provider's pool (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraKey {
    Env(String),
    Command(String),
    /// The keyring entry `PROVIDER:LABEL`.
    Keyring(String),
}

/// One `{ provider, model }` of a slot's fallback chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    pub provider: String,
    pub model: String,
}

impl Slot {
    /// A slot with no fallbacks.
    pub fn single(provider: impl Into<String>, model: impl Into<String>) -> Slot {
        Slot {
            provider: provider.into(),
            model: model.into(),
            fallbacks: Vec::new(),
        }
    }

    /// What the slot falls back to, in order, as `provider/model`
    /// (`moon/kimi-k3 → ds/deepseek-v4-flash`); `None` without fallbacks.
    pub fn fallback_text(&self) -> Option<String> {
        let rest: Vec<String> = self
            .fallbacks
            .iter()
            .map(|t| format!("{}/{}", t.provider, t.model))
            .collect();
        (!rest.is_empty()).then(|| rest.join(" → "))
    }

    /// The chain in order, this slot's own target first.
    pub fn targets(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once((self.provider.as_str(), self.model.as_str())).chain(
            self.fallbacks
                .iter()
                .map(|t| (t.provider.as_str(), t.model.as_str())),
        )
    }
}

/// The names of the slots a profile can set, in display order.
pub const SLOT_NAMES: [&str; 6] = ["main", "fast", "opus", "sonnet", "haiku", "subagent"];

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub name: String,
    /// The profile's own provider (slots without one use it).
    pub provider: String,
    pub description: Option<String>,
    /// The main loop (`ANTHROPIC_MODEL`).
    pub main: Slot,
    /// Small-fast role; the main slot when the file sets none.
    pub fast: Slot,
    pub opus: Option<Slot>,
    pub sonnet: Option<Slot>,
    pub haiku: Option<Slot>,
    pub subagent: Option<Slot>,
    /// Requests with images go here when their slot's model takes none.
    pub vision: Option<Slot>,
    /// Requests larger than their slot model's context window go here.
    pub long_context: Option<Slot>,
    /// Auto mode's classifier requests (recognised by their prompt) go
    /// here; unset, the slot Claude Code itself would pick (see
    /// [`Profile::classifier_slot`]).
    pub classifier: Option<Slot>,
    pub max_output_tokens: Option<u64>,
    pub context_window: Option<u64>,
    pub api_timeout_ms: Option<u64>,
    /// Allow Claude Code's nonessential traffic (telemetry, updates).
    pub nonessential_traffic: bool,
    /// Claude Code's tool search (`ENABLE_TOOL_SEARCH`): `None` leaves
    /// ccswitch's default, on wherever the proxy translates.
    pub tool_search: Option<bool>,
    /// Claude Code's WebFetch asks api.anthropic.com whether a domain may
    /// be fetched, and refuses when it cannot ask; `false` skips the check
    /// (`skipWebFetchPreflight`) for networks that block Anthropic.
    pub web_fetch_preflight: bool,
    /// Official Anthropic only: let claude talk to it directly, no proxy.
    pub direct: bool,
    pub claude_path: Option<PathBuf>,
    /// The project label the session's requests carry; unset, the git
    /// repository's or the folder's name (see `launch::project`).
    pub project: Option<String>,
    pub env: IndexMap<String, String>,
    /// Spending limits over this profile's requests.
    pub budget: Option<Budget>,
    /// More models for `/model`, from any provider (see
    /// [`crate::config::menu`]).
    pub menu: Vec<MenuItem>,
    /// Subagents that ask for a menu model follow it; otherwise they keep
    /// the `subagent` slot, or `main`, whatever `/model` picked.
    pub subagents_follow_menu: bool,
}

impl Profile {
    /// Slots that are set, by name, main first.
    pub fn slots(&self) -> Vec<(&'static str, &Slot)> {
        let optional = [
            ("opus", &self.opus),
            ("sonnet", &self.sonnet),
            ("haiku", &self.haiku),
            ("subagent", &self.subagent),
        ];
        let mut out = vec![("main", &self.main), ("fast", &self.fast)];
        out.extend(
            optional
                .into_iter()
                .filter_map(|(n, s)| s.as_ref().map(|s| (n, s))),
        );
        out
    }

    /// The routes' targets that are set (`vision`, `long_context`,
    /// `classifier`): used by request content, never named by Claude Code.
    pub fn route_slots(&self) -> Vec<(&'static str, &Slot)> {
        [
            ("vision", &self.vision),
            ("long_context", &self.long_context),
            ("classifier", &self.classifier),
        ]
        .into_iter()
        .filter_map(|(n, s)| s.as_ref().map(|s| (n, s)))
        .collect()
    }

    /// Where auto mode's classifier requests go: the `classifier` slot,
    /// else the one Claude Code would send them to itself (its Sonnet
    /// alias, `ANTHROPIC_DEFAULT_SONNET_MODEL`: the `sonnet` slot, else
    /// `main`). Claude Code picks a mid-to-strong model for this on
    /// purpose, never its small-fast one: a wrong "allow" runs a
    /// destructive command, and the long prompt is cached after the first
    /// check, so a stronger model costs little more.
    pub fn classifier_slot(&self) -> &Slot {
        self.classifier
            .as_ref()
            .or(self.sonnet.as_ref())
            .unwrap_or(&self.main)
    }

    /// The menu's single models (not its whole providers), as slots.
    pub fn menu_slots(&self) -> impl Iterator<Item = &Slot> {
        self.menu.iter().filter_map(|i| match i {
            MenuItem::One(e) => Some(&e.slot),
            MenuItem::All { .. } => None,
        })
    }

    /// Every provider a profile uses, fallbacks, routes and menu included,
    /// without duplicates.
    pub fn providers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let slots = self.slots().into_iter().chain(self.route_slots());
        let targets = slots
            .flat_map(|(_, s)| s.targets())
            .chain(self.menu_slots().flat_map(Slot::targets))
            .map(|(p, _)| p)
            .chain(self.menu.iter().map(MenuItem::provider));
        for provider in targets {
            if !out.contains(&provider) {
                out.push(provider);
            }
        }
        out
    }

    /// Whether any slot or menu model has a fallback chain.
    pub fn has_fallbacks(&self) -> bool {
        self.slots()
            .iter()
            .chain(&self.route_slots())
            .map(|(_, s)| *s)
            .chain(self.menu_slots())
            .any(|s| !s.fallbacks.is_empty())
    }
}

impl Config {
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles
            .get(name)
            .ok_or_else(|| ConfigError::NotFound {
                kind: "profile",
                name: name.to_string(),
                available: self.profiles.keys().cloned().collect(),
            })
    }

    /// The named profile, else the default one; `None` when no name is
    /// given and there is no default.
    pub fn profile_or_default(&self, name: Option<&str>) -> Result<Option<&Profile>, ConfigError> {
        match name.or(self.default.as_deref()) {
            Some(n) => self.profile(n).map(Some),
            None => Ok(None),
        }
    }

    /// The profile names, for messages that list them.
    pub fn profile_names(&self) -> String {
        let names: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        names.join(", ")
    }

    pub fn provider(&self, name: &str) -> Result<&Provider, ConfigError> {
        self.providers
            .get(name)
            .ok_or_else(|| ConfigError::NotFound {
                kind: "provider",
                name: name.to_string(),
                available: self.providers.keys().cloned().collect(),
            })
    }

    /// Profiles that use a provider in any slot.
    pub fn profiles_using(&self, provider: &str) -> Vec<&str> {
        self.profiles
            .values()
            .filter(|p| p.providers().contains(&provider))
            .map(|p| p.name.as_str())
            .collect()
    }
}

/// One item of a profile's menu, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MenuItem {
    One(MenuEntry),
    /// Every model `provider` lists, found when the proxy starts.
    All {
        provider: String,
    },
}

/// One model of the menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MenuEntry {
    /// Its target and fallback chain.
    #[serde(flatten)]
    pub slot: Slot,
    /// What `/model` shows instead of the model id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

// As the file writes it (`profile show --json`): a whole provider says
// `models = "all"`, which tells it from a single model at a glance.
impl Serialize for MenuItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            MenuItem::One(e) => e.serialize(s),
            MenuItem::All { provider } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("provider", provider)?;
                m.serialize_entry("models", "all")?;
                m.end()
            }
        }
    }
}

impl MenuItem {
    pub fn provider(&self) -> &str {
        match self {
            MenuItem::One(e) => &e.slot.provider,
            MenuItem::All { provider } => provider,
        }
    }
}

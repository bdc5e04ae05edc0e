//! Built-in and user provider presets: data describing how to reach a provider.
//!
//! Presets are TOML in `assets/presets/` compiled into the binary; a user's
//! `presets.toml` in the config dir may add presets or override fields of
//! built-in ones. Nothing here performs network I/O.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::quirks::RawQuirks;

/// Which wire protocol a provider speaks upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// Native Anthropic Messages-compatible endpoint (passthrough with fixes).
    Anthropic,
    /// OpenAI Chat Completions (translated by the proxy).
    Openai,
    /// AWS Bedrock, used by Claude Code natively (no proxy).
    Bedrock,
    /// Google Vertex AI, used by Claude Code natively (no proxy).
    Vertex,
}

impl Api {
    pub const ALL: [Api; 4] = [Api::Anthropic, Api::Openai, Api::Bedrock, Api::Vertex];

    pub fn as_str(self) -> &'static str {
        match self {
            Api::Anthropic => "anthropic",
            Api::Openai => "openai",
            Api::Bedrock => "bedrock",
            Api::Vertex => "vertex",
        }
    }

    /// Bedrock and Vertex are reached by Claude Code itself, not through a base URL.
    pub fn uses_base_url(self) -> bool {
        matches!(self, Api::Anthropic | Api::Openai)
    }
}

/// The API kinds a provider on `preset` may speak: the preset's endpoints,
/// or any kind without a preset. Loading refuses any other, and the TUI
/// offers these, so the two cannot disagree.
pub fn api_choices(preset: Option<&Preset>) -> Vec<Api> {
    preset.map_or_else(|| Api::ALL.to_vec(), |p| p.apis().collect())
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Api {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Api::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| s.to_string())
    }
}

/// How the provider key is sent upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `x-api-key: <key>` (Anthropic style)
    XApiKey,
    /// `api-key: <key>` (Azure OpenAI)
    ApiKey,
    /// No credentials (local servers).
    None,
}

impl AuthStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthStyle::Bearer => "bearer",
            AuthStyle::XApiKey => "x-api-key",
            AuthStyle::ApiKey => "api-key",
            AuthStyle::None => "none",
        }
    }
}

/// One way of reaching a provider (its Anthropic-compatible or OpenAI endpoint, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Base URL as Claude Code / an OpenAI client would use it. Absent for
    /// `custom-*` presets (the user must give one) and for bedrock/vertex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Other base URLs for the same API (regions, coding plans), for pickers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternates: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthStyle>,
    /// Default cloud region (bedrock/vertex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "RawQuirks::is_empty")]
    pub quirks: RawQuirks,
}

/// Per-model facts. Every field is optional so a provider can override one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// Context window in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u64>,
    /// Maximum output tokens per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
    /// USD per million input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_price: Option<f64>,
    /// USD per million output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_price: Option<f64>,
    /// USD per million cache-read input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_price: Option<f64>,
    /// USD per million cache-write input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_price: Option<f64>,
    /// The model can produce reasoning/thinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<bool>,
    /// The model accepts image input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vision: Option<bool>,
}

impl ModelInfo {
    /// Field-wise override: fields set in `over` win.
    pub fn merged(&self, over: &ModelInfo) -> ModelInfo {
        ModelInfo {
            context: over.context.or(self.context),
            max_output: over.max_output.or(self.max_output),
            input_price: over.input_price.or(self.input_price),
            output_price: over.output_price.or(self.output_price),
            cache_read_price: over.cache_read_price.or(self.cache_read_price),
            cache_write_price: over.cache_write_price.or(self.cache_write_price),
            thinking: over.thinking.or(self.thinking),
            vision: over.vision.or(self.vision),
        }
    }
}

/// Suggested models for the two roles every profile has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Suggested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast: Option<String>,
}

/// A provider preset, as written in `assets/presets/<id>.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The preset id (file stem / table name); not written in the file.
    #[serde(skip)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other ids that select this preset (`kimi` for `moonshot`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Default API kind; must have an entry in `endpoints`.
    pub api: Api,
    /// Runs on the user's machine (no key, no internet).
    #[serde(default)]
    pub local: bool,
    /// Whether requests need a key at all.
    #[serde(default = "yes")]
    pub needs_key: bool,
    /// Conventional environment variable for the key (a suggestion only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// Where to get a key / read the docs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// One line shown to users (caveats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Ways of reaching the provider, per API kind.
    pub endpoints: IndexMap<Api, Endpoint>,
    #[serde(default)]
    pub suggested: Suggested,
    /// Known models with limits and prices; also the offline model list.
    #[serde(default)]
    pub models: IndexMap<String, ModelInfo>,
}

fn yes() -> bool {
    true
}

impl Preset {
    pub fn endpoint(&self, api: Api) -> Option<&Endpoint> {
        self.endpoints.get(&api)
    }

    pub fn apis(&self) -> impl Iterator<Item = Api> + '_ {
        self.endpoints.keys().copied()
    }

    pub fn matches(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }
}

/// Bedrock's cross-region inference profile prefixes: `us.anthropic.…` is
/// the same model as `anthropic.…`, served from several regions.
pub const BEDROCK_PROFILE_PREFIXES: &[&str] =
    &["global.", "us.", "eu.", "apac.", "jp.", "au.", "us-gov."];

/// A Bedrock model id without its cross-region prefix.
pub fn bedrock_base_model(id: &str) -> &str {
    BEDROCK_PROFILE_PREFIXES
        .iter()
        .find_map(|p| id.strip_prefix(p))
        .unwrap_or(id)
}

//! Built-in and user provider presets: data describing how to reach a provider.
//!
//! Presets are TOML in `assets/presets/` compiled into the binary; a user's
//! `presets.toml` in the config dir may add presets or override fields of
//! built-in ones. Nothing here performs network I/O.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "Quirks::is_empty")]
    pub quirks: Quirks,
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

/// OpenAI field that carries the output cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

/// How an OpenAI-kind upstream switches reasoning on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThinkingParam {
    /// `reasoning_effort: low|medium|high` (OpenAI, Gemini, xAI, Groq).
    ReasoningEffort,
    /// `thinking: {type: "enabled"|"disabled"}` (DeepSeek, Zhipu, Kimi).
    ThinkingObject,
    /// `enable_thinking: true` (Qwen/DashScope, SiliconFlow).
    EnableThinking,
    /// Never send a reasoning switch.
    None,
}

/// JSON-schema cleanup applied to tool schemas for OpenAI-kind upstreams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaDialect {
    /// Pass schemas through (minus `schema_strip` keys).
    Standard,
    /// Gemini's whitelist: no `$schema`/`additionalProperties`, `format` only
    /// enum/date-time, type arrays become `anyOf`, `enum` only on strings.
    Gemini,
}

/// Format constraint for tool-call ids sent upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolIdFormat {
    /// Any string (Anthropic `toolu_...` ids pass through).
    Any,
    /// Exactly nine ASCII letters/digits (Mistral).
    Alnum9,
}

/// Flags the proxy reads to work around provider behaviour. All optional so
/// that a provider entry in the user's config can override single flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// Hard cap on output tokens for every model of this endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Upstream honours `cache_control`; when false the proxy strips it and
    /// the launcher sets `DISABLE_PROMPT_CACHING=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_caching: Option<bool>,
    /// Upstream accepts image and document blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<bool>,
    /// Anthropic passthrough: remove the `anthropic-beta` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_betas: Option<bool>,
    /// Anthropic passthrough: top-level request fields the upstream rejects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_fields: Option<Vec<String>>,
    /// Anthropic passthrough: upstream needs thinking blocks echoed back in
    /// full on assistant turns (MiniMax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_thinking_history: Option<bool>,
    /// OpenAI: which field carries the output cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_field: Option<MaxTokensField>,
    /// OpenAI: response field carrying reasoning text (`reasoning_content`
    /// or `reasoning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_field: Option<String>,
    /// OpenAI: reasoning must be sent back on later assistant turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_echo: Option<bool>,
    /// OpenAI: reasoning may arrive inline as `<think>...</think>` in content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think_tags: Option<bool>,
    /// OpenAI: how to switch reasoning on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_param: Option<ThinkingParam>,
    /// OpenAI: send `stream_options.include_usage` when streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// OpenAI: upstream understands `parallel_tool_calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// OpenAI: JSON-schema keys to remove from tool schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_strip: Option<Vec<String>>,
    /// OpenAI: schema cleanup dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_dialect: Option<SchemaDialect>,
    /// OpenAI: tool-call id format the upstream accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<ToolIdFormat>,
    /// OpenAI (Gemini): echo `extra_content.google.thought_signature` on tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signatures: Option<bool>,
}

impl Quirks {
    pub fn is_empty(&self) -> bool {
        *self == Quirks::default()
    }

    /// Field-wise override: flags set in `over` win.
    pub fn merged(&self, over: &Quirks) -> Quirks {
        Quirks {
            max_output_tokens: over.max_output_tokens.or(self.max_output_tokens),
            prompt_caching: over.prompt_caching.or(self.prompt_caching),
            images: over.images.or(self.images),
            drop_betas: over.drop_betas.or(self.drop_betas),
            drop_fields: over
                .drop_fields
                .clone()
                .or_else(|| self.drop_fields.clone()),
            keep_thinking_history: over.keep_thinking_history.or(self.keep_thinking_history),
            max_tokens_field: over.max_tokens_field.or(self.max_tokens_field),
            reasoning_field: over
                .reasoning_field
                .clone()
                .or_else(|| self.reasoning_field.clone()),
            reasoning_echo: over.reasoning_echo.or(self.reasoning_echo),
            think_tags: over.think_tags.or(self.think_tags),
            thinking_param: over.thinking_param.or(self.thinking_param),
            include_usage: over.include_usage.or(self.include_usage),
            parallel_tool_calls: over.parallel_tool_calls.or(self.parallel_tool_calls),
            schema_strip: over
                .schema_strip
                .clone()
                .or_else(|| self.schema_strip.clone()),
            schema_dialect: over.schema_dialect.or(self.schema_dialect),
            tool_call_id: over.tool_call_id.or(self.tool_call_id),
            thought_signatures: over.thought_signatures.or(self.thought_signatures),
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

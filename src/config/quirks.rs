//! Provider quirks in two stages. [`RawQuirks`], every flag optional, is
//! what presets and config files write: a provider entry overrides single
//! flags of its preset's. [`RawQuirks::resolve`] turns the merged table into
//! [`Quirks`], plain values with their defaults decided here and nowhere
//! else, which the proxy and the translators read.

use serde::{Deserialize, Serialize};

/// OpenAI field that carries the output cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    #[default]
    MaxTokens,
    MaxCompletionTokens,
}

/// How an OpenAI-kind upstream switches reasoning on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThinkingParam {
    /// `reasoning_effort: low|medium|high` (OpenAI, Gemini, xAI, Groq).
    ReasoningEffort,
    /// `thinking: {type: "enabled"|"disabled"}` (DeepSeek, Zhipu, Kimi).
    ThinkingObject,
    /// `enable_thinking: true` (Qwen/DashScope, SiliconFlow).
    EnableThinking,
    /// Never send a reasoning switch.
    #[default]
    None,
}

/// JSON-schema cleanup applied to tool schemas for OpenAI-kind upstreams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaDialect {
    /// Pass schemas through (minus `schema_strip` keys).
    #[default]
    Standard,
    /// Gemini's whitelist: no `$schema`/`additionalProperties`, `format` only
    /// enum/date-time, type arrays become `anyOf`, `enum` only on strings.
    Gemini,
}

/// Format constraint for tool-call ids sent upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolIdFormat {
    /// Any string (Anthropic `toolu_...` ids pass through).
    #[default]
    Any,
    /// Exactly nine ASCII letters/digits (Mistral).
    Alnum9,
}

/// Where an OpenAI-kind upstream puts reasoning in its responses, and
/// where it wants it back on later assistant turns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningField {
    /// `reasoning_content`, a string (DeepSeek, Kimi, Qwen, GLM).
    #[default]
    ReasoningContent,
    /// `reasoning`, a string (OpenRouter, vLLM, Groq, Ollama).
    Reasoning,
    /// `reasoning_details`, a list of typed parts (`reasoning.text`,
    /// `reasoning.summary`, `reasoning.encrypted`), to be sent back as they
    /// came (OpenRouter, MiniMax with `reasoning_split`).
    ReasoningDetails,
}

/// An OpenAI-kind upstream's own web search, used for Anthropic's
/// `web_search` server tool instead of the `[search]` backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NativeSearch {
    /// None: the proxy searches with `[search]`.
    #[default]
    Off,
    /// OpenRouter's web plugin (`plugins: [{id: "web"}]`); sources come
    /// back as `url_citation` annotations on the message.
    Openrouter,
    /// Zhipu GLM's `web_search` tool; sources come back in the reply's
    /// top-level `web_search` list.
    Glm,
}

/// Flags as presets and config files write them: all optional, so that a
/// provider entry in the user's config can override single flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawQuirks {
    /// Hard cap on output tokens for every model of this endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Upstream honours `cache_control` (default true); when false the proxy
    /// strips it (and a launch without the proxy sets
    /// `DISABLE_PROMPT_CACHING=1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_caching: Option<bool>,
    /// Upstream accepts image and document blocks (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<bool>,
    /// Anthropic passthrough: remove the `anthropic-beta` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_betas: Option<bool>,
    /// Anthropic passthrough: top-level request fields the upstream rejects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_fields: Option<Vec<String>>,
    /// OpenAI: which field carries the output cap (default `max_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_field: Option<MaxTokensField>,
    /// OpenAI: where reasoning arrives and goes back (default
    /// `reasoning_content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_field: Option<ReasoningField>,
    /// OpenAI: reasoning must be sent back on later assistant turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_echo: Option<bool>,
    /// OpenAI: reasoning may arrive inline as `<think>...</think>` in
    /// content, and goes back inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think_tags: Option<bool>,
    /// OpenAI: how to switch reasoning on (default: never sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_param: Option<ThinkingParam>,
    /// OpenAI: send `stream_options.include_usage` when streaming (default
    /// true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// OpenAI: upstream understands `parallel_tool_calls` (default true).
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
    /// Anthropic passthrough: the upstream runs the `web_search` server
    /// tool itself (default false: the proxy runs it with `[search]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<bool>,
    /// OpenAI: the upstream's own web search runs Anthropic's `web_search`
    /// server tool (default off: the proxy runs it with `[search]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_search: Option<NativeSearch>,
    /// Anthropic passthrough: the upstream honours Anthropic's tool search
    /// (`defer_loading` tools, `tool_reference` blocks). Default false: the
    /// proxy applies it as it does for OpenAI-kind upstreams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_search: Option<bool>,
    /// Anthropic passthrough: the upstream runs auto mode's server-side
    /// safety check (the request's `safeguards`, answered in
    /// `safeguard_results`). Default false: such requests are refused with
    /// the 400 Claude Code's gateway contract names, and `ccswitch run`
    /// has Claude Code run the check itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safeguards: Option<bool>,
    /// OpenAI: how many stop sequences the upstream takes (default 4, the
    /// Chat Completions limit; 0 for models that reject `stop`). Whole
    /// replies are cut at every requested stop sequence by the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<u32>,
    /// Keep Claude Code's `x-anthropic-billing-header` system line (default
    /// false: it changes with every conversation and leads the prompt, so
    /// the proxy drops it to keep providers' prefix caches warm; only
    /// Anthropic reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_header: Option<bool>,
}

/// Quirks resolved to plain values: what the proxy and translators read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quirks {
    pub max_output_tokens: Option<u64>,
    pub prompt_caching: bool,
    pub images: bool,
    pub drop_betas: bool,
    pub drop_fields: Vec<String>,
    pub max_tokens_field: MaxTokensField,
    pub reasoning_field: ReasoningField,
    pub reasoning_echo: bool,
    pub think_tags: bool,
    pub thinking_param: ThinkingParam,
    pub include_usage: bool,
    pub parallel_tool_calls: bool,
    pub schema_strip: Vec<String>,
    pub schema_dialect: SchemaDialect,
    pub tool_call_id: ToolIdFormat,
    pub thought_signatures: bool,
    pub web_search: bool,
    pub native_search: NativeSearch,
    pub tool_search: bool,
    pub safeguards: bool,
    pub stop_sequences: u32,
    pub billing_header: bool,
}

impl Default for Quirks {
    /// What an upstream without known quirks gets.
    fn default() -> Self {
        RawQuirks::default().resolve()
    }
}

impl RawQuirks {
    pub fn is_empty(&self) -> bool {
        *self == RawQuirks::default()
    }

    /// Field-wise override: flags set in `over` win.
    pub fn merged(&self, over: &RawQuirks) -> RawQuirks {
        RawQuirks {
            max_output_tokens: over.max_output_tokens.or(self.max_output_tokens),
            prompt_caching: over.prompt_caching.or(self.prompt_caching),
            images: over.images.or(self.images),
            drop_betas: over.drop_betas.or(self.drop_betas),
            drop_fields: over
                .drop_fields
                .clone()
                .or_else(|| self.drop_fields.clone()),
            max_tokens_field: over.max_tokens_field.or(self.max_tokens_field),
            reasoning_field: over.reasoning_field.or(self.reasoning_field),
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
            web_search: over.web_search.or(self.web_search),
            native_search: over.native_search.or(self.native_search),
            tool_search: over.tool_search.or(self.tool_search),
            safeguards: over.safeguards.or(self.safeguards),
            stop_sequences: over.stop_sequences.or(self.stop_sequences),
            billing_header: over.billing_header.or(self.billing_header),
        }
    }

    /// The one place defaults are decided. Most flags describe a deviation
    /// from the API and default off; `prompt_caching`, `images`,
    /// `include_usage` and `parallel_tool_calls` describe support the API
    /// has, and default on; `stop_sequences` is the API's own limit.
    pub fn resolve(&self) -> Quirks {
        Quirks {
            // A zero cap is a configuration slip, not a real limit.
            max_output_tokens: self.max_output_tokens.filter(|&n| n > 0),
            prompt_caching: self.prompt_caching.unwrap_or(true),
            images: self.images.unwrap_or(true),
            drop_betas: self.drop_betas.unwrap_or(false),
            drop_fields: self.drop_fields.clone().unwrap_or_default(),
            max_tokens_field: self.max_tokens_field.unwrap_or_default(),
            reasoning_field: self.reasoning_field.unwrap_or_default(),
            reasoning_echo: self.reasoning_echo.unwrap_or(false),
            think_tags: self.think_tags.unwrap_or(false),
            thinking_param: self.thinking_param.unwrap_or_default(),
            include_usage: self.include_usage.unwrap_or(true),
            parallel_tool_calls: self.parallel_tool_calls.unwrap_or(true),
            schema_strip: self.schema_strip.clone().unwrap_or_default(),
            schema_dialect: self.schema_dialect.unwrap_or_default(),
            tool_call_id: self.tool_call_id.unwrap_or_default(),
            thought_signatures: self.thought_signatures.unwrap_or(false),
            web_search: self.web_search.unwrap_or(false),
            native_search: self.native_search.unwrap_or_default(),
            tool_search: self.tool_search.unwrap_or(false),
            safeguards: self.safeguards.unwrap_or(false),
            stop_sequences: self.stop_sequences.unwrap_or(4),
            billing_header: self.billing_header.unwrap_or(false),
        }
    }
}

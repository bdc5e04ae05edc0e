//! OpenAI Chat Completions wire types. Responses are parsed tolerantly:
//! providers omit fields, send `null` for arrays, and invent new ones.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::text::Text;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ChatTool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Provider-specific switches (`thinking`, `enable_thinking`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`, `tool`.
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ChatContent>,
    /// Reasoning echoed back on assistant turns, in the field the
    /// provider reads: `reasoning_content` (DeepSeek, Kimi, ...),
    /// `reasoning`, or `reasoning_details` (OpenRouter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ChatContent {
    Text(Text),
    Parts(Vec<Part>),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text { text: Text },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ImageUrl {
    pub url: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChatTool {
    #[serde(rename = "type")]
    pub kind: String,
    /// Set for `function` tools, the only kind the translator sends
    /// besides a provider's own (see [`ChatTool::native`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDef>,
    /// A provider's own tool's settings, under their own keys
    /// (`web_search: {...}` on GLM).
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionCall,
    /// Provider extras to echo back (Gemini's `extra_content`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunctionCall {
    pub name: String,
    pub arguments: String,
}

// ---------------------------------------------------------------- responses

/// `null` and missing both become the default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ChatUsage {
    #[serde(default, deserialize_with = "null_default")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub completion_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// DeepSeek reports cache hits here (and misses beside them; the two
    /// add up to `prompt_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_hit_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_miss_tokens: Option<u64>,
    /// Moonshot (Kimi) reports cache hits at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

/// OpenAI's breakdown of completion tokens; reasoning ones are part of
/// `completion_tokens` and billed as output.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct CompletionTokensDetails {
    #[serde(default, deserialize_with = "null_default")]
    pub reasoning_tokens: u64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_default")]
    pub cached_tokens: u64,
}

impl ChatUsage {
    pub fn cached(&self) -> u64 {
        self.prompt_tokens_details
            .map(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .or(self.cached_tokens)
            .unwrap_or(0)
    }

    /// All input tokens, cached or not. DeepSeek's hit and miss counts are
    /// the fallback for a body that leaves `prompt_tokens` out.
    pub fn prompt(&self) -> u64 {
        if self.prompt_tokens > 0 {
            return self.prompt_tokens;
        }
        let (hit, miss) = (self.prompt_cache_hit_tokens, self.prompt_cache_miss_tokens);
        hit.unwrap_or(0).saturating_add(miss.unwrap_or(0))
    }

    pub fn reasoning(&self) -> u64 {
        self.completion_tokens_details
            .map_or(0, |d| d.reasoning_tokens)
    }
}

/// A whole (non-streaming) response.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ChatResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    /// Some gateways report errors inside a 200 body.
    #[serde(default)]
    pub error: Option<Value>,
    /// Sources of GLM's `web_search` tool.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub web_search: Vec<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Choice {
    #[serde(default)]
    pub index: u64,
    #[serde(default)]
    pub message: RespMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct RespMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// OpenRouter, Ollama, Groq.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Typed reasoning parts (OpenRouter, MiniMax with `reasoning_split`).
    #[serde(default, deserialize_with = "null_default")]
    pub reasoning_details: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub tool_calls: Vec<RespToolCall>,
    #[serde(default)]
    pub refusal: Option<String>,
    /// Sources of a web search (OpenRouter: `url_citation` entries).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub annotations: Vec<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct RespToolCall {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: RespFunction,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct RespFunction {
    #[serde(default)]
    pub name: Option<String>,
    /// A JSON string; some providers send an object instead.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// One streamed chunk (`data: {...}`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ChatChunk {
    // A chunk's `id` and `model` are not read: they are left unparsed
    // (each would be an allocation on every chunk).
    #[serde(default, deserialize_with = "null_default")]
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    #[serde(default)]
    pub error: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ChunkChoice {
    #[serde(default)]
    pub index: u64,
    #[serde(default)]
    pub delta: ChunkDelta,
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Some providers put usage on the choice.
    #[serde(default)]
    pub usage: Option<ChatUsage>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ChunkDelta {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub reasoning_details: Vec<Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub tool_calls: Vec<ToolCallDelta>,
    #[serde(default)]
    pub refusal: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ToolCallDelta {
    /// Missing on some providers (Ollama's OpenAI path): key by id instead.
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: ToolFunctionDelta,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ToolFunctionDelta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

//! The response side: whole messages, stream events and errors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// The part of `output_tokens` that was reasoning, where an OpenAI-kind
    /// upstream says: for the usage ledger only, never sent to the client.
    #[serde(skip)]
    pub reasoning_tokens: u64,
    /// The part of `cache_creation_input_tokens` kept for an hour
    /// (`cache_creation.ephemeral_1h_input_tokens`), which costs more: for
    /// the ledger only; the upstream's own usage reaches the client as is.
    #[serde(skip)]
    pub cache_write_1h: u64,
    /// No upstream numbers: counted from bytes. The ledger marks such rows.
    #[serde(skip)]
    pub estimated: bool,
    /// Server tools the proxy ran for this message (`web_search`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUsage>,
}

/// `usage.server_tool_use`, as Anthropic reports it.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ServerToolUsage {
    pub web_search_requests: u32,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    #[serde(other)]
    Unknown,
}

/// A content block in a response.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutBlock {
    Thinking {
        thinking: String,
        signature: String,
    },
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// A server tool's call (`web_search`), made by the proxy's loop for
    /// upstreams that cannot run the tool.
    ServerToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// Its results: a list of `web_search_result`, or an error object.
    WebSearchToolResult {
        tool_use_id: String,
        content: Value,
    },
}

/// A whole (non-streaming) response.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct MessageResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: String,
    pub model: String,
    pub content: Vec<OutBlock>,
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

impl MessageResponse {
    pub fn new(id: &str, model: &str) -> MessageResponse {
        MessageResponse {
            id: id.to_string(),
            kind: "message".to_string(),
            role: "assistant".to_string(),
            model: model.to_string(),
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: Usage::default(),
        }
    }
}

/// Streaming deltas.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    TextDelta { text: String },
    InputJsonDelta { partial_json: String },
    ThinkingDelta { thinking: String },
    SignatureDelta { signature: String },
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct MessageDeltaBody {
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
}

/// Error body: `{"type":"error","error":{"type":...,"message":...}}`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// One server-sent event of a streamed response.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    MessageStart {
        message: MessageResponse,
    },
    ContentBlockStart {
        index: usize,
        content_block: OutBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: Delta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        usage: Usage,
    },
    MessageStop,
    Ping,
    Error {
        error: ErrorBody,
    },
}

impl Event {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::MessageStart { .. } => "message_start",
            Event::ContentBlockStart { .. } => "content_block_start",
            Event::ContentBlockDelta { .. } => "content_block_delta",
            Event::ContentBlockStop { .. } => "content_block_stop",
            Event::MessageDelta { .. } => "message_delta",
            Event::MessageStop => "message_stop",
            Event::Ping => "ping",
            Event::Error { .. } => "error",
        }
    }
}

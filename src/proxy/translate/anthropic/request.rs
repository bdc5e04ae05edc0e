//! The request side: what Claude Code sends.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages` (and, without `max_tokens`, `count_tokens`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Thinking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Auto mode asks the upstream to run its safety check. Read to refuse
    /// it where the upstream cannot; never translated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safeguards: Option<Value>,
}

use super::block::{Block, TextOrBlocks, from_text_or_blocks};
use crate::proxy::translate::text::Text;

from_text_or_blocks!(System, Content);

/// `system`: a string or an array of text blocks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged, from = "TextOrBlocks")]
pub enum System {
    Text(Text),
    Blocks(Vec<Block>),
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// Claude Code puts a `role: "system"` message (its environment block)
    /// inside `messages[]` on every turn.
    System,
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

/// Message content: a string or an array of blocks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged, from = "TextOrBlocks")]
pub enum Content {
    Text(Text),
    Blocks(Vec<Block>),
}

impl Content {
    /// The content as blocks (a string becomes one text block); blocks
    /// are borrowed, not copied.
    pub fn blocks(&self) -> Cow<'_, [Block]> {
        match self {
            Content::Text(t) => Cow::Owned(vec![Block::Text {
                text: t.clone(),
                cache_control: None,
            }]),
            Content::Blocks(b) => Cow::Borrowed(b),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Tool {
    /// Set for server tools (`web_search_20250305`, ...); absent for
    /// ordinary client tools (or `"custom"`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Empty for tool types that carry no name (a future toolset): those
    /// are dropped with a note, not refused.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_loading: Option<bool>,
    /// `web_search`'s options, as sent: the proxy runs that tool for
    /// upstreams that cannot, and must run it as asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_domains: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_domains: Option<Value>,
}

impl Tool {
    /// Server tools (`web_search_20250305`, ...) run on Anthropic's side and
    /// cannot be translated; client tools have no type or `custom`.
    pub fn is_server_tool(&self) -> bool {
        self.kind.as_deref().is_some_and(|k| k != "custom")
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
    /// A choice newer than this proxy: dropped with a note (the upstream
    /// decides), where refusing it would fail every turn.
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Thinking {
    /// `enabled`, `adaptive` or `disabled`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct OutputConfig {
    /// `low`, `medium`, `high`, `xhigh`, `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::translate::anthropic::block::ToolResultContent;

    fn parse(body: Value) -> Result<MessagesRequest, String> {
        serde_json::from_value(body).map_err(|e| e.to_string())
    }

    #[test]
    fn text_or_blocks_follow_the_json_type_and_round_trip() {
        let body = serde_json::json!({
            "model": "m", "system": "be brief", "context_management": {"edits": []},
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Bash", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": "ok"},
                    {"type": "tool_result", "tool_use_id": "u", "content": [{"type": "text", "text": "x"}]},
                    {"type": "tool_result", "tool_use_id": "v", "content": null},
                ]},
            ],
        });
        let r = parse(body).unwrap();
        assert_eq!(r.system, Some(System::Text("be brief".into())));
        assert_eq!(r.messages[0].content, Content::Text("hi".into()));
        let Content::Blocks(results) = &r.messages[2].content else {
            panic!("blocks expected")
        };
        let contents: Vec<_> = results
            .iter()
            .map(|b| match b {
                Block::ToolResult { content, .. } => content.clone(),
                _ => panic!("tool_result expected"),
            })
            .collect();
        assert_eq!(contents[0], Some(ToolResultContent::Text("ok".into())));
        assert!(matches!(contents[1], Some(ToolResultContent::Blocks(ref b)) if b.len() == 1));
        assert_eq!(contents[2], None);
        // Serialized back in the same shapes (unknown fields are not kept).
        let again = serde_json::to_value(&r).unwrap();
        assert_eq!(again["system"], "be brief");
        assert_eq!(
            again["messages"][2]["content"][1]["content"][0]["text"],
            "x"
        );
        assert!(again.get("context_management").is_none());
    }

    #[test]
    fn wrong_content_types_name_what_was_expected() {
        let e =
            parse(serde_json::json!({"model": "m", "messages": [{"role": "user", "content": 5}]}))
                .unwrap_err();
        assert!(
            e.contains("expected a string or an array of content blocks"),
            "{e}"
        );
        let e = parse(serde_json::json!({"model": "m", "messages": [], "system": {"text": "x"}}))
            .unwrap_err();
        assert!(e.contains("a string or an array"), "{e}");
    }
}

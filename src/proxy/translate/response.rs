//! Whole (non-streaming) OpenAI Chat Completions response → Anthropic message.
//!
//! Pure: no I/O, no clock, no randomness. The message id comes in, so the
//! same response always translates the same way.

use serde_json::{Map, Value};

use super::anthropic::{MessageResponse, OutBlock, StopReason};
use super::common::{THINKING_SIGNATURE, fallback_tool_id, stop_reason, usage};
use super::openai::{ChatResponse, RespToolCall};
use super::think::split_whole;
use super::tool_names::original;

pub struct ResponseCtx<'a> {
    /// Id for the Anthropic message (passed in: no randomness).
    pub message_id: &'a str,
    /// Model name to report back (the one Claude Code asked for).
    pub model: &'a str,
    /// Split inline `<think>` tags out of the content.
    pub think_tags: bool,
    /// Tool names the request sent in a short form, as (sent, original).
    pub renamed_tools: &'a [(String, String)],
}

/// Anthropic order: thinking, then text, then tool calls. Only the first
/// choice is used (Claude Code never asks for more).
pub fn from_openai(resp: &ChatResponse, ctx: &ResponseCtx) -> MessageResponse {
    let mut out = MessageResponse::new(ctx.message_id, ctx.model);
    out.usage = resp.usage.as_ref().map(usage).unwrap_or_default();
    let Some(choice) = resp.choices.first() else {
        out.stop_reason = Some(StopReason::EndTurn);
        return out;
    };
    let msg = &choice.message;

    // Some providers send both fields with the same text; one is enough.
    let field = [&msg.reasoning_content, &msg.reasoning]
        .into_iter()
        .flatten()
        .map(|r| r.trim())
        .find(|r| !r.is_empty());
    let mut thinking: Vec<String> = field.map(str::to_string).into_iter().collect();
    let mut text = msg.content.clone().unwrap_or_default();
    if ctx.think_tags {
        let (inline, rest) = split_whole(&text);
        // Models wrap reasoning in newlines inside the tags.
        let inline = inline.trim();
        if !inline.is_empty() {
            thinking.push(inline.to_string());
        }
        text = rest;
    }
    let thinking = thinking.join("\n\n");
    if !thinking.is_empty() {
        out.content.push(OutBlock::Thinking {
            thinking,
            signature: THINKING_SIGNATURE.to_string(),
        });
    }
    // Whitespace-only text blocks are rejected by Anthropic-kind upstreams
    // if the conversation later moves to one.
    if !text.trim().is_empty() {
        out.content.push(OutBlock::Text { text });
    }
    let refusal = msg.refusal.as_deref().filter(|r| !r.trim().is_empty());
    if let Some(r) = refusal {
        out.content.push(OutBlock::Text {
            text: r.to_string(),
        });
    }
    for (n, call) in msg.tool_calls.iter().enumerate() {
        out.content.push(tool_use(call, ctx, n));
    }

    let saw_tools = !msg.tool_calls.is_empty();
    out.stop_reason = Some(if refusal.is_some() {
        StopReason::Refusal
    } else {
        stop_reason(choice.finish_reason.as_deref(), saw_tools)
    });
    out
}

fn tool_use(call: &RespToolCall, ctx: &ResponseCtx, n: usize) -> OutBlock {
    let message_id = ctx.message_id;
    let id = call.id.as_deref().filter(|id| !id.is_empty()).map_or_else(
        || fallback_tool_id(message_id, n),
        |id| super::tool_ids::to_client(id).into_owned(),
    );
    OutBlock::ToolUse {
        id,
        name: original(
            call.function.name.as_deref().unwrap_or_default(),
            ctx.renamed_tools,
        )
        .to_string(),
        input: input(call.function.arguments.as_ref()),
    }
}

/// Tool arguments as an object. Unparseable or non-object arguments are
/// kept under `_raw` rather than replaced by `{}`: Claude Code's input
/// validation then names the problem, and the model sees in its own
/// history what it actually sent, which helps it correct the call.
fn input(args: Option<&Value>) -> Value {
    let raw = |v: Value| {
        let mut m = Map::new();
        m.insert("_raw".into(), v);
        Value::Object(m)
    };
    match args {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(Value::String(s)) if s.trim().is_empty() => Value::Object(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Value::Object(m),
            // Double-encoded arguments (a JSON string holding the object).
            Ok(Value::String(inner)) => match serde_json::from_str::<Value>(&inner) {
                Ok(Value::Object(m)) => Value::Object(m),
                _ => raw(Value::String(s.clone())),
            },
            _ => raw(Value::String(s.clone())),
        },
        Some(other) => raw(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_become_objects() {
        assert_eq!(input(None), json!({}));
        assert_eq!(input(Some(&json!(""))), json!({}));
        assert_eq!(input(Some(&json!("{\"a\":1}"))), json!({"a": 1}));
        assert_eq!(input(Some(&json!("\"{\\\"a\\\":1}\""))), json!({"a": 1}));
        assert_eq!(input(Some(&json!({"a": 1}))), json!({"a": 1}));
        assert_eq!(input(Some(&json!("{\"a\":"))), json!({"_raw": "{\"a\":"}));
        assert_eq!(input(Some(&json!("[1]"))), json!({"_raw": "[1]"}));
        assert_eq!(input(Some(&json!(3))), json!({"_raw": 3}));
    }

    #[test]
    fn empty_choices_end_the_turn() {
        let ctx = ResponseCtx {
            message_id: "msg_1",
            model: "m",
            think_tags: false,
            renamed_tools: &[],
        };
        let out = from_openai(&ChatResponse::default(), &ctx);
        assert!(out.content.is_empty());
        assert_eq!(out.stop_reason, Some(StopReason::EndTurn));
    }
}

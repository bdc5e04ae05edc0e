//! Whole (non-streaming) OpenAI Chat Completions response → Anthropic message.
//!
//! Pure: no I/O, no clock, no randomness. The message id comes in, so the
//! same response always translates the same way.

use serde_json::{Map, Value};

use super::anthropic::{MessageResponse, OutBlock, ServerToolUsage, StopReason};
use super::common::{details_text, fallback_tool_id, reasoning_from, stop_reason, usage};
use super::native_search;
use super::openai::{ChatResponse, RespMessage, RespToolCall};
use super::provenance::reasoning_signature;
use super::think::split_whole;
use super::tool_names::original;
use crate::config::Quirks;
use crate::config::quirks::ReasoningField;

pub struct ResponseCtx<'a> {
    /// Id for the Anthropic message (passed in: no randomness).
    pub message_id: &'a str,
    /// Model name to report back (the one Claude Code asked for).
    pub model: &'a str,
    /// The upstream's quirks (where reasoning arrives, inline tags).
    pub quirks: &'a Quirks,
    /// Tool names the request sent in a short form, as (sent, original).
    pub renamed_tools: &'a [(String, String)],
    /// The query, when the upstream's own search ran the request's web
    /// search tool: its sources become Anthropic's search blocks.
    pub web_search: Option<&'a str>,
    /// The request's stop sequences: the reply is cut at the first one the
    /// upstream did not stop at itself (it may take fewer, or none).
    pub stop_sequences: &'a [String],
    /// The provider named in thinking signatures (`Provenance::tag`):
    /// none for the untagged form a single-provider profile keeps.
    pub thinking_maker: Option<&'a str>,
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

    let field = reasoning_text(msg, ctx.quirks.reasoning_field);
    let mut thinking: Vec<String> = field.into_iter().collect();
    let mut text = msg.content.clone().unwrap_or_default();
    if ctx.quirks.think_tags {
        let (inline, rest) = split_whole(&text);
        // Models wrap reasoning in newlines inside the tags.
        let inline = inline.trim();
        if !inline.is_empty() {
            thinking.push(inline.to_string());
        }
        text = rest;
    }
    let thinking = thinking.join("\n\n");
    // Parts that must go back as they came are kept even without text
    // (encrypted reasoning).
    let keep = match ctx.quirks.reasoning_field {
        ReasoningField::ReasoningDetails => msg.reasoning_details.as_slice(),
        _ => &[],
    };
    if !thinking.is_empty() || !keep.is_empty() {
        out.content.push(OutBlock::Thinking {
            thinking,
            signature: reasoning_signature(ctx.thinking_maker, keep),
        });
    }
    // Anthropic's order: the search, its results, then the answer.
    if let Some(query) = ctx.web_search {
        let hits = native_search::sources(resp);
        if !hits.is_empty() {
            text = native_search::cite(&text, resp);
            out.content
                .extend(native_search::blocks(ctx.message_id, query, &hits));
            out.usage.server_tool_use = Some(ServerToolUsage {
                web_search_requests: 1,
            });
        }
    }
    let stopped_at = cut_at_stop(&mut text, ctx.stop_sequences);
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
    } else if stopped_at.is_some() && !saw_tools {
        StopReason::StopSequence
    } else {
        stop_reason(choice.finish_reason.as_deref(), saw_tools)
    });
    if out.stop_reason == Some(StopReason::StopSequence) {
        out.stop_sequence = stopped_at;
    }
    out
}

/// Ends `text` before the first of `stops` in it, as Anthropic's API stops
/// generating there; returns the stop sequence it ended at. Auto mode's
/// classifier reads its verdict up to `</block>` and treats more text as
/// a different answer, so a provider that ignored the stop (or was not
/// sent it: see the `stop_sequences` quirk) must not change the verdict.
fn cut_at_stop(text: &mut String, stops: &[String]) -> Option<String> {
    let (at, stop) = stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|i| (i, s)))
        .min_by_key(|(i, _)| *i)?;
    text.truncate(at);
    Some(stop.clone())
}

/// The message's reasoning text (see [`reasoning_from`]).
fn reasoning_text(msg: &RespMessage, field: ReasoningField) -> Option<String> {
    reasoning_from(
        field,
        msg.reasoning_content.as_deref(),
        msg.reasoning.as_deref(),
        &|| details_text(&msg.reasoning_details),
        true,
    )
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
        let quirks = Quirks::default();
        let ctx = ResponseCtx {
            message_id: "msg_1",
            model: "m",
            quirks: &quirks,
            renamed_tools: &[],
            web_search: None,
            stop_sequences: &[],
            thinking_maker: None,
        };
        let out = from_openai(&ChatResponse::default(), &ctx);
        assert!(out.content.is_empty());
        assert_eq!(out.stop_reason, Some(StopReason::EndTurn));
    }
}

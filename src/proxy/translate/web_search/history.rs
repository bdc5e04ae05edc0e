//! Earlier searches in a conversation, for a model that knows only
//! functions: Anthropic keeps a server tool's call and its results inside
//! the assistant's message; a function's result must come from the user.
//! So `[text, server_tool_use, web_search_tool_result, text]` becomes an
//! assistant message ending in a `tool_use`, a user message with its
//! `tool_result`, and an assistant message with the rest.

use serde_json::{Value, json};

use super::spec::{TOOL_NAME, model_text};
use crate::hit::Hit;

/// Rewrites `messages` in place; a conversation without server blocks is
/// left exactly as it was.
pub fn unfold_history(messages: &mut Vec<Value>) {
    let has_server_blocks = messages.iter().any(|m| {
        m.get("content")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(is_server_block))
    });
    if !has_server_blocks {
        return;
    }
    let mut out: Vec<Value> = Vec::with_capacity(messages.len() + 2);
    for m in messages.drain(..) {
        let is_assistant = m.get("role").and_then(Value::as_str) == Some("assistant");
        let Some(blocks) = m
            .get("content")
            .and_then(Value::as_array)
            .filter(|_| is_assistant)
        else {
            push_merged(&mut out, m);
            continue;
        };
        let mut queries: Vec<(String, String)> = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        for b in blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("server_tool_use")
                    if b.get("name").and_then(Value::as_str) == Some(TOOL_NAME) =>
                {
                    let id = b.get("id").and_then(Value::as_str).unwrap_or_default();
                    let input = b.get("input").cloned().unwrap_or_else(|| json!({}));
                    let query = input
                        .get("query")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    queries.push((id.to_string(), query.to_string()));
                    current.push(
                        json!({"type": "tool_use", "id": id, "name": TOOL_NAME, "input": input}),
                    );
                }
                Some("web_search_tool_result") => {
                    let id = b
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let query = queries
                        .iter()
                        .find(|(q_id, _)| q_id == id)
                        .map_or("", |(_, q)| q.as_str());
                    let text = result_text(query, b.get("content"));
                    push_merged(
                        &mut out,
                        json!({"role": "assistant", "content": std::mem::take(&mut current)}),
                    );
                    push_merged(
                        &mut out,
                        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": text}]}),
                    );
                }
                _ => current.push(b.clone()),
            }
        }
        if !current.is_empty() {
            push_merged(&mut out, json!({"role": "assistant", "content": current}));
        }
    }
    *messages = out;
}

fn is_server_block(b: &Value) -> bool {
    matches!(
        b.get("type").and_then(Value::as_str),
        Some("server_tool_use" | "web_search_tool_result")
    )
}

/// A result block's content as the model reads it.
fn result_text(query: &str, content: Option<&Value>) -> String {
    let Some(Value::Array(results)) = content else {
        let code = content
            .and_then(|c| c.get("error_code"))
            .and_then(Value::as_str)
            .unwrap_or("unavailable");
        return format!("Web search failed ({code}).");
    };
    let hits: Vec<Hit> = results
        .iter()
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
            Hit {
                url: s("url").unwrap_or_default(),
                title: s("title").unwrap_or_default(),
                // Ours carry the snippet; Anthropic's are really encrypted
                // and would only be noise to another model.
                snippet: s("encrypted_content")
                    .filter(|c| c.len() < 2_000 && c.contains(' '))
                    .unwrap_or_default(),
                page_age: s("page_age"),
            }
        })
        .collect();
    model_text(query, &hits)
}

/// Appends a message, joining it to the last one when both have the same
/// role (the split must not leave two user messages in a row).
fn push_merged(out: &mut Vec<Value>, m: Value) {
    let role = m.get("role").cloned();
    let empty = m
        .get("content")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    if empty {
        return;
    }
    if let Some(last) = out.last_mut()
        && last.get("role") == role.as_ref()
    {
        let mut add = blocks_of(&m);
        let mut have = blocks_of(last);
        have.append(&mut add);
        last["content"] = Value::Array(have);
        return;
    }
    out.push(m);
}

fn blocks_of(m: &Value) -> Vec<Value> {
    match m.get("content") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => vec![json!({"type": "text", "text": s})],
        _ => Vec::new(),
    }
}

//! The Anthropic-compatible path: the client's request is forwarded with the
//! model, limits and provider quirks applied, and the response is streamed
//! back untouched while usage is read on the side.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::{Map, Value};

use super::translate::anthropic::Usage;
use super::translate::common::THINKING_SIGNATURE;
use super::translate::sse::SseDecoder;
use crate::config::Quirks;

/// Rewrite a request body for the upstream. Returns notes for the log.
pub fn rewrite_request(
    body: &mut Map<String, Value>,
    upstream_model: &str,
    quirks: &Quirks,
    max_output: Option<u64>,
) -> Vec<String> {
    let mut notes = Vec::new();
    body.insert("model".into(), Value::String(upstream_model.to_string()));
    let cap = [max_output, quirks.max_output_tokens]
        .into_iter()
        .flatten()
        .min();
    if let (Some(cap), Some(asked)) = (cap, body.get("max_tokens").and_then(Value::as_u64))
        && asked > cap
    {
        body.insert("max_tokens".into(), cap.into());
        notes.push(format!("max_tokens {asked} clamped to {cap}"));
    }
    // The device id in metadata.user_id is nobody else's business.
    body.remove("metadata");
    for field in quirks.drop_fields.iter().flatten() {
        if body.remove(field).is_some() {
            notes.push(format!("dropped field {field}"));
        }
    }
    if quirks.prompt_caching == Some(false) {
        for key in ["system", "messages", "tools"] {
            if let Some(v) = body.get_mut(key) {
                strip_key(v, "cache_control");
            }
        }
    }
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        let dropped = drop_foreign_thinking(messages);
        if dropped > 0 {
            notes.push(format!(
                "dropped {dropped} thinking block(s) made by another provider"
            ));
        }
        if quirks.images == Some(false) {
            let replaced = replace_media(messages);
            if replaced > 0 {
                notes.push(format!(
                    "replaced {replaced} image/document block(s) the provider cannot read"
                ));
            }
        }
    }
    notes
}

fn strip_key(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|v| strip_key(v, key));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| strip_key(v, key)),
        _ => {}
    }
}

/// Thinking blocks ccswitch made from an OpenAI-kind provider's reasoning
/// carry a signature no Anthropic-compatible upstream can verify (this
/// happens when a session switches models across providers).
fn drop_foreign_thinking(messages: &mut Vec<Value>) -> usize {
    let mut dropped = 0;
    for m in messages.iter_mut() {
        if let Some(Value::Array(blocks)) = m.get_mut("content") {
            let before = blocks.len();
            blocks.retain(|b| {
                !(b.get("type").and_then(Value::as_str) == Some("thinking")
                    && b.get("signature").and_then(Value::as_str) == Some(THINKING_SIGNATURE))
            });
            dropped += before - blocks.len();
        }
    }
    // An assistant turn that was only such thinking is now empty; an empty
    // content array is rejected, so the turn goes.
    messages.retain(|m| !matches!(m.get("content"), Some(Value::Array(b)) if b.is_empty()));
    dropped
}

fn replace_media(messages: &mut [Value]) -> usize {
    fn walk(v: &mut Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                let kind = m.get("type").and_then(Value::as_str);
                if matches!(kind, Some("image" | "document")) {
                    let what = kind.unwrap_or("image").to_string();
                    *v = serde_json::json!({
                        "type": "text",
                        "text": format!("[{what} omitted: this provider does not accept {what}s]"),
                    });
                    *n += 1;
                } else {
                    m.values_mut().for_each(|v| walk(v, n));
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, n)),
            _ => {}
        }
    }
    let mut n = 0;
    messages.iter_mut().for_each(|m| walk(m, &mut n));
    n
}

/// Reads usage and the end of the message out of a forwarded SSE stream.
#[derive(Default)]
pub struct UsageSniffer {
    decoder: SseDecoder,
    pub usage: Usage,
    pub stopped: bool,
    pub errored: bool,
}

impl UsageSniffer {
    pub fn push(&mut self, bytes: &[u8]) {
        for ev in self.decoder.push(bytes) {
            self.event(&ev.data);
        }
    }

    fn event(&mut self, data: &str) {
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return;
        };
        match v.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                if let Some(u) = v.pointer("/message/usage") {
                    merge_usage(&mut self.usage, u);
                }
            }
            Some("message_delta") => {
                if let Some(u) = v.get("usage") {
                    merge_usage(&mut self.usage, u);
                }
            }
            Some("message_stop") => self.stopped = true,
            Some("error") => self.errored = true,
            _ => {}
        }
    }
}

/// Later usage reports override earlier ones field by field.
pub fn merge_usage(into: &mut Usage, v: &Value) {
    let get = |k: &str| v.get(k).and_then(Value::as_u64);
    if let Some(n) = get("input_tokens") {
        into.input_tokens = n;
    }
    if let Some(n) = get("output_tokens") {
        into.output_tokens = n;
    }
    if let Some(n) = get("cache_read_input_tokens") {
        into.cache_read_input_tokens = Some(n);
    }
    if let Some(n) = get("cache_creation_input_tokens") {
        into.cache_creation_input_tokens = Some(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rewrites_model_limits_and_quirks() {
        let mut body = json!({
            "model": "claude-opus-5-5",
            "max_tokens": 32000,
            "metadata": {"user_id": "{\"device_id\":\"abc\"}"},
            "context_management": {"edits": []},
            "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
                                              {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": THINKING_SIGNATURE}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "real"}, {"type": "text", "text": "ok"}]}
            ]
        });
        let quirks = Quirks {
            prompt_caching: Some(false),
            drop_fields: Some(vec!["context_management".into()]),
            images: Some(false),
            max_output_tokens: Some(16000),
            ..Quirks::default()
        };
        let m = body.as_object_mut().unwrap();
        let notes = rewrite_request(m, "deepseek-v4-pro", &quirks, Some(8192));
        assert_eq!(m["model"], "deepseek-v4-pro");
        assert_eq!(m["max_tokens"], 8192);
        assert!(!m.contains_key("metadata") && !m.contains_key("context_management"));
        let text = serde_json::to_string(&body).unwrap();
        assert!(!text.contains("cache_control"), "{text}");
        assert!(text.contains("image omitted"), "{text}");
        assert!(!text.contains(THINKING_SIGNATURE), "{text}");
        assert!(text.contains("\"signature\":\"real\""), "{text}");
        assert_eq!(body["messages"].as_array().unwrap().len(), 2);
        assert_eq!(notes.len(), 4, "{notes:?}");
    }

    #[test]
    fn leaves_what_it_need_not_touch() {
        let mut body = json!({"model": "m", "max_tokens": 100, "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}], "messages": []});
        let m = body.as_object_mut().unwrap();
        let notes = rewrite_request(m, "up", &Quirks::default(), Some(8192));
        assert!(notes.is_empty());
        assert_eq!(m["max_tokens"], 100);
        assert!(
            serde_json::to_string(&body)
                .unwrap()
                .contains("cache_control")
        );
    }

    #[test]
    fn sniffs_usage_from_a_stream() {
        let sse = include_str!("../../tests/fixtures/claude-code/responses/stream-tool-use.sse");
        let mut s = UsageSniffer::default();
        for chunk in sse.as_bytes().chunks(5) {
            s.push(chunk);
        }
        assert!(s.stopped && !s.errored);
        assert_eq!((s.usage.input_tokens, s.usage.output_tokens), (44, 7));
    }
}

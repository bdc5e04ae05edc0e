//! A provider's automatic prefix cache, as the scripted upstreams report
//! it: a request's cached tokens are the longest prefix it shares with any
//! earlier request of the run (DeepSeek, Kimi, GLM, Qwen's implicit cache
//! and OpenAI all cache this way), in the provider's own usage fields.
//!
//! The prompt is rendered as providers render it before their model sees
//! it: tools, then the system prompt, then the messages; `cache_control`
//! marks are not part of it. Four bytes count as a token. Real caches
//! work in blocks (64 or 128 tokens), so these figures are a little
//! kinder than a provider's, by at most a block per request.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::mock::{self, Recorded, Reply};

/// One request's input as the cache saw it, in tokens.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seen {
    pub total: u64,
    pub cached: u64,
}

/// What a run's requests had cached, in arrival order.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<Vec<Seen>>>);

impl Ledger {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// The share of input tokens read from the cache over requests
    /// `range` (0-based).
    pub fn share(&self, range: std::ops::Range<usize>) -> f64 {
        let all = self.all();
        let (t, c) = all[range]
            .iter()
            .fold((0, 0), |(t, c), s| (t + s.total, c + s.cached));
        c as f64 / t.max(1) as f64
    }
}

fn strip_cache_control(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("cache_control");
            m.values_mut().for_each(strip_cache_control);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_cache_control),
        _ => {}
    }
}

/// Content made only of text blocks reads as their text, as a provider's
/// chat template renders it: `[{"type":"text","text":"a"}]` and `"a"` are
/// the same prompt.
fn flatten_text(v: &mut Value) {
    let Some(items) = v.as_array_mut() else {
        return;
    };
    for m in items {
        let Some(content) = m.get_mut("content") else {
            continue;
        };
        let texts: Option<Vec<&str>> = content.as_array().and_then(|blocks| {
            blocks
                .iter()
                .map(|b| (b["type"] == "text").then(|| b["text"].as_str()).flatten())
                .collect()
        });
        if let Some(t) = texts {
            *content = Value::String(t.concat());
        }
    }
}

/// The prompt a provider's model would see, as text.
pub fn render(body: &str) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    strip_cache_control(&mut v);
    if let Some(m) = v.get_mut("messages") {
        flatten_text(m);
    }
    let mut out = String::new();
    for key in ["tools", "system", "messages"] {
        if let Some(x) = v.get(key) {
            out.push_str(&x.to_string());
        }
    }
    out
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// The cache's view of `this`, given what came `earlier`.
pub fn seen(this: &Recorded, earlier: &[Recorded]) -> Seen {
    let r = render(&this.body);
    // To see where a prefix moves: each request and its rendering.
    if let Some(dir) = std::env::var_os("PREFIX_CACHE_DUMP") {
        let dir = std::path::Path::new(&dir);
        let n = earlier.len() + 1;
        std::fs::write(dir.join(format!("req{n}.json")), &this.body).unwrap();
        std::fs::write(dir.join(format!("render{n}.txt")), &r).unwrap();
    }
    let cached = earlier
        .iter()
        .map(|e| common_prefix(&r, &render(&e.body)))
        .max()
        .unwrap_or(0);
    Seen {
        total: (r.len() as u64).div_ceil(4),
        cached: cached as u64 / 4,
    }
}

/// What the scripted model does in a turn.
#[derive(Clone, Debug)]
pub enum Turn {
    Text(String),
    Call {
        name: String,
        id: String,
        input: Value,
    },
}

pub fn text(t: &str) -> Turn {
    Turn::Text(t.to_string())
}

pub fn call(name: &str, id: &str, input: Value) -> Turn {
    Turn::Call {
        name: name.into(),
        id: id.into(),
        input,
    }
}

/// An OpenAI-kind streamed turn whose usage reports the prefix cache in
/// `prompt_tokens_details.cached_tokens`.
pub fn openai(turn: Turn, ledger: &Ledger) -> Reply {
    let ledger = ledger.clone();
    mock::computed(move |this, earlier| {
        let s = seen(this, earlier);
        ledger.0.lock().unwrap().push(s);
        let (delta, finish) = match &turn {
            Turn::Text(t) => (json!({"content": t}), "stop"),
            Turn::Call { name, id, input } => (
                json!({"tool_calls": [{"index": 0, "id": id, "type": "function",
                    "function": {"name": name, "arguments": input.to_string()}}]}),
                "tool_calls",
            ),
        };
        let c = json!({"choices": [{"index": 0, "delta": delta}]}).to_string();
        let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
            "usage": {"prompt_tokens": s.total, "completion_tokens": 12,
                      "prompt_tokens_details": {"cached_tokens": s.cached}}})
        .to_string();
        mock::sse(&[&c, &f, "[DONE]"])
    })
}

/// An Anthropic-kind streamed turn whose usage reports the prefix cache as
/// `cache_read_input_tokens`.
pub fn anthropic(turn: Turn, ledger: &Ledger) -> Reply {
    let ledger = ledger.clone();
    mock::computed(move |this, earlier| {
        let s = seen(this, earlier);
        ledger.0.lock().unwrap().push(s);
        let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        let (start, delta, stop) = match &turn {
            Turn::Text(t) => (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": t}),
                "end_turn",
            ),
            Turn::Call { name, id, input } => (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                json!({"type": "input_json_delta", "partial_json": input.to_string()}),
                "tool_use",
            ),
        };
        let chunks = [
            ev(
                "message_start",
                // Claude Code joins the blocks of messages that share an
                // id, as the parts of one: each turn has its own.
                json!({"type": "message_start", "message": {"id": format!("msg_pc{}", earlier.len()), "type": "message",
                    "role": "assistant", "model": "m", "content": [], "stop_reason": null,
                    "stop_sequence": null, "usage": {"input_tokens": s.total - s.cached,
                    "cache_read_input_tokens": s.cached, "cache_creation_input_tokens": 0,
                    "output_tokens": 1}}}),
            ),
            ev(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": start}),
            ),
            ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": delta}),
            ),
            ev(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            ev(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": stop,
                    "stop_sequence": null}, "usage": {"output_tokens": 12}}),
            ),
            ev("message_stop", json!({"type": "message_stop"})),
        ];
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        mock::sse_raw(&refs, mock::End::Close)
    })
}

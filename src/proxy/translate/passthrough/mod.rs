//! The Anthropic-compatible path: the client's request is forwarded with the
//! model, limits and provider quirks applied, and the response is streamed
//! back untouched while usage is read on the side.
//!
//! Pure: no I/O, no clock, no randomness.

use http::{HeaderMap, HeaderValue};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::anthropic::Usage;
use super::common::{TextCount, client_headers};
use super::provenance::Provenance;
use super::sse::SseDecoder;
use crate::config::Quirks;

mod body;
mod history;
mod tag;
mod turns;

pub use body::RawBody;
use body::raw;
pub use tag::{SseTagger, tag_message};

/// Edit one field as a tree, only when `wanted` says its text may need it.
fn edit_field<T>(
    body: &mut RawBody,
    key: &str,
    wanted: impl Fn(&str) -> bool,
    edit: impl FnOnce(&mut Value) -> T,
) -> Option<T> {
    let text = body.get(key)?.get();
    if !wanted(text) {
        return None;
    }
    let mut v: Value = serde_json::from_str(text).ok()?;
    let out = edit(&mut v);
    body.insert(key.to_string(), raw(&v));
    Some(out)
}

/// Rewrite a request body for the upstream, its history repaired for the
/// provider `to` names. Returns notes for the log.
pub fn rewrite_request(
    body: &mut RawBody,
    upstream_model: &str,
    quirks: &Quirks,
    max_output: Option<u64>,
    to: &Provenance,
) -> Vec<String> {
    let mut notes = Vec::new();
    body.insert("model".into(), raw(upstream_model));
    let cap = [max_output, quirks.max_output_tokens]
        .into_iter()
        .flatten()
        .filter(|&c| c > 0)
        .min();
    let asked = body
        .get("max_tokens")
        .and_then(|r| r.get().trim().parse::<u64>().ok());
    if let (Some(cap), Some(asked)) = (cap, asked)
        && asked > cap
    {
        body.insert("max_tokens".into(), raw(cap));
        notes.push(format!("max_tokens {asked} clamped to {cap}"));
    }
    // The device id in metadata.user_id is nobody else's business.
    body.shift_remove("metadata");
    // Auto mode's server-side check, on an upstream that does not run it:
    // without the field Claude Code gets no verdict and checks the action
    // itself (the proxy refuses such requests before they get here, see
    // `handlers::chain`; this keeps a later target of a chain safe too).
    if !quirks.safeguards && body.shift_remove("safeguards").is_some() {
        notes.push("dropped safeguards (the upstream runs no auto mode check)".into());
    }
    for field in &quirks.drop_fields {
        if body.shift_remove(field).is_some() {
            notes.push(format!("dropped field {field}"));
        }
    }
    if !quirks.billing_header
        && edit_field(
            body,
            "system",
            |t| t.contains("x-anthropic-billing-header:"),
            drop_billing_line,
        ) == Some(true)
    {
        notes.push(crate::proxy::translate::request::BILLING_NOTE.into());
    }
    if !quirks.prompt_caching {
        for key in ["system", "messages", "tools"] {
            edit_field(
                body,
                key,
                |t| t.contains("\"cache_control\""),
                |v| strip_key(v, "cache_control"),
            );
        }
    }
    if !quirks.tool_search {
        notes.extend(apply_tool_search(body));
    }
    let repair = history::repair(body, to, !quirks.images);
    if repair.dropped > 0 {
        notes.push(format!(
            "dropped {} thinking block(s) made by another provider",
            repair.dropped
        ));
    }
    if repair.lead_lost && history::drop_thinking_param(body) {
        notes.push(
            "sent without thinking: the last tool call's turn lost its leading thinking block"
                .into(),
        );
    }
    if repair.replaced > 0 {
        notes.push(format!(
            "replaced {} image/document block(s) the provider cannot read",
            repair.replaced
        ));
    }
    notes
}

/// The body as it goes upstream, in a buffer sized for a body of `like`
/// bytes: the provider's own thinking signatures that `rewrite_request`
/// left wrapped are unwrapped here, where the bytes are written anyway.
pub fn encode_request(body: &RawBody, to: &Provenance, like: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(like + like / 8 + 256);
    let Some(prefix) = history::encode_prefix(to) else {
        // Serializing maps with string keys into memory cannot fail.
        let _ = serde_json::to_writer(&mut out, body);
        return out;
    };
    // What serde_json writes for the map, the history written by hand.
    out.push(b'{');
    for (i, (key, value)) in body.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, key);
        out.push(b':');
        if key == "messages" {
            history::write_unwrapped(&mut out, value.get(), &prefix);
        } else {
            out.extend_from_slice(value.get().as_bytes());
        }
    }
    out.push(b'}');
    out
}

/// Removes Claude Code's billing line from a system block list (see
/// `request::is_billing_line`); true when there was one.
fn drop_billing_line(system: &mut Value) -> bool {
    let Value::Array(blocks) = system else {
        return false;
    };
    let before = blocks.len();
    blocks.retain(|b| {
        !b.get("text")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("x-anthropic-billing-header:"))
    });
    blocks.len() < before
}

/// Anthropic's tool search for an upstream not known to honour it, by
/// Anthropic's rule (as the OpenAI translator applies it): a
/// `defer_loading` tool goes up only once a `tool_reference` in the
/// conversation names it, and then as a plain tool; a `tool_reference`
/// becomes the text "Tool X loaded". Unknown fields and blocks would
/// otherwise be refused (Claude Code then retries each turn without tool
/// search) or ignored (every deferred schema sent to the model).
///
/// Only the tools and messages that mention these are parsed: Claude Code
/// sends a deferred placeholder on every request.
fn apply_tool_search(body: &mut RawBody) -> Vec<String> {
    let mut notes = Vec::new();
    let refers = |t: &str| t.contains("\"tool_reference\"");
    let mut loaded: Vec<String> = Vec::new();
    let quick = body
        .get("messages")
        .filter(|m| refers(m.get()))
        .and_then(|m| unreference_text(m.get(), &mut loaded));
    let edited = match quick {
        Some((text, n)) => RawValue::from_string(text).ok().map(|m| {
            body.insert("messages".into(), m);
            n
        }),
        None => edit_elements(body, "messages", refers, |m| {
            let mut n = 0;
            unreference(m, &mut loaded, &mut n);
            n
        }),
    };
    if let Some(n) = edited {
        notes.push(format!("{n} tool_reference block(s) sent as text"));
    }
    let Some(tools) = body.get("tools").map(|r| r.get()) else {
        return notes;
    };
    if !tools.contains("\"defer_loading\"") {
        return notes;
    }
    let Ok(list) = serde_json::from_str::<Vec<Box<RawValue>>>(tools) else {
        return notes;
    };
    // Loaded tools go last, in load order, as in the translation
    // (`schema::functions`): a load must not move the tools before it in
    // the upstream's cached prefix.
    let mut kept = Vec::with_capacity(list.len());
    let mut late: Vec<(usize, Box<RawValue>)> = Vec::new();
    let mut held = 0;
    for t in list {
        if !t.get().contains("\"defer_loading\"") {
            kept.push(t);
            continue;
        }
        let Ok(mut v) = serde_json::from_str::<Value>(t.get()) else {
            kept.push(t);
            continue;
        };
        let deferred = v.get("defer_loading") == Some(&Value::Bool(true));
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        let order = loaded.iter().position(|l| l == name);
        if deferred && order.is_none() {
            held += 1;
            continue;
        }
        if let Value::Object(m) = &mut v {
            m.remove("defer_loading");
        }
        match order.filter(|_| deferred) {
            Some(i) => late.push((i, raw(&v))),
            None => kept.push(raw(&v)),
        }
    }
    late.sort_by_key(|(i, _)| *i);
    kept.extend(late.into_iter().map(|(_, t)| t));
    if held > 0 {
        notes.push(format!(
            "held back {held} deferred tool(s) that no ToolSearch result loaded"
        ));
    }
    if kept.is_empty() {
        // No tools left: a tool_choice would be refused.
        body.shift_remove("tools");
        body.shift_remove("tool_choice");
    } else {
        body.insert("tools".into(), raw(&kept));
    }
    notes
}

/// Edit the elements of an array field whose text `wanted` picks, each as
/// a tree; the others stay as they came. `None` when nothing was picked.
fn edit_elements(
    body: &mut RawBody,
    key: &str,
    wanted: impl Fn(&str) -> bool,
    mut edit: impl FnMut(&mut Value) -> usize,
) -> Option<usize> {
    let text = body.get(key)?.get();
    if !wanted(text) {
        return None;
    }
    let mut list: Vec<Box<RawValue>> = serde_json::from_str(text).ok()?;
    let mut total = 0;
    for item in &mut list {
        if !wanted(item.get()) {
            continue;
        }
        let Ok(mut v) = serde_json::from_str::<Value>(item.get()) else {
            continue;
        };
        total += edit(&mut v);
        *item = raw(&v);
    }
    body.insert(key.to_string(), raw(&list));
    Some(total)
}

/// The blocks as Claude Code writes them, replaced in the text itself: a
/// long conversation is not parsed again on every turn after a ToolSearch.
/// `None` when any reference has another form (spacing, key order, a name
/// with escapes): the caller parses instead. Unescaped quotes only occur
/// in JSON's structure, so a match is always a block, never string text.
fn unreference_text(text: &str, loaded: &mut Vec<String>) -> Option<(String, usize)> {
    const BLOCK: &str = "{\"type\":\"tool_reference\",\"tool_name\":\"";
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let mut n = 0;
    while let Some(at) = rest.find(BLOCK) {
        let after = &rest[at + BLOCK.len()..];
        let end = after.find("\"}")?;
        let name = &after[..end];
        let plain = |b: u8| b.is_ascii_alphanumeric() || b"_-.:".contains(&b);
        if name.is_empty() || !name.bytes().all(plain) {
            return None;
        }
        out.push_str(&rest[..at]);
        out.push_str("{\"type\":\"text\",\"text\":\"Tool ");
        out.push_str(name);
        out.push_str(" loaded\"}");
        if !loaded.iter().any(|l| l == name) {
            loaded.push(name.to_string());
        }
        n += 1;
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    (!out.contains("\"tool_reference\"")).then_some((out, n))
}

/// Every `tool_reference` block under `v` as text, its tool's name noted.
fn unreference(v: &mut Value, loaded: &mut Vec<String>, n: &mut usize) {
    match v {
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("tool_reference") => {
            let name = m
                .get("tool_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            *v = json!({"type": "text", "text": format!("Tool {name} loaded")});
            if !loaded.contains(&name) {
                loaded.push(name);
            }
            *n += 1;
        }
        Value::Object(m) => m.values_mut().for_each(|v| unreference(v, loaded, n)),
        Value::Array(a) => a.iter_mut().for_each(|v| unreference(v, loaded, n)),
        _ => {}
    }
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

/// The client's headers that go on to an Anthropic-kind upstream: its
/// User-Agent, its API version, and its betas unless the upstream rejects
/// them.
pub fn anthropic_headers(quirks: &Quirks, from: &HeaderMap) -> HeaderMap {
    let mut extra = client_headers(from);
    let version = from.get("anthropic-version").cloned();
    extra.insert(
        "anthropic-version",
        version.unwrap_or(HeaderValue::from_static("2023-06-01")),
    );
    if !quirks.drop_betas
        && let Some(b) = from.get("anthropic-beta")
    {
        let b = if quirks.safeguards {
            Some(b.clone())
        } else {
            without_safeguards_beta(b)
        };
        if let Some(b) = b {
            extra.insert("anthropic-beta", b);
        }
    }
    extra
}

/// The beta list without auto mode's server check (`dangerous-tool-use-*`),
/// which goes with the `safeguards` field `rewrite_request` drops.
fn without_safeguards_beta(b: &HeaderValue) -> Option<HeaderValue> {
    let Ok(text) = b.to_str() else {
        return Some(b.clone());
    };
    if !text.contains("dangerous-tool-use-") {
        return Some(b.clone());
    }
    let kept: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with("dangerous-tool-use-"))
        .collect();
    if kept.is_empty() {
        return None;
    }
    HeaderValue::from_str(&kept.join(",")).ok()
}

/// Reads usage and the end of the message out of a forwarded SSE stream.
#[derive(Default)]
pub struct UsageSniffer {
    decoder: SseDecoder,
    pub usage: Usage,
    pub stopped: bool,
    pub errored: bool,
    /// A content delta has been seen.
    pub content_started: bool,
    /// The content deltas' text so far, for an estimate of tokens.
    streamed: TextCount,
    /// `message_delta` reported the final usage.
    final_usage: bool,
}

impl UsageSniffer {
    pub fn push(&mut self, bytes: &[u8]) {
        let mut decoder = std::mem::take(&mut self.decoder);
        decoder.feed(bytes, |event, data| {
            // Content events are nearly every event of a stream and carry
            // nothing this reads: their JSON is not parsed. (An upstream
            // that names no events gets every one looked at.)
            match event {
                Some("content_block_delta") => {
                    self.content_started = true;
                    delta_text(data, &mut self.streamed);
                }
                Some(e) if !e.starts_with("message_") && e != "error" => {}
                _ => self.event(data),
            }
        });
        self.decoder = decoder;
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
                    self.final_usage = true;
                }
            }
            Some("message_stop") => self.stopped = true,
            Some("content_block_delta") => {
                self.content_started = true;
                delta_text(data, &mut self.streamed);
            }
            Some("error") => self.errored = true,
            _ => {}
        }
    }
}

impl UsageSniffer {
    /// Usage for a stream that may not have finished: until the final
    /// report, the output is at least what was streamed (`message_start`
    /// counts only the first token).
    pub fn usage_so_far(&self) -> Usage {
        let mut u = self.usage;
        let streamed = self.streamed.tokens();
        if !self.final_usage && streamed > u.output_tokens {
            u.output_tokens = streamed;
            u.estimated = true;
        }
        u
    }
}

/// Counts a `content_block_delta`'s text, thinking or partial JSON,
/// without parsing the event (nearly every event of a stream is one). The
/// payload is the delta's last field: after the last `":"` in the event,
/// which inside a JSON string could only appear as `\\":\\"`.
fn delta_text(data: &str, count: &mut TextCount) {
    let Some(i) = data.rfind("\":\"") else {
        return;
    };
    // A thinking block's signature is not generated text.
    if data[..i].ends_with("\"signature") {
        return;
    }
    let payload = data[i + 3..].trim_end().trim_end_matches('}');
    count.add(payload.strip_suffix('"').unwrap_or(payload).as_bytes());
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
    if let Some(n) = v
        .pointer("/cache_creation/ephemeral_1h_input_tokens")
        .and_then(Value::as_u64)
    {
        into.cache_write_1h = n;
    }
}

#[cfg(test)]
mod tests;

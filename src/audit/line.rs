//! One audit line: a request (its record, sizes and, at `full`, its bodies)
//! or a web search the proxy ran, as one JSON object.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use super::entry::{AuditEntry, AuditSearch};
use crate::config::AuditLevel;
use crate::secrets::Redactor;

/// What the audit line says of a request body: how many messages, which
/// tools were offered. Nothing else of it is read.
#[derive(Deserialize, Default)]
struct Shape {
    #[serde(default)]
    messages: Vec<IgnoredAny>,
    #[serde(default)]
    tools: Vec<ToolName>,
}

#[derive(Deserialize)]
struct ToolName {
    #[serde(default)]
    name: Option<String>,
}

fn time(at_ms: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

fn finish(v: &Value) -> String {
    let mut text = v.to_string();
    text.push('\n');
    text
}

/// One JSON line for a request.
pub fn line(e: &AuditEntry, level: AuditLevel, cost: Option<f64>, red: &Redactor) -> String {
    let r = &e.record;
    let shape: Shape = serde_json::from_slice(&e.request).unwrap_or_default();
    let tools: Vec<String> = shape.tools.into_iter().filter_map(|t| t.name).collect();
    let mut v = json!({
        "time": time(r.at_ms),
        "request_id": e.request_id,
        "session": &*r.session,
        "cc_session": r.cc_session,
        "profile": &*r.profile,
        "slot": r.slot,
        "provider": r.provider,
        "requested_model": r.requested,
        "model": r.model,
        "subagent": r.subagent,
        "status": r.status,
        "error": r.error.map(crate::usage::record::ErrorClass::as_str),
        "ttft_ms": r.ttft_ms,
        "duration_ms": r.duration_ms,
        "input_tokens": r.tokens.input,
        "output_tokens": r.tokens.output,
        "cache_read_tokens": r.tokens.cache_read,
        "cache_write_tokens": r.tokens.cache_write,
        "reasoning_tokens": r.tokens.reasoning,
        "estimated": r.estimated,
        "cost_usd": cost,
        "request_bytes": e.request.len(),
        "response_bytes": e.response_bytes,
        "messages": shape.messages.len(),
        "tools": tools,
    });
    if let Some(obj) = v.as_object_mut() {
        // Only where known: a line without a gateway member or a project
        // label stays as it was.
        let who = &r.who;
        for (name, value) in [
            ("member", &who.member),
            ("team", &who.team),
            ("key_prefix", &who.key_prefix),
            ("project", &who.project),
        ] {
            if let Some(value) = value {
                obj.insert(name.into(), json!(&**value));
            }
        }
        if level == AuditLevel::Full {
            full(obj, e, red);
        }
    }
    finish(&v)
}

fn full(obj: &mut Map<String, Value>, e: &AuditEntry, red: &Redactor) {
    let request = String::from_utf8_lossy(&e.request);
    let request = red.redact(&request);
    let request = serde_json::from_str::<Value>(&request)
        .unwrap_or_else(|_| Value::String(request.into_owned()));
    obj.insert("request".into(), request);
    if let Some(body) = &e.response {
        let text = red.redact(&String::from_utf8_lossy(body)).into_owned();
        obj.insert(
            "response_truncated".into(),
            json!(e.response_bytes > body.len() as u64),
        );
        obj.insert("response".into(), Value::String(text));
    }
}

/// One JSON line for a web search: what was sent to the search backend.
/// `metadata` keeps the query's length, `full` the query itself.
pub fn search_line(s: &AuditSearch, level: AuditLevel, red: &Redactor) -> String {
    let mut v = json!({
        "time": time(s.at_ms),
        "kind": "web_search",
        "request_id": s.request_id,
        "session": &*s.session,
        "cc_session": s.cc_session,
        "profile": &*s.profile,
        "backend": s.backend,
        "query_chars": s.query.chars().count(),
        "results": s.results,
        "error": s.error,
        "duration_ms": s.duration_ms,
    });
    if level == AuditLevel::Full
        && let Some(obj) = v.as_object_mut()
    {
        obj.insert("query".into(), json!(red.redact(&s.query)));
    }
    finish(&v)
}

/// Says that `n` entries before it were never written.
pub fn dropped_line(n: u64, at_ms: i64) -> String {
    finish(&json!({"time": time(at_ms), "kind": "dropped", "dropped": n}))
}

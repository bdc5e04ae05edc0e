//! What the request's server tool asks for, and the function and result
//! text the model sees in its place.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::hit::Hit;

/// The name Anthropic gives the tool, and the function offered instead.
pub const TOOL_NAME: &str = "web_search";

/// Calls a request may make when it sets no `max_uses`: enough for a
/// research answer, few enough that a confused model cannot loop long.
pub const DEFAULT_MAX_USES: u32 = 8;

/// What the request's server tool asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub max_uses: u32,
    pub allowed_domains: Vec<String>,
    pub blocked_domains: Vec<String>,
}

/// Whether a tool entry is Anthropic's web search (`web_search_20250305`
/// and later versions).
pub fn is_web_search(tool: &Value) -> bool {
    tool.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("web_search_"))
}

/// The web search tool among a request's tools.
pub fn find(tools: &Value) -> Option<Spec> {
    let tool = tools.as_array()?.iter().find(|t| is_web_search(t))?;
    let list = |key: &str| -> Vec<String> {
        tool.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(Spec {
        max_uses: tool
            .get("max_uses")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_MAX_USES),
        allowed_domains: list("allowed_domains"),
        blocked_domains: list("blocked_domains"),
    })
}

/// The function the model sees in the server tool's place.
pub fn function(spec: &Spec) -> Value {
    let mut description = String::from(
        "Search the web for current information. Returns titles, URLs, publication dates and snippets. Cite the sources you use with markdown links.",
    );
    if !spec.allowed_domains.is_empty() {
        let _ = write!(
            description,
            " Only these sites: {}.",
            spec.allowed_domains.join(", ")
        );
    }
    if !spec.blocked_domains.is_empty() {
        let _ = write!(
            description,
            " Never these sites: {}.",
            spec.blocked_domains.join(", ")
        );
    }
    json!({
        "name": TOOL_NAME,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "The search query"}},
            "required": ["query"],
        },
    })
}

/// Anthropic's result blocks. `encrypted_content` is opaque to clients,
/// which send it back in later turns; it carries the snippet, so a later
/// turn can give the model the same text again.
pub fn result_blocks(hits: &[Hit]) -> Value {
    Value::Array(
        hits.iter()
            .map(|h| {
                let mut b = json!({
                    "type": "web_search_result",
                    "title": h.title,
                    "url": h.url,
                    "encrypted_content": h.snippet,
                });
                if let Some(age) = &h.page_age {
                    b["page_age"] = Value::String(age.clone());
                }
                b
            })
            .collect(),
    )
}

/// The results as the model reads them.
pub fn model_text(query: &str, hits: &[Hit]) -> String {
    if hits.is_empty() {
        return format!("No results for \"{query}\".");
    }
    let mut out = format!("Results for \"{query}\":\n");
    for (i, h) in hits.iter().enumerate() {
        let _ = write!(out, "\n[{}] {}\nURL: {}\n", i + 1, h.title, h.url);
        if let Some(age) = &h.page_age {
            let _ = writeln!(out, "Published: {age}");
        }
        if !h.snippet.is_empty() {
            let _ = writeln!(out, "{}", h.snippet);
        }
    }
    out
}

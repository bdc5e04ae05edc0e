//! Tools for OpenAI-kind upstreams: function definitions with cleaned JSON
//! schemas, `tool_choice`, and tool-call ids in the upstream's format.
//!
//! Pure: no I/O, no clock, no randomness.

mod cleanup;

use serde_json::{Value, json};

pub use self::cleanup::{clean, empty_object};
use super::anthropic::{Block, Content, MessagesRequest, Tool, ToolChoice, ToolResultContent};
use super::notes::Notes;
use super::openai::{ChatTool, FunctionDef};
use crate::config::Quirks;
use crate::config::quirks::NativeSearch;

/// Server tools run on Anthropic's side. `Tool::is_server_tool` also counts
/// a typeless tool without a schema, but that is a malformed client tool,
/// more useful sent with an empty schema than dropped.
fn is_server_tool(t: &Tool) -> bool {
    t.is_server_tool() && t.kind.as_deref().is_some_and(|k| k != "custom")
}

/// The tools a conversation's ToolSearch results loaded: the names in its
/// `tool_reference` blocks. Empty unless some tool is deferred.
pub(super) fn loaded_tools(req: &MessagesRequest) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let deferred = req
        .tools
        .as_deref()
        .is_some_and(|t| t.iter().any(|t| t.defer_loading == Some(true)));
    if !deferred {
        return out;
    }
    for m in &req.messages {
        let Content::Blocks(blocks) = &m.content else {
            continue;
        };
        for b in blocks {
            if let Block::ToolResult {
                content: Some(ToolResultContent::Blocks(inner)),
                ..
            } = b
            {
                for r in inner {
                    if let Block::ToolReference { tool_name } = r
                        && !out.contains(&tool_name.as_str())
                    {
                        out.push(tool_name.as_str());
                    }
                }
            }
        }
    }
    out
}

/// Client tools as functions; server tools are dropped with a note, and so
/// are deferred tools no ToolSearch result has loaded. Loaded ones go last,
/// in the order they were loaded (`loaded` is in conversation order):
/// providers cache by prefix and render tools first, so a tool loaded
/// mid-conversation must not move the ones before it (Claude Code lists
/// it among the others, by name).
pub(super) fn functions(
    tools: &[Tool],
    loaded: &[&str],
    q: &Quirks,
    notes: &mut Notes,
) -> Vec<ChatTool> {
    let (strip, dialect) = (&q.schema_strip, q.schema_dialect);
    let mut out = Vec::new();
    let mut late: Vec<(usize, ChatTool)> = Vec::new();
    let mut held_back = 0;
    for t in tools {
        if is_server_tool(t) {
            let kind = t.kind.as_deref().unwrap_or_default();
            if kind.starts_with("web_search_") && q.native_search != NativeSearch::Off {
                // Sent as the upstream's own search (`request::native`).
                continue;
            }
            notes.add(if t.name.is_empty() {
                format!("dropped server tool ({kind})")
            } else {
                format!("dropped server tool {} ({kind})", t.name)
            });
            continue;
        }
        if t.name.is_empty() {
            notes.add("dropped a tool without a name");
            continue;
        }
        // Anthropic's rule for `defer_loading`: the model sees such a tool
        // only once a `tool_reference` (a ToolSearch result) names it.
        // OpenAI has no deferred loading, so the proxy applies the rule:
        // a loaded tool stays callable, and the rest (Claude Code's
        // placeholder, MCP tools it lists before a search) cost nothing.
        let order = loaded.iter().position(|l| *l == t.name);
        if t.defer_loading == Some(true) && order.is_none() {
            held_back += 1;
            continue;
        }
        let parameters = match &t.input_schema {
            Some(s) => clean(s, strip, dialect),
            None => empty_object(),
        };
        let (name, description) = (t.name.clone(), t.description.clone());
        let function = FunctionDef {
            name,
            description,
            parameters,
        };
        let tool = ChatTool {
            kind: "function".into(),
            function: Some(function),
            settings: serde_json::Map::new(),
        };
        match order.filter(|_| t.defer_loading == Some(true)) {
            Some(i) => late.push((i, tool)),
            None => out.push(tool),
        }
    }
    late.sort_by_key(|(i, _)| *i);
    out.extend(late.into_iter().map(|(_, t)| t));
    if held_back > 0 {
        notes.add(format!(
            "held back {held_back} deferred tool(s) that no ToolSearch result loaded"
        ));
    }
    out
}

/// `tool_choice` and `parallel_tool_calls` for the functions actually sent.
pub(super) fn tool_choice(
    choice: Option<&ToolChoice>,
    tools: &[ChatTool],
    q: &Quirks,
    notes: &mut Notes,
) -> (Option<Value>, Option<bool>) {
    let Some(choice) = choice else {
        return (None, None);
    };
    if tools.is_empty() {
        // Upstreams reject tool_choice (and parallel_tool_calls) without tools.
        notes.add("dropped tool_choice: no tools left to choose from");
        return (None, None);
    }
    let (value, no_parallel) = match choice {
        ToolChoice::Auto {
            disable_parallel_tool_use: d,
        } => (Some(json!("auto")), *d),
        ToolChoice::Any {
            disable_parallel_tool_use: d,
        } => (Some(json!("required")), *d),
        ToolChoice::None => (Some(json!("none")), None),
        ToolChoice::Unknown => {
            notes.add("dropped tool_choice of a type this proxy does not know");
            (None, None)
        }
        ToolChoice::Tool {
            name,
            disable_parallel_tool_use: d,
        } => {
            if tools
                .iter()
                .any(|t| t.function.as_ref().is_some_and(|f| f.name == *name))
            {
                (
                    Some(json!({"type": "function", "function": {"name": name}})),
                    *d,
                )
            } else {
                notes.add(format!(
                    "dropped tool_choice: tool {name} is not sent upstream"
                ));
                (None, *d)
            }
        }
    };
    let parallel = (no_parallel == Some(true) && q.parallel_tool_calls).then_some(false);
    (value, parallel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::quirks::SchemaDialect;

    // Whole-schema behaviour is in the golden cases (gemini-schema,
    // schema-strip-*); these pin the edges.

    #[test]
    fn non_object_schemas_become_objects() {
        let std = SchemaDialect::Standard;
        assert_eq!(clean(&Value::Null, &[], std), empty_object());
        assert_eq!(clean(&json!({}), &[], std), json!({"type": "object"}));
    }

    #[test]
    fn self_referencing_refs_terminate() {
        let s = json!({
            "type": "object",
            "$defs": {"N": {"type": "object", "properties": {"a": {"$ref": "#/$defs/N"}, "b": {"$ref": "#/$defs/N"}}}},
            "properties": {"root": {"$ref": "#/$defs/N"}}
        });
        let out = clean(&s, &[], SchemaDialect::Gemini);
        assert!(out.to_string().len() < 50_000, "{}", out.to_string().len());
    }
}

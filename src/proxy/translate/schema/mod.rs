//! Tools for OpenAI-kind upstreams: function definitions with cleaned JSON
//! schemas, `tool_choice`, and tool-call ids in the upstream's format.
//!
//! Pure: no I/O, no clock, no randomness.

mod cleanup;

use serde_json::{Value, json};

pub use self::cleanup::{clean, empty_object};
use super::anthropic::{Tool, ToolChoice};
use super::notes::Notes;
use super::openai::{ChatTool, FunctionDef};
use crate::config::Quirks;

/// Server tools run on Anthropic's side. `Tool::is_server_tool` also counts
/// a typeless tool without a schema, but that is a malformed client tool,
/// more useful sent with an empty schema than dropped.
fn is_server_tool(t: &Tool) -> bool {
    t.is_server_tool() && t.kind.as_deref().is_some_and(|k| k != "custom")
}

/// Client tools as functions; server tools are dropped with a note.
pub(super) fn functions(tools: &[Tool], q: &Quirks, notes: &mut Notes) -> Vec<ChatTool> {
    let (strip, dialect) = (&q.schema_strip, q.schema_dialect);
    let mut out = Vec::new();
    for t in tools {
        if is_server_tool(t) {
            let kind = t.kind.as_deref().unwrap_or_default();
            notes.add(format!("dropped server tool {} ({kind})", t.name));
            continue;
        }
        // `defer_loading` tools are sent like any other: Claude Code lists
        // one only once ToolSearch has loaded it (or as a placeholder never
        // to be called), and OpenAI has no deferred loading, so dropping it
        // would make a loaded tool uncallable.
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
        out.push(ChatTool {
            kind: "function".into(),
            function,
        });
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
        ToolChoice::Tool {
            name,
            disable_parallel_tool_use: d,
        } => {
            if tools.iter().any(|t| t.function.name == *name) {
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

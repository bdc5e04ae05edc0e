//! Reasoning in streamed chunks: which field's text to take, and the
//! `reasoning_details` parts gathered to go back in the block's signature.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;

use crate::config::quirks::ReasoningField;
use crate::proxy::translate::common::{details_text, reasoning_from};
use crate::proxy::translate::openai::ChunkDelta;

/// This chunk's reasoning text (see [`reasoning_from`]).
pub(super) fn reasoning_text(d: &ChunkDelta, field: ReasoningField) -> String {
    reasoning_from(
        field,
        d.reasoning_content.as_deref(),
        d.reasoning.as_deref(),
        &|| details_text(&d.reasoning_details),
        false,
    )
    .unwrap_or_default()
}

/// Streamed `reasoning_details` arrive as fragments of numbered parts:
/// a fragment continuing the last part (same index and type) extends its
/// strings; anything else starts a new part.
pub(super) fn merge_details(into: &mut Vec<Value>, fragments: &[Value]) {
    for frag in fragments {
        let Some(obj) = frag.as_object() else {
            continue;
        };
        let same = |last: &Value| {
            last.get("index") == obj.get("index") && last.get("type") == obj.get("type")
        };
        match into
            .last_mut()
            .filter(|l| same(l))
            .and_then(Value::as_object_mut)
        {
            Some(last) => {
                for (k, v) in obj {
                    match (last.get_mut(k), v) {
                        (Some(Value::String(have)), Value::String(more))
                            if matches!(k.as_str(), "text" | "summary" | "data") =>
                        {
                            have.push_str(more);
                        }
                        _ => {
                            last.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            None => into.push(frag.clone()),
        }
    }
}

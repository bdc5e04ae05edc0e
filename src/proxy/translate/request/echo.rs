//! Reasoning sent back on later assistant turns, in the field each
//! provider reads, and the small text helpers the turns share.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::{Value, json};

use crate::config::quirks::ReasoningField;
use crate::proxy::translate::provenance::details_in_signature;
use crate::proxy::translate::text::{Text, TextBuf};

/// The reasoning of an assistant turn, in the field its provider reads.
#[derive(Default)]
pub(super) struct Echo {
    pub content: Option<Text>,
    pub reasoning: Option<Text>,
    pub details: Option<Vec<Value>>,
}

/// The text of the turn's thinking blocks (empty ones skipped).
pub(super) fn joined_thinking(blocks: &[(&Text, Option<&str>)]) -> Text {
    Text::join(
        blocks.iter().map(|(t, _)| *t).filter(|t| !t.is_empty()),
        "\n\n",
    )
}

/// `text` after a plain prefix.
pub(super) fn prefixed(prefix: &str, text: &Text) -> Text {
    let mut b = TextBuf::new();
    b.push_str(prefix).push_text(text);
    b.finish()
}

pub(super) fn reasoning_echo(
    field: ReasoningField,
    text: Text,
    blocks: &[(&Text, Option<&str>)],
) -> Echo {
    match field {
        // Sent even when empty: DeepSeek and Kimi reject a missing one.
        ReasoningField::ReasoningContent => Echo {
            content: Some(text),
            ..Echo::default()
        },
        ReasoningField::Reasoning => Echo {
            reasoning: (!text.is_empty()).then_some(text),
            ..Echo::default()
        },
        // The parts as they came when ccswitch kept them; plain text parts
        // for thinking from elsewhere.
        ReasoningField::ReasoningDetails => {
            let mut details = Vec::new();
            for (t, sig) in blocks {
                match sig.and_then(details_in_signature) {
                    Some(parts) => details.extend(parts),
                    None if !t.is_empty() => details.push(json!({
                        "type": "reasoning.text",
                        "text": t.decode(),
                        "index": details.len(),
                    })),
                    None => {}
                }
            }
            Echo {
                details: (!details.is_empty()).then_some(details),
                ..Echo::default()
            }
        }
    }
}

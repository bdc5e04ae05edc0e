//! A whole message told as a stream: for upstreams that ignored
//! `stream: true` while Claude Code still waits for events.
//!
//! Pure: no I/O, no clock, no randomness.

use super::anthropic::{Delta, Event, MessageDeltaBody, MessageResponse, OutBlock};

/// The events a stream of `msg` would have been made of.
pub fn events(msg: &MessageResponse) -> Vec<Event> {
    let mut start = msg.clone();
    start.content.clear();
    start.stop_reason = None;
    let mut events = vec![Event::MessageStart { message: start }];
    for (index, block) in msg.content.iter().enumerate() {
        block_events(index, block, &mut events);
    }
    events.push(Event::MessageDelta {
        delta: MessageDeltaBody {
            stop_reason: msg.stop_reason,
            stop_sequence: None,
        },
        usage: msg.usage,
    });
    events.push(Event::MessageStop);
    events
}

/// The events that carry one whole block at `index`: its start with the
/// block emptied, its content as one delta, its stop.
pub fn block_events(index: usize, block: &OutBlock, events: &mut Vec<Event>) {
    let (empty, deltas) = match block {
        OutBlock::Text { text } => (
            OutBlock::Text {
                text: String::new(),
            },
            vec![Delta::TextDelta { text: text.clone() }],
        ),
        OutBlock::Thinking {
            thinking,
            signature,
        } => (
            OutBlock::Thinking {
                thinking: String::new(),
                signature: String::new(),
            },
            vec![
                Delta::ThinkingDelta {
                    thinking: thinking.clone(),
                },
                Delta::SignatureDelta {
                    signature: signature.clone(),
                },
            ],
        ),
        OutBlock::ToolUse { id, name, input } => (
            OutBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: serde_json::json!({}),
            },
            vec![Delta::InputJsonDelta {
                partial_json: input.to_string(),
            }],
        ),
        OutBlock::ServerToolUse { id, name, input } => (
            OutBlock::ServerToolUse {
                id: id.clone(),
                name: name.clone(),
                input: serde_json::json!({}),
            },
            vec![Delta::InputJsonDelta {
                partial_json: input.to_string(),
            }],
        ),
        // Anthropic sends a result whole in its start event.
        OutBlock::WebSearchToolResult { .. } => (block.clone(), Vec::new()),
    };
    events.push(Event::ContentBlockStart {
        index,
        content_block: empty,
    });
    for delta in deltas {
        events.push(Event::ContentBlockDelta { index, delta });
    }
    events.push(Event::ContentBlockStop { index });
}

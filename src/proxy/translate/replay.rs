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
        let (empty, delta) = match block {
            OutBlock::Text { text } => (
                OutBlock::Text {
                    text: String::new(),
                },
                Delta::TextDelta { text: text.clone() },
            ),
            OutBlock::Thinking {
                thinking,
                signature,
            } => {
                events.push(Event::ContentBlockStart {
                    index,
                    content_block: OutBlock::Thinking {
                        thinking: String::new(),
                        signature: String::new(),
                    },
                });
                events.push(Event::ContentBlockDelta {
                    index,
                    delta: Delta::ThinkingDelta {
                        thinking: thinking.clone(),
                    },
                });
                events.push(Event::ContentBlockDelta {
                    index,
                    delta: Delta::SignatureDelta {
                        signature: signature.clone(),
                    },
                });
                events.push(Event::ContentBlockStop { index });
                continue;
            }
            OutBlock::ToolUse { id, name, input } => (
                OutBlock::ToolUse {
                    id: id.clone(),
                    name: name.clone(),
                    input: serde_json::json!({}),
                },
                Delta::InputJsonDelta {
                    partial_json: input.to_string(),
                },
            ),
        };
        events.push(Event::ContentBlockStart {
            index,
            content_block: empty,
        });
        events.push(Event::ContentBlockDelta { index, delta });
        events.push(Event::ContentBlockStop { index });
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

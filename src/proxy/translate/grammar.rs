//! The event grammar of an Anthropic stream, as Claude Code relies on it:
//! one `message_start` first; content blocks opened in index order, one at
//! a time, each receiving only deltas of its kind, thinking blocks signed;
//! one `message_delta` after the last block; and an end (`message_stop`
//! after it, or an `error`). Golden tests and the fuzz targets check every
//! translated stream against it.

use std::collections::HashSet;

use super::anthropic::{Delta, Event, OutBlock};
use super::sse::SseDecoder;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Thinking,
    Text,
    ToolUse,
    /// A server tool's result: whole in its start event, no deltas.
    Result,
}

/// The event grammar Claude Code relies on. `strict` also wants every tool
/// input to be valid JSON and every tool id unique (true of all goldens).
pub fn check_sse(sse: &str, strict: bool) -> Result<(), String> {
    let mut d = SseDecoder::new();
    let mut events = d.push(sse.as_bytes());
    events.extend(d.finish());
    let mut parsed = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let ev: Event = serde_json::from_str(&e.data).map_err(|err| format!("event {i}: {err}"))?;
        if e.event.as_deref() != Some(ev.name()) {
            return Err(format!(
                "event {i}: name {:?} but type {}",
                e.event,
                ev.name()
            ));
        }
        parsed.push(ev);
    }
    let mut open: Option<(usize, Kind, bool, String)> = None;
    let (mut next, mut message_delta, mut ended) = (0, false, false);
    let mut ids = HashSet::new();
    for (i, ev) in parsed.iter().enumerate() {
        let fail = |why: &str| Err(format!("event {i} ({}): {why}", ev.name()));
        if ended {
            return fail("after message_stop or error");
        }
        if i == 0 && !matches!(ev, Event::MessageStart { .. }) {
            return fail("first event must be message_start");
        }
        match ev {
            Event::MessageStart { .. } if i > 0 => return fail("second message_start"),
            Event::MessageStart { .. } | Event::Ping => {}
            Event::ContentBlockStart {
                index,
                content_block,
            } => {
                if open.is_some() || message_delta {
                    return fail("block started while another is open or after message_delta");
                }
                if *index != next {
                    return fail(&format!("index {index}, expected {next}"));
                }
                let kind = match content_block {
                    OutBlock::Thinking { .. } => Kind::Thinking,
                    OutBlock::Text { .. } => Kind::Text,
                    OutBlock::WebSearchToolResult { .. } => Kind::Result,
                    OutBlock::ToolUse { id, .. } | OutBlock::ServerToolUse { id, .. } => {
                        if strict && !ids.insert(id.clone()) {
                            return fail(&format!("duplicate tool id {id}"));
                        }
                        Kind::ToolUse
                    }
                };
                next += 1;
                open = Some((*index, kind, false, String::new()));
            }
            Event::ContentBlockDelta { index, delta } => {
                let Some((at, kind, signed, json)) = open.as_mut().filter(|o| o.0 == *index) else {
                    return fail(&format!("delta for index {index}, which is not open"));
                };
                let fits = match delta {
                    Delta::TextDelta { .. } => *kind == Kind::Text,
                    Delta::ThinkingDelta { .. } => *kind == Kind::Thinking && !*signed,
                    Delta::SignatureDelta { .. } => *kind == Kind::Thinking,
                    Delta::InputJsonDelta { partial_json } => {
                        json.push_str(partial_json);
                        *kind == Kind::ToolUse
                    }
                };
                *signed |= matches!(delta, Delta::SignatureDelta { .. });
                if !fits {
                    return fail(&format!("{delta:?} does not fit block {at} ({kind:?})"));
                }
            }
            Event::ContentBlockStop { index } => {
                let Some((_, kind, signed, json)) = open.take().filter(|o| o.0 == *index) else {
                    return fail(&format!("stop for index {index}, which is not open"));
                };
                if kind == Kind::Thinking && !signed {
                    return fail("thinking block stopped without a signature");
                }
                if strict && kind == Kind::ToolUse {
                    serde_json::from_str::<serde_json::Value>(&json)
                        .map_err(|e| format!("event {i}: tool input {json:?} is not JSON: {e}"))?;
                }
            }
            Event::MessageDelta { .. } => {
                if open.is_some() || message_delta || next == 0 {
                    return fail("message_delta with a block open, twice, or with no blocks");
                }
                message_delta = true;
            }
            Event::MessageStop => {
                if !message_delta {
                    return fail("message_stop without message_delta");
                }
                ended = true;
            }
            Event::Error { error } => {
                if error.message.trim().is_empty() {
                    return fail("error with an empty message");
                }
                ended = true;
            }
        }
    }
    if ended {
        Ok(())
    } else {
        Err("stream does not end with message_stop or error".into())
    }
}

//! Edits to single messages of a passthrough history, each held as raw
//! JSON (see `history`): thinking sorted by its maker, turns joined where
//! a removed one leaves two of a role side by side, media replaced.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::body::raw;
use crate::proxy::translate::provenance::{Origin, origin};

/// What sorting one message's thinking did.
pub(super) struct Sorted {
    pub unwrapped: bool,
    pub dropped: usize,
    /// Every block of the message went: the turn must go too.
    pub emptied: bool,
}

/// Each thinking block by its maker: this provider's own unwrapped, another
/// provider's (ccswitch's from OpenAI-kind reasoning among them) dropped,
/// one of unknown maker kept, as before tags.
pub(super) fn sort_thinking(message: &mut Value, provider: &str) -> Sorted {
    let mut unwrapped = false;
    let Some(Value::Array(blocks)) = message.get_mut("content") else {
        return Sorted {
            unwrapped,
            dropped: 0,
            emptied: false,
        };
    };
    let before = blocks.len();
    blocks.retain_mut(|b| {
        let key = match b.get("type").and_then(Value::as_str) {
            Some("thinking") => "signature",
            Some("redacted_thinking") => "data",
            _ => return true,
        };
        let Some(sig) = b.get(key).and_then(Value::as_str) else {
            return true;
        };
        match origin(sig) {
            Origin::Unknown => true,
            Origin::Signed {
                provider: p,
                original,
            } if p == provider => {
                b[key] = Value::String(original.to_string());
                unwrapped = true;
                true
            }
            _ => false,
        }
    });
    Sorted {
        unwrapped,
        dropped: before - blocks.len(),
        emptied: before > 0 && blocks.is_empty(),
    }
}

/// Removes the emptied turns (an empty content array is refused); where
/// the turns on either side of one now share a role, the later one's
/// content joins the earlier one's, so roles still alternate.
pub(super) fn join_around_emptied(list: &mut Vec<Box<RawValue>>, emptied: &[bool]) {
    let mut kept: Vec<Box<RawValue>> = Vec::with_capacity(list.len());
    let mut seam = false;
    for (m, gone) in std::mem::take(list).into_iter().zip(emptied) {
        if *gone {
            seam = true;
            continue;
        }
        let joined = kept
            .last()
            .filter(|_| seam)
            .and_then(|prev| joined(prev.get(), m.get()));
        match (joined, kept.last_mut()) {
            (Some(j), Some(prev)) => *prev = j,
            _ => kept.push(m),
        }
        seam = false;
    }
    *list = kept;
}

/// Two messages of one role as one, `None` when their roles differ.
fn joined(first: &str, second: &str) -> Option<Box<RawValue>> {
    let mut a: Value = serde_json::from_str(first).ok()?;
    let b: Value = serde_json::from_str(second).ok()?;
    if a.get("role") != b.get("role") {
        return None;
    }
    let mut blocks = blocks_of(&a);
    blocks.extend(blocks_of(&b));
    a["content"] = Value::Array(blocks);
    Some(raw(&a))
}

/// A message's content as blocks (a plain string is one text block).
fn blocks_of(m: &Value) -> Vec<Value> {
    match m.get("content") {
        Some(Value::Array(b)) => b.clone(),
        Some(Value::String(s)) if !s.is_empty() => vec![json!({"type": "text", "text": s})],
        _ => Vec::new(),
    }
}

/// Whether the assistant turn that the last tool results answer starts
/// with thinking. With thinking on, Anthropic's API requires it ("a final
/// assistant message must start with a thinking block"); when there are no
/// tool results last, there is no such turn and nothing to require.
pub(super) fn final_turn_leads_with_thinking(list: &[Box<RawValue>]) -> bool {
    let [.., turn, last] = list else {
        return false;
    };
    let parse = |m: &RawValue| serde_json::from_str::<Value>(m.get()).ok();
    let (Some(turn), Some(last)) = (parse(turn), parse(last)) else {
        return false;
    };
    let answers = last.get("role").and_then(Value::as_str) == Some("user")
        && last
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(|b| b.iter().any(|b| kind(b) == Some("tool_result")));
    answers
        && turn
            .get("content")
            .and_then(Value::as_array)
            .and_then(|b| b.first())
            .and_then(kind)
            .is_some_and(|k| matches!(k, "thinking" | "redacted_thinking"))
}

fn kind(block: &Value) -> Option<&str> {
    block.get("type").and_then(Value::as_str)
}

/// Images and documents as a notice, for a model that cannot read them;
/// how many were replaced.
pub(super) fn replace_media(v: &mut Value) -> usize {
    match v {
        Value::Object(m) => {
            let kind = m.get("type").and_then(Value::as_str);
            if matches!(kind, Some("image" | "document")) {
                let what = kind.unwrap_or("image").to_string();
                *v = json!({
                    "type": "text",
                    "text": format!("[{what} omitted: this provider does not accept {what}s]"),
                });
                1
            } else {
                m.values_mut().map(replace_media).sum()
            }
        }
        Value::Array(a) => a.iter_mut().map(replace_media).sum(),
        _ => 0,
    }
}

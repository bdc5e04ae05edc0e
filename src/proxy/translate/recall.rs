//! Reasoning Claude Code dropped, given back. Claude Code binds a thinking
//! block to the model that wrote it and strips it from its history when
//! `/model` switches away (its `thinking_stripped` attachment). DeepSeek
//! and Kimi refuse their own tool-call turns without the reasoning they
//! gave there, so a conversation that comes back to them after a switch
//! would fail. The proxy remembers the thinking of tool-call turns as
//! requests carry it (before any switch, the turn's tool result always
//! goes back with it) and puts it back where it went missing; which
//! provider then gets it echoed is the history repair's call, by the
//! block's signature.
//!
//! Pure: the memory is the caller's and is passed in.

use super::anthropic::{Block, Content, MessagesRequest, Role};
use super::text::Text;

/// A turn's thinking, as Claude Code last sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub thinking: Text,
    pub signature: Option<String>,
}

/// The thinking of each assistant turn that has both thinking and tool
/// calls, under the turn's first tool-call id: what is worth keeping.
/// `known` skips ids already kept (a long conversation sends each turn
/// again with every request).
pub fn keepable(req: &MessagesRequest, known: &dyn Fn(&str) -> bool) -> Vec<(String, Vec<Kept>)> {
    let mut out = Vec::new();
    for m in &req.messages {
        let (Role::Assistant, Content::Blocks(blocks)) = (&m.role, &m.content) else {
            continue;
        };
        let Some(id) = first_call(blocks) else {
            continue;
        };
        if known(id) {
            continue;
        }
        let kept: Vec<Kept> = blocks
            .iter()
            .filter_map(|b| match b {
                Block::Thinking {
                    thinking,
                    signature,
                } if !thinking.is_empty() => Some(Kept {
                    thinking: thinking.clone(),
                    signature: signature.clone(),
                }),
                _ => None,
            })
            .collect();
        if !kept.is_empty() {
            out.push((id.to_string(), kept));
        }
    }
    out
}

/// Put kept thinking back at the start of each tool-call turn that has
/// none, as `kept` finds it by the turn's first tool-call id. Returns how
/// many turns got theirs back.
pub fn restore<'k>(req: &mut MessagesRequest, kept: &dyn Fn(&str) -> Option<&'k [Kept]>) -> usize {
    let mut restored = 0;
    for m in &mut req.messages {
        let (Role::Assistant, Content::Blocks(blocks)) = (&m.role, &mut m.content) else {
            continue;
        };
        if blocks.iter().any(|b| matches!(b, Block::Thinking { .. })) {
            continue;
        }
        let Some(found) = first_call(blocks).and_then(kept) else {
            continue;
        };
        let back = found.iter().map(|k| Block::Thinking {
            thinking: k.thinking.clone(),
            signature: k.signature.clone(),
        });
        blocks.splice(0..0, back);
        restored += 1;
    }
    restored
}

fn first_call(blocks: &[Block]) -> Option<&str> {
    blocks.iter().find_map(|b| match b {
        Block::ToolUse { id, .. } => Some(id.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn req(messages: serde_json::Value) -> MessagesRequest {
        serde_json::from_value(serde_json::json!({
            "model": "m", "max_tokens": 10, "messages": messages
        }))
        .unwrap()
    }

    #[test]
    fn thinking_kept_from_one_request_comes_back_where_it_went_missing() {
        let call =
            serde_json::json!({"type": "tool_use", "id": "call_ds_0", "name": "Read", "input": {}});
        let with = req(serde_json::json!([
            {"role": "user", "content": "read"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "plan", "signature": "ccswitch-reasoning-v1"}, call.clone()]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_ds_0", "content": "x"}]},
        ]));
        let kept: HashMap<_, _> = keepable(&with, &|_| false).into_iter().collect();
        assert_eq!(kept["call_ds_0"][0].thinking.decode(), "plan");
        assert!(keepable(&with, &|id| kept.contains_key(id)).is_empty());

        let mut without = req(serde_json::json!([
            {"role": "user", "content": "read"},
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_ds_0", "content": "x"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_other", "name": "Read", "input": {}}]},
        ]));
        let find = |id: &str| kept.get(id).map(Vec::as_slice);
        assert_eq!(restore(&mut without, &find), 1);
        assert_eq!(without.messages[1], with.messages[1]);
        // A turn that has its thinking, or none was kept for, is left alone.
        assert_eq!(restore(&mut without, &find), 0);
    }
}

//! Local token counting for `count_tokens` when the upstream cannot count:
//! a real BPE tokenizer (o200k), not a character heuristic. Counts differ
//! from any given provider's tokenizer by a few percent; Claude Code uses
//! the number for context display and compaction decisions.

use std::sync::LazyLock;

use tiktoken_rs::CoreBPE;

use super::translate::anthropic::{Block, Content, MessagesRequest, System, ToolResultContent};

static BPE: LazyLock<Option<CoreBPE>> = LazyLock::new(|| tiktoken_rs::o200k_base().ok());

/// Tokens an image costs, roughly, on vision models.
const IMAGE_TOKENS: u64 = 1600;
/// Per-message framing (role markers).
const MESSAGE_OVERHEAD: u64 = 4;

fn count(text: &str) -> u64 {
    match BPE.as_ref() {
        Some(bpe) => bpe.encode_ordinary(text).len() as u64,
        None => text.len().div_ceil(4) as u64,
    }
}

fn blocks(bs: &[Block]) -> u64 {
    bs.iter().map(block).sum()
}

fn block(b: &Block) -> u64 {
    match b {
        Block::Text { text, .. } => count(&text.decode()),
        Block::Image { .. } | Block::Document { .. } => IMAGE_TOKENS,
        Block::ToolUse { name, input, .. } => count(name) + count(&input.to_string()),
        Block::ToolResult { content, .. } => match content {
            Some(ToolResultContent::Text(t)) => count(&t.decode()),
            Some(ToolResultContent::Blocks(bs)) => blocks(bs),
            None => 0,
        },
        Block::Thinking { thinking, .. } => count(&thinking.decode()),
        Block::RedactedThinking { .. } | Block::ToolReference { .. } | Block::Unknown => 1,
    }
}

/// Input tokens of a Messages request (system, messages and tool schemas).
pub fn count_request(req: &MessagesRequest) -> u64 {
    let mut n = 0;
    match &req.system {
        Some(System::Text(t)) => n += count(&t.decode()),
        Some(System::Blocks(bs)) => n += blocks(bs),
        None => {}
    }
    for m in &req.messages {
        n += MESSAGE_OVERHEAD;
        n += match &m.content {
            Content::Text(t) => count(&t.decode()),
            Content::Blocks(bs) => blocks(bs),
        };
    }
    for t in req.tools.iter().flatten() {
        n += count(&t.name);
        n += t.description.as_deref().map_or(0, count);
        n += t.input_schema.as_ref().map_or(0, |s| count(&s.to_string()));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_with_a_real_tokenizer() {
        assert!(BPE.is_some());
        assert_eq!(count("hello world"), 2);
        let req: MessagesRequest = serde_json::from_str(
            r#"{"model":"m","system":"You are terse.","messages":[{"role":"user","content":"say hi"}],
                "tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object"}}]}"#,
        )
        .unwrap();
        let n = count_request(&req);
        assert!((10..40).contains(&n), "{n}");
    }
}

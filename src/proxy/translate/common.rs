//! Mappings shared by whole and streamed responses.

use http::HeaderMap;
use serde_json::Value;

use super::anthropic::{StopReason, Usage};
use super::openai::ChatUsage;
use crate::config::quirks::ReasoningField;

/// Reasoning text from the field the provider is known to use, else from
/// whichever other field carries some: gateways that fill several with the
/// same text must not have it twice. `details` renders `reasoning_details`
/// and runs only when reached; `trim` for whole messages (a streamed piece
/// keeps its spaces).
pub fn reasoning_from(
    field: ReasoningField,
    content: Option<&str>,
    reasoning: Option<&str>,
    details: &dyn Fn() -> String,
    trim: bool,
) -> Option<String> {
    let order = match field {
        ReasoningField::ReasoningContent => [0, 1, 2],
        ReasoningField::Reasoning => [1, 0, 2],
        ReasoningField::ReasoningDetails => [2, 1, 0],
    };
    order.into_iter().find_map(|which| {
        let text = match which {
            0 => content?.to_string(),
            1 => reasoning?.to_string(),
            _ => details(),
        };
        let text = if trim { text.trim().to_string() } else { text };
        (!text.is_empty()).then_some(text)
    })
}

/// The readable text of `reasoning_details` parts: `reasoning.text` parts'
/// text and `reasoning.summary` parts' summary (encrypted parts have none).
pub fn details_text(details: &[Value]) -> String {
    let mut out = String::new();
    for part in details {
        let text = match part.get("type").and_then(Value::as_str) {
            Some("reasoning.text") => part.get("text"),
            Some("reasoning.summary") => part.get("summary"),
            _ => None,
        };
        if let Some(t) = text.and_then(Value::as_str) {
            out.push_str(t);
        }
    }
    out
}

/// The client's headers that go on to every upstream: its User-Agent, so
/// the provider sees the real agent (Kimi For Coding admits only known
/// coding agents by it and refuses a proxy's own).
pub fn client_headers(from: &HeaderMap) -> HeaderMap {
    let mut extra = HeaderMap::new();
    if let Some(ua) = from.get(http::header::USER_AGENT) {
        extra.insert(http::header::USER_AGENT, ua.clone());
    }
    extra
}

/// OpenAI `finish_reason` → Anthropic `stop_reason`. Unknown values end the
/// turn normally; a "stop" that came with tool calls is a tool use.
pub fn stop_reason(finish: Option<&str>, saw_tool_calls: bool) -> StopReason {
    match finish {
        Some("length") => StopReason::MaxTokens,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("content_filter") => StopReason::Refusal,
        _ if saw_tool_calls => StopReason::ToolUse,
        _ => StopReason::EndTurn,
    }
}

/// OpenAI usage → Anthropic usage. OpenAI's prompt tokens include cached
/// ones; Anthropic counts cache reads separately.
pub fn usage(u: &ChatUsage) -> Usage {
    let prompt = u.prompt();
    let cached = u.cached().min(prompt);
    Usage {
        input_tokens: prompt - cached,
        output_tokens: u.completion_tokens,
        cache_creation_input_tokens: None,
        cache_read_input_tokens: Some(cached),
        reasoning_tokens: u.reasoning().min(u.completion_tokens),
        cache_write_1h: 0,
        estimated: false,
        server_tool_use: None,
    }
}

/// Id for a tool call the upstream gave no id: stable for a message and index.
pub fn fallback_tool_id(message_id: &str, index: usize) -> String {
    let tail = message_id.strip_prefix("msg_").unwrap_or(message_id);
    format!("toolu_{tail}_{index}")
}

/// A rough token count for text (about four bytes a token), used where the
/// upstream reports nothing. Not for billing.
pub fn estimate_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4)
}

/// Generated text, counted for a rough token estimate where no usage
/// report says it: about four ASCII bytes a token, and a token for each
/// other character (a CJK character is about one, and three bytes, so
/// counting bytes would miss a quarter). Kept as counts so that many small
/// pieces add up to what their whole text would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextCount {
    ascii: u64,
    others: u64,
}

impl TextCount {
    pub fn add(&mut self, text: &[u8]) {
        self.ascii += text.iter().filter(|b| b.is_ascii()).count() as u64;
        // Leading bytes of multi-byte characters: one per character.
        self.others += text.iter().filter(|b| **b >= 0xC0).count() as u64;
    }

    /// Bytes whose text is not at hand: counted as ASCII.
    pub fn add_bytes(&mut self, bytes: usize) {
        self.ascii += bytes as u64;
    }

    pub fn tokens(&self) -> u64 {
        self.ascii.div_ceil(4) + self.others
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::translate::openai::PromptTokensDetails;

    #[test]
    fn text_counts_count_characters_beyond_ascii() {
        let count = |pieces: &[&str]| {
            let mut c = TextCount::default();
            for p in pieces {
                c.add(p.as_bytes());
            }
            c.tokens()
        };
        assert_eq!(count(&[]), 0);
        assert_eq!(count(&["0123456789 abcdefghij 0123456789 klmnopq"]), 10);
        // Pieces add up as their whole text would.
        assert_eq!(count(&["ab", "cd", "ef", "gh"]), 2);
        // Four CJK characters, twelve bytes.
        assert_eq!(count(&["用量账本"]), 4);
        assert_eq!(count(&["ok ", "用量"]), 3);
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(stop_reason(Some("stop"), false), StopReason::EndTurn);
        assert_eq!(stop_reason(Some("stop"), true), StopReason::ToolUse);
        assert_eq!(stop_reason(Some("length"), true), StopReason::MaxTokens);
        assert_eq!(stop_reason(Some("tool_calls"), false), StopReason::ToolUse);
        assert_eq!(
            stop_reason(Some("content_filter"), false),
            StopReason::Refusal
        );
        assert_eq!(stop_reason(Some("eos_token"), false), StopReason::EndTurn);
        assert_eq!(stop_reason(None, false), StopReason::EndTurn);
    }

    #[test]
    fn cached_tokens_are_split_out() {
        let u = ChatUsage {
            prompt_tokens: 100,
            completion_tokens: 7,
            prompt_tokens_details: Some(PromptTokensDetails { cached_tokens: 60 }),
            ..ChatUsage::default()
        };
        let a = usage(&u);
        assert_eq!(
            (a.input_tokens, a.cache_read_input_tokens, a.output_tokens),
            (40, Some(60), 7)
        );
    }

    /// Each provider's way of reporting cache hits and reasoning ends up in
    /// the same fields (the ledger bills from them).
    #[test]
    fn provider_usage_fields() {
        let parse = |j: &str| usage(&serde_json::from_str::<ChatUsage>(j).expect("usage"));
        // DeepSeek: hits and misses beside prompt_tokens, or instead of it.
        let a = parse(
            r#"{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":70,"prompt_cache_miss_tokens":30}"#,
        );
        assert_eq!((a.input_tokens, a.cache_read_input_tokens), (30, Some(70)));
        let a = parse(
            r#"{"completion_tokens":5,"prompt_cache_hit_tokens":70,"prompt_cache_miss_tokens":30}"#,
        );
        assert_eq!((a.input_tokens, a.cache_read_input_tokens), (30, Some(70)));
        // Moonshot: cached_tokens at the top level.
        let a = parse(r#"{"prompt_tokens":100,"completion_tokens":5,"cached_tokens":40}"#);
        assert_eq!((a.input_tokens, a.cache_read_input_tokens), (60, Some(40)));
        // OpenAI: reasoning is part of completion tokens.
        let a = parse(
            r#"{"prompt_tokens":10,"completion_tokens":50,"completion_tokens_details":{"reasoning_tokens":32},"prompt_tokens_details":{"cached_tokens":null}}"#,
        );
        assert_eq!(
            (a.input_tokens, a.output_tokens, a.reasoning_tokens),
            (10, 50, 32)
        );
        assert!(!a.estimated);
        // A bogus reasoning count never exceeds the output it is part of.
        let a = parse(
            r#"{"prompt_tokens":1,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":9}}"#,
        );
        assert_eq!(a.reasoning_tokens, 3);
    }
}

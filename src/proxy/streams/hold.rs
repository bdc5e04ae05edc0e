//! Holding a streamed reply back until its first content, for a target
//! that has a fallback: until then nothing has reached Claude Code, so a
//! stream that ends empty, reports an error, breaks or goes quiet can
//! still move on to the next target. The held bytes then go out first,
//! unchanged, and the rest streams as usual; the first content is never
//! delayed, only the frames before it (`message_start`, a role chunk).
//!
//! A chain's last target is not held: its reply streams from the first
//! byte, as a one-target slot's does.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::proxy::error::{ProxyError, upstream_message};
use crate::proxy::upstream::reply::Reply;
use crate::t;

/// Past this much without content, the reply is let through as it is (a
/// long preamble is not an empty reply).
const CAP: usize = 64 * 1024;

/// Nor is a long silence: a model may reason silently for minutes, and
/// while held Claude Code gets no `ping` (it gives up after 300 s without
/// a byte). Past this, the reply streams as it would without a fallback.
const HOLD_MAX: Duration = Duration::from_secs(30);

/// Which wire the stream speaks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wire {
    Anthropic,
    OpenAi,
}

/// What the held part of a stream showed.
pub enum Held {
    /// Content is coming: the reply, held bytes first.
    Content(Reply),
    /// It ended with no content block, text or tool call; what it sent
    /// (its usage is still worth a ledger row).
    Empty(Bytes),
    /// It failed before any content.
    Failed(ProxyError),
}

/// Read `resp` until its first content, its end, an error, or `idle`
/// without a byte.
pub async fn until_content(resp: Reply, wire: Wire, idle: Duration) -> Held {
    let (status, headers) = (resp.status(), resp.headers().clone());
    let mut stream = resp.into_stream();
    let mut held: Vec<Bytes> = Vec::new();
    let mut seen = BytesMut::new();
    let until = tokio::time::Instant::now() + HOLD_MAX;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(idle.min(left), stream.next()).await {
            Err(_) if left <= idle => break,
            Err(_) => {
                return Held::Failed(ProxyError::Timeout(t!(
                    "proxy.idle_timeout",
                    secs = idle.as_secs()
                )));
            }
            Ok(None) => return Held::Empty(seen.freeze()),
            Ok(Some(Err(e))) => {
                return Held::Failed(ProxyError::Unreachable(t!(
                    "proxy.stream_broken",
                    error = e
                )));
            }
            Ok(Some(Ok(chunk))) => {
                seen.extend_from_slice(&chunk);
                held.push(chunk);
                match scan(&seen, wire) {
                    Scan::Error(message) => return Held::Failed(ProxyError::BadUpstream(message)),
                    Scan::Content => break,
                    Scan::Nothing if seen.len() > CAP => break,
                    Scan::Nothing => {}
                }
            }
        }
    }
    let body = futures_util::stream::iter(held.into_iter().map(Ok)).chain(stream);
    Held::Content(Reply::held(status, headers, Box::pin(body)))
}

#[derive(Debug, PartialEq)]
enum Scan {
    Nothing,
    Content,
    Error(String),
}

/// What the bytes so far show. Keys are matched as JSON writes them: an
/// unescaped quote only delimits a string, so text inside a value cannot
/// pose as a key.
fn scan(bytes: &[u8], wire: Wire) -> Scan {
    let text = String::from_utf8_lossy(bytes);
    let error_at = text
        .find("\"type\":\"error\"")
        .or_else(|| text.find("\"error\":{"));
    let content_at = match wire {
        Wire::Anthropic => text.find("\"content_block_start\""),
        Wire::OpenAi => [
            "\"content\":\"",
            "\"reasoning_content\":\"",
            "\"reasoning\":\"",
        ]
        .iter()
        .filter_map(|key| non_empty_value(&text, key))
        .chain(text.find("\"tool_calls\""))
        .min(),
    };
    match (content_at, error_at) {
        (Some(c), Some(e)) if e < c => Scan::Error(error_message(&text, e)),
        (Some(_), _) => Scan::Content,
        (None, Some(e)) => Scan::Error(error_message(&text, e)),
        (None, None) => Scan::Nothing,
    }
}

/// Where `key` (ending in an opening quote) first has a non-empty value.
fn non_empty_value(text: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(key) {
        let at = from + i;
        let after = at + key.len();
        match text.as_bytes().get(after) {
            Some(b'"') => from = after,
            Some(_) => return Some(at),
            // The value has not arrived yet.
            None => return None,
        }
    }
    None
}

/// The message of the error event whose JSON holds position `at`: its
/// whole `data:` line, read as an error body.
fn error_message(text: &str, at: usize) -> String {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[start..end].trim();
    let json = line.strip_prefix("data:").unwrap_or(line).trim();
    upstream_message(200, json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_content_and_errors() {
        let start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[]}}\n\n";
        assert_eq!(scan(start.as_bytes(), Wire::Anthropic), Scan::Nothing);
        let block = format!(
            "{start}event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":0}}\n\n"
        );
        assert_eq!(scan(block.as_bytes(), Wire::Anthropic), Scan::Content);
        let err = format!(
            "{start}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n"
        );
        assert!(matches!(
            scan(err.as_bytes(), Wire::Anthropic),
            Scan::Error(_)
        ));
    }

    #[test]
    fn openai_content_needs_a_value() {
        let role =
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n";
        assert_eq!(scan(role.as_bytes(), Wire::OpenAi), Scan::Nothing);
        let text =
            format!("{role}data: {{\"choices\":[{{\"delta\":{{\"content\":\"Hi\"}}}}]}}\n\n");
        assert_eq!(scan(text.as_bytes(), Wire::OpenAi), Scan::Content);
        let tool = format!("{role}data: {{\"choices\":[{{\"delta\":{{\"tool_calls\":[]}}}}]}}\n\n");
        assert_eq!(scan(tool.as_bytes(), Wire::OpenAi), Scan::Content);
        let think = "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"Let\"}}]}\n\n";
        assert_eq!(scan(think.as_bytes(), Wire::OpenAi), Scan::Content);
        // Text that mentions a key is inside a string: escaped quotes.
        let quoted = "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}],\"x\":\"say \\\"content\\\":\\\"\"}\n\n";
        assert_eq!(scan(quoted.as_bytes(), Wire::OpenAi), Scan::Nothing);
        let err = "data: {\"error\":{\"message\":\"quota exceeded\"}}\n\n";
        match scan(err.as_bytes(), Wire::OpenAi) {
            Scan::Error(m) => assert!(m.contains("quota exceeded"), "{m}"),
            s => panic!("{s:?}"),
        }
    }
}

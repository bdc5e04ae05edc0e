//! An Anthropic-kind provider's thinking signatures, tagged with its name
//! on the way to Claude Code (see `provenance`), in a whole message and in
//! a forwarded stream. Only a profile that spans providers tags: a
//! single-provider profile's replies go through byte for byte.
//!
//! Pure: no I/O, no clock, no randomness.

use std::borrow::Cow;

use serde_json::Value;

use crate::proxy::translate::provenance::signed;

/// Tags a thinking block's signature, or a redacted one's data, in place;
/// true when it did. An empty signature (a streamed block's start) stays
/// empty: the real one follows in a `signature_delta`.
fn tag_block(block: &mut Value, maker: &str) -> bool {
    let key = match block.get("type").and_then(Value::as_str) {
        Some("thinking") => "signature",
        Some("redacted_thinking") => "data",
        _ => return false,
    };
    match block.get_mut(key) {
        Some(Value::String(s)) if !s.is_empty() => {
            *s = signed(maker, s);
            true
        }
        _ => false,
    }
}

/// A whole message's thinking tagged; `None` when it has none (the reply
/// then goes as it came).
pub fn tag_message(body: &[u8], maker: &str) -> Option<Vec<u8>> {
    if !may_hold_thinking(body) {
        return None;
    }
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut tagged = false;
    if let Some(Value::Array(blocks)) = v.get_mut("content") {
        for b in blocks {
            tagged |= tag_block(b, maker);
        }
    }
    tagged.then(|| serde_json::to_vec(&v).unwrap_or_else(|_| body.to_vec()))
}

/// A cheap look before any parse: every chunk of a forwarded stream goes
/// through it.
fn may_hold_thinking(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    has(b"\"signature\"") || has(b"redacted_thinking")
}

/// One stream event's data tagged, if it carries a signature.
fn tag_event(data: &str, maker: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(data).ok()?;
    let tagged = match v.get("type").and_then(Value::as_str) {
        Some("content_block_start") => v
            .get_mut("content_block")
            .is_some_and(|b| tag_block(b, maker)),
        Some("content_block_delta") => match v.get_mut("delta") {
            Some(d) if d.get("type").and_then(Value::as_str) == Some("signature_delta") => {
                match d.get_mut("signature") {
                    Some(Value::String(s)) if !s.is_empty() => {
                        *s = signed(maker, s);
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        },
        _ => false,
    };
    tagged.then(|| v.to_string())
}

/// Tags the signatures of a forwarded Anthropic stream. An event may be cut
/// anywhere between two chunks, so what follows the last complete event is
/// held until the event completes (Claude Code can do nothing with half an
/// event anyway). Events without a signature pass as they came.
#[derive(Debug)]
pub struct SseTagger {
    maker: String,
    held: Vec<u8>,
}

impl SseTagger {
    pub fn new(maker: &str) -> SseTagger {
        SseTagger {
            maker: maker.to_string(),
            held: Vec::new(),
        }
    }

    /// What to forward for this chunk.
    pub fn push<'a>(&mut self, chunk: &'a [u8]) -> Cow<'a, [u8]> {
        if self.held.is_empty() && ends_an_event(chunk) && !may_hold_thinking(chunk) {
            return Cow::Borrowed(chunk);
        }
        // What is held has no event end in it: one can only end in the new
        // bytes (or start in the last three held).
        let from = self.held.len().saturating_sub(3);
        self.held.extend_from_slice(chunk);
        let Some(cut) = last_event_end(&self.held, from) else {
            return Cow::Owned(Vec::new());
        };
        let rest = self.held.split_off(cut);
        let complete = std::mem::replace(&mut self.held, rest);
        Cow::Owned(self.tag_events(complete))
    }

    /// The end of the stream: what is held goes as it came.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }

    fn tag_events(&self, complete: Vec<u8>) -> Vec<u8> {
        if !may_hold_thinking(&complete) {
            return complete;
        }
        let Ok(text) = std::str::from_utf8(&complete) else {
            return complete;
        };
        let mut out = String::with_capacity(text.len() + 64);
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\r', '\n']);
            let tagged = body
                .strip_prefix("data:")
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .filter(|d| d.contains("\"signature\"") || d.contains("redacted_thinking"))
                .and_then(|d| tag_event(d, &self.maker));
            match tagged {
                Some(data) => {
                    out.push_str("data: ");
                    out.push_str(&data);
                    out.push_str(&line[body.len()..]);
                }
                None => out.push_str(line),
            }
        }
        out.into_bytes()
    }
}

fn ends_an_event(b: &[u8]) -> bool {
    b.ends_with(b"\n\n") || b.ends_with(b"\r\n\r\n") || b.ends_with(b"\r\r")
}

/// Where the last complete event ends (after its blank line), looking at
/// ends from `from` on.
fn last_event_end(b: &[u8], from: usize) -> Option<usize> {
    (from.max(1)..b.len())
        .rev()
        .find(|&i| {
            let end = &b[..=i];
            end.ends_with(b"\n\n") || end.ends_with(b"\r\n\r\n") || end.ends_with(b"\r\r")
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[]}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"say \\\"signature\\\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"RD\"}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );

    fn run(chunks: impl IntoIterator<Item = Vec<u8>>) -> String {
        let mut t = SseTagger::new("mm");
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&t.push(&c));
        }
        out.extend(t.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn streamed_signatures_are_tagged_however_the_bytes_are_cut() {
        let whole = run([STREAM.as_bytes().to_vec()]);
        assert!(whole.contains("\"signature\":\"ccswitch-signature-v2@mm:EqQB\""));
        assert!(whole.contains("\"data\":\"ccswitch-signature-v2@mm:RD\""));
        // Everything else as it came.
        assert_eq!(whole.replace("ccswitch-signature-v2@mm:", ""), STREAM);
        for size in [1, 7, 64] {
            let cut = run(STREAM.as_bytes().chunks(size).map(<[u8]>::to_vec));
            assert_eq!(cut, whole, "{size}-byte chunks");
        }
        let crlf = STREAM.replace('\n', "\r\n");
        assert_eq!(run([crlf.into_bytes()]), whole.replace('\n', "\r\n"));
    }

    #[test]
    fn a_stream_without_thinking_goes_through_untouched() {
        let mut t = SseTagger::new("mm");
        let event = b"event: ping\ndata: {\"type\":\"ping\"}\n\n";
        assert!(matches!(t.push(event), Cow::Borrowed(_)));
        // A cut event is held, then goes whole.
        assert!(t.push(b"event: ping\nda").is_empty());
        assert_eq!(&*t.push(b"ta: {}\n\n"), b"event: ping\ndata: {}\n\n");
        assert_eq!(t.push(b"data: {\"x\":1}").len(), 0);
        assert_eq!(t.finish(), b"data: {\"x\":1}");
    }

    #[test]
    fn whole_messages_are_tagged() {
        let body = br#"{"id":"m","content":[{"type":"thinking","thinking":"t","signature":"EqQB"},{"type":"redacted_thinking","data":"RD"},{"type":"text","text":"hi"}],"usage":{}}"#;
        let out = String::from_utf8(tag_message(body, "mm").unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"id":"m","content":[{"type":"thinking","thinking":"t","signature":"ccswitch-signature-v2@mm:EqQB"},{"type":"redacted_thinking","data":"ccswitch-signature-v2@mm:RD"},{"type":"text","text":"hi"}],"usage":{}}"#
        );
        assert_eq!(
            tag_message(br#"{"content":[{"type":"text","text":"hi"}]}"#, "mm"),
            None
        );
    }
}

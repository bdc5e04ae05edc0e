//! Server-sent events over bytes: an incremental decoder for upstream streams
//! and the encoder for the events ccswitch sends to Claude Code.
//!
//! Pure: no I/O, no clock, no randomness.

use bytes::{BufMut, Bytes, BytesMut};

use super::anthropic::Event;

/// Largest single event the decoder buffers. Real chunks are a few KiB; a
/// stream that never sends a blank line must not grow memory without bound.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One decoded event. `event` is `None` when no `event:` field was given
/// (the spec's default type, "message").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Incremental decoder following the WHATWG `text/event-stream` rules.
///
/// Lines are split on raw bytes (`\r` and `\n` never occur inside a UTF-8
/// sequence), so input may be cut anywhere, even inside a character, and is
/// only decoded once a whole line is in hand. [`SseDecoder::feed`] hands
/// each event to a callback from buffers it reuses: on the streaming hot
/// path an event costs no allocation.
#[derive(Debug)]
pub struct SseDecoder {
    /// Bytes of a line cut by the end of the previous input.
    line: Vec<u8>,
    /// The last byte seen was `\r`: a `\n` right after it ends nothing.
    after_cr: bool,
    /// The first line has been handled (a BOM is only stripped from it).
    past_first_line: bool,
    /// The `event:` field of the event being read (empty: none).
    event: String,
    /// Spec's data buffer: each `data:` line's value plus `\n`.
    data: String,
    /// Whether a `data:` line was seen (an event needs one, even empty).
    has_data: bool,
    limit: usize,
    overflow: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        SseDecoder::with_limit(MAX_EVENT_BYTES)
    }
}

impl SseDecoder {
    pub fn new() -> Self {
        SseDecoder::default()
    }

    /// A decoder that gives up on events larger than `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            after_cr: false,
            past_first_line: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            limit,
            overflow: false,
        }
    }

    /// Feed raw bytes as they arrive (any split, including inside a UTF-8
    /// char or between `\r` and `\n`); `on_event(event, data)` gets each
    /// complete event.
    pub fn feed(&mut self, bytes: &[u8], mut on_event: impl FnMut(Option<&str>, &str)) {
        let mut rest = bytes;
        while !self.overflow && !rest.is_empty() {
            if std::mem::take(&mut self.after_cr)
                && let Some((b'\n', tail)) = rest.split_first()
            {
                rest = tail;
                continue;
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(at) => {
                    self.after_cr = rest[at] == b'\r';
                    if self.line.is_empty() {
                        // The whole line is in this input: no copy.
                        self.line_in_place(&rest[..at], &mut on_event);
                    } else {
                        self.append(&rest[..at]);
                        let line = std::mem::take(&mut self.line);
                        self.line_in_place(&line, &mut on_event);
                        self.line = line;
                        self.line.clear();
                    }
                    rest = &rest[at + 1..];
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
    }

    /// End of input: a final event without a trailing blank line is
    /// delivered if it has data. The spec would discard it, but upstreams
    /// that close right after their last `data:` line would then lose
    /// `[DONE]`.
    pub fn end(&mut self, mut on_event: impl FnMut(Option<&str>, &str)) {
        if self.overflow {
            return;
        }
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_in_place(&line, &mut on_event);
        }
        self.dispatch(&mut on_event);
        self.after_cr = false;
    }

    /// [`SseDecoder::feed`], collecting the events.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.feed(bytes, |event, data| out.push(SseEvent::new(event, data)));
        out
    }

    /// [`SseDecoder::end`], collecting the events.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.end(|event, data| out.push(SseEvent::new(event, data)));
        out
    }

    /// An event exceeded the limit: its bytes were dropped and the decoder
    /// ignores all further input, since the stream can no longer be trusted.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    fn append(&mut self, bytes: &[u8]) {
        let size = self.line.len() + self.data.len() + bytes.len();
        if size > self.limit {
            self.give_up();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    /// Free the memory now; the caller reports the failure.
    fn give_up(&mut self) {
        self.overflow = true;
        self.line = Vec::new();
        self.data = String::new();
        self.event = String::new();
    }

    fn line_in_place(&mut self, raw: &[u8], on_event: &mut impl FnMut(Option<&str>, &str)) {
        if self.overflow {
            return;
        }
        let mut raw = raw;
        if !std::mem::replace(&mut self.past_first_line, true) {
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        if raw.is_empty() {
            self.dispatch(on_event);
            return;
        }
        let line = String::from_utf8_lossy(raw);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            // Comment lines have an empty field name: keep-alives.
            "" => {}
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "data" => {
                if self.data.len() + value.len() > self.limit {
                    self.give_up();
                    return;
                }
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            // `id` and `retry` matter only to reconnecting browsers.
            _ => {}
        }
    }

    fn dispatch(&mut self, on_event: &mut impl FnMut(Option<&str>, &str)) {
        if self.has_data {
            let data = self.data.strip_suffix('\n').unwrap_or(&self.data);
            let event = Some(self.event.as_str()).filter(|e| !e.is_empty());
            on_event(event, data);
        }
        self.has_data = false;
        self.data.clear();
        self.event.clear();
    }
}

impl SseEvent {
    fn new(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }
}

/// One event as Claude Code expects it: `event: <name>\ndata: <json>\n\n`.
pub fn encode(event: &Event) -> Bytes {
    let mut out = BytesMut::with_capacity(event.name().len() + 96);
    encode_into(event, &mut out);
    out.freeze()
}

/// [`encode`], appended to `out` (no buffer of its own).
pub fn encode_into(event: &Event, out: &mut BytesMut) {
    let start = out.len();
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.name().as_bytes());
    out.extend_from_slice(b"\ndata: ");
    match serde_json::to_writer(out.writer(), event) {
        Ok(()) => out.extend_from_slice(b"\n\n"),
        // Unreachable with these types (string keys only); still no panic.
        Err(_) => {
            out.truncate(start);
            out.extend_from_slice(
                b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\
                  \"message\":\"ccswitch could not encode an event\"}}\n\n",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    fn whole(input: &[u8]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = d.push(input);
        out.extend(d.finish());
        out
    }

    fn split_everywhere(input: &[u8], want: &[SseEvent]) {
        assert_eq!(whole(input), want, "whole");
        for at in 0..=input.len() {
            let mut d = SseDecoder::new();
            let mut out = d.push(&input[..at]);
            out.extend(d.push(&input[at..]));
            out.extend(d.finish());
            assert_eq!(out, want, "split at {at}");
        }
    }

    #[test]
    fn line_endings_and_splits() {
        let want = vec![ev(None, "a"), ev(Some("x"), "b")];
        split_everywhere(b"data: a\n\nevent: x\ndata: b\n\n", &want);
        split_everywhere(b"data: a\r\n\r\nevent: x\r\ndata: b\r\n\r\n", &want);
        split_everywhere(b"data: a\r\revent: x\rdata: b\r\r", &want);
        // A \r\n cut between its two bytes is one line end, not two.
        let mut d = SseDecoder::new();
        assert!(d.push(b"data: a\r").is_empty());
        assert!(d.push(b"\n").is_empty());
        assert_eq!(d.push(b"\r\n"), vec![ev(None, "a")]);
    }

    #[test]
    fn fields_per_spec() {
        let input = b": comment\nid: 7\nretry: 10\ndata:no-space\ndata:  two\nbogus\n\n";
        split_everywhere(input, &[ev(None, "no-space\n two")]);
        // A blank `data:` is an event with empty data; no data is no event.
        assert_eq!(whole(b"data:\n\nevent: x\n\n: hi\n\n"), vec![ev(None, "")]);
        // The event name does not leak into the next event.
        assert_eq!(whole(b"event: a\n\ndata: 1\n\n"), vec![ev(None, "1")]);
        assert_eq!(whole(b"data\n\n"), vec![ev(None, "")]);
    }

    #[test]
    fn utf8_split_inside_a_char_and_bad_bytes() {
        let input = "data: héllo →\n\n".as_bytes();
        split_everywhere(input, &[ev(None, "héllo →")]);
        assert_eq!(
            whole(b"data: \xff\xfe\n\n"),
            vec![ev(None, "\u{fffd}\u{fffd}")]
        );
    }

    #[test]
    fn bom_only_at_stream_start() {
        split_everywhere(b"\xEF\xBB\xBFdata: a\n\n", &[ev(None, "a")]);
        let bom_later = whole(b"data: a\n\n\xEF\xBB\xBFdata: b\n\n");
        assert_eq!(bom_later, vec![ev(None, "a")]);
    }

    #[test]
    fn eof_without_blank_line() {
        split_everywhere(
            b"data: a\n\ndata: [DONE]",
            &[ev(None, "a"), ev(None, "[DONE]")],
        );
        split_everywhere(b"data: [DONE]\n", &[ev(None, "[DONE]")]);
        assert_eq!(whole(b"event: x\n"), vec![]);
        assert_eq!(whole(b""), vec![]);
    }

    #[test]
    fn overflow_is_flagged_and_bounded() {
        let mut d = SseDecoder::with_limit(16);
        assert_eq!(d.push(b"data: 12345\n\n"), vec![ev(None, "12345")]);
        assert!(!d.overflowed());
        // Many small data lines add up to one big event.
        assert!(d.push(b"data: 12345\ndata: 12345\ndata: 1").is_empty());
        assert!(d.overflowed());
        assert!(d.push(b"\n\ndata: ok\n\n").is_empty());
        assert!(d.finish().is_empty());
        // One endless line.
        let mut d = SseDecoder::with_limit(16);
        for _ in 0..100 {
            assert!(d.push(b"data: xxxxxxxx").is_empty());
        }
        assert!(d.overflowed() && d.line.capacity() == 0 && d.data.capacity() == 0);
    }

    #[test]
    fn default_limit_is_16_mib() {
        let mut d = SseDecoder::new();
        let big = vec![b'x'; MAX_EVENT_BYTES];
        assert!(d.push(b"data: ").is_empty());
        assert!(d.push(&big).is_empty());
        assert!(d.overflowed());
    }

    #[test]
    fn encodes_compact_json() {
        let got = encode(&Event::ContentBlockStop { index: 2 });
        let want =
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n";
        assert_eq!(got, want.as_bytes());
        assert_eq!(
            encode(&Event::Ping),
            "event: ping\ndata: {\"type\":\"ping\"}\n\n".as_bytes()
        );
    }
}

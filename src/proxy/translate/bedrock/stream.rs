//! Bedrock's `application/vnd.amazon.eventstream` reply as Anthropic SSE.
//! Each `chunk` frame carries one Anthropic stream event, base64-encoded in
//! `{"bytes": …}`; it goes out as `event: <type>\ndata: <json>\n\n`. An
//! exception frame, or bytes that are no frame (a bad CRC), end the stream
//! with an Anthropic `error` event, so Claude Code never waits on a broken
//! stream.
//!
//! Pure: no I/O, no clock, no randomness.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::BytesMut;
use serde_json::json;

use super::errors::{error_message, stream_error_kind};

/// The most a frame may hold before the stream is taken for broken (one
/// event is a few kilobytes; a tool call's input at most a few hundred).
const MAX_BUFFER: usize = 16 * 1024 * 1024;

/// Decodes event-stream frames pushed in any pieces.
#[derive(Default)]
pub struct EventStreamSse {
    decoder: MessageFrameDecoder,
    buf: BytesMut,
    /// An error event has gone out: what follows is ignored.
    done: bool,
}

impl EventStreamSse {
    pub fn new() -> Self {
        Self::default()
    }

    /// The SSE for what `chunk` completes.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.buf.extend_from_slice(chunk);
        loop {
            match self.decoder.decode_frame(&mut self.buf) {
                Ok(DecodedFrame::Complete(m)) => {
                    self.frame(&m, out);
                    if self.done {
                        return;
                    }
                }
                Ok(DecodedFrame::Incomplete) => break,
                Err(e) => {
                    self.fail(
                        "api_error",
                        &format!("unreadable Bedrock event stream: {e}"),
                        out,
                    );
                    return;
                }
            }
        }
        if self.buf.len() > MAX_BUFFER {
            self.fail("api_error", "Bedrock event stream frame too large", out);
        }
    }

    /// The stream ended: half a frame left over is a cut stream. (A stream
    /// that ends between frames without `message_stop` is the relay's to
    /// report.)
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.done && !self.buf.is_empty() {
            self.fail(
                "api_error",
                "Bedrock event stream ended inside a frame",
                out,
            );
        }
    }

    /// Whether an error event has ended the stream.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn frame(&mut self, m: &Message, out: &mut Vec<u8>) {
        match header(m, ":message-type").unwrap_or("event") {
            "event" => {
                if header(m, ":event-type") == Some("chunk") {
                    self.chunk(m.payload(), out);
                }
                // Other events (none are documented for Anthropic models)
                // carry nothing Claude Code reads.
            }
            "exception" => {
                let name = header(m, ":exception-type").unwrap_or("exception");
                let message = error_message(m.payload())
                    .unwrap_or_else(|| String::from_utf8_lossy(m.payload()).into_owned());
                self.fail(
                    stream_error_kind(name),
                    &format!("Bedrock {name}: {message}"),
                    out,
                );
            }
            _ => {
                let code = header(m, ":error-code").unwrap_or("error");
                let message = header(m, ":error-message").unwrap_or_default();
                self.fail("api_error", &format!("Bedrock {code}: {message}"), out);
            }
        }
    }

    fn chunk(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        #[derive(serde::Deserialize)]
        struct Chunk {
            bytes: String,
        }
        #[derive(serde::Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            kind: String,
        }
        let event = serde_json::from_slice::<Chunk>(payload)
            .ok()
            .and_then(|c| aws_smithy_types::base64::decode(c.bytes).ok());
        let Some(event) = event else {
            return self.fail(
                "api_error",
                "Bedrock sent a chunk that is not base64 JSON",
                out,
            );
        };
        let Ok(Kind { kind }) = serde_json::from_slice::<Kind>(&event) else {
            return self.fail("api_error", "Bedrock sent an event without a type", out);
        };
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        if event.contains(&b'\n') {
            // SSE data is one line: an event written over several lines is
            // written again on one.
            let v: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
            let _ = serde_json::to_writer(&mut *out, &v);
        } else {
            out.extend_from_slice(&event);
        }
        out.extend_from_slice(b"\n\n");
    }

    fn fail(&mut self, kind: &str, message: &str, out: &mut Vec<u8>) {
        let body = json!({"type": "error", "error": {"type": kind, "message": message}});
        out.extend_from_slice(b"event: error\ndata: ");
        out.extend_from_slice(body.to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
        self.done = true;
        self.buf.clear();
    }
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

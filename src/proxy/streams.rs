//! Response bodies that stream: the Anthropic passthrough (bytes forwarded
//! as they come, usage read on the side) and the OpenAI translation. Both
//! send `ping` events while the upstream is silent, end with an `error`
//! event when the upstream fails or goes quiet for too long, and stop
//! reading the upstream as soon as the client goes away (dropping the body
//! drops the upstream response).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderValue, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use super::error::ProxyError;
use super::passthrough::UsageSniffer;
use super::reply::{ByteStream, Reply};
use super::server::{Body, State};
use super::translate::anthropic::{Event, Usage};
use super::translate::sse::{SseDecoder, encode};
use super::translate::stream::{StreamConfig, StreamTranslator};
use crate::t;

/// Logs and records one request when it ends, however it ends.
pub struct Finisher {
    state: Arc<State>,
    line: String,
    provider: String,
    model: String,
    started: Instant,
    notes: Vec<String>,
    finished: bool,
}

impl Finisher {
    pub fn new(
        state: Arc<State>,
        requested: &str,
        slot: &str,
        provider: &str,
        model: &str,
        stream: bool,
        started: Instant,
    ) -> Finisher {
        let kind = if stream { "stream" } else { "json" };
        Finisher {
            state,
            line: format!("{requested} -> {slot} {provider}/{model} {kind}"),
            provider: provider.to_string(),
            model: model.to_string(),
            started,
            notes: Vec::new(),
            finished: false,
        }
    }

    /// What translation dropped or changed, for the log line.
    pub fn notes(&mut self, notes: Vec<String>) {
        self.notes.extend(notes);
    }

    pub fn done(mut self, status: u16, usage: Option<&Usage>, error: Option<&str>) {
        self.finish(status, usage, error);
    }

    fn finish(&mut self, status: u16, usage: Option<&Usage>, error: Option<&str>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let failed = error.is_some() || status >= 400;
        self.state
            .stats
            .record(&self.provider, &self.model, usage, failed);
        let ms = self.started.elapsed().as_millis();
        let mut line = format!("{} {status} {ms}ms", self.line);
        if let Some(u) = usage {
            line.push_str(&format!(
                " in={} out={} cache_read={}",
                u.input_tokens,
                u.output_tokens,
                u.cache_read_input_tokens.unwrap_or(0)
            ));
        }
        if let Some(e) = error {
            line.push_str(&format!(" error: {e}"));
        }
        if self.state.cfg.log_notes && !self.notes.is_empty() {
            line.push_str(" notes: ");
            line.push_str(&self.notes.join("; "));
        }
        self.state.log(&line);
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        // Dropped before done(): the client went away mid-stream.
        self.finish(499, None, Some("client disconnected"));
    }
}

fn sse_response(body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}

/// Pings often enough that Claude Code's 300 s idle abort never fires and a
/// test with a short idle limit still sees some.
fn ping_interval(idle: Duration) -> Duration {
    (idle / 3).clamp(Duration::from_millis(50), Duration::from_secs(10))
}

/// Encode events into `out`; returns the message of an `error` event among
/// them, for the request's log line.
fn encode_all(events: &[Event], out: &mut BytesMut) -> Option<String> {
    let mut error = None;
    for e in events {
        out.extend_from_slice(&encode(e));
        if let Event::Error { error: body } = e {
            error = Some(body.message.clone());
        }
    }
    error
}

/// What to do next when waiting on the upstream.
enum Step {
    Data(Bytes),
    Failed(ProxyError),
    Ended,
    Quiet,
}

async fn next(upstream: &mut ByteStream, wait: Duration) -> Step {
    match tokio::time::timeout(wait, upstream.next()).await {
        Ok(Some(Ok(b))) => Step::Data(b),
        Ok(Some(Err(e))) => Step::Failed(ProxyError::Unreachable(t!(
            "proxy.stream_broken",
            error = e
        ))),
        Ok(None) => Step::Ended,
        Err(_) => Step::Quiet,
    }
}

struct Translated {
    upstream: ByteStream,
    decoder: SseDecoder,
    tr: StreamTranslator,
    idle: Duration,
    last_data: Instant,
    fin: Option<Finisher>,
}

impl Translated {
    fn close(&mut self, status: u16, error: Option<String>) {
        if let Some(f) = self.fin.take() {
            f.done(status, Some(&self.tr.usage()), error.as_deref());
        }
    }
}

/// OpenAI SSE in, Anthropic SSE out.
pub fn translated(resp: Reply, cfg: StreamConfig, idle: Duration, fin: Finisher) -> Response<Body> {
    let mut st = Translated {
        upstream: resp.into_stream(),
        decoder: SseDecoder::new(),
        tr: StreamTranslator::new(cfg),
        idle,
        last_data: Instant::now(),
        fin: Some(fin),
    };
    let mut first = BytesMut::new();
    encode_all(&st.tr.start(), &mut first);
    let head = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(first.freeze()))]);
    let rest = futures_util::stream::unfold(st, |mut st| async move {
        if st.tr.is_done() {
            return None;
        }
        let mut out = BytesMut::new();
        let mut err = None;
        while out.is_empty() && !st.tr.is_done() {
            match next(&mut st.upstream, ping_interval(st.idle)).await {
                Step::Data(b) => {
                    st.last_data = Instant::now();
                    for ev in st.decoder.push(&b) {
                        err = err.or(encode_all(&st.tr.push_data(&ev.data), &mut out));
                    }
                    if st.decoder.overflowed() {
                        let e = ProxyError::BadUpstream(t!("proxy.event_too_large"));
                        err = err.or(encode_all(&st.tr.fail(e.body()), &mut out));
                    }
                }
                Step::Failed(e) => err = err.or(encode_all(&st.tr.fail(e.body()), &mut out)),
                Step::Ended => {
                    for ev in st.decoder.finish() {
                        err = err.or(encode_all(&st.tr.push_data(&ev.data), &mut out));
                    }
                    err = err.or(encode_all(&st.tr.finish(), &mut out));
                }
                Step::Quiet if st.last_data.elapsed() >= st.idle => {
                    let e = ProxyError::Timeout(t!("proxy.idle_timeout", secs = st.idle.as_secs()));
                    err = err.or(encode_all(&st.tr.fail(e.body()), &mut out));
                }
                Step::Quiet => err = err.or(encode_all(&[Event::Ping], &mut out)),
            }
        }
        if st.tr.is_done() {
            st.close(200, err);
        }
        Some((Ok::<_, Infallible>(Frame::data(out.freeze())), st))
    });
    sse_response(StreamBody::new(head.chain(rest)).boxed_unsync())
}

struct Passthrough {
    upstream: ByteStream,
    sniffer: UsageSniffer,
    idle: Duration,
    last_data: Instant,
    /// The bytes forwarded so far end at an event boundary, so a ping or an
    /// error event can be inserted without corrupting the stream.
    at_boundary: bool,
    done: bool,
    fin: Option<Finisher>,
}

/// Anthropic SSE forwarded as is.
pub fn passthrough(resp: Reply, idle: Duration, fin: Finisher) -> Response<Body> {
    let st = Passthrough {
        upstream: resp.into_stream(),
        sniffer: UsageSniffer::default(),
        idle,
        last_data: Instant::now(),
        at_boundary: true,
        done: false,
        fin: Some(fin),
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            let failure = match next(&mut st.upstream, ping_interval(st.idle)).await {
                Step::Data(b) => {
                    st.last_data = Instant::now();
                    st.sniffer.push(&b);
                    st.at_boundary = b.ends_with(b"\n\n") || b.ends_with(b"\r\n\r\n");
                    return Some((Ok(Frame::data(b)), st));
                }
                Step::Quiet if st.last_data.elapsed() < st.idle => {
                    if st.at_boundary {
                        return Some((Ok(Frame::data(encode(&Event::Ping))), st));
                    }
                    continue;
                }
                Step::Quiet => Some(ProxyError::Timeout(t!(
                    "proxy.idle_timeout",
                    secs = st.idle.as_secs()
                ))),
                Step::Failed(e) => Some(e),
                Step::Ended if st.sniffer.stopped || st.sniffer.errored => None,
                // Ended without message_stop: a cut stream must not look
                // like a finished answer.
                Step::Ended => Some(ProxyError::BadUpstream(t!("proxy.stream_cut"))),
            };
            st.done = true;
            let mut out = BytesMut::new();
            let error = failure.map(|e| {
                if !st.at_boundary {
                    out.extend_from_slice(b"\n\n");
                }
                out.extend_from_slice(&encode(&Event::Error { error: e.body() }));
                e.to_string()
            });
            if let Some(f) = st.fin.take() {
                f.done(200, Some(&st.sniffer.usage), error.as_deref());
            }
            return if out.is_empty() {
                None
            } else {
                Some((Ok(Frame::data(out.freeze())), st))
            };
        }
    });
    sse_response(StreamBody::new(stream).boxed_unsync())
}

/// A whole message as an SSE stream, for upstreams that ignored `stream`.
pub fn from_message(msg: &super::translate::anthropic::MessageResponse) -> Response<Body> {
    use super::translate::anthropic::{Delta, MessageDeltaBody, OutBlock};
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
    let mut out = BytesMut::new();
    encode_all(&events, &mut out);
    sse_response(super::server::full(out.freeze()))
}

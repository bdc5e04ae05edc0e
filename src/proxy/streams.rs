//! Response bodies that stream: the Anthropic passthrough (bytes forwarded
//! as they come, usage read on the side) and the OpenAI translation. Both
//! send `ping` events while the upstream is silent, end with an `error`
//! event when the upstream fails or goes quiet for too long, and stop
//! reading the upstream as soon as the client goes away (dropping the body
//! drops the upstream response).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::Response;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use super::body::{Body, full, sse_response};
use super::error::ProxyError;
use super::finish::Finisher;
use super::translate::anthropic::Event;
use super::translate::passthrough::UsageSniffer;
use super::translate::sse::{SseDecoder, encode};
use super::translate::stream::{StreamConfig, StreamTranslator};
use super::upstream::reply::{ByteStream, Reply};
use crate::t;

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
        if let Some(mut f) = self.fin.take() {
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
            if let Some(mut f) = st.fin.take() {
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

/// Events already known in full, as one SSE body.
pub fn whole(events: &[Event]) -> Response<Body> {
    let mut out = BytesMut::new();
    encode_all(events, &mut out);
    sse_response(full(out.freeze()))
}

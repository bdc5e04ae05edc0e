//! Response bodies that stream: the Anthropic passthrough (bytes forwarded
//! as they come, usage read on the side) and the OpenAI translation. Both
//! send `ping` events while the upstream is silent, end with an `error`
//! event when the upstream fails or goes quiet for too long, and stop
//! reading the upstream as soon as the client goes away (dropping the body
//! drops the upstream response).

pub mod hold;
mod wait;

use std::convert::Infallible;
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use super::body::{Body, full};
use super::error::ProxyError;
use super::finish::{Finisher, committed};
use super::translate::anthropic::{ErrorBody, Event};
use super::translate::passthrough::{SseTagger, UsageSniffer};
use super::translate::sse::{SseDecoder, encode, encode_into};
use super::translate::stream::{StreamConfig, StreamTranslator};
use super::upstream::reply::Reply;
use crate::gateway::budget::reservation::Committed;
use crate::secrets::Redactor;
use crate::t;
use std::sync::Arc;
use wait::{Waited, Waiter};

/// Encode events into `out`, error events masked (an upstream's error
/// event may echo the key); returns the message of an `error` event among
/// them, for the request's log line.
fn encode_all(events: &[Event], out: &mut BytesMut, red: &Redactor) -> Option<String> {
    let mut error = None;
    for e in events {
        if let Event::Error { error: body } = e {
            let message = red.redact(&body.message).into_owned();
            let masked = Event::Error {
                error: ErrorBody {
                    kind: body.kind.clone(),
                    message,
                },
            };
            encode_into(&masked, out);
            if let Event::Error { error: body } = masked {
                error = Some(body.message);
            }
        } else {
            encode_into(e, out);
        }
    }
    error
}

/// Turns what the upstream does into bytes for the client.
trait Relay {
    /// Write `step`'s output into `out`; false once the stream has ended.
    fn step(&mut self, step: Waited, out: &mut BytesMut) -> bool;
    /// Whether content (thinking, text, tool input) has gone out yet.
    fn content_started(&self) -> bool;
    /// Once ended: what the stream's end waits for (the gateway store
    /// having the request).
    fn committed(&mut self) -> Option<Committed>;
}

/// Writes held back to share one: chunks that arrive within this long of
/// the last write go out together. It is below a fast model's time per
/// token (2 ms is 500 tokens a second) and far below what anyone sees
/// (Claude Code draws a frame every 16 ms), so at real token rates every
/// chunk is written the moment it arrives; a burst (tool arguments from a
/// fast provider, a backlog after a stall) costs one write instead of
/// hundreds. Under load, writing every chunk on its own was most of the
/// proxy's CPU time: with 64 streams at once against the benchmark's mock,
/// the proxy served 45 % of the direct stream rate writing every chunk,
/// about 60 % holding 1 ms and about 70 % holding 2 ms.
const COALESCE: Duration = Duration::from_millis(2);

/// When the last write went out.
#[derive(Default)]
struct Pace {
    last_write: Option<Instant>,
}

impl Pace {
    /// Until when output may wait for more, if at all.
    fn hold_until(&self) -> Option<Instant> {
        let deadline = self.last_write? + COALESCE;
        (Instant::now() < deadline).then_some(deadline)
    }
}

/// The next frame for the client: a step's output, with whatever else has
/// already arrived, and (while writes are frequent) what arrives within the
/// coalescing window. `None` once the stream has ended with nothing left.
async fn next_frame(waiter: &mut Waiter, relay: &mut impl Relay, pace: &mut Pace) -> Option<Bytes> {
    let mut out = BytesMut::new();
    let mut open = true;
    while out.is_empty() && open {
        // Nothing is held until the first content has gone out: time to
        // first token is the one gap a person notices.
        let may_hold = relay.content_started();
        let step = waiter.next().await;
        let data = matches!(step, Waited::Data(_));
        open = relay.step(step, &mut out);
        if !(open && data) {
            continue;
        }
        // The one yield lets the upstream connection hand over what it has
        // already buffered.
        tokio::task::yield_now().await;
        while open && let Some(step) = waiter.ready() {
            open = relay.step(step, &mut out);
        }
        if let Some(deadline) = pace.hold_until().filter(|_| may_hold) {
            while open && let Some(step) = waiter.next_until(deadline).await {
                open = relay.step(step, &mut out);
            }
        }
    }
    if !open {
        // The end goes out once the gateway's store has the request.
        committed(relay.committed()).await;
    }
    if out.is_empty() {
        return None;
    }
    pace.last_write = Some(Instant::now());
    Some(out.freeze())
}

struct Translated {
    decoder: SseDecoder,
    tr: StreamTranslator,
    fin: Option<Finisher>,
    /// The first `error` event's message, for the log line.
    error: Option<String>,
    red: Arc<Redactor>,
    committed: Option<Committed>,
}

impl Relay for Translated {
    fn content_started(&self) -> bool {
        self.tr.content_started()
    }

    fn committed(&mut self) -> Option<Committed> {
        self.committed.take()
    }

    fn step(&mut self, step: Waited, out: &mut BytesMut) -> bool {
        let start = out.len();
        let events = match step {
            Waited::Data(b) => {
                let (tr, error, red) = (&mut self.tr, &mut self.error, &self.red);
                self.decoder.feed(&b, |_, data| {
                    let e = encode_all(&tr.push_data(data), out, red);
                    *error = error.take().or(e);
                });
                if self.decoder.overflowed() {
                    let e = ProxyError::BadUpstream(t!("proxy.event_too_large"));
                    self.tr.fail(e.body(&self.red))
                } else {
                    Vec::new()
                }
            }
            Waited::Failed(e) | Waited::Idle(e) => self.tr.fail(e.body(&self.red)),
            Waited::Ended => {
                let (tr, error, red) = (&mut self.tr, &mut self.error, &self.red);
                self.decoder.end(|_, data| {
                    let e = encode_all(&tr.push_data(data), out, red);
                    *error = error.take().or(e);
                });
                self.tr.finish()
            }
            Waited::Ping => vec![Event::Ping],
        };
        let error = encode_all(&events, out, &self.red);
        self.error = self.error.take().or(error);
        if let Some(f) = &mut self.fin {
            f.sent(&out[start..]);
            if self.tr.content_started() {
                f.first_token();
            }
        }
        if self.tr.is_done()
            && let Some(mut f) = self.fin.take()
        {
            self.committed = f.done(200, Some(&self.tr.usage_so_far()), self.error.as_deref());
        }
        !self.tr.is_done()
    }
}

impl Drop for Translated {
    /// The client went away first: what the upstream reported so far (often
    /// the input) is still billed, so it is still recorded.
    fn drop(&mut self) {
        if let Some(mut f) = self.fin.take() {
            let _ = f.done(
                499,
                Some(&self.tr.usage_so_far()),
                Some("client disconnected"),
            );
        }
    }
}

/// OpenAI SSE in, Anthropic SSE out.
pub fn translated(resp: Reply, cfg: StreamConfig, idle: Duration, fin: Finisher) -> Body {
    let waiter = Waiter::new(resp.into_stream(), idle);
    let mut st = Translated {
        decoder: SseDecoder::new(),
        tr: StreamTranslator::new(cfg),
        red: fin.redactor(),
        fin: Some(fin),
        error: None,
        committed: None,
    };
    let mut first = BytesMut::new();
    encode_all(&st.tr.start(), &mut first, &st.red);
    if let Some(f) = &mut st.fin {
        f.sent(&first);
    }
    let head = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(first.freeze()))]);
    let rest = futures_util::stream::unfold(
        (waiter, st, Pace::default()),
        |(mut waiter, mut st, mut pace)| async move {
            if st.tr.is_done() {
                return None;
            }
            let frame = next_frame(&mut waiter, &mut st, &mut pace).await?;
            Some((Ok::<_, Infallible>(Frame::data(frame)), (waiter, st, pace)))
        },
    );
    StreamBody::new(head.chain(rest)).boxed_unsync()
}

struct Passthrough {
    sniffer: UsageSniffer,
    /// Tags thinking signatures with their maker, for a profile that spans
    /// providers (none: the bytes go as they came).
    tagger: Option<SseTagger>,
    /// The bytes forwarded so far end at an event boundary, so a ping or an
    /// error event can be inserted without corrupting the stream.
    at_boundary: bool,
    done: bool,
    fin: Option<Finisher>,
    red: Arc<Redactor>,
    committed: Option<Committed>,
}

impl Relay for Passthrough {
    fn content_started(&self) -> bool {
        self.sniffer.content_started
    }

    fn committed(&mut self) -> Option<Committed> {
        self.committed.take()
    }

    fn step(&mut self, step: Waited, out: &mut BytesMut) -> bool {
        let start = out.len();
        let failure = match step {
            Waited::Data(b) => {
                self.sniffer.push(&b);
                let tagged = self.tagger.as_mut().and_then(|t| match t.push(&b) {
                    std::borrow::Cow::Owned(v) => Some(v),
                    std::borrow::Cow::Borrowed(_) => None,
                });
                let b = tagged.map_or(b, Bytes::from);
                // A tagger forwards whole events only.
                self.at_boundary =
                    self.tagger.is_some() || b.ends_with(b"\n\n") || b.ends_with(b"\r\n\r\n");
                // From the upstream's error event on, what is forwarded is
                // its error text, which may echo the key. Content before it
                // is the model's and goes as it came.
                let b = if self.sniffer.errored {
                    self.red.redact_bytes(&b)
                } else {
                    std::borrow::Cow::Borrowed(&b[..])
                };
                out.extend_from_slice(&b);
                if let Some(f) = &mut self.fin {
                    f.sent(&b);
                    if self.sniffer.content_started {
                        f.first_token();
                    }
                }
                return true;
            }
            Waited::Ping => {
                if self.at_boundary {
                    out.extend_from_slice(&encode(&Event::Ping));
                }
                return true;
            }
            Waited::Idle(e) | Waited::Failed(e) => Some(e),
            Waited::Ended if self.sniffer.stopped || self.sniffer.errored => None,
            // Ended without message_stop: a cut stream must not look like a
            // finished answer.
            Waited::Ended => Some(ProxyError::BadUpstream(t!("proxy.stream_cut"))),
        };
        self.done = true;
        if let Some(held) = self.tagger.as_mut().map(SseTagger::finish)
            && !held.is_empty()
        {
            // Half an event the upstream never finished: as it came.
            out.extend_from_slice(&held);
            self.at_boundary = false;
        }
        let error = failure.map(|e| {
            if !self.at_boundary {
                out.extend_from_slice(b"\n\n");
            }
            out.extend_from_slice(&encode(&Event::Error {
                error: e.body(&self.red),
            }));
            e.to_string()
        });
        if let Some(mut f) = self.fin.take() {
            f.sent(&out[start..]);
            self.committed = f.done(200, Some(&self.sniffer.usage_so_far()), error.as_deref());
        }
        false
    }
}

impl Drop for Passthrough {
    fn drop(&mut self) {
        if let Some(mut f) = self.fin.take() {
            let _ = f.done(
                499,
                Some(&self.sniffer.usage_so_far()),
                Some("client disconnected"),
            );
        }
    }
}

/// Anthropic SSE forwarded as is, or with thinking signatures tagged.
pub fn passthrough(resp: Reply, idle: Duration, fin: Finisher, tagger: Option<SseTagger>) -> Body {
    let waiter = Waiter::new(resp.into_stream(), idle);
    let st = Passthrough {
        sniffer: UsageSniffer::default(),
        tagger,
        at_boundary: true,
        done: false,
        red: fin.redactor(),
        fin: Some(fin),
        committed: None,
    };
    let stream = futures_util::stream::unfold(
        (waiter, st, Pace::default()),
        |(mut waiter, mut st, mut pace)| async move {
            if st.done {
                return None;
            }
            let frame = next_frame(&mut waiter, &mut st, &mut pace).await?;
            Some((Ok::<_, Infallible>(Frame::data(frame)), (waiter, st, pace)))
        },
    );
    StreamBody::new(stream).boxed_unsync()
}

/// Events already known in full, as one SSE body.
pub fn whole(events: &[Event], fin: &mut Finisher) -> Body {
    let mut out = BytesMut::new();
    encode_all(events, &mut out, &fin.redactor());
    fin.sent(&out);
    full(out.freeze())
}

#[cfg(test)]
mod tests;

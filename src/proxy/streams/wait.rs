//! Waiting on a streamed upstream body. One timer serves the whole stream:
//! a chunk costs a clock read, not a timer registration, and the timer is
//! re-armed only when it fires. It says when to ping (silence) and when to
//! give up (the idle limit).

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::proxy::error::ProxyError;
use crate::proxy::upstream::reply::{ByteStream, SendError};
use crate::t;

/// What happened while waiting.
pub enum Waited {
    Data(Bytes),
    /// The body broke (reset, error status mid-stream).
    Failed(ProxyError),
    Ended,
    /// Silent for a ping interval: time to show the client we are alive.
    Ping,
    /// Silent for the idle limit.
    Idle(ProxyError),
}

/// Pings often enough that Claude Code's 300 s idle abort never fires and a
/// test with a short idle limit still sees some.
fn ping_interval(idle: Duration) -> Duration {
    (idle / 3).clamp(Duration::from_millis(50), Duration::from_secs(10))
}

pub struct Waiter {
    body: ByteStream,
    idle: Duration,
    ping_every: Duration,
    last_data: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Waiter {
    pub fn new(body: ByteStream, idle: Duration) -> Waiter {
        let ping_every = ping_interval(idle);
        let now = Instant::now();
        Waiter {
            body,
            idle,
            ping_every,
            last_data: now,
            timer: Box::pin(tokio::time::sleep_until(now + ping_every)),
        }
    }

    pub async fn next(&mut self) -> Waited {
        loop {
            tokio::select! {
                biased;
                item = self.body.next() => return self.took(item),
                () = &mut self.timer => {
                    let now = Instant::now();
                    let quiet = now - self.last_data;
                    if quiet >= self.idle {
                        let secs = self.idle.as_secs();
                        return Waited::Idle(ProxyError::Timeout(t!("proxy.idle_timeout", secs = secs)));
                    }
                    let limit = self.last_data + self.idle;
                    if quiet >= self.ping_every {
                        self.timer.as_mut().reset((now + self.ping_every).min(limit));
                        return Waited::Ping;
                    }
                    // Data came since the timer was set: silence is counted
                    // from it.
                    self.timer.as_mut().reset((self.last_data + self.ping_every).min(limit));
                }
            }
        }
    }

    /// The next step, unless `deadline` comes first.
    pub async fn next_until(&mut self, deadline: Instant) -> Option<Waited> {
        tokio::select! {
            biased;
            step = self.next() => Some(step),
            () = tokio::time::sleep_until(deadline) => None,
        }
    }

    /// The next chunk if it has already arrived; never waits.
    pub fn ready(&mut self) -> Option<Waited> {
        let item = self.body.next().now_or_never()?;
        Some(self.took(item))
    }

    fn took(&mut self, item: Option<Result<Bytes, SendError>>) -> Waited {
        match item {
            Some(Ok(b)) => {
                self.last_data = Instant::now();
                Waited::Data(b)
            }
            Some(Err(e)) => Waited::Failed(ProxyError::Unreachable(t!(
                "proxy.stream_broken",
                error = e
            ))),
            None => Waited::Ended,
        }
    }
}

//! When frames go out: the first content at once, later chunks together
//! while writes are frequent, pings after silence.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, advance};

use super::wait::{Waited, Waiter};
use super::{Pace, Relay, next_frame};
use crate::proxy::upstream::reply::{ByteStream, SendError};

/// Copies data through; content starts with the first chunk.
#[derive(Default)]
struct Echo {
    started: bool,
}

impl Relay for Echo {
    fn step(&mut self, step: Waited, out: &mut BytesMut) -> bool {
        match step {
            Waited::Data(b) => {
                self.started = true;
                out.extend_from_slice(&b);
                true
            }
            Waited::Ping => {
                out.extend_from_slice(b"ping;");
                true
            }
            _ => false,
        }
    }

    fn content_started(&self) -> bool {
        self.started
    }

    fn committed(&mut self) -> Option<crate::gateway::budget::reservation::Committed> {
        None
    }
}

fn upstream() -> (mpsc::UnboundedSender<&'static str>, Waiter) {
    let (tx, rx) = mpsc::unbounded_channel::<&'static str>();
    let body: ByteStream = Box::pin(
        tokio_stream_from(rx).map(|s| Ok::<_, SendError>(Bytes::from_static(s.as_bytes()))),
    );
    (tx, Waiter::new(body, Duration::from_secs(300)))
}

fn tokio_stream_from(
    mut rx: mpsc::UnboundedReceiver<&'static str>,
) -> impl futures_util::Stream<Item = &'static str> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test(start_paused = true)]
async fn first_content_at_once_then_bursts_share_a_write() {
    let (tx, mut waiter) = upstream();
    let (mut relay, mut pace) = (Echo::default(), Pace::default());
    tx.send("a;").unwrap();
    let t0 = Instant::now();
    let frame = next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    assert_eq!(frame, "a;");
    assert_eq!(Instant::now(), t0, "the first content is not held");
    // Two chunks inside the window after that write go out together, when
    // the window closes.
    tx.send("b;").unwrap();
    let sender = tokio::spawn({
        let tx = tx.clone();
        async move {
            advance(Duration::from_micros(500)).await;
            tx.send("c;").unwrap();
        }
    });
    let frame = next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    sender.await.unwrap();
    assert_eq!(frame, "b;c;");
    assert!(Instant::now() - t0 <= Duration::from_millis(3));
    // After a quiet spell longer than the window, a chunk goes at once.
    advance(Duration::from_millis(50)).await;
    tx.send("d;").unwrap();
    let before = Instant::now();
    let frame = next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    assert_eq!(frame, "d;");
    assert_eq!(Instant::now(), before);
}

#[tokio::test(start_paused = true)]
async fn silence_pings_and_the_end_is_not_held() {
    let (tx, mut waiter) = upstream();
    let (mut relay, mut pace) = (Echo::default(), Pace::default());
    tx.send("a;").unwrap();
    next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    // Nothing for a ping interval (10 s at a 300 s idle limit).
    let frame = next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    assert_eq!(frame, "ping;");
    tx.send("b;").unwrap();
    drop(tx);
    let before = Instant::now();
    let frame = next_frame(&mut waiter, &mut relay, &mut pace)
        .await
        .unwrap();
    assert_eq!(frame, "b;");
    assert_eq!(Instant::now(), before, "the end goes out at once");
    assert!(
        next_frame(&mut waiter, &mut relay, &mut pace)
            .await
            .is_none()
    );
}

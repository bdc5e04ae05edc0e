//! Tokio's clock held still, for tests of the in-process proxy whose
//! claims are about its timers (a cooldown, a timeout, a cut-off): the
//! test moves the clock itself, so a loaded machine can make nothing late
//! and nothing early.
//!
//! A paused clock alone auto-advances to the next timer whenever the
//! runtime is idle, and with real sockets "idle" can mean "a loopback
//! packet is not through yet": a timeout would fire that never should.
//! While a `spawn_blocking` task runs, tokio does not auto-advance (see
//! `tokio::time::pause`, "Preventing auto-advance"), so `Frozen` keeps one
//! parked for as long as it lives. Tokio timers then never fire on their
//! own: waits in such a test go by the real clock (`within`, `settle`),
//! and the tokio clock moves only by `advance`.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

pub struct Frozen {
    release: Option<std::sync::mpsc::Sender<()>>,
}

impl Frozen {
    /// Needs the current-thread runtime (`#[tokio::test]`'s default).
    pub fn new() -> Frozen {
        tokio::time::pause();
        let (release, parked) = std::sync::mpsc::channel::<()>();
        drop(tokio::task::spawn_blocking(move || {
            let _ = parked.recv();
        }));
        Frozen {
            release: Some(release),
        }
    }

    /// Move the clock on: every timer due by then fires.
    pub async fn advance(&self, by: Duration) {
        tokio::time::advance(by).await;
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // The parked task returns, and the runtime may shut down.
        self.release.take();
    }
}

/// `fut`'s output, or a panic naming `what` when it takes longer than
/// `limit` by the real clock: a hang guard that works while tokio's clock
/// stands still. Limits are generous; they catch hangs, not slowness.
#[track_caller]
pub fn within<F: Future>(limit: Duration, what: &str, fut: F) -> impl Future<Output = F::Output> {
    let what = what.to_string();
    let caller = std::panic::Location::caller();
    async move {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // Dropped when `fut` is done, which ends the watch early.
        let (done, watch) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = watch.recv_timeout(limit) {
                let _ = tx.send(());
            }
        });
        let out = tokio::select! {
            out = fut => out,
            _ = rx => panic!("{what}: nothing within {limit:?} (real time), at {caller}"),
        };
        drop(done);
        out
    }
}

/// Give the runtime `d` of real time to run whatever is ready (the proxy's
/// tasks) without moving tokio's clock.
pub async fn settle(d: Duration) {
    tokio::task::spawn_blocking(move || std::thread::sleep(d))
        .await
        .unwrap();
}

/// Wait (by the real clock, up to `limit`) until `cond` holds, checking
/// every 10 ms; panics naming `what` if it never does.
#[track_caller]
pub fn until(
    limit: Duration,
    what: &str,
    mut cond: impl FnMut() -> bool,
) -> impl Future<Output = ()> {
    let what = what.to_string();
    let caller = std::panic::Location::caller();
    async move {
        let t0 = std::time::Instant::now();
        while !cond() {
            assert!(
                t0.elapsed() < limit,
                "{what}: not within {limit:?} (real time), at {caller}"
            );
            settle(Duration::from_millis(10)).await;
        }
    }
}

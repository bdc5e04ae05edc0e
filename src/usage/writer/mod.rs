//! The ledger's writer: the proxy hands finished requests to a channel (one
//! send, no I/O on the request path) and a thread prices them and writes
//! them, one transaction per batch.
//!
//! A batch is what arrives within [`WINDOW`] of its first row: one
//! transaction, with the 15-minute and daily sums added up in memory first,
//! so a busy proxy costs its writer a few microseconds a request. Sending a
//! row wakes nothing (the writer sleeps out the window); [`Sink::sync`]
//! wakes it to write at once. A session killed with SIGKILL loses at most
//! the window's rows; WAL and transactions keep the file itself whole.
//!
//! A batch that cannot be written (another process holds the file's write
//! lock, the disk is full) is kept and goes with the next one, up to
//! [`KEEP`] rows; the writer waits longer before each new try, so a stuck
//! ledger costs its own thread, never a request. Every row is numbered as
//! it is sent, and [`Progress`] says up to which number rows are settled
//! (stored, or given up and kept as sums): budget checks read the file and
//! add from memory what is not settled, instead of waiting for the writer.

mod sql;

pub use sql::BUCKET_MS;
use sql::Priced;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::prices::{Price, Tokens};
use super::record::Record;
use crate::tn;

/// How long a batch gathers. Measured with `proxy-load` on two cores: a
/// transaction per request (group commit at once) put the writer's work
/// beside every request, +0.08 ms at p50 and a fifth of the throughput.
const WINDOW: Duration = Duration::from_millis(100);

/// Rows kept while the ledger cannot be written (a few MB). Past this the
/// oldest are given up; what they cost is still counted for budgets.
pub const KEEP: usize = 10_000;

/// The first wait after a failed write, doubled after each further one.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Where warnings go (the proxy's log).
pub type LogFn = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A price for a provider and model, if one is known (config, presets, the
/// built-in table).
pub type Pricer = Box<dyn Fn(&str, &str) -> Option<Price> + Send>;

/// A [`Pricer`] that remembers its answers: a run asks about a few
/// (provider, model) pairs, each many times (a scan, no key built per
/// ask).
pub struct PriceCache {
    pricer: Pricer,
    prices: Vec<((String, String), Option<Price>)>,
}

impl PriceCache {
    pub fn new(pricer: Pricer) -> PriceCache {
        PriceCache {
            pricer,
            prices: Vec::new(),
        }
    }

    pub fn price(&mut self, provider: &str, model: &str) -> Option<Price> {
        if let Some((_, p)) = self
            .prices
            .iter()
            .find(|((a, b), _)| a == provider && b == model)
        {
            return *p;
        }
        let p = (self.pricer)(provider, model);
        self.prices
            .push(((provider.to_string(), model.to_string()), p));
        p
    }
}

enum Msg {
    /// A finished request and its number.
    Row(Box<Record>, u64),
    /// Write what came before, then end: a connection task may still hold
    /// a [`Sink`] after the proxy stopped, so the end cannot wait for every
    /// sender to be gone.
    Stop,
    /// Answer once everything sent before is written (or the write failed).
    Sync(mpsc::Sender<()>),
    /// Write what came before now, not at the end of the window.
    Flush,
}

/// Rows given up on: their sums per 15-minute bucket, profile and
/// provider. Budgets still count them.
#[derive(Clone, Debug, PartialEq)]
pub struct Lost {
    /// The bucket's start, Unix milliseconds.
    pub at_ms: i64,
    pub profile: Arc<str>,
    pub provider: String,
    pub usd: f64,
    pub tokens: u64,
}

/// How far the writer got, for budget checks.
#[derive(Default)]
pub struct Progress {
    /// Every row numbered up to this is stored, or in `lost`.
    settled: AtomicU64,
    lost: Mutex<Vec<Lost>>,
}

impl Progress {
    /// Read before the file: a row settled after this read is still
    /// counted from memory (see `budget`).
    pub fn settled(&self) -> u64 {
        self.settled.load(Ordering::Acquire)
    }

    pub fn lost(&self) -> Vec<Lost> {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Where the proxy sends finished requests. Cheap to clone.
#[derive(Clone)]
pub struct Sink {
    /// Numbered and sent under one lock, so the writer receives rows in
    /// the order of their numbers.
    tx: Arc<Mutex<(mpsc::Sender<Msg>, u64)>>,
    /// The writer thread, woken for what cannot wait out the window.
    writer: std::thread::Thread,
    progress: Arc<Progress>,
}

impl Sink {
    /// Hand a row to the writer; its number (see [`Progress::settled`]).
    pub fn send(&self, r: Record) -> u64 {
        let mut tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner);
        tx.1 += 1;
        let seq = tx.1;
        // After the writer stopped, nothing is left to record.
        let _ = tx.0.send(Msg::Row(Box::new(r), seq));
        seq
    }

    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// Wait (blocking) until every row sent before is in the file, the
    /// write failed, or the writer is gone.
    pub fn sync(&self) {
        let (ack, rx) = mpsc::channel();
        if self.post(Msg::Sync(ack)) {
            let _ = rx.recv();
        }
    }

    /// Have the writer store what was sent without waiting out its window
    /// (and without waiting for it here): budgets shared with other
    /// sessions see a row only once it is stored.
    pub fn flush_soon(&self) {
        self.post(Msg::Flush);
    }

    fn post(&self, m: Msg) -> bool {
        let sent = self
            .tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .send(m)
            .is_ok();
        self.writer.unpark();
        sent
    }
}

/// The running writer. [`Ledger::close`] writes what is queued and stops.
pub struct Ledger {
    sink: Option<Sink>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some(s) = self.sink.take() {
            s.post(Msg::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Ledger {
    pub fn start(conn: Connection, pricer: Pricer, log: LogFn) -> Ledger {
        let (tx, rx) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let shared = progress.clone();
        let thread = std::thread::Builder::new()
            .name("ccswitch-ledger".into())
            .spawn(move || Writer::new(conn, pricer, log, shared).run(&rx))
            .ok();
        Ledger {
            sink: thread.as_ref().map(|t| Sink {
                tx: Arc::new(Mutex::new((tx, 0))),
                writer: t.thread().clone(),
                progress,
            }),
            thread,
        }
    }

    pub fn sink(&self) -> Option<Sink> {
        self.sink.clone()
    }

    /// Write everything queued, then stop (dropping does the same).
    pub fn close(self) {}
}

struct Writer {
    conn: Connection,
    prices: PriceCache,
    log: LogFn,
    progress: Arc<Progress>,
    /// Rows not written yet, oldest first.
    kept: Vec<Priced>,
    /// After a failure: no new try before this.
    retry_at: Option<Instant>,
    wait: Duration,
    /// The last failure's text: a failing disk is reported once, not per
    /// batch.
    last_error: Option<String>,
}

impl Writer {
    fn new(conn: Connection, pricer: Pricer, log: LogFn, progress: Arc<Progress>) -> Writer {
        Writer {
            conn,
            prices: PriceCache::new(pricer),
            log,
            progress,
            kept: Vec::new(),
            retry_at: None,
            wait: RETRY_FIRST,
            last_error: None,
        }
    }

    fn run(mut self, rx: &mpsc::Receiver<Msg>) {
        let mut acks = Vec::new();
        let mut now = false;
        loop {
            // Block for the first message, or (with rows kept after a
            // failure) until the next try is due.
            let first = match self.retry_at {
                Some(at) if !self.kept.is_empty() => {
                    match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => {
                            self.flush(false);
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => None,
                    }
                }
                _ => rx.recv().ok(),
            };
            // Every sender is gone.
            let Some(first) = first else {
                self.flush(true);
                return;
            };
            let mut open = self.take(first, &mut acks, &mut now);
            let until = Instant::now() + WINDOW;
            loop {
                while open {
                    match rx.try_recv() {
                        Ok(m) => open = self.take(m, &mut acks, &mut now),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => open = false,
                    }
                }
                let left = until.saturating_duration_since(Instant::now());
                if !open || !acks.is_empty() || now || left.is_zero() {
                    break;
                }
                // Rows sent meanwhile wait in the channel; a sync or stop
                // unparks.
                std::thread::park_timeout(left);
            }
            self.flush(!open);
            now = false;
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
            if !open {
                return;
            }
        }
    }

    /// False for the stop message. `now`: a flush was asked for.
    fn take(&mut self, m: Msg, acks: &mut Vec<mpsc::Sender<()>>, now: &mut bool) -> bool {
        match m {
            Msg::Row(r, seq) => {
                let p = self.price(*r, seq);
                self.kept.push(p);
            }
            Msg::Sync(ack) => acks.push(ack),
            Msg::Flush => *now = true,
            Msg::Stop => return false,
        }
        true
    }

    fn price(&mut self, r: Record, seq: u64) -> Priced {
        let price = self.prices.price(&r.provider, &r.model);
        let t = &r.tokens;
        let used = t.input + t.output + t.cache_read + t.cache_write > 0;
        let (cost, cache_cost) = match price {
            _ if !used => (Some(0.0), 0.0),
            Some(p) => (Some(p.cost(t)), cache_read_cost(&p, t)),
            None => (None, 0.0),
        };
        Priced {
            r,
            seq,
            cost,
            cache_cost,
        }
    }

    /// Write the kept rows, unless a failure's wait is not over (`last`:
    /// the writer is stopping, so this is the last try).
    fn flush(&mut self, last: bool) {
        if self.kept.is_empty() {
            return;
        }
        if !last && self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        match sql::write(&mut self.conn, &self.kept) {
            Ok(()) => {
                let top = self.kept.last().map_or(0, |p| p.seq);
                self.kept.clear();
                self.progress.settled.store(top, Ordering::Release);
                self.retry_at = None;
                self.wait = RETRY_FIRST;
                self.last_error = None;
            }
            Err(e) => {
                let text = e.to_string();
                if self.last_error.as_deref() != Some(&text) {
                    (self.log)(&format!(
                        "warning: {}",
                        tn!("usage.write_failed", n = self.kept.len(), error = text)
                    ));
                }
                self.last_error = Some(text);
                self.retry_at = Some(Instant::now() + self.wait);
                self.wait = (self.wait * 2).min(RETRY_MAX);
                if last {
                    (self.log)(&format!(
                        "warning: {}",
                        tn!("usage.rows_lost", n = self.kept.len())
                    ));
                } else {
                    self.give_up_past_keep();
                }
            }
        }
    }

    /// Past [`KEEP`] rows, the oldest are given up: their sums go to
    /// [`Progress`]'s lost list, which budgets keep counting.
    fn give_up_past_keep(&mut self) {
        let Some(over) = self.kept.len().checked_sub(KEEP).filter(|n| *n > 0) else {
            return;
        };
        let dropped: Vec<Priced> = self.kept.drain(..over).collect();
        let mut lost = self
            .progress
            .lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for p in &dropped {
            let r = &p.r;
            let at_ms = r.at_ms - r.at_ms.rem_euclid(BUCKET_MS);
            let usd = p.cost.unwrap_or(0.0);
            let tokens = r.tokens.total();
            match lost
                .iter_mut()
                .find(|l| l.at_ms == at_ms && l.profile == r.profile && l.provider == r.provider)
            {
                Some(l) => {
                    l.usd += usd;
                    l.tokens += tokens;
                }
                None => lost.push(Lost {
                    at_ms,
                    profile: r.profile.clone(),
                    provider: r.provider.clone(),
                    usd,
                    tokens,
                }),
            }
        }
        drop(lost);
        if let Some(last) = dropped.last() {
            self.progress.settled.fetch_max(last.seq, Ordering::Release);
        }
        (self.log)(&format!(
            "warning: {}",
            tn!("usage.rows_lost", n = dropped.len())
        ));
    }
}

fn cache_read_cost(p: &Price, t: &Tokens) -> f64 {
    t.cache_read as f64 * p.cache_read.unwrap_or(p.input) / 1_000_000.0
}

#[cfg(test)]
mod tests;

//! The ledger's writer: the proxy hands finished requests to a channel (one
//! send, no I/O on the request path) and a thread prices them and writes
//! them, one transaction per batch.
//!
//! A batch is what arrives within [`WINDOW`] of its first row: one
//! transaction, with the 15-minute and daily sums added up in memory first,
//! so a busy proxy costs its writer a few microseconds a request. Sending a
//! row wakes nothing (the writer sleeps out the window); a budget check's
//! [`Sink::sync`] wakes it to write at once. A session killed with SIGKILL
//! loses at most the window's rows; WAL and transactions keep the file
//! itself whole.

use std::sync::mpsc::{self, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::prices::{Price, Tokens};
use super::record::{ErrorClass, Record};
use crate::t;

/// How long a batch gathers. Measured with `proxy-load` on two cores: a
/// transaction per request (group commit at once) put the writer's work
/// beside every request, +0.08 ms at p50 and a fifth of the throughput.
const WINDOW: Duration = Duration::from_millis(100);

/// Rollup buckets: 15 minutes, in milliseconds.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// Where warnings go (the proxy's log).
pub type LogFn = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A price for a provider and model, if one is known (config, presets, the
/// built-in table).
pub type Pricer = Box<dyn Fn(&str, &str) -> Option<Price> + Send>;

enum Msg {
    Row(Box<Record>),
    /// Write what came before, then end: a connection task may still hold
    /// a [`Sink`] after the proxy stopped, so the end cannot wait for every
    /// sender to be gone.
    Stop,
    /// Answer once everything sent before is written.
    Sync(mpsc::Sender<()>),
}

/// Where the proxy sends finished requests. Cheap to clone.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::Sender<Msg>,
    /// The writer thread, woken for what cannot wait out the window.
    writer: std::thread::Thread,
}

impl Sink {
    pub fn send(&self, r: Record) {
        // After the writer stopped, nothing is left to record.
        let _ = self.tx.send(Msg::Row(Box::new(r)));
    }

    /// Wait (blocking) until every row sent before is in the file, or the
    /// writer is gone.
    pub fn sync(&self) {
        let (tx, rx) = mpsc::channel();
        if self.tx.send(Msg::Sync(tx)).is_ok() {
            self.writer.unpark();
            let _ = rx.recv();
        }
    }

    fn stop(&self) {
        let _ = self.tx.send(Msg::Stop);
        self.writer.unpark();
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
            s.stop();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Ledger {
    pub fn start(conn: Connection, pricer: Pricer, log: LogFn) -> Ledger {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ccswitch-ledger".into())
            .spawn(move || Writer::new(conn, pricer, log).run(&rx))
            .ok();
        Ledger {
            sink: thread.as_ref().map(|t| Sink {
                tx,
                writer: t.thread().clone(),
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

/// A record with its cost worked out.
struct Priced {
    r: Record,
    /// None: tokens were used but no price is known.
    cost: Option<f64>,
    cache_cost: f64,
}

struct Writer {
    conn: Connection,
    pricer: Pricer,
    prices: Vec<((String, String), Option<Price>)>,
    log: LogFn,
    /// The last failure's text: a failing disk is reported once, not per
    /// batch.
    last_error: Option<String>,
}

impl Writer {
    fn new(conn: Connection, pricer: Pricer, log: LogFn) -> Writer {
        Writer {
            conn,
            pricer,
            prices: Vec::new(),
            log,
            last_error: None,
        }
    }

    fn run(mut self, rx: &mpsc::Receiver<Msg>) {
        let mut batch = Vec::new();
        let mut acks = Vec::new();
        // Block for the first message; the loop ends when every sender is
        // gone.
        while let Ok(first) = rx.recv() {
            let mut open = self.take(first, &mut batch, &mut acks);
            let until = std::time::Instant::now() + WINDOW;
            loop {
                while open {
                    match rx.try_recv() {
                        Ok(m) => open = self.take(m, &mut batch, &mut acks),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => open = false,
                    }
                }
                let left = until.saturating_duration_since(std::time::Instant::now());
                if !open || !acks.is_empty() || left.is_zero() {
                    break;
                }
                // Rows sent meanwhile wait in the channel; a sync or stop
                // unparks.
                std::thread::park_timeout(left);
            }
            self.flush(&batch);
            batch.clear();
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
            if !open {
                break;
            }
        }
    }

    /// False for the stop message.
    fn take(&mut self, m: Msg, batch: &mut Vec<Priced>, acks: &mut Vec<mpsc::Sender<()>>) -> bool {
        match m {
            Msg::Row(r) => batch.push(self.price(*r)),
            Msg::Sync(ack) => acks.push(ack),
            Msg::Stop => return false,
        }
        true
    }

    fn price(&mut self, r: Record) -> Priced {
        // A few (provider, model) pairs per session: a scan, no key built
        // per row.
        let known = self
            .prices
            .iter()
            .find(|((p, m), _)| *p == r.provider && *m == r.model)
            .map(|(_, price)| *price);
        let price = match known {
            Some(p) => p,
            None => {
                let p = (self.pricer)(&r.provider, &r.model);
                self.prices.push(((r.provider.clone(), r.model.clone()), p));
                p
            }
        };
        let t = &r.tokens;
        let used = t.input + t.output + t.cache_read + t.cache_write > 0;
        let (cost, cache_cost) = match price {
            _ if !used => (Some(0.0), 0.0),
            Some(p) => (Some(p.cost(t)), cache_read_cost(&p, t)),
            None => (None, 0.0),
        };
        Priced {
            r,
            cost,
            cache_cost,
        }
    }

    fn flush(&mut self, batch: &[Priced]) {
        if batch.is_empty() {
            return;
        }
        // One retry: a lock held past the busy timeout by a crashed
        // session's recovery, or a moment of disk pressure.
        let result = write(&mut self.conn, batch).or_else(|_| {
            std::thread::sleep(Duration::from_millis(200));
            write(&mut self.conn, batch)
        });
        match result {
            Ok(()) => self.last_error = None,
            Err(e) => {
                let text = e.to_string();
                if self.last_error.as_deref() != Some(&text) {
                    (self.log)(&format!(
                        "warning: {}",
                        t!("usage.write_failed", n = batch.len(), error = text)
                    ));
                }
                self.last_error = Some(text);
            }
        }
    }
}

fn cache_read_cost(p: &Price, t: &Tokens) -> f64 {
    t.cache_read as f64 * p.cache_read.unwrap_or(p.input) / 1_000_000.0
}

/// Token counts come from upstreams and may be anything. Clamped far above
/// any real request (a trillion tokens) so that sums of them can never
/// overflow SQLite's 64-bit integers.
fn n(v: u64) -> i64 {
    const MAX: u64 = 1 << 40;
    i64::try_from(v.min(MAX)).unwrap_or(0)
}

const INSERT: &str = "INSERT INTO requests (at, session, cc_session, profile, slot, provider,
    requested_model, model, subagent, status, error, ttft_ms, duration_ms, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, estimated, cost_usd,
    attempt, cache_read_cost_usd)
    VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)";

/// A batch's sums for one (bucket, session, profile, provider, model) into
/// the 15-minute rollup and, with the bucket slot holding the time, the
/// daily one.
const UPSERT: &str = "INSERT INTO rollup (bucket, session, profile, provider, model, requests,
    errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, cache_read_cost_usd, unpriced)
    VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)
    ON CONFLICT DO UPDATE SET requests = requests + excluded.requests,
    errors = errors + excluded.errors,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cost_usd = cost_usd + excluded.cost_usd,
    cache_read_cost_usd = cache_read_cost_usd + excluded.cache_read_cost_usd,
    unpriced = unpriced + excluded.unpriced";

/// One rollup key's sums within a batch.
struct Sum<'a> {
    key: (i64, &'a str, &'a str, &'a str, &'a str),
    counts: [i64; 8],
    cost: f64,
    cache_cost: f64,
}

/// The batch's rows added up per rollup key: a busy batch has hundreds of
/// rows and a handful of keys, but a `serve` shared by many sessions (or a
/// backlog after a stall) may have thousands of each, so the keys are
/// hashed, not scanned.
fn sums(batch: &[Priced]) -> Vec<Sum<'_>> {
    let mut out: Vec<Sum<'_>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for p in batch {
        let r = &p.r;
        let t = &r.tokens;
        let key = (
            r.at_ms.div_euclid(BUCKET_MS),
            &*r.session,
            &*r.profile,
            r.provider.as_str(),
            r.model.as_str(),
        );
        let i = *index.entry(key).or_insert_with(|| {
            out.push(Sum {
                key,
                counts: [0; 8],
                cost: 0.0,
                cache_cost: 0.0,
            });
            out.len() - 1
        });
        let s = &mut out[i];
        let add = [
            1,
            i64::from(r.error.is_some()),
            n(t.input),
            n(t.output),
            n(t.cache_read),
            n(t.cache_write),
            n(t.reasoning),
            i64::from(p.cost.is_none()),
        ];
        for (c, a) in s.counts.iter_mut().zip(add) {
            *c += a;
        }
        s.cost += p.cost.unwrap_or(0.0);
        s.cache_cost += p.cache_cost;
    }
    out
}

/// Local days as SQLite's `localtime` has them when the row is written.
fn daily_upsert() -> String {
    UPSERT
        .replacen("INSERT INTO rollup (bucket,", "INSERT INTO daily (day,", 1)
        .replacen(
            "VALUES (?1,",
            "VALUES (date(?1 * 900, 'unixepoch', 'localtime'),",
            1,
        )
}

fn write(conn: &mut Connection, batch: &[Priced]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut ins = tx.prepare_cached(INSERT)?;
        let mut up = tx.prepare_cached(UPSERT)?;
        let mut day = tx.prepare_cached(&daily_upsert())?;
        for p in batch {
            let r = &p.r;
            let t = &r.tokens;
            let error = r.error.map(ErrorClass::as_str);
            ins.execute(params![
                r.at_ms,
                &*r.session,
                r.cc_session,
                &*r.profile,
                r.slot,
                r.provider,
                r.requested,
                r.model,
                r.subagent,
                r.status,
                error,
                r.ttft_ms.map(n),
                n(r.duration_ms),
                n(t.input),
                n(t.output),
                n(t.cache_read),
                n(t.cache_write),
                n(t.reasoning),
                r.estimated,
                p.cost,
                r.attempt,
                p.cache_cost,
            ])?;
        }
        for s in sums(batch) {
            let (bucket, session, profile, provider, model) = s.key;
            let [
                requests,
                errors,
                input,
                output,
                read,
                write,
                reasoning,
                unpriced,
            ] = s.counts;
            let values = params![
                bucket,
                session,
                profile,
                provider,
                model,
                requests,
                errors,
                input,
                output,
                read,
                write,
                reasoning,
                s.cost,
                s.cache_cost,
                unpriced,
            ];
            up.execute(values)?;
            day.execute(values)?;
        }
    }
    tx.commit()
}

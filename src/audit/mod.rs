//! The audit log, when turned on: one JSON line per request (and per web
//! search the proxy runs) in `audit/audit.jsonl` under the data folder,
//! written by a thread of its own (never on the request path), rotated by
//! size.
//!
//! `metadata` keeps what the ledger keeps plus the request id, the tools
//! offered and the sizes; `full` also keeps the request and response
//! bodies, with every secret the proxy knows and key-shaped text masked.
//! Sessions share the files: each write and rotation happens under a lock
//! file, waited for at most [`files::LOCK_WAIT`].
//!
//! The queue to the writer is bounded (in entries and in bytes): when the
//! writer falls behind, entries are dropped and counted, and the count is
//! written as a line of its own where they went missing (before the next
//! entry written, or last) and said in the log.

mod entry;
mod files;
mod line;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::config::{Audit, AuditLevel};
use crate::secrets::Redactor;
use crate::t;
use crate::usage::writer::{LogFn, Pricer};

pub use entry::{AuditEntry, AuditSearch};
pub use files::LOCK_WAIT;
pub use line::{dropped_line, line, search_line};

/// Response bodies are kept up to this much per request.
pub const RESPONSE_CAP: usize = 4 * 1024 * 1024;

/// Entries waiting for the writer, at most: by count, and by the bytes
/// their bodies hold (one request may be 32 MiB).
pub const QUEUE_ENTRIES: usize = 1024;
pub const QUEUE_BYTES: usize = 64 * 1024 * 1024;

enum Msg {
    /// An entry, and how many were dropped just before it.
    Request(Box<AuditEntry>, u64),
    Search(Box<AuditSearch>, u64),
    Stop,
}

/// What the senders and the writer share.
#[derive(Default)]
struct Queue {
    bytes: AtomicUsize,
    /// Entries dropped since the last one queued.
    dropped: AtomicU64,
}

/// Where the proxy sends finished requests for the audit log.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::SyncSender<Msg>,
    queue: Arc<Queue>,
    pub level: AuditLevel,
}

impl AuditSink {
    pub fn send(&self, e: AuditEntry) {
        let size = e.request.len() + e.response.as_ref().map_or(0, Vec::len);
        self.push(|n| Msg::Request(Box::new(e), n), size);
    }

    pub fn search(&self, s: AuditSearch) {
        let size = s.query.len();
        self.push(|n| Msg::Search(Box::new(s), n), size);
    }

    /// Never waits: a full queue drops the entry and counts it.
    fn push(&self, m: impl FnOnce(u64) -> Msg, size: usize) {
        let q = &self.queue;
        let before = q.bytes.fetch_add(size, Ordering::Relaxed);
        // An empty queue takes any one entry, however big.
        let over = before > 0 && before + size > QUEUE_BYTES;
        let n = q.dropped.swap(0, Ordering::Relaxed);
        if over || self.tx.try_send(m(n)).is_err() {
            q.bytes.fetch_sub(size, Ordering::Relaxed);
            q.dropped.fetch_add(n + 1, Ordering::Relaxed);
        }
    }
}

/// The running audit writer; dropping it writes what is queued and stops.
pub struct AuditLog {
    sink: Option<AuditSink>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Some(s) = self.sink.take() {
            // Waits for room: the writer is draining, and each of its
            // writes gives up on a held lock after LOCK_WAIT.
            let _ = s.tx.send(Msg::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl AuditLog {
    /// `None` when auditing is off. `redactor` masks the bodies a full
    /// audit keeps.
    pub fn start(
        dir: &Path,
        audit: Audit,
        redactor: Arc<Redactor>,
        pricer: Pricer,
        log: LogFn,
    ) -> Option<AuditLog> {
        Self::start_with(dir, audit, redactor, pricer, log, LOCK_WAIT)
    }

    /// The same, waiting `lock_wait` for another session's lock.
    pub fn start_with(
        dir: &Path,
        audit: Audit,
        redactor: Arc<Redactor>,
        pricer: Pricer,
        log: LogFn,
        lock_wait: std::time::Duration,
    ) -> Option<AuditLog> {
        if audit.level == AuditLevel::Off {
            return None;
        }
        let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE_ENTRIES);
        let queue = Arc::new(Queue::default());
        let level = audit.level;
        let mut w = Writer {
            files: files::Files {
                dir: dir.to_path_buf(),
                audit,
                lock_wait,
                stuck: false,
            },
            queue: queue.clone(),
            redactor,
            log,
            failed: false,
            unwritten: 0,
        };
        let thread = std::thread::Builder::new()
            .name("ccswitch-audit".into())
            .spawn(move || {
                while let Ok(m) = rx.recv() {
                    let (text, size, dropped) = match m {
                        Msg::Stop => break,
                        Msg::Request(e, n) => {
                            let cost = pricer(&e.record.provider, &e.record.model)
                                .map(|p| p.cost(&e.record.tokens));
                            let size = e.request.len() + e.response.as_ref().map_or(0, Vec::len);
                            (line(&e, level, cost, &w.redactor), size, n)
                        }
                        Msg::Search(s, n) => {
                            (search_line(&s, level, &w.redactor), s.query.len(), n)
                        }
                    };
                    w.queue.bytes.fetch_sub(size, Ordering::Relaxed);
                    w.unwritten += dropped;
                    w.write(&text);
                }
                // Drops after the last line still get their count.
                w.unwritten += w.queue.dropped.swap(0, Ordering::Relaxed);
                w.report_dropped(true);
            })
            .ok()?;
        Some(AuditLog {
            sink: Some(AuditSink { tx, queue, level }),
            thread: Some(thread),
        })
    }

    pub fn sink(&self) -> Option<AuditSink> {
        self.sink.clone()
    }
}

struct Writer {
    files: files::Files,
    queue: Arc<Queue>,
    redactor: Arc<Redactor>,
    log: LogFn,
    /// The last write failed (the failure is logged once per spell).
    failed: bool,
    /// Entries dropped or failed whose count is not written yet.
    unwritten: u64,
}

impl Writer {
    fn write(&mut self, text: &str) {
        self.report_dropped(false);
        match self.files.append(text) {
            Ok(()) => self.failed = false,
            Err(err) => {
                self.unwritten += 1;
                if !self.failed {
                    self.failed = true;
                    (self.log)(&format!("warning: {}", t!("audit.failed", error = err)));
                }
            }
        }
    }

    /// A line saying how many entries were not written, when some were,
    /// and the same in the log. While the file cannot be written the count
    /// keeps growing (the failure itself is logged once); the `last` time
    /// it is logged whatever happens.
    fn report_dropped(&mut self, last: bool) {
        let n = self.unwritten;
        if n == 0 {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let written = self.files.append(&dropped_line(n, now)).is_ok();
        if written || last {
            (self.log)(&format!("warning: {}", t!("audit.dropped", n = n)));
            self.unwritten = 0;
        }
    }
}

/// The audit log, when the config turns it on; `redactor` (the proxy
/// run's) masks the text it keeps.
pub fn start(
    paths: &crate::paths::Paths,
    config: &crate::config::Config,
    redactor: std::sync::Arc<crate::secrets::Redactor>,
    log: &LogFn,
) -> Option<AuditLog> {
    let a = AuditLog::start(
        &paths.audit_dir,
        config.audit,
        redactor,
        crate::usage::pricer(config),
        log.clone(),
    )?;
    log(&t!(
        "audit.on",
        level = format!("{:?}", config.audit.level).to_lowercase(),
        dir = paths.audit_dir.display()
    ));
    Some(a)
}

#[cfg(test)]
mod tests;

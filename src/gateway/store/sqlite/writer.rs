//! The ledger's writer. A finished request whose row finds the ledger's
//! connection free, and no rows queued for it, writes its row at once on
//! its own thread: at a gateway's usual pace that is tens of microseconds
//! of CPU (a WAL commit with `synchronous=NORMAL` is a write to the OS,
//! no fsync), where handing the row to another thread and being woken
//! back cost two thread wake-ups, most of a gateway's added latency.
//!
//! At most one row every [`ALONE_EVERY`] is written that way: a commit
//! of one row cost a saturated gateway about 0.02 ms more CPU than the
//! row's share of a batched commit, and writing every row alone lost it
//! a sixth of its throughput at c16.
//!
//! Otherwise the row goes to one thread with the connection, which writes
//! what has arrived in one transaction: under load a commit carries many
//! requests instead of each waiting its turn for the connection, and no
//! request ever waits behind another's write to check a key or a budget.
//! A write on a request's own thread never waits for another process's
//! write lock (an admin command's): its row goes to the thread, whose
//! connection waits with the store's busy timeout.
//!
//! Checkpoints (copying the WAL back into the file, with an fsync) are
//! another thread's: done by SQLite's default in the committing
//! connection, each one stalled every request waiting on that commit by
//! milliseconds, about one request in a hundred under load: the p99.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, mpsc};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};
use tokio::sync::oneshot;

use super::queries::Fail;
use super::schema::BUSY;
use super::spend;
use crate::gateway::store::error::StoreError;
use crate::gateway::store::spend::RequestRow;

/// Most requests one transaction takes: a burst is written in a few
/// commits, each short enough that readers of the file never wait long.
const BATCH: usize = 256;

/// Commits between checkpoints: a few pages each, so the WAL stays near
/// SQLite's own default of 1,000 pages between checkpoints.
const COMMITS_PER_CHECKPOINT: u32 = 200;

/// A checkpoint this often when commits are few, so a quiet gateway's
/// WAL is folded into the file too.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// The least time between two rows written on their requests' own
/// threads: at most 2,000 such commits a second (a few percent of a
/// core); above that rate rows are batched by the thread, where waking it
/// costs little next to waiting for a core. At 800 requests a second most
/// rows still go alone.
const ALONE_EVERY: Duration = Duration::from_micros(500);

type Done = oneshot::Sender<Result<(), StoreError>>;

/// Writes rows; the thread ends when the last clone of the sender is
/// dropped.
pub(super) struct Writer {
    tx: mpsc::Sender<(RequestRow, Done)>,
    shared: Arc<Shared>,
}

struct Shared {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Rows sent to the thread and not yet written: while any wait, a new
    /// row joins them rather than write ahead of them.
    queued: AtomicUsize,
    commits: AtomicU32,
    nudge: mpsc::SyncSender<()>,
    /// When the last row written alone began, in ns after `epoch`.
    alone_at: AtomicU64,
    epoch: Instant,
}

impl Shared {
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A write that panicked left no transaction open (dropping it
        // rolled back): the connection is still good.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a commit; every [`COMMITS_PER_CHECKPOINT`], nudge the
    /// checkpoint thread.
    fn committed(&self) {
        let n = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(COMMITS_PER_CHECKPOINT) {
            // Full means a nudge is already waiting.
            let _ = self.nudge.try_send(());
        }
    }
}

impl Writer {
    /// `conn` writes the ledger; `checkpoints`, another connection to the
    /// same file, folds the WAL back into it.
    pub(super) fn start(conn: Connection, checkpoints: Connection, path: &Path) -> Writer {
        let (tx, rx) = mpsc::channel::<(RequestRow, Done)>();
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let started = std::thread::Builder::new()
            .name("ccswitch-gateway-checkpoint".into())
            .spawn(move || checkpoint(&checkpoints, &nudged))
            .is_ok();
        // Without the checkpoint thread, the writer's connection keeps
        // SQLite's own checkpoints: slower commits, never an endless WAL.
        if started {
            let _ = conn.pragma_update(None, "wal_autocheckpoint", 0);
        }
        let shared = Arc::new(Shared {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            queued: AtomicUsize::new(0),
            commits: AtomicU32::new(0),
            nudge,
            alone_at: AtomicU64::new(0),
            epoch: Instant::now(),
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("ccswitch-gateway-ledger".into())
            .spawn(move || run(&writer, &rx))
            .map(drop)
            // Without its thread the store still answers every request:
            // rows that find the connection busy fail to send below, as
            // writes that did not happen.
            .unwrap_or_default();
        Writer { tx, shared }
    }

    /// Store `row`: at once on this thread when nothing else is writing,
    /// else queued for the writer thread. Resolves once it is committed
    /// (or failed).
    pub(super) async fn write(&self, row: RequestRow) -> Result<(), StoreError> {
        if let Some(written) = self.now(&row) {
            return written;
        }
        let (done, wait) = oneshot::channel();
        let stopped = || StoreError::Task {
            error: "the gateway ledger's writer stopped".into(),
        };
        self.shared.queued.fetch_add(1, Ordering::AcqRel);
        if self.tx.send((row, done)).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(stopped());
        }
        wait.await.map_err(|_| stopped())?
    }

    /// Write `row` here and now if the connection is free, no row waits
    /// for the thread, none was written alone in the last
    /// [`ALONE_EVERY`], and no other process holds the write lock; else
    /// `None`, for the thread to write it.
    fn now(&self, row: &RequestRow) -> Option<Result<(), StoreError>> {
        let shared = &self.shared;
        if shared.queued.load(Ordering::Acquire) > 0 {
            return None;
        }
        let at = u64::try_from(shared.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let last = shared.alone_at.load(Ordering::Relaxed);
        if last != 0 && at.saturating_sub(last) < ALONE_EVERY.as_nanos() as u64 {
            return None;
        }
        let mut conn = match shared.conn.try_lock() {
            Ok(conn) => conn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        shared.alone_at.store(at.max(1), Ordering::Relaxed);
        if conn.busy_timeout(Duration::ZERO).is_err() {
            return None;
        }
        let written = spend::record_requests(&mut conn, std::slice::from_ref(row));
        let _ = conn.busy_timeout(BUSY);
        drop(conn);
        match written {
            Err(Fail::Sql(e)) if busy(&e) => None,
            written => {
                shared.committed();
                Some(written.map_err(|e| e.at(&shared.path)))
            }
        }
    }
}

/// Another connection holds the file's write lock.
fn busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn run(shared: &Shared, rx: &mpsc::Receiver<(RequestRow, Done)>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (rows, waiting): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        // Every waiter gets the failure; the error itself is not Clone.
        let failed = spend::record_requests(&mut shared.conn(), &rows)
            .err()
            .map(|e| e.at(&shared.path).to_string());
        shared.queued.fetch_sub(rows.len(), Ordering::AcqRel);
        shared.committed();
        for done in waiting {
            let _ = done.send(match &failed {
                None => Ok(()),
                Some(why) => Err(StoreError::Io {
                    path: shared.path.clone(),
                    source: std::io::Error::other(why.clone()),
                }),
            });
        }
    }
}

/// Fold the WAL into the file when the writer says enough was committed,
/// or every [`CHECKPOINT_EVERY`]. PASSIVE: it never waits for, or blocks,
/// the writer or a reader; what it could not copy this time, the next one
/// does. Ends with the writer (its sender dropped).
fn checkpoint(conn: &Connection, nudged: &mpsc::Receiver<()>) {
    loop {
        match nudged.recv_timeout(CHECKPOINT_EVERY) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {
                // A failed checkpoint leaves the WAL longer, nothing lost.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests;

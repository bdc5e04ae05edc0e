//! The ledger's writer: one thread with a connection of its own takes the
//! finished requests of every `serve` task and writes what has arrived in
//! one transaction. Under load a commit carries many requests instead of
//! each waiting its turn for the store's lock, and no request ever waits
//! behind another's write to check a key or a budget.
//!
//! Checkpoints (copying the WAL back into the file, with an fsync) are
//! another thread's: done by SQLite's default in the committing
//! connection, each one stalled every request waiting on that commit by
//! milliseconds, about one request in a hundred under load: the p99.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

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

type Done = oneshot::Sender<Result<(), StoreError>>;

/// Sends to the writer thread; it ends when the last clone is dropped.
pub(super) struct Writer {
    tx: mpsc::Sender<(RequestRow, Done)>,
}

impl Writer {
    /// `conn` writes the ledger; `checkpoints`, another connection to the
    /// same file, folds the WAL back into it.
    pub(super) fn start(conn: Connection, checkpoints: Connection, path: &Path) -> Writer {
        let (tx, rx) = mpsc::channel::<(RequestRow, Done)>();
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let path = path.to_path_buf();
        let started = std::thread::Builder::new()
            .name("ccswitch-gateway-checkpoint".into())
            .spawn(move || checkpoint(&checkpoints, &nudged))
            .is_ok();
        // Without the checkpoint thread, the writer's connection keeps
        // SQLite's own checkpoints: slower commits, never an endless WAL.
        if started {
            let _ = conn.pragma_update(None, "wal_autocheckpoint", 0);
        }
        std::thread::Builder::new()
            .name("ccswitch-gateway-ledger".into())
            .spawn(move || run(conn, &path, &rx, &nudge))
            .map(drop)
            // Without its thread the store still answers every request:
            // each send below then fails, as a write that did not happen.
            .unwrap_or_default();
        Writer { tx }
    }

    /// Queue `row`; resolves once it is committed (or failed).
    pub(super) async fn write(&self, row: RequestRow) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        let stopped = || StoreError::Task {
            error: "the gateway ledger's writer stopped".into(),
        };
        self.tx.send((row, done)).map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

fn run(
    mut conn: Connection,
    path: &Path,
    rx: &mpsc::Receiver<(RequestRow, Done)>,
    nudge: &mpsc::SyncSender<()>,
) {
    let mut commits = 0u32;
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
        let failed = spend::record_requests(&mut conn, &rows)
            .err()
            .map(|e| e.at(path).to_string());
        commits += 1;
        if commits >= COMMITS_PER_CHECKPOINT {
            commits = 0;
            // Full means a nudge is already waiting.
            let _ = nudge.try_send(());
        }
        for done in waiting {
            let _ = done.send(match &failed {
                None => Ok(()),
                Some(why) => Err(StoreError::Io {
                    path: path.to_path_buf(),
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

//! The ledger's writer: one thread with a connection of its own takes the
//! finished requests of every `serve` task and writes what has arrived in
//! one transaction. Under load a commit carries many requests instead of
//! each waiting its turn for the store's lock, and no request ever waits
//! behind another's write to check a key or a budget.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::spend;
use crate::gateway::store::error::StoreError;
use crate::gateway::store::spend::RequestRow;

/// Most requests one transaction takes: a burst is written in a few
/// commits, each short enough that readers of the file never wait long.
const BATCH: usize = 256;

type Done = oneshot::Sender<Result<(), StoreError>>;

/// Sends to the writer thread; it ends when the last clone is dropped.
pub(super) struct Writer {
    tx: mpsc::Sender<(RequestRow, Done)>,
}

impl Writer {
    pub(super) fn start(conn: Connection, path: &Path) -> Writer {
        let (tx, rx) = mpsc::channel::<(RequestRow, Done)>();
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name("ccswitch-gateway-ledger".into())
            .spawn(move || run(conn, &path, &rx))
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

fn run(mut conn: Connection, path: &Path, rx: &mpsc::Receiver<(RequestRow, Done)>) {
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

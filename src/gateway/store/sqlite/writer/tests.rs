use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Instant, SystemTime};

use super::super::SqliteStore;
use super::*;

fn row(at_ms: i64) -> RequestRow {
    RequestRow {
        at_ms,
        member: "ann".into(),
        status: 200,
        ..RequestRow::default()
    }
}

fn rows(path: &Path) -> i64 {
    let c = Connection::open(path).unwrap();
    c.query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .unwrap()
}

/// At idle a row is stored by the time its write is first polled: no
/// thread hand-off. While another process holds the file's write lock
/// the write neither fails nor makes its caller's thread wait out the
/// busy timeout: the thread stores it once the lock is let go, and
/// rows that come meanwhile queue behind it rather than jump ahead.
#[tokio::test]
async fn an_idle_write_is_done_at_once_and_a_locked_file_leaves_it_to_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    let store = SqliteStore::open(&path, SystemTime::now()).await.unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let first = pin!(store.record_request(row(1)));
    assert!(matches!(first.poll(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(rows(&path), 1);

    let admin = Connection::open(&path).unwrap();
    admin.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Past the least time between rows written alone: this one is given
    // up because of the lock.
    std::thread::sleep(ALONE_EVERY * 2);
    let began = Instant::now();
    let mut second = Box::pin(store.record_request(row(2)));
    assert!(second.as_mut().poll(&mut cx).is_pending());
    // Not the 5 s busy timeout: the caller gave the row up at once.
    assert!(began.elapsed() < BUSY / 2, "{:?}", began.elapsed());
    assert_eq!(store.inner.ledger.shared.queued.load(Ordering::Acquire), 1);
    let mut third = Box::pin(store.record_request(row(3)));
    assert!(third.as_mut().poll(&mut cx).is_pending());
    admin.execute_batch("COMMIT").unwrap();
    second.await.unwrap();
    third.await.unwrap();
    assert_eq!(rows(&path), 3);
    assert_eq!(store.inner.ledger.shared.queued.load(Ordering::Acquire), 0);
    // Idle again: back to writing at once.
    std::thread::sleep(ALONE_EVERY * 2);
    let fourth = pin!(store.record_request(row(4)));
    assert!(matches!(fourth.poll(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(rows(&path), 4);
}

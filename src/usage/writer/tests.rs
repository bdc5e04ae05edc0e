use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::*;
use crate::usage::db;
use crate::usage::testing::{ledger_path, open_ledger, price};

fn writer(path: &std::path::Path, log: &Arc<Mutex<Vec<String>>>) -> Writer {
    let opened = db::open(path, 1).expect("open");
    let log = log.clone();
    let price = price(1.0, 1.0);
    Writer::new(
        opened.conn,
        Box::new(move |_, _| Some(price)),
        Arc::new(move |l: &str| log.lock().expect("log").push(l.to_string())),
        Arc::new(Progress::default()),
    )
}

fn row(input: u64) -> Record {
    Record {
        at_ms: 1_794_312_000_123,
        tokens: Tokens {
            input,
            ..Tokens::default()
        },
        ..Record::sample()
    }
}

/// A writer in a new folder whose file refuses writes (`query_only`), its
/// path, and the lines it logs.
fn refusing() -> (tempfile::TempDir, PathBuf, Arc<Mutex<Vec<String>>>, Writer) {
    let (dir, path) = ledger_path();
    let log = Arc::new(Mutex::new(Vec::new()));
    let w = writer(&path, &log);
    w.conn
        .pragma_update(None, "query_only", true)
        .expect("pragma");
    (dir, path, log, w)
}

fn stored(path: &std::path::Path) -> i64 {
    db::open_read(path)
        .expect("read")
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .expect("count")
}

/// A batch the file refused is kept, and goes with the next try once the
/// file takes writes again; rows are settled only once stored. Before,
/// the batch was dropped for good.
#[test]
fn a_refused_batch_is_kept_and_written_later() {
    let (_dir, path, log, mut w) = refusing();
    let mut acks = Vec::new();
    for seq in 1..=3 {
        assert!(w.take(Msg::Row(Box::new(row(10)), seq), &mut acks, &mut false));
    }
    w.flush(false);
    assert_eq!(w.kept.len(), 3);
    assert_eq!(w.progress.settled(), 0);
    assert!(w.retry_at.is_some(), "waits before the next try");
    // Reported once, however often it fails.
    w.retry_at = None;
    w.flush(false);
    assert_eq!(log.lock().expect("log").len(), 1);

    w.conn
        .pragma_update(None, "query_only", false)
        .expect("pragma");
    assert!(w.take(Msg::Row(Box::new(row(10)), 4), &mut acks, &mut false));
    // Still waiting out the failure: nothing is tried yet.
    w.retry_at = Some(Instant::now() + Duration::from_secs(60));
    w.flush(false);
    assert_eq!(stored(&path), 0);
    // The wait is over (or the writer stops): all four go, in order.
    w.flush(true);
    assert_eq!(stored(&path), 4);
    assert!(w.kept.is_empty());
    assert_eq!(w.progress.settled(), 4);
    assert!(w.retry_at.is_none());
}

/// Past the keep limit the oldest rows are given up, and their sums are
/// kept per bucket so budgets still count them.
#[test]
fn rows_past_the_keep_limit_are_given_up_as_sums() {
    let (_dir, _path, log, mut w) = refusing();
    let mut acks = Vec::new();
    let n = KEEP as u64 + 5;
    for seq in 1..=n {
        w.take(Msg::Row(Box::new(row(1000)), seq), &mut acks, &mut false);
    }
    w.flush(false);
    assert_eq!(w.kept.len(), KEEP);
    assert_eq!(w.kept[0].seq, 6);
    assert_eq!(w.progress.settled(), 5, "the given-up rows are settled");
    let lost = w.progress.lost();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].tokens, 5000);
    assert!((lost[0].usd - 0.005).abs() < 1e-12);
    assert_eq!(lost[0].at_ms % BUCKET_MS, 0);
    let said = log.lock().expect("log").join("\n");
    assert!(said.contains("5 requests were not recorded"), "{said}");
}

/// Rows are numbered in the order the writer receives them, whichever
/// thread sends them.
#[test]
fn rows_are_numbered_in_the_order_they_are_sent() {
    let (_dir, path) = ledger_path();
    let ledger = open_ledger(&path, Box::new(|_, _| None));
    let sink = ledger.sink().expect("sink");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sink = sink.clone();
            std::thread::spawn(move || (0..50).map(|_| sink.send(row(1))).collect::<Vec<_>>())
        })
        .collect();
    let mut seqs: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    sink.sync();
    assert_eq!(sink.progress().settled(), 200);
    assert_eq!(stored(&path), 200);
}

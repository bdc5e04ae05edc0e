use std::sync::Arc;

use super::*;
use crate::usage::prices::{Price, Tokens};
use crate::usage::{ErrorClass, Ledger, Record};

fn record(at_ms: i64, session: &str, model: &str, tokens: Tokens) -> Record {
    Record {
        at_ms,
        session: session.into(),
        cc_session: Some("cc-1".into()),
        requested: "claude-sonnet-4-5".into(),
        model: model.into(),
        ttft_ms: Some(12),
        duration_ms: 40,
        tokens,
        ..Record::sample()
    }
}

fn ledger(path: &Path) -> Ledger {
    let opened = open(path, 1).expect("open");
    let price = Price {
        input: 1.0,
        output: 2.0,
        cache_read: Some(0.1),
        cache_write: None,
        cache_write_1h: None,
    };
    Ledger::start(
        opened.conn,
        Box::new(move |_, m| (m != "free-unknown").then_some(price)),
        Arc::new(|_: &str| {}),
    )
}

fn pragma(conn: &Connection, name: &str) -> i64 {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .expect("pragma")
}

#[test]
fn a_new_file_is_ours_current_and_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/usage.db");
    let o = open(&path, 1).expect("open");
    assert!(o.moved_aside.is_none());
    assert_eq!(pragma(&o.conn, "user_version"), VERSION);
    assert_eq!(pragma(&o.conn, "application_id"), i64::from(APP_ID));
    let mode: String = o
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    drop(o);
    // Opening again changes nothing.
    let o = open(&path, 2).expect("reopen");
    assert!(o.moved_aside.is_none());
}

#[test]
fn every_version_migrates_to_the_current_one_keeping_rows() {
    for from in 1..=VERSION {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("usage.db");
        {
            let conn = Connection::open(&path).expect("create");
            for step in &MIGRATIONS[..usize::try_from(from).expect("small")] {
                conn.execute_batch(step).expect("step");
            }
            conn.execute_batch(&format!(
                "PRAGMA application_id={APP_ID}; PRAGMA user_version={from};
                 INSERT INTO requests (at, session, profile, slot, provider, requested_model,
                   model, subagent, status, duration_ms, input_tokens, output_tokens,
                   cache_read_tokens, cache_write_tokens, reasoning_tokens, estimated, cost_usd,
                   cache_read_cost_usd)
                 VALUES (1, 's', 'p', 'main', 'prov', 'r', 'm', 0, 200, 5, 10, 20, 0, 0, 0, 0, 0.5, 0);"
            ))
            .expect("v1 row");
        }
        let o = open(&path, 1).expect("migrate");
        assert!(o.moved_aside.is_none(), "from {from}");
        assert_eq!(pragma(&o.conn, "user_version"), VERSION);
        let (n, attempt): (i64, i64) = o
            .conn
            .query_row("SELECT input_tokens, attempt FROM requests", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("row kept");
        assert_eq!((n, attempt), (10, 0), "from {from}");
    }
}

#[test]
fn a_foreign_or_corrupt_file_is_moved_aside_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    // Not a database at all.
    std::fs::write(&path, b"definitely not sqlite, but somebody's data").expect("write");
    let o = open(&path, 77).expect("open");
    let aside = o.moved_aside.clone().expect("moved");
    assert_eq!(aside, dir.path().join("usage.db.bad-77"));
    assert_eq!(
        std::fs::read(&aside).expect("kept"),
        b"definitely not sqlite, but somebody's data"
    );
    assert_eq!(pragma(&o.conn, "user_version"), VERSION);
    drop(o);

    // Another program's SQLite file.
    std::fs::remove_file(&path).expect("rm");
    {
        let conn = Connection::open(&path).expect("foreign");
        conn.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("foreign table");
    }
    let o = open(&path, 78).expect("open");
    let aside = o.moved_aside.clone().expect("moved");
    let kept: String = Connection::open(&aside)
        .expect("aside opens")
        .query_row("SELECT t FROM notes", [], |r| r.get(0))
        .expect("data kept");
    assert_eq!(kept, "mine");
}

#[test]
fn a_newer_ledger_is_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    drop(open(&path, 1).expect("open"));
    Connection::open(&path)
        .expect("conn")
        .execute_batch(&format!("PRAGMA user_version={}", VERSION + 1))
        .expect("bump");
    let err = open(&path, 2).err().expect("refused");
    assert!(matches!(err, LedgerError::Newer { .. }), "{err}");
    assert!(err.to_string().contains("newer ccswitch"), "{err}");
    assert!(matches!(open_read(&path), Err(LedgerError::Newer { .. })));
    assert!(!dir.path().join("usage.db.bad-2").exists());
}

#[test]
fn an_unwritable_place_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The data "folder" is a file: nothing can be created under it (as
    // root too, which ignores permission bits).
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"x").expect("write");
    let err = open(&blocker.join("usage.db"), 1).err().expect("fails");
    assert!(err.to_string().contains("data"), "{err}");
}

#[test]
fn the_writer_prices_rows_and_rolls_them_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    let l = ledger(&path);
    let sink = l.sink().expect("sink");
    let t = Tokens {
        input: 1_000_000,
        output: 500_000,
        cache_read: 2_000_000,
        cache_write: 1_000_000,
        cache_write_1h: 0,
        reasoning: 100,
    };
    sink.send(record(1_000, "s1", "m", t));
    sink.send(record(2_000, "s1", "m", t));
    let mut failed = record(3_000, "s1", "m", Tokens::default());
    failed.status = 529;
    failed.error = Some(ErrorClass::Overloaded);
    sink.send(failed);
    sink.send(record(4_000, "s1", "free-unknown", t));
    l.close();
    let conn = open_read(&path).expect("read");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 4);
    // 1 + 1 + 0.2 + 1 (cache write at the input price) = 3.2 per request.
    let (cost, unknown): (f64, Option<f64>) = conn
        .query_row(
            "SELECT (SELECT sum(cost_usd) FROM requests WHERE model = 'm'),
                    (SELECT cost_usd FROM requests WHERE model = 'free-unknown')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("costs");
    assert!((cost - 6.4).abs() < 1e-9, "{cost}");
    assert_eq!(unknown, None, "unknown price is NULL, never 0");
    let (requests, errors, reasoning, rolled, unpriced): (i64, i64, i64, f64, i64) = conn
        .query_row(
            "SELECT sum(requests), sum(errors), sum(reasoning_tokens), sum(cost_usd),
                    sum(unpriced) FROM rollup",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("rollup");
    assert_eq!((requests, errors, reasoning, unpriced), (4, 1, 300, 1));
    assert!((rolled - 6.4).abs() < 1e-9);
}

#[test]
fn concurrent_writers_share_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    let ledgers: Vec<Ledger> = (0..4).map(|_| ledger(&path)).collect();
    std::thread::scope(|s| {
        for (i, l) in ledgers.iter().enumerate() {
            let sink = l.sink().expect("sink");
            s.spawn(move || {
                for n in 0..500 {
                    let t = Tokens {
                        input: 1,
                        ..Tokens::default()
                    };
                    sink.send(record(n, &format!("s{i}"), "m", t));
                }
            });
        }
    });
    for l in ledgers {
        l.close();
    }
    let conn = open_read(&path).expect("read");
    let (rows, input): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM requests), (SELECT sum(input_tokens) FROM rollup)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!((rows, input), (2000, 2000));
}

/// A version-2 ledger as that code wrote it: rows, and their sums in both
/// rollups, which step 3 rebuilds around new key columns.
#[test]
fn a_version_2_ledger_keeps_its_rows_and_sums_in_version_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    {
        let conn = Connection::open(&path).expect("create");
        for step in &MIGRATIONS[..2] {
            conn.execute_batch(step).expect("step");
        }
        conn.execute_batch(&format!(
            "PRAGMA application_id={APP_ID}; PRAGMA user_version=2;
             INSERT INTO requests (at, session, profile, slot, provider, requested_model,
               model, subagent, status, duration_ms, input_tokens, output_tokens,
               cache_read_tokens, cache_write_tokens, reasoning_tokens, estimated, cost_usd,
               cache_read_cost_usd, attempt)
             VALUES (1794312000000, 's', 'p', 'main', 'prov', 'r', 'm', 0, 200, 5, 10, 20, 0, 0,
               0, 0, 0.5, 0, 1);
             INSERT INTO rollup VALUES (1993680, 's', 'p', 'prov', 'm', 1, 0, 10, 20, 0, 0, 0,
               0.5, 0, 0);
             INSERT INTO daily VALUES (date(1794312000, 'unixepoch', 'localtime'), 's', 'p',
               'prov', 'm', 1, 0, 10, 20, 0, 0, 0, 0.5, 0, 0);"
        ))
        .expect("v2 rows");
    }
    let o = open(&path, 1).expect("migrate");
    assert_eq!(pragma(&o.conn, "user_version"), VERSION);
    let row: (i64, i64, Option<String>, Option<String>) = o
        .conn
        .query_row(
            "SELECT input_tokens, attempt, member, project FROM requests",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("row kept");
    assert_eq!(row, (10, 1, None, None));
    for table in ["rollup", "daily"] {
        let sums: (i64, i64, f64, String) = o
            .conn
            .query_row(
                &format!(
                    "SELECT sum(requests), sum(input_tokens), total(cost_usd),
                       group_concat(member || team || project || '.') FROM {table}"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("sums kept");
        assert_eq!(sums, (1, 10, 0.5, ".".into()), "{table}");
        let index: i64 = o
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                [format!("{table}_session")],
                |r| r.get(0),
            )
            .expect("index");
        assert_eq!(index, 1, "{table}");
    }
    // The ledger reads and writes on as before: the next request of the
    // same key adds to the migrated sums.
    let sums = crate::usage::query::total(
        &o.conn,
        &crate::usage::query::Filter {
            since_ms: 0,
            until_ms: i64::MAX / 2,
            profile: None,
        },
    )
    .expect("total");
    assert_eq!((sums.requests, sums.input_tokens), (1, 10));
    drop(o);
    let l = ledger(&path);
    let sink = l.sink().expect("sink");
    sink.send(record(
        1_794_312_000_000,
        "s",
        "m",
        Tokens {
            input: 5,
            ..Tokens::default()
        },
    ));
    l.close();
    let conn = open_read(&path).expect("read");
    let rollups: i64 = conn
        .query_row("SELECT count(*) FROM rollup", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        rollups, 1,
        "one key: the same unknown member, team and project"
    );
}

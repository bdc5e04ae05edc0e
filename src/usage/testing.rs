//! Test helpers for the ledger's tests and the screens that read it: a
//! ledger file in a new folder, the prices to start it with, and one filled
//! with a few days of requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::prices::{Price, Tokens};
use super::{Ledger, Pricer, Record, db};

/// A new folder, and the path of a ledger file in it (not made yet). The
/// folder and all in it go when the first is dropped.
pub(crate) fn ledger_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    (dir, path)
}

/// `input` and `output` dollars a million tokens; cache reads and writes
/// have no price of their own.
pub(crate) fn price(input: f64, output: f64) -> Price {
    Price {
        input,
        output,
        cache_read: None,
        cache_write: None,
        cache_write_1h: None,
    }
}

/// `price` for every provider but `local`, which has none.
pub(crate) fn all_but_local(price: Price) -> Pricer {
    Box::new(move |p, _| (p != "local").then_some(price))
}

/// The ledger at `path` (made if missing), priced by `pricer`, its log
/// lines dropped.
pub(crate) fn open_ledger(path: &Path, pricer: Pricer) -> Ledger {
    let opened = db::open(path, 1).expect("open");
    Ledger::start(opened.conn, pricer, Arc::new(|_: &str| {}))
}

/// A request as the screens and queries read them back: `(at_ms, session,
/// profile, provider, model, input tokens, cache reads)`.
pub(crate) type LedgerRow<'a> = (i64, &'a str, &'a str, &'a str, &'a str, u64, u64);

/// A ledger in a new folder holding one request a row, each asked for as
/// `claude` and answered with 10 output tokens; priced at $1 a million
/// input tokens, $2 output and $0.50 cache reads, but on `local`.
pub(crate) fn filled_ledger(rows: &[LedgerRow<'_>]) -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = ledger_path();
    let price = Price {
        cache_read: Some(0.5),
        ..price(1.0, 2.0)
    };
    let ledger = open_ledger(&path, all_but_local(price));
    let sink = ledger.sink().expect("sink");
    for &(at_ms, session, profile, provider, model, input, cache_read) in rows {
        sink.send(Record {
            at_ms,
            session: session.into(),
            profile: profile.into(),
            provider: provider.into(),
            requested: "claude".into(),
            model: model.into(),
            tokens: Tokens {
                input,
                cache_read,
                output: 10,
                ..Tokens::default()
            },
            ..Record::sample()
        });
    }
    ledger.close();
    (dir, path)
}

use std::sync::Arc;

use super::*;
use crate::usage::prices::{Price, Tokens};
use crate::usage::{Ledger, Record, db};

const NOON: i64 = 1_794_312_000_000;

fn record(profile: &str, provider: &str, input: u64) -> Record {
    Record {
        at_ms: NOON,
        profile: profile.into(),
        provider: provider.into(),
        tokens: Tokens {
            input,
            ..Tokens::default()
        },
        ..Record::sample()
    }
}

fn ledger(path: &std::path::Path) -> Ledger {
    let opened = db::open(path, 1).expect("open");
    let price = Price {
        input: 1.0,
        output: 1.0,
        cache_read: None,
        cache_write: None,
    };
    Ledger::start(
        opened.conn,
        Box::new(move |p, _| (p != "local").then_some(price)),
        Arc::new(|_: &str| {}),
    )
}

#[test]
fn limits_warn_at_80_and_stop_at_100_across_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    let other_session = ledger(&path);
    let this_session = ledger(&path);
    let budget = |s: &str| toml::from_str::<Budget>(s).expect("budget");
    let scopes = vec![
        (Scope::Profile("work".into()), budget("daily_usd = 1.0")),
        (
            Scope::Provider("local".into()),
            budget("monthly_tokens = 1000"),
        ),
    ];
    let checker = Checker::new(
        scopes,
        db::open_read(&path).expect("read"),
        this_session.sink().expect("sink"),
    );
    assert_eq!(checker.check("ds", NOON + 1), Verdict::Go);
    // Another session spends $0.5, this one $0.35: 85 %, shared.
    let other = other_session.sink().expect("sink");
    other.send(record("work", "ds", 500_000));
    other.sync();
    this_session
        .sink()
        .expect("sink")
        .send(record("work", "ds", 350_000));
    // The check waits for this session's own row (no sync above).
    match checker.check("ds", NOON + 1) {
        Verdict::Warn(w) => assert!(w[0].contains("85%"), "{w:?}"),
        v => panic!("{v:?}"),
    }
    // Said once.
    assert_eq!(checker.check("ds", NOON + 1), Verdict::Go);
    other.send(record("work", "ds", 150_000));
    other.sync();
    match checker.check("ds", NOON + 1) {
        Verdict::Stop(m) => {
            assert!(m.contains("daily budget of $1.00"), "{m}");
            assert!(m.contains("--ignore-budget"), "{m}");
        }
        v => panic!("{v:?}"),
    }
    // Another profile's spend never counts; the next day starts afresh.
    assert_eq!(checker.check("ds", NOON + 86_400_000), Verdict::Go);
    // Token budgets for an unpriced provider, only for requests to it.
    other.send(record("home", "local", 1000));
    other.sync();
    assert!(
        matches!(checker.check("local", NOON + 86_400_000), Verdict::Stop(m) if m.contains("1000 tokens"))
    );
    assert_eq!(checker.check("ds", NOON + 86_400_000), Verdict::Go);
}

#[test]
fn a_long_session_is_warned_again_on_a_new_day() {
    const DAY: i64 = 86_400_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("usage.db");
    let session = ledger(&path);
    let sink = session.sink().expect("sink");
    let checker = Checker::new(
        vec![(
            Scope::Profile("work".into()),
            toml::from_str::<Budget>("daily_usd = 1.0").expect("budget"),
        )],
        db::open_read(&path).expect("read"),
        sink.clone(),
    );
    let warned = |at: i64| matches!(checker.check("ds", at), Verdict::Warn(_));
    sink.send(record("work", "ds", 900_000));
    assert!(warned(NOON + 1));
    assert!(!warned(NOON + 2), "said once a day");
    sink.send(Record {
        at_ms: NOON + DAY,
        ..record("work", "ds", 900_000)
    });
    assert!(warned(NOON + DAY + 1), "a new day is a new period");
    assert!(!warned(NOON + DAY + 2));
}

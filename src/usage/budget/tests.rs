use std::sync::Arc;

use super::checker::{Checker, Estimate};
use super::*;
use crate::usage::prices::Tokens;
use crate::usage::testing::{all_but_local, ledger_path, open_ledger, price};
use crate::usage::writer::Sink;
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

/// $1 a million tokens, in and out; provider `local` is unpriced.
fn pricer() -> crate::usage::Pricer {
    all_but_local(price(1.0, 1.0))
}

fn ledger(path: &std::path::Path) -> Ledger {
    open_ledger(path, pricer())
}

fn budget(s: &str) -> Budget {
    toml::from_str::<Budget>(s).expect("budget")
}

fn checker(path: &std::path::Path, sink: &Sink, scopes: Vec<(Scope, Budget)>) -> Arc<Checker> {
    Arc::new(Checker::new(
        "work",
        scopes,
        db::open_read(path).expect("read"),
        sink,
        pricer(),
    ))
}

/// One session's ledger in a new folder, and a check of a $1 daily budget
/// on profile `work` against it.
fn a_dollar_a_day() -> (tempfile::TempDir, Ledger, Sink, Arc<Checker>) {
    let (dir, path) = ledger_path();
    let session = ledger(&path);
    let sink = session.sink().expect("sink");
    let checker = checker(
        &path,
        &sink,
        vec![(Scope::Profile("work".into()), budget("daily_usd = 1.0"))],
    );
    (dir, session, sink, checker)
}

const NONE: Estimate = Estimate {
    input_tokens: 0,
    max_tokens: 0,
};

fn verdict(c: &Arc<Checker>, provider: &str, at: i64) -> Verdict {
    c.check(provider, "m", NONE, at).0
}

/// A request through the check: it holds nothing, ends with `input`
/// tokens, and its row goes to `sink`.
fn request(c: &Arc<Checker>, sink: &Sink, provider: &str, input: u64) {
    let (_, hold) = c.check(provider, "m", NONE, NOON + 1);
    let r = record("work", provider, input);
    let (at, tokens) = (r.at_ms, r.tokens);
    let seq = sink.send(r);
    hold.expect("let through").settle(seq, at, &tokens);
}

#[test]
fn limits_warn_at_80_and_stop_at_100_across_sessions() {
    let (_dir, path) = ledger_path();
    let other_session = ledger(&path);
    let this_session = ledger(&path);
    let scopes = vec![
        (Scope::Profile("work".into()), budget("daily_usd = 1.0")),
        (
            Scope::Provider("local".into()),
            budget("monthly_tokens = 1000"),
        ),
    ];
    let sink = this_session.sink().expect("sink");
    let checker = checker(&path, &sink, scopes);
    assert_eq!(verdict(&checker, "ds", NOON + 1), Verdict::Go);
    // Another session spends $0.5, this one $0.35: 85 %, shared.
    let other = other_session.sink().expect("sink");
    other.send(record("work", "ds", 500_000));
    other.sync();
    request(&checker, &sink, "ds", 350_000);
    // This session's own finished request counts at once, written or not.
    match verdict(&checker, "ds", NOON + 1) {
        Verdict::Warn(w) => assert!(w[0].contains("85%"), "{w:?}"),
        v => panic!("{v:?}"),
    }
    // Said once.
    assert_eq!(verdict(&checker, "ds", NOON + 1), Verdict::Go);
    other.send(record("work", "ds", 150_000));
    other.sync();
    match verdict(&checker, "ds", NOON + 1) {
        Verdict::Stop(m) => {
            assert!(m.contains("daily budget of $1.00"), "{m}");
            assert!(m.contains("($1.00 spent)"), "{m}");
            assert!(m.contains("--ignore-budget"), "{m}");
        }
        v => panic!("{v:?}"),
    }
    // Another profile's spend never counts; the next day starts afresh.
    assert_eq!(verdict(&checker, "ds", NOON + 86_400_000), Verdict::Go);
    // Token budgets for an unpriced provider, only for requests to it.
    other.send(record("home", "local", 1000));
    other.sync();
    assert!(
        matches!(verdict(&checker, "local", NOON + 86_400_000), Verdict::Stop(m) if m.contains("1000 tokens"))
    );
    assert_eq!(verdict(&checker, "ds", NOON + 86_400_000), Verdict::Go);
}

#[test]
fn a_long_session_is_warned_again_on_a_new_day() {
    const DAY: i64 = 86_400_000;
    let (_dir, _session, sink, checker) = a_dollar_a_day();
    let warned = |at: i64| matches!(verdict(&checker, "ds", at), Verdict::Warn(_));
    sink.send(record("work", "ds", 900_000));
    sink.sync();
    assert!(warned(NOON + 1));
    assert!(!warned(NOON + 2), "said once a day");
    sink.send(Record {
        at_ms: NOON + DAY,
        ..record("work", "ds", 900_000)
    });
    sink.sync();
    assert!(warned(NOON + DAY + 1), "a new day is a new period");
    assert!(!warned(NOON + DAY + 2));
}

/// Requests in flight hold their estimate: with $1 of room and requests
/// that may cost $0.40 each, three go (the third passes at $0.80 held and
/// overshoots by at most its own $0.40), the fourth is refused and says
/// what is held; a request that ends frees its hold for its real cost.
#[test]
fn requests_in_flight_hold_their_estimate_until_they_end() {
    let (_dir, _session, sink, checker) = a_dollar_a_day();
    let est = Estimate {
        input_tokens: 100_000,
        max_tokens: 300_000,
    };
    let mut holds = Vec::new();
    for _ in 0..3 {
        let (v, hold) = checker.check("ds", "m", est, NOON + 1);
        assert!(matches!(v, Verdict::Go | Verdict::Warn(_)), "{v:?}");
        holds.push(hold.expect("held"));
    }
    let (v, hold) = checker.check("ds", "m", est, NOON + 1);
    assert!(hold.is_none());
    match v {
        Verdict::Stop(m) => assert!(m.contains("$0.00 spent, $1.20 held"), "{m}"),
        v => panic!("{v:?}"),
    }
    // One is never sent (dropped), one ends costing $0.10: $0.50 in all.
    drop(holds.pop());
    let r = record("work", "ds", 100_000);
    let seq = sink.send(r.clone());
    holds.pop().expect("hold").settle(seq, r.at_ms, &r.tokens);
    // $0.10 spent and one hold left, before the writer stored the row and
    // after: two more fit, the next does not.
    for stored in [false, true] {
        if stored {
            sink.sync();
        }
        let a = checker
            .check("ds", "m", est, NOON + 1)
            .1
            .expect("$0.50 held");
        let b = checker
            .check("ds", "m", est, NOON + 1)
            .1
            .expect("$0.90 held");
        let (v, none) = checker.check("ds", "m", est, NOON + 1);
        assert!(none.is_none(), "stored: {stored}");
        assert!(
            matches!(&v, Verdict::Stop(m) if m.contains("$0.10 spent, $1.20 held")),
            "stored: {stored}: {v:?}"
        );
        drop((a, b));
    }
}

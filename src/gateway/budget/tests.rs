use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::testkit::{member_key, noon, pricer};
use super::*;
use crate::gateway::store::KeySettings;
use crate::usage::Record;
use crate::usage::prices::Tokens;

fn tokens(input: u64, output: u64) -> Tokens {
    Tokens {
        input,
        output,
        ..Tokens::default()
    }
}

/// A store with team `core` ($3 a day), members `ann` and `bob`; a key for
/// each (ann's: $2 a day), and the principals they authenticate as.
async fn setup(dir: &tempfile::TempDir) -> (Store, Arc<Principal>, Arc<Principal>) {
    let store = Store::open_sqlite(&dir.path().join("g.db"), noon())
        .await
        .unwrap();
    store.add_team("core", noon()).await.unwrap();
    for m in ["ann", "bob"] {
        store.add_member(m, "core", noon()).await.unwrap();
    }
    store
        .set_team_budgets(
            "core",
            Budgets {
                daily_usd: Some(3.0),
                monthly_usd: None,
            },
        )
        .await
        .unwrap();
    let mut principals = Vec::new();
    for (m, daily) in [("ann", Some(2.0)), ("bob", None)] {
        let settings = KeySettings {
            budgets: Budgets {
                daily_usd: daily,
                monthly_usd: None,
            },
            ..KeySettings::default()
        };
        principals.push(member_key(&store, m, settings).await);
    }
    let bob = principals.pop().unwrap();
    let ann = principals.pop().unwrap();
    (store, ann, bob)
}

/// A finished request that wrote `output` tokens at `at`.
fn spent(output: u64, at: SystemTime) -> Record {
    Record {
        at_ms: crate::usage::unix_ms(at),
        tokens: tokens(0, output),
        ..Record::sample()
    }
}

fn budgeter(store: &Store) -> Arc<Budgeter> {
    Arc::new(Budgeter::new(
        store.clone(),
        pricer(),
        Arc::new(|_: &str| {}),
    ))
}

/// Settles run in the background; wait for the store to have them.
async fn settled(b: &Budgeter) {
    for _ in 0..200 {
        if lock(&b.book).held.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("holds never settled");
}

#[tokio::test]
async fn costs_count_against_key_member_and_team_and_a_used_up_scope_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ann, bob) = setup(&dir).await;
    let b = budgeter(&store);
    // $1.50 of output: under ann's $2 and the team's $3.
    let r = b
        .reserve(&ann, "p", "m", tokens(1_000, 1_000), noon(), None)
        .await
        .unwrap();
    r.settle(&spent(150_000, noon()));
    settled(&b).await;
    let s = store.spent(ann.owner, utc_day(noon())).await.unwrap();
    assert!((s.key.day_usd - 1.5).abs() < 1e-9, "{s:?}");
    assert!((s.member.month_usd - 1.5).abs() < 1e-9);
    assert!((s.team.day_usd - 1.5).abs() < 1e-9);
    // Another $0.60: ann's key is then over $2.
    b.reserve(&ann, "p", "m", tokens(0, 0), noon(), None)
        .await
        .unwrap()
        .settle(&spent(60_000, noon()));
    settled(&b).await;
    match b.reserve(&ann, "p", "m", tokens(0, 0), noon(), None).await {
        Err(Refused::Over(m)) => assert!(m.contains(&ann.key_prefix) && m.contains("$2.00"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("ann's key is over its budget"),
    }
    // Bob's key has no budget of its own, but the team has $0.90 left.
    b.reserve(&bob, "p", "m", tokens(0, 0), noon(), None)
        .await
        .unwrap()
        .settle(&spent(100_000, noon()));
    settled(&b).await;
    match b.reserve(&bob, "p", "m", tokens(0, 0), noon(), None).await {
        Err(Refused::Over(m)) => assert!(m.contains("core"), "{m}"),
        other => panic!("the team is over: {:?}", other.map(|_| ())),
    }
    // A new UTC day starts afresh.
    let tomorrow = noon() + Duration::from_secs(86_400);
    assert!(
        b.reserve(&bob, "p", "m", tokens(0, 0), tomorrow, None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn requests_in_flight_hold_their_estimate_so_a_burst_cannot_all_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ann, _) = setup(&dir).await;
    let b = budgeter(&store);
    // Each may write 50k output tokens: $0.50 held. Ann's $2 lets four go.
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..10 {
        match b
            .reserve(&ann, "p", "m", tokens(0, 50_000), noon(), None)
            .await
        {
            Ok(r) => held.push(r),
            Err(Refused::Over(_)) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((held.len(), refused), (4, 6));
    // Dropped unsettled (never sent): the holds are freed.
    held.clear();
    assert!(
        b.reserve(&ann, "p", "m", tokens(0, 50_000), noon(), None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn two_budgeters_on_one_store_share_what_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ann, _) = setup(&dir).await;
    let (one, two) = (budgeter(&store), budgeter(&store));
    one.reserve(&ann, "p", "m", tokens(0, 0), noon(), None)
        .await
        .unwrap()
        .settle(&spent(200_000, noon()));
    settled(&one).await;
    assert!(matches!(
        two.reserve(&ann, "p", "m", tokens(0, 0), noon(), None)
            .await,
        Err(Refused::Over(_))
    ));
}

#[tokio::test]
async fn a_store_that_cannot_answer_refuses_budgeted_requests_only() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ann, bob) = setup(&dir).await;
    let b = budgeter(&store);
    // Unreadable: the spend table is gone.
    let c = rusqlite::Connection::open(dir.path().join("g.db")).unwrap();
    c.execute_batch("DROP TABLE spend").unwrap();
    assert!(matches!(
        b.reserve(&ann, "p", "m", tokens(0, 0), noon(), None).await,
        Err(Refused::Unavailable(_))
    ));
    // Bob's key has no budget, but his team does.
    assert!(
        b.reserve(&bob, "p", "m", tokens(0, 0), noon(), None)
            .await
            .is_err()
    );
}

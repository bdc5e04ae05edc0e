//! Speculative admission against a real PostgreSQL: who may go before the
//! store answers, and that the store's answer still decides.
// The test server runs under a Unix shell; CI runs the tests on Linux.
#![cfg(unix)]

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::*;
use crate::gateway::budget::testkit::{member_key, noon, pricer};
use crate::gateway::store::spend::RequestRow;
use crate::gateway::store::testdb;
use crate::gateway::store::{Budgets, KeySettings, RateLimits, Store, StoreLocation};
use crate::usage::prices::Tokens;

fn budgeter(store: &Store) -> Budgeter {
    Budgeter::new(store.clone(), pricer(), Arc::new(|_: &str| {}))
}

/// A fresh database with member `ann` of team `core`, and her key with
/// `rpm` and `daily` USD: the store and the key's principal.
async fn setup(rpm: u32, daily: Option<f64>) -> (Store, Arc<Principal>) {
    let url = tokio::task::spawn_blocking(testdb::fresh_db).await.unwrap();
    let store = Store::open(&StoreLocation::parse(&url).unwrap(), noon())
        .await
        .unwrap();
    store.add_team("core", noon()).await.unwrap();
    store.add_member("ann", "core", noon()).await.unwrap();
    let settings = KeySettings {
        budgets: Budgets {
            daily_usd: daily,
            monthly_usd: None,
        },
        limits: RateLimits {
            rpm: Some(rpm),
            tpm: None,
        },
        ..KeySettings::default()
    };
    let ann = member_key(&store, "ann", settings).await;
    (store, ann)
}

/// 'D' (decided by the store) or 'S' (speculated, then confirmed).
async fn admit(b: &Arc<Budgeter>, p: &Arc<Principal>) -> char {
    match b.admission(p, 10, noon()).await.unwrap() {
        Admission::Decided { wait, .. } => {
            assert_eq!(wait, None);
            'D'
        }
        Admission::Speculated { pending, .. } => {
            pending.confirm(None).await.unwrap();
            'S'
        }
    }
}

/// How many requests the store counted for `p`'s key this minute (the
/// read counts one more).
async fn counted(store: &Store, p: &Principal) -> u64 {
    let all = RateLimits {
        rpm: Some(1_000_000),
        tpm: None,
    };
    let now = noon().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let r = store.rate_admit(p.key_id, all, 0, now).await.unwrap();
    r.requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_well_within_the_limits_goes_first_and_is_counted_all_the_same() {
    let (store, ann) = setup(10, Some(2.0)).await;
    let b = Arc::new(budgeter(&store));
    let mut kinds = String::new();
    for _ in 0..6 {
        kinds.push(admit(&b, &ann).await);
    }
    // The first knows nothing yet; the sixth would leave less than half
    // of the 10 a minute.
    assert_eq!(kinds, "DSSSSD");
    assert_eq!(counted(&store, &ann).await, 6);
    // Switched off, every request waits for the store.
    let strict = Arc::new(budgeter(&store).admit_first(true));
    let kinds = [admit(&strict, &ann).await, admit(&strict, &ann).await];
    assert_eq!(kinds, ['D', 'D']);
}

/// However much room is left, at most 8 requests of a replica are
/// upstream before their admission: the next waits for its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_eight_requests_are_upstream_unadmitted() {
    let (store, ann) = setup(1_000, Some(100.0)).await;
    let b = Arc::new(budgeter(&store));
    assert_eq!(admit(&b, &ann).await, 'D');
    let mut flying = Vec::new();
    for _ in 0..8 {
        match b.admission(&ann, 10, noon()).await.unwrap() {
            Admission::Speculated { pending, .. } => flying.push(pending),
            Admission::Decided { .. } => panic!("waited with room to spare"),
        }
    }
    assert_eq!(admit(&b, &ann).await, 'D');
    // Answered (or given up), they make room again.
    flying.pop().unwrap().confirm(None).await.unwrap();
    drop(flying);
    assert_eq!(admit(&b, &ann).await, 'S');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_using_the_rate_up_meanwhile_refuses_it_late() {
    let (store, ann) = setup(10, None).await;
    let (one, two) = (Arc::new(budgeter(&store)), Arc::new(budgeter(&store)));
    assert_eq!(admit(&one, &ann).await, 'D');
    for _ in 0..9 {
        admit(&two, &ann).await;
    }
    let Admission::Speculated { pending, .. } = one.admission(&ann, 10, noon()).await.unwrap()
    else {
        panic!("replica one still thinks there is room");
    };
    match pending.confirm(None).await {
        Err(Late::RateLimited(secs)) => assert!((1..=60).contains(&secs), "{secs}"),
        other => panic!("{other:?}"),
    }
    // Refused, it was not counted; and replica one now knows.
    assert_eq!(counted(&store, &ann).await, 10);
    let Admission::Decided { wait, .. } = one.admission(&ann, 10, noon()).await.unwrap() else {
        panic!("speculated with the limit reached");
    };
    assert!(wait.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_is_checked_again_with_what_was_spent_meanwhile() {
    let (store, ann) = setup(1_000, Some(2.0)).await;
    let b = Arc::new(budgeter(&store));
    assert_eq!(admit(&b, &ann).await, 'D');
    // Another replica settles $1.50 for ann.
    let other = |usd| RequestRow {
        at_ms: crate::usage::unix_ms(noon()),
        owner: ann.owner,
        cost_usd: usd,
        ..Default::default()
    };
    store.record_request(other(1.5)).await.unwrap();
    // Her next request goes on the $0 this replica knew of, holding $1
    // (100,000 output tokens). Checked again, $1.50 spent leaves room:
    // its own hold is not counted against it.
    let Admission::Speculated { ahead, pending } = b.admission(&ann, 10, noon()).await.unwrap()
    else {
        panic!("did not speculate");
    };
    let one = Tokens {
        output: 100_000,
        ..Tokens::default()
    };
    let r = b.reserve(&ann, "p", "m", one, noon(), ahead).await.unwrap();
    pending.confirm(Some(r.hold_id())).await.unwrap();
    drop(r);
    // The store's last word is now $1.50: past half the $2, the next
    // request waits for a fresh read, which finds $1.00 more spent.
    store.record_request(other(1.0)).await.unwrap();
    let Admission::Decided { ahead, .. } = b.admission(&ann, 10, noon()).await.unwrap() else {
        panic!("speculated with $1.50 of $2 spent");
    };
    assert!(b.reserve(&ann, "p", "m", one, noon(), ahead).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_used_up_meanwhile_refuses_it_late() {
    let (store, ann) = setup(1_000, Some(2.0)).await;
    let b = Arc::new(budgeter(&store));
    assert_eq!(admit(&b, &ann).await, 'D');
    store
        .record_request(RequestRow {
            at_ms: crate::usage::unix_ms(noon()),
            owner: ann.owner,
            cost_usd: 2.5,
            ..Default::default()
        })
        .await
        .unwrap();
    let Admission::Speculated { ahead, pending } = b.admission(&ann, 10, noon()).await.unwrap()
    else {
        panic!("did not speculate");
    };
    let r = b
        .reserve(&ann, "p", "m", Tokens::default(), noon(), ahead)
        .await
        .unwrap();
    match pending.confirm(Some(r.hold_id())).await {
        Err(Late::Over(m)) => assert!(m.contains("$2.00"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_admissions_answer_arriving_late_does_not_replace_a_newer_one() {
    let (store, ann) = setup(10, None).await;
    let b = budgeter(&store);
    let answer = |requests| RateAnswer {
        wait: None,
        requests,
        tokens: 0,
    };
    b.keep(ann.owner, 20_794, 0, 7, answer(8), None);
    b.keep(ann.owner, 20_794, 0, 5, answer(0), None);
    let known = lock(&b.known);
    let k = &known[&ann.owner];
    assert_eq!((k.seq, k.requests), (7, 9));
}

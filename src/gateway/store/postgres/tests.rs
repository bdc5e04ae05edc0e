//! What only the PostgreSQL store has to show, on a real server
//! ([`testdb`](super::testdb)): replicas sharing one database, migrations
//! racing, the database checked as ours, and a server restart mid-use.
//! The contract both backends keep is in `store/tests.rs`.

// The test server runs under a Unix shell; CI runs the tests on Linux.
#![cfg(unix)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;

use super::VERSION;
use super::bound::CALL_BOUND;
use super::testdb::{self, PASSWORD, PgServer};
use crate::gateway::store::{KeySettings, KeyStatus, Store, StoreError, StoreLocation};
use crate::gateway::{admin, auth, keys};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

async fn open(url: &str, now: SystemTime) -> Result<Store, StoreError> {
    Store::open(&StoreLocation::parse(url).unwrap(), now).await
}

/// The database name at the end of a test URL.
fn db_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn a_new_database_runs_every_step_once_and_two_replicas_migrate_it_once() {
    let url = testdb::fresh_db();
    // Two replicas starting at once on an empty database.
    let (a, b) = tokio::join!(open(&url, at(1_000)), open(&url, at(1_000)));
    let (a, b) = (a.unwrap(), b.unwrap());
    drop(open(&url, at(2_000)).await.unwrap());
    let steps = testdb::shared().sql(
        db_of(&url),
        "SELECT version, applied_at FROM schema_version ORDER BY version",
    );
    let want: Vec<String> = (1..=VERSION).map(|v| format!("{v}|1000")).collect();
    assert_eq!(steps, want.join("\n"));
    assert!(!a.describe().contains(PASSWORD), "{}", a.describe());
    assert!(a.describe().contains("***@127.0.0.1"), "{}", a.describe());

    // Both see each other's writes: a key revoked through one is revoked
    // through the other, at once (neither caches).
    a.add_team("core", at(1)).await.unwrap();
    b.add_member("ann", "core", at(2)).await.unwrap();
    let issued = admin::issue(&b, "ann", KeySettings::default(), None, at(3))
        .await
        .unwrap();
    let hash = keys::hash(issued.key.expose_secret());
    let seen = a.key_by_hash(hash).await.unwrap().unwrap();
    assert_eq!(seen.status(at(4)), KeyStatus::Active);
    a.revoke_key(&seen.prefix, at(5)).await.unwrap();
    let seen = b.key_by_hash(hash).await.unwrap().unwrap();
    assert_eq!(seen.status(at(6)), KeyStatus::Revoked);
    assert!(matches!(
        b.add_team("core", at(7)).await,
        Err(StoreError::TeamExists { .. })
    ));
}

/// Issue 24, bad input, on PostgreSQL: after SQL-looking names every table
/// is still there, and the key is in no column, only its hash.
#[tokio::test]
async fn sql_looking_names_drop_no_postgres_table_and_no_key_is_stored() {
    let url = testdb::fresh_db();
    let s = open(&url, at(1)).await.unwrap();
    let name = "x'); DROP TABLE keys;--";
    s.add_team(name, at(1)).await.unwrap();
    s.add_member(name, name, at(1)).await.unwrap();
    let issued = admin::issue(&s, name, KeySettings::default(), None, at(2))
        .await
        .unwrap();
    let db = testdb::shared();
    let tables = db.sql(
        db_of(&url),
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables
         WHERE schemaname = 'public'",
    );
    assert_eq!(
        tables,
        "key_profiles,keys,members,rates,requests,schema_version,spend,teams"
    );
    let key = issued.key.expose_secret();
    let rows = db.sql(
        db_of(&url),
        "SELECT k.prefix, encode(k.hash, 'hex'), m.name, t.name FROM keys k
         JOIN members m ON m.id = k.member_id JOIN teams t ON t.id = m.team_id",
    );
    let hash = keys::hash(key).0.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    });
    assert_eq!(
        rows,
        format!("{}|{hash}|{name}|{name}", &key[..keys::PREFIX_LEN])
    );
}

#[tokio::test]
async fn a_database_from_a_newer_ccswitch_or_another_program_is_refused() {
    let url = testdb::fresh_db();
    drop(open(&url, at(1)).await.unwrap());
    let db = testdb::shared();
    db.sql(
        db_of(&url),
        "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)",
    );
    let err = open(&url, at(2)).await.err().unwrap();
    assert!(
        matches!(err, StoreError::Newer { found: 99, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("newer ccswitch") && !msg.contains(PASSWORD),
        "{msg}"
    );

    let theirs = testdb::fresh_db();
    db.sql(
        db_of(&theirs),
        "CREATE TABLE teams (x int); INSERT INTO teams VALUES (1)",
    );
    let err = open(&theirs, at(1)).await.err().unwrap();
    assert!(matches!(err, StoreError::PgNotOurs { .. }), "{err:?}");
    assert_eq!(
        db.sql(
            db_of(&theirs),
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ),
        "1"
    );
}

#[tokio::test]
async fn a_server_that_is_not_there_is_named_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://gw:{PASSWORD}@127.0.0.1:{port}/gw");
    let t0 = Instant::now();
    let err = open(&url, at(1)).await.err().unwrap();
    assert!(t0.elapsed() < CALL_BOUND, "{:?}", t0.elapsed());
    assert!(err.is_unreachable(), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("did not answer") && msg.contains(&port.to_string()),
        "{msg}"
    );
    assert!(!msg.contains(PASSWORD), "{msg}");
}

/// The server restarts under a running store: while it is down every call
/// fails within the bound, as unreachable (a gateway answers 503), and
/// once it is back the same store serves again, without being reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_fails_calls_within_the_bound_and_the_store_recovers() {
    let server = tokio::task::spawn_blocking(PgServer::start).await.unwrap();
    let url = server.fresh_db();
    let s = open(&url, at(1)).await.unwrap();
    s.add_team("core", at(1)).await.unwrap();
    s.add_member("ann", "core", at(1)).await.unwrap();
    let issued = admin::issue(&s, "ann", KeySettings::default(), None, at(2))
        .await
        .unwrap();
    let key = issued.key.expose_secret().to_owned();
    // Several connections in the pool, all of which the restart ends.
    let lookups = (0..6).map(|_| s.key_by_hash(keys::hash(&key)));
    for r in futures_util::future::join_all(lookups).await {
        assert!(r.unwrap().is_some());
    }

    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let t0 = Instant::now();
    let calls = (0..6).map(|_| auth::authenticate(&s, &key, at(3)));
    for r in futures_util::future::join_all(calls).await {
        match r {
            Err(auth::Refusal::Unavailable(e)) => {
                assert!(e.is_unreachable(), "{e:?}");
                assert!(!e.to_string().contains(PASSWORD), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        s.teams().await,
        Err(StoreError::Postgres {
            unreachable: true,
            ..
        })
    ));
    assert!(t0.elapsed() < CALL_BOUND, "{:?}", t0.elapsed());

    let server = tokio::task::spawn_blocking(move || {
        server.start_again();
        server
    })
    .await
    .unwrap();
    let p = auth::authenticate(&s, &key, at(4)).await.unwrap();
    assert_eq!(p.member, "ann");
    s.add_team("web", at(5)).await.unwrap();
    assert_eq!(s.teams().await.unwrap().len(), 2);
    drop(s);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

/// Two replicas counting spend into the same rows at once lose none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_added_by_two_replicas_at_once_is_all_counted() {
    use crate::gateway::store::spend::Owner;
    let url = testdb::fresh_db();
    let (a, b) = (
        open(&url, at(1)).await.unwrap(),
        open(&url, at(1)).await.unwrap(),
    );
    let owner = Owner {
        key_id: 1,
        member_id: 2,
        team_id: 3,
    };
    let adds = (0..40).map(|i| {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move {
            s.record_request(crate::gateway::store::spend::RequestRow {
                at_ms: 20_794 * 86_400_000,
                owner,
                cost_usd: 0.25,
                input_tokens: 10,
                ..Default::default()
            })
            .await
        }
    });
    for r in futures_util::future::join_all(adds).await {
        r.unwrap();
    }
    let got = b.spent(owner, 20_794).await.unwrap();
    assert_eq!(
        (got.key.day_usd, got.member.month_usd, got.team.day_usd),
        (10.0, 10.0, 10.0)
    );
    let rows = testdb::shared().sql(
        db_of(&url),
        "SELECT scope, requests, tokens FROM spend ORDER BY scope",
    );
    assert_eq!(rows, "key|40|400\nmember|40|400\nteam|40|400");
}

/// Rate limits counted in the database: two stores (replicas) on one
/// database count one minute for a key; what does not fit is not counted,
/// and says when it would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_one_count_for_every_store_on_the_database() {
    use crate::gateway::store::RateLimits;
    let url = testdb::fresh_db();
    let (a, b) = (
        open(&url, at(1)).await.unwrap(),
        open(&url, at(1)).await.unwrap(),
    );
    assert!(a.shares_rates());
    let rpm = RateLimits {
        rpm: Some(3),
        tpm: None,
    };
    let mut got = Vec::new();
    for i in 0..5u64 {
        let s = if i % 2 == 0 { &a } else { &b };
        let answer = s.rate_admit(7, rpm, 10, 1_000 + i).await.unwrap();
        got.push((answer.wait, answer.requests));
    }
    // Each answer also says what the minute held before it (a refused
    // request is not counted, so the count stops at the limit).
    assert_eq!(
        got,
        [
            (None, 0),
            (None, 1),
            (None, 2),
            (Some(57), 3),
            (Some(56), 3)
        ]
    );
    // Another key counts on its own; the first fits again a minute on.
    assert_eq!(b.rate_admit(8, rpm, 10, 1_004).await.unwrap().wait, None);
    assert_eq!(a.rate_admit(7, rpm, 10, 1_060).await.unwrap().wait, None);
    let tpm = RateLimits {
        rpm: None,
        tpm: Some(100),
    };
    assert_eq!(a.rate_admit(9, tpm, 80, 2_000).await.unwrap().wait, None);
    let second = b.rate_admit(9, tpm, 30, 2_010).await.unwrap();
    assert_eq!((second.wait, second.tokens), (Some(50), 80));
}

/// The admission before a budgeted request goes upstream: one statement
/// that counts like `rate_admit` and reads like `spent`; over the limit,
/// it counts nothing and still says when the request would fit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_statement_counts_the_rate_and_reads_the_spend() {
    use crate::gateway::store::RateLimits;
    use crate::gateway::store::spend::{Owner, RequestRow};
    let url = testdb::fresh_db();
    let s = open(&url, at(1)).await.unwrap();
    let owner = Owner {
        key_id: 4,
        member_id: 5,
        team_id: 6,
    };
    let rpm = RateLimits {
        rpm: Some(2),
        tpm: None,
    };
    let day = 20_794;
    let noon = u64::try_from(day * 86_400 + 43_200).unwrap();
    // Nothing spent yet: the read is all zeros, and the request counts.
    let (rate, spent) = s.admit_and_spent(owner, rpm, 10, noon, day).await.unwrap();
    assert_eq!((rate, spent), (Default::default(), Default::default()));
    // Spent today by the member (another of their keys) and yesterday by
    // the team: the day and month sums come back per scope.
    for (at_day, key_id, usd) in [(day, 40, 0.5), (day - 1, 41, 2.0)] {
        s.record_request(RequestRow {
            at_ms: at_day * 86_400_000,
            owner: Owner { key_id, ..owner },
            cost_usd: usd,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let (rate, spent) = s
        .admit_and_spent(owner, rpm, 10, noon + 1, day)
        .await
        .unwrap();
    assert_eq!((rate.wait, rate.requests, rate.tokens), (None, 1, 10));
    assert_eq!(spent, s.spent(owner, day).await.unwrap());
    assert_eq!(
        (
            spent.key.day_usd,
            spent.member.day_usd,
            spent.team.month_usd
        ),
        (0.0, 0.5, 2.5)
    );
    // The third in the minute is over rpm 2: not counted, and it would
    // fit when the first leaves the minute.
    let (rate, _) = s
        .admit_and_spent(owner, rpm, 10, noon + 2, day)
        .await
        .unwrap();
    assert_eq!((rate.wait, rate.requests), (Some(58), 2));
    assert_eq!(
        s.rate_admit(4, rpm, 10, noon + 60).await.unwrap().wait,
        None
    );
}

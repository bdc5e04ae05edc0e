use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;

use super::*;
use crate::gateway::admin;
use crate::gateway::store::{Budgets, KeySettings};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn mk_record(revoked: bool, expires: Option<u64>) -> KeyRecord {
    KeyRecord {
        id: 7,
        prefix: "ccsk_0123abcd".into(),
        member: "ann".into(),
        team: "core".into(),
        member_id: 3,
        team_id: 2,
        member_budgets: Budgets::default(),
        team_budgets: Budgets::default(),
        settings: KeySettings {
            profiles: vec!["work".into()],
            ..KeySettings::default()
        },
        created_at: at(100),
        expires_at: expires.map(at),
        revoked_at: revoked.then(|| at(150)),
        rotated_from: None,
    }
}

#[test]
fn the_stores_answer_becomes_a_principal_or_a_refusal() {
    let p = Verdict::of(Some(mk_record(false, Some(1_000))))
        .judge("ccsk_0123abcd", at(999))
        .unwrap();
    assert_eq!(
        (
            p.key_id,
            p.key_prefix.as_str(),
            p.member.as_str(),
            p.team.as_str()
        ),
        (7, "ccsk_0123abcd", "ann", "core")
    );
    assert!(p.may_use("work") && !p.may_use("play"));
    let judge = |r: Option<KeyRecord>, now| Verdict::of(r).judge("ccsk_ffffffff", at(now));
    assert!(matches!(
        judge(Some(mk_record(false, Some(1_000))), 1_000),
        Err(Refusal::Expired { .. })
    ));
    assert!(matches!(
        judge(Some(mk_record(true, Some(1_000))), 2_000),
        Err(Refusal::Revoked { .. })
    ));
    match judge(None, 1) {
        Err(Refusal::Unknown { prefix }) => assert_eq!(prefix, "ccsk_ffffffff"),
        other => panic!("{other:?}"),
    }
    let all = Principal {
        allowed_profiles: vec![],
        ..p
    };
    assert!(all.may_use("anything"));
}

#[test]
fn refusals_say_what_to_do_and_name_their_kind() {
    let r = Refusal::Revoked {
        prefix: "ccsk_0123abcd".into(),
    };
    assert!(r.to_string().contains("ccsk_0123abcd"), "{r}");
    assert_eq!(r.kind(), "revoked");
    let r = Refusal::from(keys::Malformed::Scheme);
    assert_eq!(r.kind(), "malformed");
    assert!(r.to_string().contains("ccsk_"), "{r}");
}

async fn mk_issued(dir: &tempfile::TempDir) -> (Store, String) {
    let s = Store::open_sqlite(&dir.path().join("gateway.db"), at(1))
        .await
        .unwrap();
    s.add_team("core", at(1)).await.unwrap();
    s.add_member("ann", "core", at(1)).await.unwrap();
    let settings = KeySettings::default();
    let issued = admin::issue(
        &s,
        "ann",
        settings,
        Some(Duration::from_secs(3_600)),
        at(10),
    )
    .await
    .unwrap();
    (s, issued.key.expose_secret().to_owned())
}

#[tokio::test]
async fn a_key_is_accepted_until_it_is_revoked_or_expires() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = mk_issued(&dir).await;
    let p = authenticate(&s, &key, at(20)).await.unwrap();
    assert_eq!((p.member.as_str(), p.team.as_str()), ("ann", "core"));
    assert!(matches!(
        authenticate(&s, &key, at(10 + 3_600)).await,
        Err(Refusal::Expired { .. })
    ));
    let other = keys::mint();
    assert!(matches!(
        authenticate(&s, other.reveal(), at(20)).await,
        Err(Refusal::Unknown { .. })
    ));
    s.revoke_key(&p.key_prefix, at(30)).await.unwrap();
    assert!(matches!(
        authenticate(&s, &key, at(40)).await,
        Err(Refusal::Revoked { .. })
    ));
}

/// A malformed or huge key is refused without the store: here the store's
/// file is gone, and the refusal is still `Malformed`, not `Unavailable`.
#[tokio::test]
async fn a_malformed_key_never_reaches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = mk_issued(&dir).await;
    let auth = Authenticator::new(s.clone());
    let huge = "x".repeat(1 << 20);
    for bad in [&huge[..], "", &key[..key.len() - 1], &key.to_uppercase()] {
        assert!(matches!(
            auth.authenticate(bad, at(20)).await,
            Err(Refusal::Malformed(_))
        ));
    }
    assert_eq!(auth.cache().len(), 0);
}

/// Answers are cached for the TTL: a revoked key is still accepted from
/// the cache within it, and refused once it has passed (TTL zero: at once).
#[tokio::test]
async fn the_cache_serves_answers_for_its_ttl_only() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = mk_issued(&dir).await;
    let long = Authenticator::with_ttl(s.clone(), Duration::from_secs(3_600));
    let fresh = Authenticator::with_ttl(s.clone(), Duration::ZERO);
    let p = long.authenticate(&key, at(20)).await.unwrap();
    fresh.authenticate(&key, at(20)).await.unwrap();
    s.revoke_key(&p.key_prefix, at(30)).await.unwrap();
    assert_eq!(long.authenticate(&key, at(40)).await.unwrap(), p);
    assert!(matches!(
        fresh.authenticate(&key, at(40)).await,
        Err(Refusal::Revoked { .. })
    ));
    // Expiry is decided on each use, cached or not.
    assert!(matches!(
        long.authenticate(&key, at(10 + 3_600)).await,
        Err(Refusal::Expired { .. })
    ));
    assert_eq!(CACHE_TTL, Duration::from_secs(5));
}

/// The proxy shares one authenticator between requests on a
/// multi-threaded runtime: it, the store and its futures cross threads.
#[test]
fn the_authenticator_and_its_futures_can_cross_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    fn sendable<F: std::future::Future + Send>(_: &F) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let (s, key) = mk_issued(&dir).await;
        let auth = Authenticator::new(s.clone());
        shared(&auth);
        shared(&s);
        let fut = auth.authenticate(&key, at(20));
        sendable(&fut);
        assert!(fut.await.is_ok());
        let fut = s.keys();
        sendable(&fut);
        assert_eq!(fut.await.unwrap().len(), 1);
    });
}

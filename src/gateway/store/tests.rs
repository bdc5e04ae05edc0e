use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;

use super::*;
use crate::gateway::{admin, keys};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

async fn mk_store(dir: &tempfile::TempDir) -> Store {
    Store::open_sqlite(&dir.path().join("gateway.db"), at(1_000))
        .await
        .unwrap()
}

/// A new store in a fresh database of the test PostgreSQL server.
#[cfg(unix)]
pub(super) async fn mk_pg_store() -> Store {
    let url = postgres::testdb::fresh_db();
    Store::open(&StoreLocation::parse(&url).unwrap(), at(1_000))
        .await
        .unwrap()
}

/// `s` with team `core`, member `ann` in it.
async fn with_team(s: &Store) {
    s.add_team("core", at(1_000)).await.unwrap();
    s.add_member("ann", "core", at(1_000)).await.unwrap();
}

/// The store's contract, which every backend keeps: each of these runs on
/// a new SQLite file and on a new PostgreSQL database.
macro_rules! on_both_backends {
    ($($contract:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $contract() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$contract(&super::mk_store(&dir).await).await;
                }
            )*
        }
        #[cfg(unix)]
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $contract() {
                    super::$contract(&super::mk_pg_store().await).await;
                }
            )*
        }
    };
}

on_both_backends!(
    teams_and_members_are_listed_and_unknown_names_say_what_exists,
    sql_looking_names_are_plain_data,
    a_key_keeps_its_settings_and_is_found_by_prefix,
    revoking_keeps_the_first_time_and_rotating_keeps_the_settings,
    a_prefix_in_use_is_refused,
    members_and_teams_carry_budgets_that_keys_report,
    spend_is_summed_per_scope_by_utc_day_and_month,
    the_ledger_is_summed_by_member_team_project_model_and_utc_day,
    the_ledger_is_summed_per_utc_day_and_team,
    the_latest_failures_come_newest_first,
    every_scopes_spend_this_month_is_read_at_once,
);

mod page;
use page::{
    every_scopes_spend_this_month_is_read_at_once, the_latest_failures_come_newest_first,
    the_ledger_is_summed_per_utc_day_and_team,
};

fn raw(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("gateway.db")).unwrap()
}

#[tokio::test]
async fn a_new_store_runs_every_step_once_and_is_marked_as_ours() {
    let dir = tempfile::tempdir().unwrap();
    drop(mk_store(&dir).await);
    drop(mk_store(&dir).await);
    let c = raw(&dir);
    let steps: Vec<(i64, i64)> = c
        .prepare("SELECT version, applied_at FROM schema_version ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want: Vec<(i64, i64)> = (1..=SCHEMA_VERSION).map(|v| (v, 1_000)).collect();
    assert_eq!(steps, want);
    let app: i32 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x6363_6777);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("gateway.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_store_from_a_newer_ccswitch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(mk_store(&dir).await);
    raw(&dir)
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)",
            [],
        )
        .unwrap();
    let err = Store::open_sqlite(&dir.path().join("gateway.db"), at(2_000))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, StoreError::Newer { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer ccswitch"), "{err}");
}

/// Someone else's database, or not a database at all, is left as it was.
#[tokio::test]
async fn a_file_that_is_not_a_gateway_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db");
    raw(&dir)
        .execute_batch("CREATE TABLE theirs (x); INSERT INTO theirs VALUES (1);")
        .unwrap();
    let err = Store::open_sqlite(&path, at(1)).await.err().unwrap();
    assert!(matches!(err, StoreError::NotOurs { .. }), "{err:?}");
    let n: i64 = raw(&dir)
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "not a database, just text that is long enough").unwrap();
    let err = Store::open_sqlite(&text, at(1)).await.err().unwrap();
    assert!(matches!(err, StoreError::NotOurs { .. }), "{err:?}");
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .starts_with("not a database")
    );
}

async fn teams_and_members_are_listed_and_unknown_names_say_what_exists(s: &Store) {
    with_team(s).await;
    s.add_team("web", at(1_001)).await.unwrap();
    s.add_member("bo", "web", at(1_002)).await.unwrap();
    let teams: Vec<String> = s
        .teams()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(teams, ["core", "web"]);
    let members: Vec<(String, String)> = s
        .members()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.name, m.team))
        .collect();
    assert_eq!(
        members,
        [("ann".into(), "core".into()), ("bo".into(), "web".into())]
    );
    match s.add_member("cy", "ops", at(1)).await {
        Err(StoreError::UnknownTeam { name, known }) => {
            assert_eq!(
                (name.as_str(), known),
                ("ops", vec!["core".into(), "web".into()])
            );
        }
        other => panic!("{:?}", other.map(|m| m.name)),
    }
    assert!(matches!(
        s.add_team("core", at(1)).await,
        Err(StoreError::TeamExists { .. })
    ));
    match s.add_member("ann", "web", at(1)).await {
        Err(StoreError::MemberExists { team, .. }) => assert_eq!(team, "core"),
        other => panic!("{:?}", other.map(|m| m.name)),
    }
    assert!(matches!(
        s.add_team(" padded", at(1)).await,
        Err(StoreError::BadName { .. })
    ));
}

/// Issue 24, bad input: names that look like SQL are stored, listed and
/// looked up as the text they are, and the store works on.
async fn sql_looking_names_are_plain_data(s: &Store) {
    let team = "t'); DROP TABLE keys;--";
    let member = "Robert'); DROP TABLE members;--";
    let profile = "p\" OR 1=1 --";
    s.add_team(team, at(1)).await.unwrap();
    s.add_member(member, team, at(1)).await.unwrap();
    let settings = KeySettings {
        profiles: vec![profile.into()],
        ..KeySettings::default()
    };
    let issued = admin::issue(s, member, settings, None, at(2))
        .await
        .unwrap();
    let keys = s.keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].member, member);
    assert_eq!(keys[0].team, team);
    assert_eq!(keys[0].settings.profiles, [profile]);
    assert_eq!(s.members().await.unwrap()[0].name, member);
    assert_eq!(s.teams().await.unwrap()[0].name, team);
    let found = s
        .key_by_hash(keys::hash(issued.key.expose_secret()))
        .await
        .unwrap();
    assert_eq!(found.map(|k| k.member).as_deref(), Some(member));
    assert!(matches!(
        s.add_member(member, team, at(3)).await,
        Err(StoreError::MemberExists { .. })
    ));
    let revoked = s.revoke_key(&keys[0].prefix, at(4)).await.unwrap();
    assert_eq!(revoked.status(at(4)), KeyStatus::Revoked);
    with_team(s).await;
    assert_eq!(s.teams().await.unwrap().len(), 2);
}

/// SQLite: no table went either.
#[tokio::test]
async fn sql_looking_names_drop_no_sqlite_table() {
    let dir = tempfile::tempdir().unwrap();
    sql_looking_names_are_plain_data(&mk_store(&dir).await).await;
    let tables: i64 = raw(&dir)
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        tables, 8,
        "teams, members, keys, key_profiles, spend, requests, rates, schema_version"
    );
}

/// A key's settings, member and team come back as issued (profiles once
/// each, sorted), by hash and by prefix.
async fn a_key_keeps_its_settings_and_is_found_by_prefix(s: &Store) {
    with_team(s).await;
    let settings = KeySettings {
        profiles: vec!["work".into(), "cheap".into(), "work".into()],
        budgets: Budgets {
            daily_usd: Some(5.0),
            monthly_usd: Some(100.0),
        },
        limits: RateLimits {
            rpm: Some(60),
            tpm: Some(100_000),
        },
    };
    let month = Duration::from_secs(30 * 86_400);
    let issued = admin::issue(s, "ann", settings, Some(month), at(5_000))
        .await
        .unwrap();
    let key = issued.key.expose_secret().to_owned();
    let r = &issued.record;
    assert_eq!(r.prefix, key[..keys::PREFIX_LEN]);
    assert_eq!((r.member.as_str(), r.team.as_str()), ("ann", "core"));
    assert_eq!(r.settings.profiles, ["cheap", "work"]);
    assert_eq!(r.settings.budgets.daily_usd, Some(5.0));
    assert_eq!(r.settings.budgets.monthly_usd, Some(100.0));
    assert_eq!(r.settings.limits.rpm, Some(60));
    assert_eq!(r.settings.limits.tpm, Some(100_000));
    assert_eq!(r.expires_at, Some(at(5_000) + month));
    assert_eq!(r.created_at, at(5_000));
    assert_eq!(r.status(at(5_001)), KeyStatus::Active);
    assert_eq!(s.key_by_prefix(&r.prefix).await.unwrap(), *r);
    assert_eq!(
        s.key_by_hash(keys::hash(&key)).await.unwrap().as_ref(),
        Some(r)
    );
    assert_eq!(s.keys().await.unwrap(), std::slice::from_ref(r));
    assert_eq!(s.key_by_hash(keys::mint().hash).await.unwrap(), None);
}

/// SQLite: the key itself is in none of the store's files.
#[tokio::test]
async fn a_key_is_stored_as_its_hash_and_prefix_never_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let s = mk_store(&dir).await;
    with_team(&s).await;
    let issued = admin::issue(&s, "ann", KeySettings::default(), None, at(5_000))
        .await
        .unwrap();
    let key = issued.key.expose_secret().to_owned();
    drop(s);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!has(key.as_bytes()), "the key is in the store's files");
    assert!(
        !has(&key.as_bytes()[keys::PREFIX_LEN..]),
        "its secret part too"
    );
    assert!(has(&keys::hash(&key).0), "its hash is not");
}

async fn revoking_keeps_the_first_time_and_rotating_keeps_the_settings(s: &Store) {
    with_team(s).await;
    let settings = KeySettings {
        profiles: vec!["work".into()],
        limits: RateLimits {
            rpm: Some(10),
            tpm: None,
        },
        ..KeySettings::default()
    };
    let day = Duration::from_secs(86_400);
    let first = admin::issue(s, "ann", settings.clone(), Some(day), at(1_000))
        .await
        .unwrap();
    let rotated = admin::rotate(s, &first.record.prefix, at(2_000))
        .await
        .unwrap();
    assert_eq!(rotated.old.revoked_at, Some(at(2_000)));
    assert_eq!(rotated.new.settings, settings);
    assert_eq!(rotated.new.member, "ann");
    assert_eq!(rotated.new.expires_at, Some(at(2_000) + day));
    assert_eq!(
        rotated.new.rotated_from.as_deref(),
        Some(&*first.record.prefix)
    );
    assert_ne!(rotated.new.prefix, first.record.prefix);
    assert!(matches!(
        admin::rotate(s, &first.record.prefix, at(3_000)).await,
        Err(StoreError::Revoked { .. })
    ));
    let again = s.revoke_key(&first.record.prefix, at(4_000)).await.unwrap();
    assert_eq!(again.revoked_at, Some(at(2_000)));
    let new = s.revoke_key(&rotated.new.prefix, at(5_000)).await.unwrap();
    assert_eq!(new.status(at(5_000)), KeyStatus::Revoked);
    match s.revoke_key("ccsk_nothere", at(1)).await {
        Err(StoreError::UnknownKey { known, .. }) => assert_eq!(known.len(), 2),
        other => panic!("{:?}", other.map(|k| k.prefix)),
    }
    assert!(matches!(
        admin::issue(s, "nobody", KeySettings::default(), None, at(1)).await,
        Err(StoreError::UnknownMember { .. })
    ));
}

/// Two keys can share a display prefix only by chance; the store refuses
/// the second, and `admin::issue` mints again.
async fn a_prefix_in_use_is_refused(s: &Store) {
    with_team(s).await;
    let m = keys::mint();
    let new = |hash| NewKey {
        prefix: m.prefix.clone(),
        hash,
        member: "ann".into(),
        settings: KeySettings::default(),
        created_at: at(1),
        expires_at: None,
    };
    s.add_key(new(m.hash)).await.unwrap();
    let other = keys::mint().hash;
    assert!(matches!(
        s.add_key(new(other)).await,
        Err(StoreError::PrefixTaken { .. })
    ));
}

async fn members_and_teams_carry_budgets_that_keys_report(s: &Store) {
    with_team(s).await;
    let b = Budgets {
        daily_usd: Some(5.0),
        monthly_usd: Some(50.0),
    };
    assert_eq!(s.set_team_budgets("core", b).await.unwrap().budgets, b);
    let m = s
        .set_member_budgets(
            "ann",
            Budgets {
                daily_usd: Some(1.0),
                monthly_usd: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (m.budgets.daily_usd, m.budgets.monthly_usd),
        (Some(1.0), None)
    );
    assert_eq!(s.teams().await.unwrap()[0].budgets, b);
    assert_eq!(s.members().await.unwrap()[0].budgets, m.budgets);
    let issued = admin::issue(s, "ann", KeySettings::default(), None, at(1_000))
        .await
        .unwrap();
    let k = s.key_by_prefix(&issued.record.prefix).await.unwrap();
    assert_eq!((k.team_budgets, k.member_budgets), (b, m.budgets));
    assert_eq!(k.member_id, m.id);
    // Cleared with Nones; unknown names and bad amounts are refused.
    let none = Budgets::default();
    assert_eq!(
        s.set_team_budgets("core", none).await.unwrap().budgets,
        none
    );
    assert!(matches!(
        s.set_team_budgets("nope", b).await,
        Err(StoreError::UnknownTeam { .. })
    ));
    assert!(matches!(
        s.set_member_budgets("nope", b).await,
        Err(StoreError::UnknownMember { .. })
    ));
    let bad = Budgets {
        daily_usd: Some(-1.0),
        monthly_usd: None,
    };
    assert!(matches!(
        s.set_member_budgets("ann", bad).await,
        Err(StoreError::BadSetting { .. })
    ));
}

async fn spend_is_summed_per_scope_by_utc_day_and_month(s: &Store) {
    use spend::Owner;
    let ann = Owner {
        key_id: 1,
        member_id: 1,
        team_id: 1,
    };
    // Bob: another key and member, the same team.
    let bob = Owner {
        key_id: 2,
        member_id: 2,
        team_id: 1,
    };
    // 2026-12-07 is day 20794; the month began on day 20788.
    let today = 20_794;
    let spend = |owner, day: i64, usd| {
        s.record_request(spend::RequestRow {
            at_ms: day * 86_400_000 + 3_600_000,
            owner,
            cost_usd: usd,
            input_tokens: 10,
            ..spend::RequestRow::default()
        })
    };
    spend(ann, today, 1.25).await.unwrap();
    spend(ann, today, 0.25).await.unwrap();
    spend(ann, today - 3, 2.0).await.unwrap();
    spend(ann, 20_787, 9.0).await.unwrap(); // November
    spend(bob, today, 0.5).await.unwrap();
    let got = s.spent(ann, today).await.unwrap();
    assert_eq!((got.key.day_usd, got.key.month_usd), (1.5, 3.5));
    assert_eq!((got.member.day_usd, got.member.month_usd), (1.5, 3.5));
    assert_eq!((got.team.day_usd, got.team.month_usd), (2.0, 4.0));
    let bobs = s.spent(bob, today).await.unwrap();
    assert_eq!((bobs.key.day_usd, bobs.team.month_usd), (0.5, 4.0));
    // Nothing spent yet: zeros, not an error.
    let fresh = s.spent(ann, today + 40).await.unwrap();
    assert_eq!(fresh, spend::OwnerSpent::default());
}

async fn the_ledger_is_summed_by_member_team_project_model_and_utc_day(s: &Store) {
    use spend::{LedgerGroup, Owner, RequestRow};
    let day = 20_794i64 * 86_400_000;
    let row = |member: &str, team: &str, project: Option<&str>, hour: i64, usd: f64| RequestRow {
        at_ms: day + hour * 3_600_000,
        owner: Owner::default(),
        member: member.into(),
        team: team.into(),
        project: project.map(Into::into),
        model: "m".into(),
        input_tokens: 100,
        output_tokens: 10,
        cost_usd: usd,
        status: 200,
        ..RequestRow::default()
    };
    s.record_request(row(
        "ann",
        "core",
        Some("x'); DROP TABLE requests;--"),
        1,
        1.0,
    ))
    .await
    .unwrap();
    s.record_request(row("ann", "core", None, 2, 2.0))
        .await
        .unwrap();
    s.record_request(RequestRow {
        error: Some("rate_limited".into()),
        status: 429,
        ..row("bob", "ops", None, 25, 0.5)
    })
    .await
    .unwrap();
    let all = s.usage(0, i64::MAX, None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].1.requests, all[0].1.errors, all[0].1.input_tokens),
        (3, 1, 300)
    );
    let members = s
        .usage(0, i64::MAX, Some(LedgerGroup::Member))
        .await
        .unwrap();
    let names: Vec<_> = members
        .iter()
        .map(|(k, v)| (k.as_str(), v.cost_usd))
        .collect();
    assert_eq!(names, [("ann", 3.0), ("bob", 0.5)]);
    let projects = s
        .usage(0, i64::MAX, Some(LedgerGroup::Project))
        .await
        .unwrap();
    assert!(
        projects
            .iter()
            .any(|(k, _)| k == "x'); DROP TABLE requests;--")
    );
    assert!(projects.iter().any(|(k, v)| k == "-" && v.requests == 2));
    let days = s.usage(0, i64::MAX, Some(LedgerGroup::Day)).await.unwrap();
    let days: Vec<_> = days.iter().map(|(k, v)| (k.as_str(), v.requests)).collect();
    assert_eq!(days, [("2026-12-07", 2), ("2026-12-08", 1)]);
    // The range is [since, until).
    let first_day = s
        .usage(day, day + 86_400_000, Some(LedgerGroup::Team))
        .await
        .unwrap();
    assert_eq!(first_day.len(), 1);
    assert_eq!(first_day[0].0, "core");
}

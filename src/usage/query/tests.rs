use super::*;
use crate::usage::db;
use crate::usage::testing::{filled_ledger, ledger_path, open_ledger};
use crate::usage::{Attribution, Record};

const DAY: i64 = 86_400_000;
/// 2026-11-10 12:00 UTC: the same date in every zone within ±11 h.
const NOON: i64 = 1_794_312_000_000;

fn filled() -> (tempfile::TempDir, Connection) {
    let (dir, path) = filled_ledger(&[
        (NOON, "s1", "work", "ds", "pro", 1_000_000, 0),
        (NOON + 60_000, "s1", "work", "ds", "flash", 0, 1_000_000),
        (NOON + DAY, "s2", "home", "ds", "pro", 1_000_000, 1_000_000),
        (NOON + DAY, "s2", "home", "local", "qwen", 5, 5),
        (NOON + 2 * DAY, "s3", "work", "ds", "pro", 2_000_000, 0),
    ]);
    let conn = db::open_read(&path).expect("read");
    (dir, conn)
}

fn all() -> Filter {
    Filter {
        since_ms: 0,
        until_ms: i64::MAX / 2,
        profile: None,
    }
}

#[test]
fn totals_add_up_to_the_token_and_cent() {
    let (_d, conn) = filled();
    let t = total(&conn, &all()).expect("total");
    assert_eq!(t.requests, 5);
    assert_eq!(t.input_tokens, 4_000_005);
    assert_eq!(t.cache_read_tokens, 2_000_005);
    assert_eq!(t.output_tokens, 50);
    // 4 M input at $1 + 2 M cache reads at $0.5 + 40 output tokens at $2/M.
    assert!((t.cost_usd - 5.00008).abs() < 1e-9, "{}", t.cost_usd);
    assert!((t.cache_read_cost_usd - 1.0).abs() < 1e-9);
    assert_eq!(t.unpriced_requests, 1, "the local model has no price");
    assert!((t.cache_share() - 2_000_005.0 / 6_000_010.0).abs() < 1e-12);
}

#[test]
fn grouping_and_filters() {
    let (_d, conn) = filled();
    let by_model = grouped(&conn, &all(), By::Model).expect("model");
    let keys: Vec<_> = by_model.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["ds/pro", "ds/flash", "local/qwen"], "by cost");
    let days = grouped(&conn, &all(), By::Day).expect("day");
    let keys: Vec<_> = days.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["2026-11-10", "2026-11-11", "2026-11-12"]);
    let work = Filter {
        profile: Some("work".into()),
        ..all()
    };
    let sessions = grouped(&conn, &work, By::Session).expect("session");
    let keys: Vec<_> = sessions.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["s3", "s1"]);
    // Half-open ranges on bucket boundaries.
    let first_day = Filter {
        since_ms: NOON,
        until_ms: NOON + DAY,
        profile: None,
    };
    assert_eq!(total(&conn, &first_day).expect("t").requests, 2);
}

#[test]
fn ragged_ranges_are_exact() {
    let (_d, conn) = filled();
    // Starts 30 s into the first row's bucket: only the row a minute in.
    let f = |since_ms, until_ms| Filter {
        since_ms,
        until_ms,
        profile: None,
    };
    let t = total(&conn, &f(NOON + 30_000, NOON + DAY + 1)).expect("t");
    assert_eq!(t.requests, 3, "flash, and both rows of day two");
    assert_eq!(t.cache_read_tokens, 1_000_000 + 1_000_000 + 5);
    // Inside one bucket.
    let t = total(&conn, &f(NOON + 1, NOON + 60_001)).expect("t");
    assert_eq!(t.requests, 1);
    let models = grouped(&conn, &f(NOON + 30_000, NOON + 3 * DAY), By::Model).expect("g");
    let pro = models.iter().find(|g| g.key == "ds/pro").expect("pro");
    assert_eq!(pro.sums.requests, 2);
    let local = models
        .iter()
        .find(|g| g.key == "local/qwen")
        .expect("local");
    assert_eq!(local.sums.unpriced_requests, 1);
    assert_eq!(local.sums.cost_usd, 0.0);
}

#[test]
fn local_times_parse_and_bounds_order() {
    let conn = db::empty().expect("mem");
    let day = local_time(&conn, "2026-11-10", false)
        .expect("q")
        .expect("date");
    let end = local_time(&conn, "2026-11-10", true)
        .expect("q")
        .expect("date");
    assert_eq!(end - day, DAY);
    let at = local_time(&conn, "2026-11-10 09:30", true)
        .expect("q")
        .expect("time");
    assert_eq!(at - day, 9 * 3_600_000 + 30 * 60_000);
    assert_eq!(local_time(&conn, "7d", false).expect("q"), None);
    assert_eq!(local_time(&conn, "2026-13-99", false).expect("q"), None);
    let b = bounds(&conn, NOON / 1000).expect("bounds");
    assert!(b.days30 < b.week && b.week < b.today && b.today <= NOON && NOON < b.tomorrow);
    assert!(b.month <= b.today);
    assert_eq!(b.today - b.week, 6 * DAY);
}

#[test]
fn only_real_calendar_times_are_local_times() {
    for ok in [
        "2026-02-28",
        "2028-02-29",
        "2000-02-29",
        "2026-12-31 23:59",
        "2026-01-01T00:00",
        "2026-01-01 00:00:59",
    ] {
        assert!(is_local_time(ok), "{ok}");
    }
    for bad in [
        "2026-02-29",
        "1900-02-29",
        "2026-02-30",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-02-28 24:00",
        "2026-02-28 23:60",
        "2026-02-28 23:59:60",
        "2026-02-28 9:30",
        "2026-02-28 09:30Z",
        "2026/02/28",
        "20260228",
        "7d",
        "",
    ] {
        assert!(!is_local_time(bad), "{bad}");
    }
    let conn = db::empty().expect("mem");
    assert_eq!(local_time(&conn, "2026-02-30", false).expect("q"), None);
    // Past SQLite's dates: no number, rather than an error.
    assert_eq!(days_back(&conn, NOON / 1000, 5_000_000).expect("q"), None);
}

#[test]
fn whole_days_read_the_daily_sums_and_agree_with_the_rollup() {
    let (_d, conn) = filled();
    let day = |d: &str| local_time(&conn, d, false).expect("q").expect("date");
    let days = Filter {
        since_ms: day("2026-11-10"),
        until_ms: day("2026-11-12"),
        profile: None,
    };
    assert!(whole_days(&conn, &days).expect("q").is_some());
    // The same range a millisecond wider takes the rollup path.
    let ragged = Filter {
        since_ms: days.since_ms - 1,
        ..days.clone()
    };
    assert!(whole_days(&conn, &ragged).expect("q").is_none());
    let (a, b) = (
        total(&conn, &days).expect("t"),
        total(&conn, &ragged).expect("t"),
    );
    assert_eq!(a, b);
    assert_eq!(a.requests, 4);
    let by_day = grouped(&conn, &days, By::Day).expect("g");
    let keys: Vec<_> = by_day.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["2026-11-10", "2026-11-11"]);
    assert_eq!(
        grouped(&conn, &days, By::Session).expect("g"),
        grouped(&conn, &ragged, By::Session).expect("g")
    );
}

#[test]
fn day_keys_end_today_oldest_first() {
    let (_dir, conn) = filled();
    let keys = day_keys(&conn, NOON / 1000, 3).expect("keys");
    assert_eq!(keys, ["2026-11-08", "2026-11-09", "2026-11-10"]);
    assert_eq!(day_keys(&conn, NOON / 1000, 30).expect("keys").len(), 30);
}

#[test]
fn a_session_belongs_to_the_profile_of_its_last_row() {
    let (_dir, path) = ledger_path();
    let l = open_ledger(&path, Box::new(|_, _| None));
    let sink = l.sink().expect("sink");
    let rows = [
        (NOON, Some("cc-a"), "work"),
        (NOON + 1000, Some("cc-b"), "home"),
        // cc-a resumed on another profile.
        (NOON + DAY, Some("cc-a"), "home"),
        (NOON + DAY, None, "work"),
        (NOON - DAY, Some("cc-old"), "work"),
    ];
    for (at_ms, cc, profile) in rows {
        sink.send(Record {
            at_ms,
            cc_session: cc.map(str::to_string),
            profile: profile.into(),
            ..Record::sample()
        });
    }
    l.close();
    let conn = db::open_read(&path).expect("read");
    let ids: Vec<String> = ["cc-a", "cc-b", "cc-old", "cc-none"]
        .map(String::from)
        .to_vec();
    let found = session_profiles(&conn, &ids, NOON).expect("query");
    let want: HashMap<String, String> = [("cc-a", "home"), ("cc-b", "home")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
    assert_eq!(found, want, "cc-old is before the bound, cc-none unknown");
    let all = session_profiles(&conn, &ids, 0).expect("query");
    assert_eq!(all.get("cc-old").map(String::as_str), Some("work"));
    assert!(session_profiles(&conn, &[], 0).expect("none").is_empty());
}

#[test]
fn members_teams_and_projects_group_from_every_source_unknown_as_a_dash() {
    let (_dir, path) = ledger_path();
    let l = open_ledger(&path, Box::new(|_, _| None));
    let sink = l.sink().expect("sink");
    let who = |member: Option<&str>, team: Option<&str>, project: Option<&str>| Attribution {
        member: member.map(Into::into),
        team: team.map(Into::into),
        key_prefix: member.map(|_| "ccsk_ab12".into()),
        project: project.map(Into::into),
    };
    let rows = [
        (NOON, who(Some("ann"), Some("core"), Some("web"))),
        (NOON + 1000, who(Some("ann"), Some("core"), Some("api"))),
        (NOON + 2000, who(Some("bob"), Some("core"), Some("web"))),
        (NOON + 3000, who(None, None, None)),
    ];
    for (at_ms, who) in rows {
        sink.send(Record {
            at_ms,
            who,
            ..Record::sample()
        });
    }
    l.close();
    let conn = db::open_read(&path).expect("read");
    let day = |d: &str| local_time(&conn, d, false).expect("q").expect("date");
    let days = Filter {
        since_ms: day("2026-11-10"),
        until_ms: day("2026-11-11"),
        profile: None,
    };
    // Daily sums, rollup and single rows answer alike.
    let ragged = Filter {
        since_ms: NOON + 500,
        ..days.clone()
    };
    let counts = |f: &Filter, by: By| -> Vec<(String, u64)> {
        let mut g: Vec<_> = grouped(&conn, f, by)
            .expect("grouped")
            .into_iter()
            .map(|g| (g.key, g.sums.requests))
            .collect();
        g.sort();
        g
    };
    let s = |k: &str, n: u64| (k.to_string(), n);
    assert_eq!(
        counts(&days, By::Member),
        [s("-", 1), s("ann", 2), s("bob", 1)]
    );
    assert_eq!(counts(&days, By::Team), [s("-", 1), s("core", 3)]);
    assert_eq!(
        counts(&days, By::Project),
        [s("-", 1), s("api", 1), s("web", 2)]
    );
    assert_eq!(
        counts(&ragged, By::Member),
        [s("-", 1), s("ann", 1), s("bob", 1)]
    );
    assert_eq!(counts(&all(), By::Project), counts(&days, By::Project));
    let prefix: Option<String> = conn
        .query_row(
            "SELECT key_prefix FROM requests WHERE member = 'bob'",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(prefix.as_deref(), Some("ccsk_ab12"));
}

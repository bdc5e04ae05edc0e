//! The store's contract for what the usage page reads: spend per day and
//! team, the latest failures, and every scope's spend this month.

use super::super::Store;
use super::super::spend::{FailedRequest, LedgerGroup, Owner, RequestRow, ScopeRow, ScopeSpent};

/// 2026-12-07, UTC, in days since 1970; its month began on day 20788.
const DAY: i64 = 20_794;
const DAY_MS: i64 = 86_400_000;

fn row(owner: Owner, team: &str, day: i64, hour: i64, usd: f64) -> RequestRow {
    RequestRow {
        at_ms: day * DAY_MS + hour * 3_600_000,
        owner,
        member: format!("m{}", owner.member_id),
        team: team.into(),
        provider: "oa".into(),
        model: "m".into(),
        input_tokens: 100,
        cost_usd: usd,
        status: 200,
        ..RequestRow::default()
    }
}

fn owner(key_id: i64, member_id: i64, team_id: i64) -> Owner {
    Owner {
        key_id,
        member_id,
        team_id,
    }
}

pub(super) async fn the_ledger_is_summed_per_utc_day_and_team(s: &Store) {
    let (ann, bob) = (owner(1, 1, 1), owner(2, 2, 2));
    for r in [
        row(ann, "core", DAY - 1, 23, 1.0),
        row(ann, "core", DAY, 0, 2.0),
        row(ann, "core", DAY, 5, 0.5),
        row(bob, "x'); DROP TABLE requests;--", DAY, 1, 4.0),
        row(bob, "ops", DAY + 1, 0, 8.0),
    ] {
        s.record_request(r).await.unwrap();
    }
    let got = s
        .usage_by_day_and(DAY_MS * (DAY - 1), DAY_MS * (DAY + 1), LedgerGroup::Team)
        .await
        .unwrap();
    let got: Vec<(&str, &str, u64, f64)> = got
        .iter()
        .map(|(d, k, v)| (d.as_str(), k.as_str(), v.requests, v.cost_usd))
        .collect();
    // Days oldest first, then keys bytewise; the next day is outside.
    assert_eq!(
        got,
        [
            ("2026-12-06", "core", 1, 1.0),
            ("2026-12-07", "core", 2, 2.5),
            ("2026-12-07", "x'); DROP TABLE requests;--", 1, 4.0),
        ]
    );
    let by_member = s
        .usage_by_day_and(0, i64::MAX, LedgerGroup::Member)
        .await
        .unwrap();
    assert_eq!(by_member.len(), 4, "{by_member:?}");
    assert_eq!(by_member[3].1, "m2");
}

pub(super) async fn the_latest_failures_come_newest_first(s: &Store) {
    let ann = owner(1, 1, 1);
    let failed = |hour, status: u16, error: &str| RequestRow {
        status,
        error: Some(error.into()),
        project: Some("web".into()),
        ..row(ann, "core", DAY, hour, 0.0)
    };
    s.record_request(failed(1, 429, "rate_limited"))
        .await
        .unwrap();
    s.record_request(row(ann, "core", DAY, 2, 1.0))
        .await
        .unwrap();
    s.record_request(failed(3, 529, "overloaded"))
        .await
        .unwrap();
    s.record_request(failed(4, 500, "upstream")).await.unwrap();
    let got = s.recent_errors(0, 2).await.unwrap();
    assert_eq!(
        got,
        [
            FailedRequest {
                at_ms: DAY * DAY_MS + 4 * 3_600_000,
                member: "m1".into(),
                team: "core".into(),
                project: Some("web".into()),
                provider: "oa".into(),
                model: "m".into(),
                status: 500,
                error: "upstream".into(),
            },
            FailedRequest {
                at_ms: DAY * DAY_MS + 3 * 3_600_000,
                status: 529,
                error: "overloaded".into(),
                ..got[0].clone()
            },
        ]
    );
    // Only those at or after `since`.
    let since = DAY * DAY_MS + 2 * 3_600_000;
    assert_eq!(s.recent_errors(since, 20).await.unwrap().len(), 2);
    assert!(s.recent_errors(i64::MAX, 20).await.unwrap().is_empty());
}

pub(super) async fn every_scopes_spend_this_month_is_read_at_once(s: &Store) {
    let (ann, bob) = (owner(1, 1, 1), owner(2, 2, 1));
    for r in [
        row(ann, "core", DAY, 1, 1.25),
        row(ann, "core", DAY - 2, 1, 2.0),
        row(ann, "core", DAY - 7, 1, 9.0), // the month before
        row(bob, "core", DAY, 1, 0.5),
        row(bob, "core", DAY + 1, 1, 100.0), // after the day asked about
    ] {
        s.record_request(r).await.unwrap();
    }
    let got = s.spent_all(DAY).await.unwrap();
    let spent = |day_usd, month_usd| ScopeSpent { day_usd, month_usd };
    let want = [
        ("key", 1, spent(1.25, 3.25)),
        ("key", 2, spent(0.5, 0.5)),
        ("member", 1, spent(1.25, 3.25)),
        ("member", 2, spent(0.5, 0.5)),
        ("team", 1, spent(1.75, 3.75)),
    ]
    .map(|(scope, id, spent)| ScopeRow {
        scope: scope.into(),
        id,
        spent,
    });
    assert_eq!(got, want);
    assert!(s.spent_all(DAY + 60).await.unwrap().is_empty());
}

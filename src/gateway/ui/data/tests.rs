use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::gateway::admin;
use crate::gateway::store::KeySettings;
use crate::gateway::store::spend::{Owner, RequestRow};

/// 2026-12-07 10:30 UTC (day 20794; its month began on day 20788).
const NOW_MS: i64 = 20_794 * DAY_MS + 10 * 3_600_000 + 30 * 60_000;

fn at_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms as u64)
}

#[test]
fn times_and_dates_are_utc() {
    assert_eq!(utc_time(NOW_MS + 5_000), "2026-12-07 10:30:05");
    assert_eq!(date(0), "1970-01-01");
    assert_eq!(utc_time(-1), "1969-12-31 23:59:59");
}

#[tokio::test]
async fn the_store_is_read_into_the_pages_figures() {
    let dir = tempfile::tempdir().unwrap();
    let now = at_ms(NOW_MS);
    let s = Store::open_sqlite(&dir.path().join("gateway.db"), now)
        .await
        .unwrap();
    s.add_team("core", now).await.unwrap();
    s.add_team("ops", now).await.unwrap();
    s.add_member("ann", "core", now).await.unwrap();
    s.add_member("bob", "ops", now).await.unwrap();
    let budgets = Budgets {
        daily_usd: Some(5.0),
        monthly_usd: None,
    };
    s.set_team_budgets("ops", budgets).await.unwrap();
    let settings = KeySettings {
        budgets,
        ..KeySettings::default()
    };
    let ann = admin::issue(&s, "ann", settings, None, now)
        .await
        .unwrap()
        .record;
    let old = admin::issue(&s, "ann", KeySettings::default(), None, now)
        .await
        .unwrap()
        .record;
    s.revoke_key(&old.prefix, now).await.unwrap();
    let bob = admin::issue(&s, "bob", KeySettings::default(), None, now)
        .await
        .unwrap()
        .record;
    let owner = |k: &crate::gateway::store::KeyRecord| Owner {
        key_id: k.id,
        member_id: k.member_id,
        team_id: k.team_id,
    };
    for (k, ago_days, usd, status, error) in [
        (&ann, 0, 1.0, 200, None),
        (&bob, 0, 3.0, 200, None),
        (&bob, 2, 0.5, 200, None),
        (&bob, 0, 0.0, 529, Some("overloaded")),
        (&ann, 20, 7.0, 200, None), // before the range and the month
    ] {
        s.record_request(RequestRow {
            at_ms: NOW_MS - ago_days * DAY_MS - 1_000,
            owner: owner(k),
            key_prefix: k.prefix.clone(),
            member: k.member.clone(),
            team: k.team.clone(),
            model: "m".into(),
            status,
            error: error.map(Into::into),
            cost_usd: usd,
            input_tokens: 10,
            ..RequestRow::default()
        })
        .await
        .unwrap();
    }

    let snap = load(&s, now, 7).await.unwrap();
    assert_eq!(snap.as_of, "2026-12-07 10:30");
    assert_eq!((snap.today.requests, snap.today.cost_usd), (3, 4.0));
    assert_eq!((snap.month.requests, snap.month.cost_usd), (4, 4.5));
    assert_eq!((snap.range.errors, snap.range.cost_usd), (1, 4.5));
    assert_eq!(snap.teams[0].0, "ops", "the biggest spender first");
    assert_eq!(snap.member_teams["bob"], "ops");
    assert_eq!(snap.chart.days.len(), 7);
    assert_eq!(snap.chart.days[6], "2026-12-07");
    assert_eq!(snap.chart.teams, ["ops", "core"]);
    assert_eq!(snap.chart.totals()[4..], [0.5, 0.0, 4.0]);
    assert_eq!(snap.errors.len(), 1);
    assert_eq!(snap.errors[0].status, 529);

    // Teams, then members, then live keys (not the revoked one).
    let rows: Vec<_> = snap
        .budgets
        .iter()
        .map(|b| (b.scope, b.name.as_str(), b.spent.day_usd, b.spent.month_usd))
        .collect();
    assert_eq!(
        rows,
        [
            (BudgetScope::Team, "core", 1.0, 1.0),
            (BudgetScope::Team, "ops", 3.0, 3.5),
            (BudgetScope::Member, "ann", 1.0, 1.0),
            (BudgetScope::Member, "bob", 3.0, 3.5),
            (BudgetScope::Key, ann.prefix.as_str(), 1.0, 1.0),
            (BudgetScope::Key, bob.prefix.as_str(), 3.0, 3.5),
        ]
    );
    assert_eq!(snap.budgets[1].budgets, budgets);
    assert_eq!(snap.budgets[4].budgets, budgets);
    assert_eq!(snap.budgets[5].member, "bob");

    // Nothing in range: an empty page with every day on the chart.
    let later = load(&s, at_ms(NOW_MS + 90 * DAY_MS), 30).await.unwrap();
    assert!(later.teams.is_empty() && later.errors.is_empty());
    assert_eq!(later.range, RowSums::default());
    assert_eq!(later.chart.days.len(), 30);
}

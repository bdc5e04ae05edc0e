use std::collections::HashMap;

use super::page;
use crate::gateway::store::Budgets;
use crate::gateway::store::spend::{FailedRequest, RowSums, ScopeSpent};
use crate::gateway::ui::data::{BudgetRow, BudgetScope, Chart, Snapshot};

fn sums(requests: u64, cost: f64) -> RowSums {
    RowSums {
        requests,
        input_tokens: 1_000 * requests,
        output_tokens: 250 * requests,
        cost_usd: cost,
        ..RowSums::default()
    }
}

fn group(key: &str, requests: u64, cost: f64) -> (String, RowSums) {
    (key.into(), sums(requests, cost))
}

fn budget(
    scope: BudgetScope,
    name: &str,
    member: &str,
    b: Budgets,
    spent: (f64, f64),
) -> BudgetRow {
    BudgetRow {
        scope,
        name: name.into(),
        member: member.into(),
        team: "core".into(),
        budgets: b,
        spent: ScopeSpent {
            day_usd: spent.0,
            month_usd: spent.1,
        },
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        days: 7,
        as_of: "2026-12-07 10:00".into(),
        today: sums(3, 1.5),
        month: sums(10, 12.25),
        range: sums(8, 9.0),
        teams: vec![group("core", 5, 6.0), group("-", 1, 0.5)],
        members: vec![group("<b>x</b>", 4, 4.75), group("ann", 4, 4.25)],
        projects: vec![group("web", 8, 9.0)],
        models: vec![group("oa/m-main", 8, 9.0)],
        member_teams: HashMap::from([("<b>x</b>".to_string(), "core".to_string())]),
        chart: Chart {
            days: vec!["2026-12-06".into(), "2026-12-07".into()],
            teams: vec!["core".into()],
            cost: vec![vec![3.0], vec![6.0]],
        },
        budgets: vec![
            budget(
                BudgetScope::Team,
                "core",
                "",
                Budgets {
                    daily_usd: None,
                    monthly_usd: Some(50.0),
                },
                (1.25, 12.5),
            ),
            budget(
                BudgetScope::Key,
                "ccsk_0123abcd",
                "ann",
                Budgets {
                    daily_usd: Some(5.0),
                    monthly_usd: Some(10.0),
                },
                (1.25, 12.0),
            ),
            budget(
                BudgetScope::Key,
                "ccsk_9999ffff",
                "bob",
                Budgets::default(),
                (0.0, 0.5),
            ),
        ],
        errors: vec![FailedRequest {
            at_ms: 20_794 * 86_400_000 + 9 * 3_600_000 + 59 * 60_000,
            member: "ann".into(),
            team: "core".into(),
            project: None,
            provider: "oa".into(),
            model: "m-main".into(),
            status: 529,
            error: "overloaded".into(),
        }],
    }
}

#[test]
fn the_page_shows_every_section_with_its_figures() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let html = page(&snapshot());
    assert!(html.starts_with("<!doctype html>"));
    for want in [
        "Team usage",
        "$1.50",
        "$12.25",
        "Last 7 days",
        "<strong>7 days</strong>",
        "href=\"/ui?days=30\"",
        "<td>web</td>",
        "<td>oa/m-main</td>",
        "$4.75",
        "<svg",
        "$3.75 left of $5",
        "$2.00 over $10",
        "no budget; $0.00 spent",
        "$37.50 left of $50",
        "<code>ccsk_0123abcd…</code>",
        "2026-12-07 09:59:00",
        "<td>oa/m-main</td><td class=\"bad\">529</td>",
        "overloaded",
        "529",
        "(none)",
        "As of 2026-12-07 10:00 UTC",
        "Today (UTC)",
    ] {
        assert!(html.contains(want), "missing {want:?} in:\n{html}");
    }
    // Token counts read short, with the exact number on hover.
    assert!(html.contains("title=\"10000\">10.0k<"), "{html}");
}

#[test]
fn stored_names_are_text_never_markup() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let mut s = snapshot();
    s.projects = vec![group("<script>alert(1)</script>", 1, 1.0)];
    s.budgets[1].member = "\"><img src=x>".into();
    let html = page(&s);
    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x&gt;"));
    for bad in ["<b>x", "<script", "<img"] {
        assert!(!html.contains(bad), "{bad} unescaped");
    }
    // The member's team came from the store, by its (raw) name.
    assert!(
        html.contains("<td>&lt;b&gt;x&lt;/b&gt;</td><td>core</td>"),
        "{html}"
    );
}

#[test]
fn an_empty_store_still_makes_a_page() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let empty = Snapshot {
        days: 30,
        ..Snapshot::default()
    };
    let html = page(&empty);
    assert!(html.contains("No requests in this range."), "{html}");
    assert!(html.contains("No spend in this range."));
    assert!(html.contains("No errors in this range."));
    assert!(html.contains("No teams, members or live keys."));
    assert!(html.contains("$0.00"));
}

#[test]
fn the_page_follows_the_language() {
    let html = crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || page(&snapshot()));
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(!html.contains("Team usage"));
}

use std::collections::HashMap;

use super::page;
use crate::gateway::store::Budgets;
use crate::gateway::ui::data::{Chart, KeyBudget, Snapshot};
use crate::usage::query::team::Failed;
use crate::usage::query::{Sums, UsageGroup};

fn sums(requests: u64, cost: f64) -> Sums {
    Sums {
        requests,
        input_tokens: 1_000 * requests,
        output_tokens: 250 * requests,
        cost_usd: cost,
        ..Sums::default()
    }
}

fn group(key: &str, requests: u64, cost: f64) -> UsageGroup {
    UsageGroup {
        key: key.into(),
        sums: sums(requests, cost),
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        days: 7,
        as_of: "2026-12-07 10:00".into(),
        recorded: true,
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
        keys: vec![
            KeyBudget {
                prefix: "ccsk_0123abcd".into(),
                member: "ann".into(),
                team: "core".into(),
                budgets: Budgets {
                    daily_usd: Some(5.0),
                    monthly_usd: Some(10.0),
                },
                today_usd: 1.25,
                month_usd: 12.0,
            },
            KeyBudget {
                prefix: "ccsk_9999ffff".into(),
                member: "bob".into(),
                team: "ops".into(),
                budgets: Budgets::default(),
                today_usd: 0.0,
                month_usd: 0.5,
            },
        ],
        errors: vec![Failed {
            at: "2026-12-07 09:59:00".into(),
            member: Some("ann".into()),
            team: Some("core".into()),
            project: None,
            model: "oa/m-main".into(),
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
        "overloaded",
        "529",
        "(none)",
        "As of 2026-12-07 10:00",
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
    s.keys[0].member = "\"><img src=x>".into();
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
fn an_empty_ledger_and_a_ledger_that_is_off_still_make_a_page() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let empty = Snapshot {
        days: 30,
        recorded: true,
        ..Snapshot::default()
    };
    let html = page(&empty);
    assert!(html.contains("No requests in this range."), "{html}");
    assert!(html.contains("No spend in this range."));
    assert!(html.contains("No errors in this range."));
    assert!(html.contains("No live keys."));
    assert!(html.contains("$0.00"));
    let off = page(&Snapshot::default());
    assert!(off.contains("not recorded"), "{off}");
    assert!(!off.contains("<svg"));
}

#[test]
fn the_page_follows_the_language() {
    let html = crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || page(&snapshot()));
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(!html.contains("Team usage"));
}

//! The usage page as HTML, from a [`Snapshot`]: a pure function, so what
//! the page says is tested without a server or a browser. Every stored
//! string (team, member, project and model names) goes through [`Esc`].
//! Days and months are UTC, as the store counts them: the page says so.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::chart;
use super::data::{BudgetRow, BudgetScope, Snapshot, utc_time};
use super::html::{Esc, document};
use super::session::RANGES;
use crate::gateway::store::spend::{FailedRequest, RowSums};
use crate::t;
use crate::usage::format::{short, usd, usd_limit};

/// The whole page.
pub fn page(s: &Snapshot) -> String {
    let mut b = String::with_capacity(32 * 1024);
    header(&mut b, s);
    cards(&mut b, s);
    let _ = write!(b, "<section><h2>{}</h2>", Esc(&t!("ui.chart", n = s.days)));
    if s.chart.totals().iter().all(|v| *v <= 0.0) {
        let _ = write!(b, "<p class=\"mute\">{}</p>", Esc(&t!("ui.chart_empty")));
    }
    let none = t!("ui.none");
    b.push_str(&chart::bars(&s.chart, &t!("ui.chart", n = s.days), &none));
    b.push_str(&chart::legend(&s.chart, &none));
    b.push_str("</section><div class=\"grid\">");
    groups(
        &mut b,
        &t!("ui.by_team"),
        &t!("ui.col_team"),
        &s.teams,
        None,
    );
    groups(
        &mut b,
        &t!("ui.by_member"),
        &t!("ui.col_member"),
        &s.members,
        Some(&s.member_teams),
    );
    groups(
        &mut b,
        &t!("ui.by_project"),
        &t!("ui.col_project"),
        &s.projects,
        None,
    );
    groups(
        &mut b,
        &t!("ui.by_model"),
        &t!("ui.col_model"),
        &s.models,
        None,
    );
    b.push_str("</div>");
    budgets(&mut b, &s.budgets);
    errors(&mut b, &s.errors);
    let _ = write!(
        b,
        "<footer class=\"mute\">{}</footer>",
        Esc(&t!("ui.footer"))
    );
    document(&t!("ui.title"), &b)
}

/// The title, when it was read, the range links and signing out.
fn header(b: &mut String, s: &Snapshot) {
    let _ = write!(b, "<header><h1>{}</h1><nav>", Esc(&t!("ui.title")));
    let mut ranges = RANGES;
    ranges.sort_unstable();
    for d in ranges {
        let label = Esc(&t!("ui.days_link", n = d)).to_string();
        if d == s.days {
            let _ = write!(b, "<strong>{label}</strong>");
        } else {
            let _ = write!(b, "<a href=\"/ui?days={d}\">{label}</a>");
        }
    }
    let _ = write!(
        b,
        "</nav><span class=\"mute\">{}</span>\
         <form method=\"post\" action=\"/ui/logout\"><button type=\"submit\">{}</button></form></header>",
        Esc(&t!("ui.as_of", time = s.as_of)),
        Esc(&t!("ui.sign_out")),
    );
}

/// All tokens of a sum: input of every kind and output.
fn tokens(s: &RowSums) -> u64 {
    s.input_tokens
        .saturating_add(s.cache_read_tokens)
        .saturating_add(s.cache_write_tokens)
        .saturating_add(s.output_tokens)
}

/// Today, this month and the range, each with its spend, tokens, requests
/// and failures.
fn cards(b: &mut String, s: &Snapshot) {
    b.push_str("<section class=\"cards\">");
    for (title, sums) in [
        (t!("ui.today"), &s.today),
        (t!("ui.this_month"), &s.month),
        (t!("ui.range", n = s.days), &s.range),
    ] {
        let _ = write!(
            b,
            "<div class=\"card\"><h3>{title}</h3><div class=\"big\">{cost}</div>\
             <div>{tokens_l}: <span title=\"{tokens_n}\">{tokens}</span> · {requests_l}: {requests} · \
             {errors_l}: {errors}</div></div>",
            title = Esc(&title),
            cost = Esc(&usd(sums.cost_usd)),
            tokens_l = Esc(&t!("ui.tokens")),
            tokens_n = tokens(sums),
            tokens = Esc(&short(tokens(sums))),
            requests_l = Esc(&t!("ui.requests")),
            requests = sums.requests,
            errors_l = Esc(&t!("ui.errors")),
            errors = sums.errors,
        );
    }
    b.push_str("</section>");
}

/// A name cell; `-` (requests without one) shows as the word for none.
fn name_cell(key: &str) -> String {
    if key == "-" {
        format!("<td class=\"none\">{}</td>", Esc(&t!("ui.none")))
    } else {
        format!("<td>{}</td>", Esc(key))
    }
}

/// One table of groups; `team_of`, when given, adds each one's team (by
/// the member's name).
fn groups(
    b: &mut String,
    title: &str,
    column: &str,
    rows: &[(String, RowSums)],
    team_of: Option<&HashMap<String, String>>,
) {
    let _ = write!(b, "<section><h2>{}</h2>", Esc(title));
    if rows.is_empty() {
        let _ = write!(
            b,
            "<p class=\"mute\">{}</p></section>",
            Esc(&t!("ui.no_rows"))
        );
        return;
    }
    let _ = write!(b, "<table><thead><tr><th>{}</th>", Esc(column));
    if team_of.is_some() {
        let _ = write!(b, "<th>{}</th>", Esc(&t!("ui.col_team")));
    }
    let _ = write!(
        b,
        "<th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
        Esc(&t!("ui.col_requests")),
        Esc(&t!("ui.col_tokens")),
        Esc(&t!("ui.col_cost")),
    );
    for (key, sums) in rows {
        b.push_str("<tr>");
        b.push_str(&name_cell(key));
        if let Some(team_of) = team_of {
            let team = team_of.get(key).map_or("-", String::as_str);
            b.push_str(&name_cell(team));
        }
        let _ = write!(
            b,
            "<td class=\"n\">{}</td><td class=\"n\" title=\"{}\">{}</td><td class=\"n\">{}</td></tr>",
            sums.requests,
            tokens(sums),
            Esc(&short(tokens(sums))),
            Esc(&usd(sums.cost_usd)),
        );
    }
    b.push_str("</tbody></table></section>");
}

/// A budget cell: what is left of `limit` after `spent`, or what was
/// spent when there is no limit.
fn budget_cell(limit: Option<f64>, spent: f64) -> String {
    let text = match limit {
        None => t!("ui.budget_none", spent = usd(spent)),
        Some(l) if spent > l => t!(
            "ui.budget_over",
            over = usd(spent - l),
            limit = usd_limit(l)
        ),
        Some(l) => t!(
            "ui.budget_left",
            left = usd(l - spent),
            limit = usd_limit(l)
        ),
    };
    let class = match limit {
        None => " class=\"mute\"",
        Some(l) if spent > l => " class=\"bad\"",
        Some(_) => "",
    };
    format!("<td{class}>{}</td>", Esc(&text))
}

/// Every team's, member's and live key's budgets: what is left of each
/// today and this month.
fn budgets(b: &mut String, rows: &[BudgetRow]) {
    let _ = write!(b, "<section><h2>{}</h2>", Esc(&t!("ui.budgets")));
    if rows.is_empty() {
        let _ = write!(
            b,
            "<p class=\"mute\">{}</p></section>",
            Esc(&t!("ui.budgets_none"))
        );
        return;
    }
    b.push_str("<table><thead><tr>");
    for col in [
        t!("ui.col_scope"),
        t!("ui.col_name"),
        t!("ui.col_member"),
        t!("ui.col_team"),
        t!("ui.today"),
        t!("ui.this_month"),
    ] {
        let _ = write!(b, "<th>{}</th>", Esc(&col));
    }
    b.push_str("</tr></thead><tbody>");
    for r in rows {
        let (scope, name) = match r.scope {
            BudgetScope::Team => (t!("ui.scope_team"), Esc(&r.name).to_string()),
            BudgetScope::Member => (t!("ui.scope_member"), Esc(&r.name).to_string()),
            BudgetScope::Key => (
                t!("ui.scope_key"),
                format!("<code>{}…</code>", Esc(&r.name)),
            ),
        };
        let member = if r.member.is_empty() {
            "<td></td>".to_string()
        } else {
            format!("<td>{}</td>", Esc(&r.member))
        };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{name}</td>{member}<td>{}</td>{}{}</tr>",
            Esc(&scope),
            Esc(&r.team),
            budget_cell(r.budgets.daily_usd, r.spent.day_usd),
            budget_cell(r.budgets.monthly_usd, r.spent.month_usd),
        );
    }
    b.push_str("</tbody></table></section>");
}

fn errors(b: &mut String, rows: &[FailedRequest]) {
    let _ = write!(b, "<section><h2>{}</h2>", Esc(&t!("ui.recent_errors")));
    if rows.is_empty() {
        let _ = write!(
            b,
            "<p class=\"mute\">{}</p></section>",
            Esc(&t!("ui.errors_none"))
        );
        return;
    }
    b.push_str("<table><thead><tr>");
    for col in [
        t!("ui.col_time"),
        t!("ui.col_member"),
        t!("ui.col_team"),
        t!("ui.col_project"),
        t!("ui.col_model"),
        t!("ui.col_status"),
        t!("ui.col_error"),
    ] {
        let _ = write!(b, "<th>{}</th>", Esc(&col));
    }
    b.push_str("</tr></thead><tbody>");
    for e in rows {
        let _ = write!(
            b,
            "<tr><td>{}</td>{}{}{}<td>{}/{}</td><td class=\"bad\">{}</td><td>{}</td></tr>",
            Esc(&utc_time(e.at_ms)),
            name_cell(&e.member),
            name_cell(&e.team),
            name_cell(e.project.as_deref().unwrap_or("-")),
            Esc(&e.provider),
            Esc(&e.model),
            e.status,
            Esc(&e.error),
        );
    }
    b.push_str("</tbody></table></section>");
}

#[cfg(test)]
mod tests;

//! The usage screen's budget pane: one line gauge per configured limit of
//! the selected profile and of the providers it uses, today and this month,
//! in the warning colour from 80 % and the error colour from 100 %.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, LineGauge, Paragraph};

use super::amount::{money_short, pad, pad_left, width};
use super::theme::Theme;
use crate::config::Budget;
use crate::t;
use crate::tui::app::{App, SpentSoFar, UsageData, UsageView, all_tokens};
use crate::usage::format::{short, usd_limit};
use crate::usage::query::Sums;

/// One line of the pane (`Only` may wrap to several).
#[derive(Debug)]
pub(super) enum Item {
    Heading(String),
    Gauge(Gauge),
    /// A dim remark ("no budget on this profile").
    Note(String),
    /// The whole pane says this instead (nothing to measure).
    Only(String),
}

#[derive(Debug)]
pub(super) struct Gauge {
    period: String,
    spent: f64,
    limit: f64,
    /// "$4.10 / $5", "1.2M / 5.0M".
    text: String,
}

impl Gauge {
    fn usd(period: String, s: &Sums, limit: f64) -> Gauge {
        Gauge {
            period,
            spent: s.cost_usd,
            limit,
            text: format!("{} / {}", money_short(s), usd_limit(limit)),
        }
    }

    fn tokens(period: String, s: &Sums, limit: u64) -> Gauge {
        let spent = all_tokens(s);
        Gauge {
            period,
            spent: spent as f64,
            limit: limit as f64,
            text: format!("{} / {}", short(spent), short(limit)),
        }
    }

    fn ratio(&self) -> f64 {
        if self.limit > 0.0 {
            self.spent / self.limit
        } else {
            0.0
        }
    }
}

/// A budget's limits against what was spent: today's first, then the
/// month's.
fn gauges(b: &Budget, spent: &SpentSoFar) -> Vec<Item> {
    let (today, month) = (t!("usage_screen.today"), t!("usage_screen.month"));
    let mut out = Vec::new();
    if let Some(l) = b.daily_usd {
        out.push(Gauge::usd(today.clone(), &spent.today, l));
    }
    if let Some(l) = b.daily_tokens {
        out.push(Gauge::tokens(today, &spent.today, l));
    }
    if let Some(l) = b.monthly_usd {
        out.push(Gauge::usd(month.clone(), &spent.month, l));
    }
    if let Some(l) = b.monthly_tokens {
        out.push(Gauge::tokens(month, &spent.month, l));
    }
    out.into_iter().map(Item::Gauge).collect()
}

/// Rows the pane wants at `width` cells inside its border.
pub(super) fn height(items: &[Item], width: u16) -> usize {
    match items {
        [Item::Only(text)] => super::wrap::rows(text, usize::from(width)).len(),
        _ => items.len(),
    }
}

/// What the pane shows for the selected profile.
pub(super) fn items(app: &App, view: &UsageView, data: &UsageData) -> Vec<Item> {
    let Some(profile) = view
        .profile
        .as_deref()
        .and_then(|n| app.config.profiles.get(n))
    else {
        return vec![Item::Only(t!("usage_screen.no_profile"))];
    };
    let own = profile.budget.filter(|b| !b.is_empty());
    let providers: Vec<(&str, Budget)> = profile
        .providers()
        .into_iter()
        .filter_map(|p| {
            let b = app.config.providers.get(p)?.budget?;
            (!b.is_empty()).then_some((p, b))
        })
        .collect();
    if own.is_none() && providers.is_empty() {
        return vec![Item::Only(t!(
            "usage_screen.no_budget",
            profile = profile.name
        ))];
    }
    let mut out = vec![Item::Heading(t!(
        "usage_screen.profile_heading",
        profile = profile.name
    ))];
    match own {
        Some(b) => out.extend(gauges(&b, &data.profile_spent)),
        None => out.push(Item::Note(t!("usage_screen.no_profile_budget"))),
    }
    for (name, b) in providers {
        let spent = data
            .provider_spent
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        out.push(Item::Heading(t!(
            "usage_screen.provider_heading",
            provider = name
        )));
        out.extend(gauges(&b, &spent));
    }
    out
}

pub(super) fn draw(f: &mut Frame, view: &UsageView, items: &[Item], area: Rect, theme: Theme) {
    let title = match &view.profile {
        Some(p) => t!("usage_screen.budget_title", profile = p),
        None => t!("usage_screen.budget_title_none"),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if let [Item::Only(text)] = items {
        let p = Paragraph::new(super::wrap::lines(text.as_str(), usize::from(inner.width)))
            .style(theme.fg(Color::Gray));
        f.render_widget(p, inner);
        return;
    }
    let all: Vec<&Gauge> = items
        .iter()
        .filter_map(|i| match i {
            Item::Gauge(g) => Some(g),
            _ => None,
        })
        .collect();
    let period_w = all.iter().map(|g| width(&g.period)).max().unwrap_or(0);
    let said: Vec<String> = all.iter().map(|g| numbers(g)).collect();
    let said_w = said.iter().map(|s| width(s)).max().unwrap_or(0);
    let said_w = said_w.min(usize::from(inner.width).saturating_sub(period_w + 4));
    let rows = Layout::vertical(vec![Constraint::Length(1); items.len()]).split(inner);
    let mut gauges = all.iter().zip(&said);
    for (item, row) in items.iter().zip(rows.iter()) {
        match item {
            Item::Heading(h) => f.render_widget(
                Line::styled(
                    h.clone(),
                    theme.fg(Color::Gray).add_modifier(Modifier::BOLD),
                ),
                *row,
            ),
            Item::Note(n) | Item::Only(n) => {
                f.render_widget(
                    Line::styled(format!(" {n}"), theme.fg(Color::DarkGray)),
                    *row,
                );
            }
            Item::Gauge(_) => {
                let Some((g, text)) = gauges.next() else {
                    continue;
                };
                let [line, right] = Layout::horizontal([
                    Constraint::Min(0),
                    Constraint::Length(u16::try_from(said_w + 1).unwrap_or(0)),
                ])
                .areas(*row);
                let colour = theme.fg(level(g.ratio()));
                let gauge = LineGauge::default()
                    .ratio(g.ratio().clamp(0.0, 1.0))
                    .label(format!(" {}", pad(&g.period, period_w)))
                    .filled_symbol("━")
                    .unfilled_symbol("─")
                    .filled_style(colour)
                    .unfilled_style(theme.fg(Color::DarkGray));
                f.render_widget(gauge, line);
                f.render_widget(
                    Line::styled(format!(" {}", pad_left(text, said_w)), colour),
                    right,
                );
            }
        }
    }
}

/// "$4.10 / $5  82% near": the percentage, and in words where the colour
/// says it (for terminals without colour).
fn numbers(g: &Gauge) -> String {
    let pct = g.ratio() * 100.0;
    let mark = match pct {
        p if p >= 100.0 => format!(" {}", t!("usage_screen.over")),
        p if p >= 80.0 => format!(" {}", t!("usage_screen.near")),
        _ => String::new(),
    };
    // Floored, so 99.6 % does not read as the limit; the nudge keeps
    // 5.6 / 5 from reading 111 %.
    format!("{}  {:.0}%{mark}", g.text, (pct + 1e-9).floor())
}

/// Under 80 %: fine; from 80 %: warning; from 100 %: over.
fn level(ratio: f64) -> Color {
    match ratio {
        r if r >= 1.0 => Color::Red,
        r if r >= 0.8 => Color::Yellow,
        _ => Color::Green,
    }
}

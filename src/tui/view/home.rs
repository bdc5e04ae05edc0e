//! The home screen: the profile list, and the selected profile in detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::amount::width;
use super::theme::Theme;
use super::wrap;
use crate::circuits;
use crate::tui::app::{App, KeyState, Row, all_tokens};
use crate::usage::format::{money, short};
use crate::{t, tn};

pub fn draw(f: &mut Frame, app: &App, area: Rect, theme: Theme) {
    if app.rows.is_empty() {
        draw_empty(f, app, area, theme);
    } else {
        draw_home(f, app, area, theme);
    }
}

fn draw_empty(f: &mut Frame, app: &App, area: Rect, theme: Theme) {
    let mut text = t!("tui.empty");
    if let Some(lines) = &app.import_offer {
        text.push_str("\n\n");
        text.push_str(&t!("tui.import_offer"));
        for l in lines.iter().take(8) {
            text.push('\n');
            text.push_str(l);
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("tui.profiles"));
    let width = usize::from(block.inner(area).width);
    let p = Paragraph::new(wrap::lines(text, width))
        .block(block)
        .style(theme.fg(Color::Gray));
    f.render_widget(p, area);
}

fn draw_home(f: &mut Frame, app: &App, area: Rect, theme: Theme) {
    let list_width = (area.width / 3).clamp(18, 32);
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(area);
    let visible = app.visible();
    let items: Vec<ListItem> = visible
        .iter()
        .map(|r| {
            let mark = if app.default.as_deref() == Some(r.name.as_str()) {
                "* "
            } else {
                "  "
            };
            let mut line = vec![Span::raw(format!("{mark}{}", r.name))];
            // The first target of main is failing: the profile starts on a
            // fallback (or not at all).
            let main = r.slots.first().map_or("", |(_, m, _)| m.as_str());
            if circuits::find(&app.circuits, &r.provider, main).is_some() {
                line.push(Span::styled(" ✗", theme.fg(Color::Red)));
            }
            ListItem::new(Line::from(line))
        })
        .collect();
    let title = format!(
        "{} ({}/{})",
        t!("tui.profiles"),
        visible.len(),
        app.rows.len()
    );
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(title))
        .highlight_style(theme.selected())
        // A marker as well as the colour, so the selection shows without colour too.
        .highlight_symbol("> ");
    let mut state =
        ListState::default().with_selected((!visible.is_empty()).then_some(app.selected));
    f.render_stateful_widget(list, left, &mut state);
    let detail = match app.current() {
        Some(r) => detail(app, r, theme),
        None => vec![Line::from(t!("tui.no_match"))],
    };
    let name = app.current().map(|r| r.name.clone()).unwrap_or_default();
    let block = Block::default().borders(Borders::ALL).title(name);
    let width = usize::from(block.inner(right).width);
    f.render_widget(
        Paragraph::new(wrap::lines(detail, width)).block(block),
        right,
    );
}

/// Cells the detail pane's labels take.
const LABEL: usize = 10;

/// The profile's provider's last balance: yellow when low, red when used
/// up, with its age once it is more than a minute old.
fn balance<'a>(app: &App, r: &Row, theme: Theme) -> Option<Span<'a>> {
    let e = app.balances.get(&r.provider)?;
    let b = e.balance.as_ref()?;
    let mut text = b.shown()?;
    let color = match (b.empty, b.is_low()) {
        (true, _) => Color::Red,
        (false, true) => Color::Yellow,
        _ => Color::Gray,
    };
    if let Some(now) = app.now
        && !e.is_fresh(now)
    {
        let ago = crate::config::state::ago(e.had(), now);
        text.push_str(&t!("balance.age", ago = ago));
    }
    Some(Span::styled(text, theme.fg(color)))
}

/// A label padded to `LABEL` cells by display width (a Chinese label is
/// two cells a character), with a space after one that is longer.
fn pad_label(s: &str) -> String {
    let n = LABEL.saturating_sub(width(s)).max(1);
    format!("{s}{}", " ".repeat(n))
}

fn detail<'a>(app: &App, r: &'a Row, theme: Theme) -> Vec<Line<'a>> {
    let label = |s: String| Span::styled(pad_label(&s), theme.fg(Color::DarkGray));
    let mut lines = Vec::new();
    if let Some(d) = &r.description {
        lines.push(Line::from(Span::styled(d.clone(), theme.fg(Color::Gray))));
    }
    lines.push(Line::from(vec![
        label(t!("field.provider")),
        Span::raw(format!("{} ({}, {})", r.provider_name, r.provider, r.api)),
    ]));
    if !r.url.is_empty() {
        lines.push(Line::from(vec![
            label(t!("tui.url")),
            Span::raw(r.url.clone()),
        ]));
    }
    let (key_text, key_style) = match app.key_state(&r.provider) {
        KeyState::Checking => (t!("tui.key_checking"), theme.fg(Color::DarkGray)),
        KeyState::NotNeeded => (t!("key.not_needed"), theme.fg(Color::Gray)),
        KeyState::Found(from) => (t!("key.found_in", source = from), theme.fg(Color::Green)),
        KeyState::Missing(why) => (
            format!("{}: {why}", t!("key.missing")),
            theme.fg(Color::Red),
        ),
    };
    lines.push(Line::from(vec![
        label(t!("tui.key")),
        Span::styled(key_text, key_style),
    ]));
    if let Some(b) = balance(app, r, theme) {
        lines.push(Line::from(vec![label(t!("field.balance")), b]));
    }
    let used = match (app.last_used.get(&r.name), app.now) {
        (Some(then), Some(now)) => crate::config::state::ago(*then, now),
        _ => t!("tui.never_used"),
    };
    lines.push(Line::from(vec![
        label(t!("tui.last_used")),
        Span::styled(used, theme.fg(Color::Gray)),
    ]));
    if let Some(week) = week(app, r, theme) {
        lines.push(Line::from(vec![label(t!("usage_screen.week")), week]));
    }
    for (name, limits) in &r.budgets {
        lines.push(Line::from(vec![
            label(name.clone()),
            Span::styled(limits.clone(), theme.fg(Color::Gray)),
        ]));
    }
    lines.push(Line::from(""));
    for (slot, model, provider) in &r.slots {
        let mut spans = vec![
            label((*slot).to_string()),
            Span::styled(model.clone(), theme.fg(Color::Cyan)),
        ];
        if let Some(p) = provider {
            spans.push(Span::raw(format!(" ({p})")));
        }
        lines.push(Line::from(spans));
        // Under its slot, as `profile show` lists it.
        if let Some((_, chain)) = r.chains.iter().find(|(s, _)| s == slot) {
            lines.push(Line::from(vec![
                label(t!("field.fallbacks")),
                Span::styled(chain.clone(), theme.fg(Color::Cyan)),
            ]));
        }
    }
    // After the slots, as `/model` lists them.
    if !r.menu.is_empty() {
        lines.push(Line::from(vec![
            label(t!("field.menu")),
            Span::styled(
                tn!("menu.entries", count = r.menu.len()),
                theme.fg(Color::Gray),
            ),
        ]));
        for item in &r.menu {
            lines.push(Line::from(vec![
                label(String::new()),
                Span::styled(item.clone(), theme.fg(Color::Cyan)),
            ]));
        }
    }
    for c in app.failing(r) {
        let ago = app
            .now
            .map(|now| crate::config::state::ago(c.opened(), now))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            label(t!("tui.breaker")),
            Span::styled(
                tn!(
                    "tui.breaker_open",
                    failures = c.failures,
                    target = format!("{}/{}", c.provider, c.model),
                    ago = ago
                ),
                theme.fg(Color::Red),
            ),
        ]));
    }
    lines
}

/// The profile's last 7 days, once read ("$1.23 · 1.2M tokens").
fn week(app: &App, r: &Row, theme: Theme) -> Option<Span<'static>> {
    let text = match app.week.as_ref()? {
        Err(_) => {
            return Some(Span::styled(
                t!("usage_screen.week_unreadable"),
                theme.fg(Color::Red),
            ));
        }
        Ok(by_profile) => match by_profile.get(&r.name).filter(|s| s.requests > 0) {
            Some(s) => t!(
                "usage_screen.week_line",
                cost = money(s),
                tokens = short(all_tokens(s))
            ),
            None => t!("usage_screen.week_none"),
        },
    };
    Some(Span::styled(text, theme.fg(Color::Gray)))
}

#[cfg(test)]
mod tests {
    use super::pad_label;

    #[test]
    fn labels_are_padded_by_cells_not_chars() {
        assert_eq!(pad_label("budget"), "budget    ");
        assert_eq!(pad_label("提供商"), "提供商    ");
        assert_eq!(pad_label("openrouter budget"), "openrouter budget ");
    }
}

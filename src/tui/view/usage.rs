//! The usage screen: a bar per day over the last 30 days, where the spend
//! went by model, and the selected profile's budgets (in `budget`).

use ratatui::Frame;
use ratatui::layout::Margin;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};

use super::amount::{fit, money_short, pad, pad_left, width};
use super::budget;
use super::theme::{Theme, spinner};
use crate::tui::app::{App, Metric, UsageData, UsageView, all_tokens};
use crate::usage::format::{money, short};
use crate::usage::query::{Sums, UsageGroup};
use crate::{t, tn};

pub fn draw(f: &mut Frame, app: &App, view: &UsageView, area: Rect, theme: Theme) {
    let data = match &view.data {
        None => {
            let text = format!("{} {}", spinner(app.tick), t!("usage_screen.loading"));
            return message(f, area, text, theme.fg(Color::Yellow));
        }
        Some(Err(e)) => {
            let text = t!("usage_screen.unreadable", error = e);
            return message(f, area, text, theme.fg(Color::Red));
        }
        Some(Ok(d)) if !d.recorded => {
            return message(f, area, t!("usage_screen.empty"), theme.fg(Color::Gray));
        }
        Some(Ok(d)) => d,
    };
    let budget = budget::items(app, view, data);
    let half = (area.width / 2).saturating_sub(2);
    let wanted = (data.models.len() + 1)
        .max(budget::height(&budget, half))
        .max(4)
        + 2;
    let most = (area.height / 2).max(5);
    let [top, bottom] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(u16::try_from(wanted).unwrap_or(most).min(most)),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    draw_chart(f, view, data, top, theme);
    draw_models(f, view, data, left, theme);
    budget::draw(f, view, &budget, right, theme);
}

/// The key line: the toggles only mean something over numbers.
pub fn footer(view: &UsageView) -> String {
    match &view.data {
        Some(Ok(d)) if d.recorded => t!("usage_screen.footer"),
        None => t!("usage_screen.footer"),
        _ => t!("usage_screen.footer_back"),
    }
}

/// The status line: why costs may be low, when they are shown.
pub fn status(view: &UsageView) -> String {
    match &view.data {
        Some(Ok(d)) if view.metric() == Metric::Cost && d.total.unpriced_requests > 0 => {
            tn!("usage_screen.unpriced", n = d.total.unpriced_requests)
        }
        _ => String::new(),
    }
}

fn message(f: &mut Frame, area: Rect, text: String, style: Style) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("usage_screen.heading"));
    let width = usize::from(block.inner(area).width);
    let p = Paragraph::new(super::wrap::lines(text, width))
        .block(block)
        .style(style);
    f.render_widget(p, area);
}

/// What a bar or a model row measures, in units the chart can scale.
fn amount(metric: Metric, s: &Sums) -> u64 {
    match metric {
        // Hundredths of a cent: a cheap model's day still gets a bar.
        Metric::Cost => (s.cost_usd * 10_000.0).round() as u64,
        Metric::Tokens => all_tokens(s),
    }
}

fn shown(metric: Metric, s: &Sums) -> String {
    match metric {
        Metric::Cost => money_short(s),
        Metric::Tokens => short(all_tokens(s)),
    }
}

fn draw_chart(f: &mut Frame, view: &UsageView, data: &UsageData, area: Rect, theme: Theme) {
    let metric = view.metric();
    let scope = match view.scope() {
        None => t!("usage_screen.all_profiles"),
        Some(p) => t!("usage_screen.one_profile", profile = p),
    };
    let title = match metric {
        Metric::Cost => t!("usage_screen.chart_cost", scope = scope),
        Metric::Tokens => t!("usage_screen.chart_tokens", scope = scope),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [summary, chart] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let t = &data.total;
    let mut said = t!(
        "usage_screen.summary",
        cost = money(t),
        tokens = short(all_tokens(t)),
        requests = tn!("count.requests", n = t.requests),
        cache = format!("{:.0}%", t.cache_share() * 100.0)
    );
    if t.errors > 0 {
        said = format!("{said} · {}", t!("usage.errors", n = t.errors));
    }
    f.render_widget(Line::from(said), summary);
    let values: Vec<u64> = data.days.iter().map(|(_, s)| amount(metric, s)).collect();
    let max = values.iter().copied().max().unwrap_or(0);
    if chart.height < 3 {
        return;
    }
    if max == 0 {
        let why = match metric {
            _ if t.requests == 0 => t!("usage_screen.none_in_range"),
            Metric::Cost => t!("usage_screen.no_prices"),
            Metric::Tokens => String::new(),
        };
        let at = chart.inner(Margin::new(0, 1));
        let p = Paragraph::new(super::wrap::lines(why, usize::from(at.width)))
            .style(theme.fg(Color::Gray));
        f.render_widget(p, at);
        return;
    }
    // A gutter with the tallest bar's amount at the top and 0 at the foot.
    let peak = data
        .days
        .iter()
        .find(|(_, s)| amount(metric, s) == max)
        .map(|(_, s)| shown(metric, s))
        .unwrap_or_default();
    let gutter = u16::try_from(width(&peak) + 1).unwrap_or(8);
    let [axis, bars] =
        Layout::horizontal([Constraint::Length(gutter), Constraint::Min(0)]).areas(chart);
    let [bars, dates] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(bars);
    let gray = theme.fg(Color::DarkGray);
    let mut scale = vec![Line::styled(pad_left(&peak, usize::from(gutter - 1)), gray)];
    scale.resize(usize::from(bars.height.saturating_sub(1)), Line::from(""));
    scale.push(Line::styled(pad_left("0", usize::from(gutter - 1)), gray));
    f.render_widget(Paragraph::new(scale), axis);
    // As wide as 30 bars fit, with a gap between them when there is room.
    let days = u16::try_from(values.len().max(1)).unwrap_or(30);
    let stride = (bars.width / days).max(1);
    let (bar_width, gap) = if stride >= 2 {
        ((stride - 1).min(5), 1)
    } else {
        (1, 0)
    };
    let chart_bars: Vec<Bar> = values
        .iter()
        .map(|v| Bar::default().value(*v).text_value(String::new()))
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::new(chart_bars))
        .bar_width(bar_width)
        .bar_gap(gap)
        .max(max)
        .bar_style(theme.fg(Color::Cyan));
    f.render_widget(chart, bars);
    let labels = date_labels(data, bar_width + gap, bar_width, dates.width);
    f.render_widget(Line::styled(labels, gray), dates);
}

/// `MM-DD` under today's bar and every 7th day before it, each ending
/// under its bar (the first one as far left as it fits).
fn date_labels(data: &UsageData, stride: u16, bar_width: u16, width: u16) -> String {
    let mut row = vec![' '; usize::from(width)];
    for (i, (day, _)) in data.days.iter().enumerate().rev().step_by(7) {
        let label: Vec<char> = day.chars().skip(5).collect();
        let end = i * usize::from(stride) + usize::from(bar_width);
        let start = end.saturating_sub(label.len());
        if let Some(cells) = row.get_mut(start..start + label.len()) {
            cells.copy_from_slice(&label);
        }
    }
    row.into_iter().collect()
}

fn draw_models(f: &mut Frame, view: &UsageView, data: &UsageData, area: Rect, theme: Theme) {
    let metric = view.metric();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("usage_screen.by_model"));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut models: Vec<_> = data.models.iter().collect();
    models.sort_by_key(|g| std::cmp::Reverse(amount(metric, &g.sums)));
    let values: Vec<String> = models.iter().map(|g| shown(metric, &g.sums)).collect();
    // A model with no known price has no bar: "price unknown" takes its
    // place rather than widening every row's figures.
    let unknown = |g: &UsageGroup| metric == Metric::Cost && amount(metric, &g.sums) == 0;
    let head_value = match metric {
        Metric::Cost => t!("usage_screen.cost"),
        Metric::Tokens => t!("usage_screen.tokens"),
    };
    let (head_model, head_cache) = (t!("usage_screen.model"), t!("usage_screen.cache"));
    let value_w = models
        .iter()
        .zip(&values)
        .filter(|(g, _)| !unknown(g))
        .map(|(_, v)| width(v))
        .chain([width(&head_value)])
        .max()
        .unwrap_or(0);
    let cache_w = width(&head_cache).max(4);
    let w = usize::from(inner.width);
    let longest = models.iter().map(|g| width(&g.key)).max().unwrap_or(0);
    // Room for a bar of 4 and the figures, or for "price unknown".
    let unknown_w = models
        .iter()
        .zip(&values)
        .filter(|(g, _)| unknown(g))
        .map(|(_, v)| width(v))
        .max()
        .unwrap_or(0);
    let figures_w = (value_w + 1 + 4).max(unknown_w);
    let name_w = longest
        .max(width(&head_model))
        .min(w.saturating_sub(figures_w + cache_w + 2))
        .min(w / 2);
    let bar_w = w.saturating_sub(name_w + value_w + cache_w + 3);
    let gray = theme.fg(Color::DarkGray);
    let mut lines = vec![Line::styled(
        format!(
            "{} {} {} {}",
            pad(&head_model, name_w),
            " ".repeat(bar_w),
            pad_left(&head_value, value_w),
            pad_left(&head_cache, cache_w)
        ),
        gray,
    )];
    let room = usize::from(inner.height).saturating_sub(1);
    let max = models.first().map_or(0, |g| amount(metric, &g.sums));
    let cut = models.len() > room;
    let fits = if cut { room.saturating_sub(1) } else { room };
    for (g, value) in models.iter().zip(&values).take(fits) {
        let mut row = vec![Span::raw(format!("{} ", pad(&g.key, name_w)))];
        if unknown(g) {
            row.push(Span::styled(
                pad_left(value, bar_w + 1 + value_w),
                theme.fg(Color::Gray),
            ));
        } else {
            row.push(Span::styled(
                bar(amount(metric, &g.sums), max, bar_w),
                theme.fg(Color::Cyan),
            ));
            row.push(Span::raw(format!(" {}", pad_left(value, value_w))));
        }
        row.push(Span::styled(
            format!(" {}", pad_left(&percent(g.sums.cache_share()), cache_w)),
            theme.fg(Color::Gray),
        ));
        lines.push(Line::from(row));
    }
    if cut {
        let more = t!("usage_screen.more", n = models.len() - fits);
        lines.push(Line::styled(fit(&more, w), gray));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A horizontal bar `w` cells wide, in eighths of a cell; anything above
/// zero shows at least a sliver.
fn bar(v: u64, max: u64, w: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = if max == 0 {
        0
    } else {
        let e = (v as f64 / max as f64 * (w * 8) as f64).round() as usize;
        e.max(usize::from(v > 0)).min(w * 8)
    };
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(PARTS[eighths % 8]);
    }
    let n = w.saturating_sub(s.chars().count());
    s.push_str(&" ".repeat(n));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths_and_never_hide_a_small_amount() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██  ");
        assert_eq!(bar(1, 1000, 4), "▏   ");
        assert_eq!(bar(0, 10, 3), "   ");
        assert_eq!(bar(0, 0, 2), "  ");
    }

    #[test]
    fn dates_sit_under_today_and_every_week_before() {
        let data = UsageData {
            days: (1..=30)
                .map(|d| (format!("2026-11-{d:02}"), Sums::default()))
                .collect(),
            ..UsageData::default()
        };
        let row = date_labels(&data, 2, 2, 60);
        assert_eq!(row.len(), 60);
        assert!(row.ends_with("11-30"), "{row:?}");
        assert_eq!(row.matches("11-").count(), 5, "{row:?}");
        assert_eq!(&row[41..46], "11-23");
        assert!(row.starts_with("11-02"), "{row:?}");
    }
}

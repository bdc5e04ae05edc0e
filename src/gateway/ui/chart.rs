//! Spend per day as an inline SVG: a bar a day, stacked by team, each
//! piece with a `<title>` the browser shows on hover. Drawn on the server:
//! no script, no library.

use std::fmt::Write as _;

use super::data::Chart;
use super::html::{Esc, SERIES};
use crate::usage::format::usd;

const W: f64 = 760.0;
const H: f64 = 220.0;
/// Room for the amounts on the left and the dates below.
const LEFT: f64 = 58.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// A top for the axis at or above `max`: 1, 2 or 5 times a power of ten,
/// so the grid's amounts read as round numbers.
fn nice(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * step)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * step)
}

/// `name` as the chart shows a team: `-` is the requests without one.
fn series_name(name: &str, none: &str) -> String {
    if name == "-" {
        none.to_string()
    } else {
        name.to_string()
    }
}

/// The SVG, labelled `label` for screen readers; `none` names the
/// requests without a team.
pub fn bars(chart: &Chart, label: &str, none: &str) -> String {
    let totals = chart.totals();
    let top = nice(totals.iter().copied().fold(0.0, f64::max));
    let plot_w = W - LEFT - 4.0;
    let plot_h = H - TOP - BOTTOM;
    let n = chart.days.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.78).max(1.0);
    let y = |usd: f64| TOP + plot_h * (1.0 - usd / top);
    let mut s = String::with_capacity(4096 + chart.days.len() * chart.teams.len() * 160);
    let _ = write!(
        s,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\">",
        Esc(label)
    );
    // The grid: zero, half and the top, with their amounts.
    for v in [0.0, top / 2.0, top] {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{amount}</text>",
            x2 = W - 4.0,
            yv = y(v),
            tx = LEFT - 6.0,
            ty = y(v) + 4.0,
            amount = Esc(&usd(v)),
        );
    }
    for (d, day) in chart.days.iter().enumerate() {
        let x = LEFT + slot * d as f64 + (slot - bar) / 2.0;
        let mut base = 0.0;
        for (t, team) in chart.teams.iter().enumerate() {
            let v = chart
                .cost
                .get(d)
                .and_then(|c| c.get(t))
                .copied()
                .unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y1, y0) = (y(base + v), y(base));
            base += v;
            let _ = write!(
                s,
                "<rect class=\"s{c}\" x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\">\
                 <title>{day} · {name}: {amount}</title></rect>",
                c = t % SERIES,
                h = (y0 - y1).max(0.5),
                day = Esc(day),
                name = Esc(&series_name(team, none)),
                amount = Esc(&usd(v)),
            );
        }
    }
    // First, middle and last dates: enough to read the axis by.
    let last = chart.days.len().saturating_sub(1);
    let mut marks = vec![0, last / 2, last];
    marks.dedup();
    for d in marks {
        let Some(day) = chart.days.get(d) else {
            continue;
        };
        let x = LEFT + slot * (d as f64 + 0.5);
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>",
            Esc(day.get(5..).unwrap_or(day)),
            ty = H - 6.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// The legend under the chart: a swatch and a name per team.
pub fn legend(chart: &Chart, none: &str) -> String {
    let mut s = String::from("<p class=\"legend\">");
    for (t, team) in chart.teams.iter().enumerate() {
        let _ = write!(
            s,
            "<span><i class=\"s{}\"></i>{}</span>",
            t % SERIES,
            Esc(&series_name(team, none))
        );
    }
    s.push_str("</p>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(0.7), 1.0);
        assert_eq!(nice(1.2), 2.0);
        assert_eq!(nice(3.0), 5.0);
        assert_eq!(nice(42.0), 50.0);
        assert_eq!(nice(100.0), 100.0);
    }

    #[test]
    fn bars_stack_per_team_and_escape_names() {
        let chart = Chart {
            days: vec!["2026-12-06".into(), "2026-12-07".into()],
            teams: vec!["<i>core</i>".into(), "-".into()],
            cost: vec![vec![1.0, 0.0], vec![2.0, 0.5]],
        };
        let svg = bars(&chart, "spend", "(none)");
        assert_eq!(svg.matches("<rect").count(), 3, "no bar for nothing spent");
        assert!(svg.contains("&lt;i&gt;core&lt;/i&gt;: $2.00"));
        assert!(svg.contains("(none): $0.50"));
        assert!(!svg.contains("<i>"));
        assert!(svg.contains(">12-07<"));
        let empty = bars(&Chart::default(), "spend", "(none)");
        assert!(empty.starts_with("<svg") && !empty.contains("<rect"));
        assert!(legend(&chart, "(none)").contains("<i class=\"s1\"></i>(none)"));
    }
}

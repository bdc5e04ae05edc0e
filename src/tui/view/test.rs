//! The connection test screen: per-step results as `ccswitch test` prints
//! them, with a spinner while it runs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::amount::pad;
use super::theme::{Theme, spinner};
use super::wrap;
use crate::t;
use crate::tui::app::{App, TestView};

pub fn draw(f: &mut Frame, app: &App, test: &TestView, area: Rect, theme: Theme) {
    let title = t!(
        "probe.header",
        profile = test.profile,
        provider = test.provider,
        model = test.model
    );
    let block = theme.popup(title);
    let mut lines = Vec::new();
    match &test.result {
        None => lines.push(Line::from(Span::styled(
            format!("{} {}", spinner(app.tick), t!("tui.testing")),
            theme.fg(Color::Yellow),
        ))),
        Some(Err(e)) => {
            lines.push(Line::from(Span::styled(
                t!("tui.test_not_started"),
                theme.fg(Color::Red).add_modifier(Modifier::BOLD),
            )));
            lines.extend(e.lines().map(|l| Line::from(l.to_string())));
        }
        Some(Ok(steps)) => {
            for s in steps {
                let (mark, style) = if s.ok {
                    ("✓", theme.fg(Color::Green))
                } else {
                    ("✗", theme.fg(Color::Red).add_modifier(Modifier::BOLD))
                };
                let mut detail = s.detail.clone();
                if let Some(ms) = s.ms {
                    detail.push_str(&t!("probe.first_token", ms = ms));
                }
                lines.push(Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    // By display width: a Chinese label takes two cells a character.
                    Span::raw(format!(
                        "{} ",
                        pad(crate::checks::probe::step_label(s.id), 24)
                    )),
                    Span::styled(detail, theme.fg(Color::Gray)),
                ]));
            }
            let ok = steps.iter().all(|s| s.ok);
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                if ok {
                    t!("tui.test_passed")
                } else {
                    t!("tui.test_failed")
                },
                if ok {
                    theme.fg(Color::Green)
                } else {
                    theme.fg(Color::Red)
                },
            )));
        }
    }
    let width = usize::from(block.inner(area).width);
    f.render_widget(Paragraph::new(wrap::lines(lines, width)).block(block), area);
}

//! The resume screen: a profile's recent sessions in this folder, newest
//! first, one a line (when, which, its title), or why there are none.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::amount::{fit, pad, width};
use super::theme::{Theme, spinner};
use crate::config::state::ago;
use crate::t;
use crate::tui::app::{App, ResumeView, SessionList, SessionRow};

/// Cells for "5 min ago", "2026-11-03" and their translations.
const WHEN: usize = 11;
/// A session id is a UUID; its first group tells sessions apart on screen.
const SHORT_ID: usize = 8;

pub fn draw(f: &mut Frame, app: &App, view: &ResumeView, area: Rect, theme: Theme) {
    let list = match &view.list {
        None => {
            let text = format!("{} {}", spinner(app.tick), t!("resume.loading"));
            let heading = t!("resume.heading", profile = view.profile);
            return message(f, area, heading, text, theme.fg(Color::Yellow));
        }
        Some(Err(e)) => {
            let heading = t!("resume.heading", profile = view.profile);
            let text = t!("resume.unreadable", error = e);
            return message(f, area, heading, text, theme.fg(Color::Red));
        }
        Some(Ok(list)) => list,
    };
    let heading = t!(
        "resume.heading_in",
        profile = view.profile,
        folder = list.folder
    );
    if list.sessions.is_empty() {
        let mut text = t!("resume.empty", profile = view.profile);
        if list.others > 0 {
            text.push_str("\n\n");
            text.push_str(&t!("resume.others", n = list.others));
        }
        return message(f, area, heading, text, theme.fg(Color::Gray));
    }
    // Borders and the selection marker.
    let room = usize::from(area.width).saturating_sub(4);
    let items: Vec<ListItem> = list
        .sessions
        .iter()
        .map(|s| ListItem::new(row(list, s, room, theme)))
        .collect();
    let mut block = Block::default().borders(Borders::ALL).title(heading);
    if list.others > 0 {
        block = block.title_bottom(t!("resume.others", n = list.others));
    }
    let widget = List::new(items)
        .block(block)
        .highlight_style(theme.selected())
        .highlight_symbol("> ");
    let mut state = ListState::default().with_selected(Some(view.selected));
    f.render_stateful_widget(widget, area, &mut state);
}

/// `5 min ago  0b5c2e6a  Fix the flaky test (direct or unknown)`, the
/// title cut so that the mark stays in `room` cells.
fn row(list: &SessionList, s: &SessionRow, room: usize, theme: Theme) -> Line<'static> {
    let when = pad(&ago(s.modified, list.now), WHEN);
    let id: String = s.id.chars().take(SHORT_ID).collect();
    let mark = if s.unknown {
        format!("  {}", t!("resume.unknown"))
    } else {
        String::new()
    };
    let left = room.saturating_sub(WHEN + 1 + SHORT_ID + 2 + width(&mark));
    let (title, style) = match &s.title {
        Some(t) => (fit(t, left), Style::default()),
        None => (fit(&t!("resume.untitled"), left), theme.fg(Color::DarkGray)),
    };
    Line::from(vec![
        Span::styled(format!("{when} "), theme.fg(Color::Gray)),
        Span::styled(format!("{id:<SHORT_ID$}  "), theme.fg(Color::Cyan)),
        Span::styled(title, style),
        Span::styled(mark, theme.fg(Color::DarkGray)),
    ])
}

/// The key line: moving and choosing only mean something over sessions.
pub fn footer(view: &ResumeView) -> String {
    if view.sessions().is_empty() {
        t!("resume.footer_back")
    } else {
        t!("resume.footer")
    }
}

/// The status line: the whole id of the session Enter resumes.
pub fn status(view: &ResumeView) -> String {
    view.current()
        .map(|s| t!("resume.enter", id = s.id))
        .unwrap_or_default()
}

fn message(f: &mut Frame, area: Rect, heading: String, text: String, style: Style) {
    let block = Block::default().borders(Borders::ALL).title(heading);
    let width = usize::from(block.inner(area).width);
    let p = Paragraph::new(super::wrap::lines(text, width))
        .block(block)
        .style(style);
    f.render_widget(p, area);
}

//! Drawing: reads the `App`, never changes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::app::{App, KeyState, Overlay, Row};
use crate::t;

mod form;
mod test;

/// Colours, or none at all when `NO_COLOR` is set.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub(super) fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub(super) fn selected(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

/// Braille spinner frames; one per 100 ms tick.
pub(super) fn spinner(tick: u64) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES[(tick % 10) as usize]
}

pub fn draw(f: &mut Frame, app: &App, theme: Theme) {
    let [title, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let screen = if app.test.is_some() {
        t!("tui.title_test")
    } else if let Some(form) = &app.form {
        form::title(form)
    } else {
        t!("tui.title")
    };
    f.render_widget(
        Line::from(vec![
            Span::styled(
                " ccswitch ",
                theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            Span::raw(screen),
        ]),
        title,
    );
    let status_text = if let Some(t) = &app.test {
        test::draw(f, app, t, body, theme);
        String::new()
    } else if let Some(fm) = &app.form {
        form::draw(f, app, fm, body, theme);
        app.status.clone().unwrap_or_else(|| form::status(app, fm))
    } else {
        if app.rows.is_empty() {
            draw_empty(f, body, theme);
        } else {
            draw_home(f, app, body, theme);
        }
        if app.filtering || !app.filter.is_empty() {
            t!("tui.filter_line", filter = app.filter)
        } else {
            app.status.clone().unwrap_or_default()
        }
    };
    if let Some(p) = &app.picker
        && app.test.is_none()
    {
        form::draw_picker(f, app, p, theme);
    }
    f.render_widget(
        Line::from(Span::styled(
            format!(" {status_text}"),
            theme.fg(Color::Yellow),
        )),
        status,
    );
    let keys = if app.test.is_some() {
        t!("tui.footer_test")
    } else if app.picker.is_some() {
        t!("tui.footer_picker")
    } else if app.form.is_some() {
        t!("tui.footer_form")
    } else if app.rows.is_empty() {
        t!("tui.footer_empty")
    } else {
        t!("tui.footer")
    };
    f.render_widget(
        Line::from(Span::styled(format!(" {keys}"), theme.fg(Color::DarkGray))),
        footer,
    );
    match &app.overlay {
        Some(Overlay::Help) if app.form.is_some() => draw_help(f, &t!("tui.help_form"), theme),
        Some(Overlay::Help) => draw_help(f, &t!("tui.help"), theme),
        Some(Overlay::ConfirmDelete(name)) => draw_confirm(
            f,
            &t!("tui.confirm_title"),
            &t!("tui.confirm_delete", name = name),
            theme,
        ),
        Some(Overlay::ConfirmDiscard) => draw_confirm(
            f,
            &t!("tui.discard_title"),
            &t!("tui.confirm_discard"),
            theme,
        ),
        None => {}
    }
}

fn draw_empty(f: &mut Frame, area: Rect, theme: Theme) {
    let text = t!("tui.empty");
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("tui.profiles"));
    let p = Paragraph::new(text)
        .block(block)
        .style(theme.fg(Color::Gray))
        .wrap(Wrap { trim: false });
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
            ListItem::new(format!("{mark}{}", r.name))
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
    let p = Paragraph::new(detail)
        .block(Block::default().borders(Borders::ALL).title(name))
        .wrap(Wrap { trim: false });
    f.render_widget(p, right);
}

fn detail<'a>(app: &App, r: &'a Row, theme: Theme) -> Vec<Line<'a>> {
    let label = |s: String| Span::styled(format!("{s:<10}"), theme.fg(Color::DarkGray));
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
    let used = match (app.last_used.get(&r.name), app.now) {
        (Some(then), Some(now)) => crate::config::state::ago(*then, now),
        _ => t!("tui.never_used"),
    };
    lines.push(Line::from(vec![
        label(t!("tui.last_used")),
        Span::styled(used, theme.fg(Color::Gray)),
    ]));
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
    }
    lines
}

/// A box of `w`×`h` cells centred in the screen, clipped to it.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(f: &mut Frame, text: &str, theme: Theme) {
    let lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_string())).collect();
    let width = lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 2;
    let area = centered(f.area(), width, lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("tui.help_title"))
        .border_style(theme.fg(Color::Cyan));
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_confirm(f: &mut Frame, title: &str, text: &str, theme: Theme) {
    let area = centered(f.area(), 50, 5);
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_string())
        .border_style(theme.fg(Color::Red));
    let p = Paragraph::new(text.to_string())
        .block(block)
        .wrap(Wrap { trim: true });
    f.render_widget(p, area);
}

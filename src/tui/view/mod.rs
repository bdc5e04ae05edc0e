//! Drawing: reads the `App`, never changes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, Overlay, Screen};
use crate::i18n::{self, Lang};
use crate::t;

mod amount;
mod budget;
mod chain;
mod editor;
mod form;
mod home;
mod import_dialog;
mod menu;
mod resume;
mod test;
mod theme;
mod usage;
mod wrap;

pub use theme::Theme;

pub fn draw(f: &mut Frame, app: &App, theme: Theme) {
    draw_screen(f, app, &app.screen, theme);
}

/// A screen with its title, status and key lines; a dialog draws the
/// screen it covers first.
fn draw_screen(f: &mut Frame, app: &App, screen: &Screen, theme: Theme) {
    let [title, body, status, footer] = areas(f.area());
    let (name, said, keys) = match screen {
        Screen::Home { filtering } => {
            home::draw(f, app, body, theme);
            let said = if *filtering || !app.filter.is_empty() {
                t!("tui.filter_line", filter = app.filter)
            } else {
                app.status.clone().unwrap_or_default()
            };
            let keys = if app.rows.is_empty() && app.import_offer.is_some() {
                t!("tui.footer_empty_import")
            } else if app.rows.is_empty() {
                t!("tui.footer_empty")
            } else {
                t!("tui.footer")
            };
            (t!("tui.title"), said, keys)
        }
        Screen::Form { form, picker } => {
            form::draw(f, app, form, body, theme);
            if let Some(edit) = &form.chain {
                chain::draw(f, app, form, edit, theme);
            }
            if let Some(edit) = &form.menu {
                menu::draw(f, app, form, edit, theme);
            }
            if let Some(p) = picker {
                form::draw_picker(f, app, p, theme);
            }
            let labelling = form.menu.as_ref().is_some_and(|m| m.label.is_some());
            let said = app
                .status
                .clone()
                .unwrap_or_else(|| match (&form.chain, &form.menu) {
                    (Some(_), _) => t!("chain.hint"),
                    (None, Some(_)) if labelling => t!("menu.label_hint"),
                    (None, Some(_)) => t!("menu.hint"),
                    (None, None) => form::status(app, form),
                });
            let keys = match (picker, &form.chain, &form.menu) {
                (Some(_), _, _) => t!("tui.footer_picker"),
                (None, Some(_), _) => t!("tui.footer_chain"),
                (None, None, Some(_)) if labelling => t!("tui.footer_menu_label"),
                (None, None, Some(_)) => t!("tui.footer_menu"),
                (None, None, None) => t!("tui.footer_form"),
            };
            (form::title(form), said, keys)
        }
        Screen::Test { test, .. } => {
            test::draw(f, app, test, body, theme);
            (t!("tui.title_test"), String::new(), t!("tui.footer_test"))
        }
        Screen::Usage(view) => {
            usage::draw(f, app, view, body, theme);
            let said = app.status.clone().unwrap_or_else(|| usage::status(view));
            (t!("usage_screen.title"), said, usage::footer(view))
        }
        Screen::Resume(view) => {
            resume::draw(f, app, view, body, theme);
            let said = app.status.clone().unwrap_or_else(|| resume::status(view));
            let title = t!("resume.title", profile = view.profile);
            (title, said, resume::footer(view))
        }
        Screen::Overlay { overlay, under } => {
            draw_screen(f, app, under, theme);
            draw_overlay(f, overlay, under, theme);
            return;
        }
    };
    f.render_widget(
        Line::from(vec![
            Span::styled(
                " ccswitch ",
                theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            Span::raw(name),
        ]),
        title,
    );
    f.render_widget(
        Line::from(Span::styled(format!(" {said}"), theme.fg(Color::Yellow))),
        status,
    );
    f.render_widget(
        Line::from(Span::styled(format!(" {keys}"), theme.fg(Color::DarkGray))),
        footer,
    );
}

fn draw_overlay(f: &mut Frame, overlay: &Overlay, under: &Screen, theme: Theme) {
    match overlay {
        Overlay::Help => {
            let text = help_text(under.form().is_some(), i18n::lang());
            draw_help(f, &t!("tui.help_title"), &text, theme);
        }
        Overlay::ConfirmDelete(name) => draw_confirm(
            f,
            &t!("tui.confirm_title"),
            &t!("tui.confirm_delete", name = name),
            theme,
        ),
        Overlay::ConfirmImport(lines) => {
            let [_, body, _, _] = areas(f.area());
            import_dialog::draw(f, lines, body, theme);
        }
        Overlay::ConfirmDiscard => draw_confirm(
            f,
            &t!("tui.discard_title"),
            &t!("tui.confirm_discard"),
            theme,
        ),
    }
}

/// Every screen's rows: its title, its body, a status line and its keys.
fn areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The help pop-up's text in `lang`: the form's keys, or the list's
/// (`tui.help` with the resume and usage screens' keys put in before the
/// last two, `?` and quit, as those lines are kept with the screens'
/// messages). The man page's TUI KEYS section is made from it, in
/// English, so the two cannot drift apart.
pub fn help_text(on_form: bool, lang: Lang) -> String {
    let text = |key: &str| i18n::text_in(lang, key);
    if on_form {
        return text("tui.help_form").to_string();
    }
    let (resume, usage) = (text("resume.help_key"), text("usage_screen.help_key"));
    let mut lines: Vec<&str> = text("tui.help").lines().collect();
    let at = lines.len().saturating_sub(2);
    lines.splice(at..at, [resume, usage]);
    lines.join("\n")
}

fn draw_help(f: &mut Frame, title: &str, text: &str, theme: Theme) {
    let lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_string())).collect();
    let width = lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 2;
    let area = theme::centered(f.area(), width, lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    let block = theme.popup(title.to_string());
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_confirm(f: &mut Frame, title: &str, text: &str, theme: Theme) {
    let area = theme::centered(f.area(), 50, 5);
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_string())
        .border_style(theme.fg(Color::Red));
    let width = usize::from(block.inner(area).width);
    f.render_widget(Paragraph::new(wrap::lines(text, width)).block(block), area);
}

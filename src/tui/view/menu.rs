//! The model menu editor: a box over the form listing the models
//! `/model` shows after the slots, in its order, with their labels.

use ratatui::Frame;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;

use super::editor::{list_box, unknown_provider};
use super::theme::Theme;
use crate::config::MenuItem;
use crate::t;
use crate::tui::app::App;
use crate::tui::form::{Form, MenuEdit};

pub fn draw(f: &mut Frame, app: &App, form: &Form, edit: &MenuEdit, theme: Theme) {
    let dim = theme.fg(Color::DarkGray);
    let own = form.values.provider.name().unwrap_or_default();
    let mut rows = Vec::new();
    for (i, item) in form.values.menu.iter().enumerate() {
        let mut spans = vec![Span::raw(format!("{}. {} · ", i + 1, item.provider()))];
        match item {
            MenuItem::One(e) => {
                spans.push(Span::raw(e.slot.model.clone()));
                // The label being typed, else the one it has.
                let typing = edit.label.as_ref().filter(|_| i == edit.selected);
                if let Some(typed) = typing {
                    let text = t!("menu.label", label = format!("{typed}▏"));
                    spans.push(Span::styled(format!("  {text}"), theme.fg(Color::Yellow)));
                } else if let Some(l) = &e.label {
                    let text = t!("menu.label", label = l);
                    spans.push(Span::styled(format!("  {text}"), theme.fg(Color::Cyan)));
                }
                if let Some(chain) = e.slot.fallback_text() {
                    spans.push(Span::styled(format!("  → {chain}"), dim));
                }
            }
            MenuItem::All { .. } => spans.push(Span::raw(t!("menu.all_models"))),
        }
        spans.extend(unknown_provider(app, item.provider(), own, theme));
        rows.push(ListItem::new(Line::from(spans)));
    }
    let empty = rows.is_empty();
    if empty {
        rows.push(ListItem::new(Span::styled(t!("menu.none"), dim)));
    }
    let keys = if edit.label.is_some() {
        t!("menu.label_keys")
    } else {
        t!("menu.keys")
    };
    let selected = (!empty).then_some(edit.selected);
    list_box(f, t!("menu.title"), rows, selected, keys, theme);
}

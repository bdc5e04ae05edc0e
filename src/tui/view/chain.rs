//! The fallback chain editor: a box over the form listing the slot's
//! targets in the order the proxy tries them.

use ratatui::Frame;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;

use super::editor::{list_box, unknown_provider};
use super::theme::Theme;
use crate::t;
use crate::tui::app::App;
use crate::tui::form::{ChainEdit, Form};

pub fn draw(f: &mut Frame, app: &App, form: &Form, edit: &ChainEdit, theme: Theme) {
    let targets = form.fallbacks(edit.slot);
    let field = super::form::label(edit.slot).to_lowercase();
    let dim = theme.fg(Color::DarkGray);
    let own = form.values.provider.name().unwrap_or_default();
    let first = form.text(edit.slot).trim();
    // The first target, then the fallbacks (or a line saying there are none).
    let mut rows = vec![ListItem::new(Line::from(vec![
        Span::raw(format!("1. {own} · {first}")),
        Span::styled(format!("  {}", t!("chain.first")), dim),
    ]))];
    for (i, target) in targets.iter().enumerate() {
        let mut spans = vec![Span::raw(format!(
            "{}. {} · {}",
            i + 2,
            target.provider,
            target.model
        ))];
        spans.extend(unknown_provider(app, &target.provider, own, theme));
        rows.push(ListItem::new(Line::from(spans)));
    }
    if targets.is_empty() {
        rows.push(ListItem::new(Span::styled(t!("chain.none"), dim)));
    }
    let selected = (!targets.is_empty()).then_some(edit.selected + 1);
    let title = t!("chain.title", field = field);
    list_box(f, title, rows, selected, t!("chain.keys"), theme);
}

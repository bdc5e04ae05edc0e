//! The fallback chain editor: a box over the form listing the slot's
//! targets in the order the proxy tries them.

use ratatui::Frame;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, HighlightSpacing, List, ListItem, ListState};

use super::theme::{Theme, centered};
use crate::t;
use crate::tui::app::App;
use crate::tui::form::{ChainEdit, Form};

pub fn draw(f: &mut Frame, app: &App, form: &Form, edit: &ChainEdit, theme: Theme) {
    let screen = f.area();
    let targets = form.fallbacks(edit.slot);
    // The first target, the fallbacks (or a line saying there are none),
    // a blank line and the keys; inside a border.
    let rows = 1 + targets.len().max(1) + 2;
    let w = screen.width.saturating_sub(2).min(90);
    let area = centered(screen, w, rows as u16 + 2);
    f.render_widget(Clear, area);
    let field = super::form::label(edit.slot).to_lowercase();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t!("chain.title", field = field))
        .border_style(theme.fg(Color::Cyan));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let dim = theme.fg(Color::DarkGray);
    let own = form.values.provider.name().unwrap_or_default();
    let first = form.text(edit.slot).trim();
    let mut items = vec![ListItem::new(Line::from(vec![
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
        if !app.config.providers.contains_key(&target.provider) && target.provider != own {
            spans.push(Span::styled(
                format!("  ✗ {}", t!("chain.no_provider")),
                theme.fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        items.push(ListItem::new(Line::from(spans)));
    }
    if targets.is_empty() {
        items.push(ListItem::new(Span::styled(t!("chain.none"), dim)));
    }
    items.push(ListItem::new(""));
    items.push(ListItem::new(Span::styled(t!("chain.keys"), dim)));
    let selected = (!targets.is_empty()).then_some(edit.selected + 1);
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol("> ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = ListState::default().with_selected(selected);
    f.render_stateful_widget(list, inner, &mut state);
}

//! The box the list editors over the form draw in (a slot's fallback
//! chain, the model menu): their rows, a blank line and their keys.

use ratatui::Frame;
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;
use ratatui::widgets::{Clear, HighlightSpacing, List, ListItem, ListState};

use super::theme::{Theme, centered};
use crate::t;
use crate::tui::app::App;

/// Draw `rows` in a box titled `title`, the row at `selected` marked,
/// and `keys` under them.
pub(super) fn list_box(
    f: &mut Frame,
    title: String,
    mut rows: Vec<ListItem<'static>>,
    selected: Option<usize>,
    keys: String,
    theme: Theme,
) {
    let screen = f.area();
    // The rows, a blank line and the keys; inside a border.
    let height = rows.len() + 2;
    let w = screen.width.saturating_sub(2).min(90);
    let area = centered(screen, w, height as u16 + 2);
    f.render_widget(Clear, area);
    let block = theme.popup(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    rows.push(ListItem::new(""));
    rows.push(ListItem::new(Span::styled(keys, theme.fg(Color::DarkGray))));
    let list = List::new(rows)
        .highlight_style(theme.selected())
        .highlight_symbol("> ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = ListState::default().with_selected(selected);
    f.render_stateful_widget(list, inner, &mut state);
}

/// A mark after a target whose provider the config does not have (a
/// chain or menu written by hand, or a provider since removed); `own`,
/// the form's provider, may not be saved yet.
pub(super) fn unknown_provider(
    app: &App,
    provider: &str,
    own: &str,
    theme: Theme,
) -> Option<Span<'static>> {
    (!app.config.providers.contains_key(provider) && provider != own).then(|| {
        Span::styled(
            format!("  ✗ {}", t!("chain.no_provider")),
            theme.fg(Color::Red).add_modifier(Modifier::BOLD),
        )
    })
}

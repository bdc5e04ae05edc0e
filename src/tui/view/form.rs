//! The profile form and the pickers over it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

use super::theme::{Theme, centered, spinner};
use super::wrap;
use crate::config::MenuItem;
use crate::tui::app::{App, KeyState};
use crate::tui::form::{FieldId, Form, FormMode, KeyFrom, ProviderSel};
use crate::tui::picker::{Fetch, Group, PickFor, Picker};
use crate::{t, tn};

const LABEL: usize = 14;

pub fn title(form: &Form) -> String {
    match &form.mode {
        FormMode::New => t!("form.title_new"),
        FormMode::Edit(n) => t!("form.title_edit", name = n),
        FormMode::Duplicate(n) => t!("form.title_duplicate", name = n),
    }
}

pub(super) fn label(f: FieldId) -> String {
    crate::i18n::text(match f {
        FieldId::Name => "form.name",
        FieldId::Provider => "form.provider",
        FieldId::BaseUrl => "form.base_url",
        FieldId::Api => "form.api",
        FieldId::KeyFrom => "form.key_from",
        FieldId::Key => "form.key",
        FieldId::Main => "form.main",
        FieldId::Fast => "form.fast",
        FieldId::Description => "form.description",
        FieldId::More => "form.more",
        FieldId::Opus => "form.opus",
        FieldId::Sonnet => "form.sonnet",
        FieldId::Haiku => "form.haiku",
        FieldId::Subagent => "form.subagent",
        FieldId::Menu => "form.menu",
        FieldId::MaxOutput => "form.max_output",
        FieldId::Context => "form.context",
        FieldId::DailyUsd => "form.daily_usd",
        FieldId::MonthlyUsd => "form.monthly_usd",
        FieldId::DailyTokens => "form.daily_tokens",
        FieldId::MonthlyTokens => "form.monthly_tokens",
        FieldId::Proxy => "form.proxy",
        FieldId::CaFile => "form.ca_file",
        FieldId::Env => "form.env",
    })
    .to_string()
}

/// The label of the key field depends on where the key comes from.
fn key_label(form: &Form) -> String {
    match form.values.key_from {
        KeyFrom::Env => t!("form.key_env"),
        KeyFrom::Command => t!("form.key_command"),
        _ => label(FieldId::Key),
    }
}

/// What the status line says with nothing else to say: the focused
/// field's problem in full, or how to fill it in.
pub fn status(app: &App, form: &Form) -> String {
    if let Some(e) = shown_error(app, form, form.focus) {
        return e;
    }
    crate::i18n::text(match form.focus {
        FieldId::Provider => "form.hint_provider",
        FieldId::Api | FieldId::KeyFrom => "form.hint_choice",
        FieldId::Key if form.values.key_from == KeyFrom::Keyring => "form.hint_key",
        FieldId::Key if form.values.key_from == KeyFrom::Env => "form.hint_key_env",
        FieldId::Key => "form.hint_key_command",
        f if f.is_model() => "form.hint_model",
        FieldId::More => "form.hint_more",
        FieldId::Menu => "form.hint_menu",
        FieldId::Env => "form.hint_env",
        FieldId::Proxy => "form.hint_proxy",
        FieldId::Context => "form.hint_context",
        FieldId::DailyUsd | FieldId::MonthlyUsd => "form.hint_budget_usd",
        FieldId::DailyTokens | FieldId::MonthlyTokens => "form.hint_budget_tokens",
        _ => "form.hint_text",
    })
    .to_string()
}

/// Errors show as you type; an empty field only complains after a save
/// attempt (a blank new form is not a wall of red).
fn shown_error(app: &App, form: &Form, f: FieldId) -> Option<String> {
    let e = form.error(f, &app.config, &app.presets)?;
    (form.tried || !form.text(f).trim().is_empty()).then_some(e)
}

fn value_spans(
    app: &App,
    form: &Form,
    f: FieldId,
    focused: bool,
    theme: Theme,
) -> Vec<Span<'static>> {
    let dim = theme.fg(Color::DarkGray);
    let v = &form.values;
    let cursor = if focused { "▏" } else { "" };
    match f {
        FieldId::Provider => match &v.provider {
            ProviderSel::None => vec![Span::styled(t!("form.provider_none"), dim)],
            ProviderSel::Existing(n) => {
                let p = app.config.providers.get(n);
                let mut spans = vec![Span::raw(n.clone())];
                if let Some(p) = p {
                    spans.push(Span::styled(
                        format!("  {} · {}", p.display_name, p.api),
                        dim,
                    ));
                    let users: Vec<&str> = app
                        .config
                        .profiles_using(n)
                        .into_iter()
                        .filter(|u| !matches!(&form.mode, FormMode::Edit(m) if m == u))
                        .collect();
                    if !users.is_empty() {
                        spans.push(Span::styled(
                            format!("  {}", t!("form.shared", names = users.join(", "))),
                            dim,
                        ));
                    }
                }
                spans
            }
            ProviderSel::New { preset, name } => {
                let display = app
                    .presets
                    .get(preset)
                    .map_or(preset.clone(), |p| p.name.clone());
                vec![
                    Span::raw(name.clone()),
                    Span::styled(
                        format!("  {}", t!("form.new_from_preset", preset = display)),
                        dim,
                    ),
                ]
            }
        },
        FieldId::Api => vec![Span::raw(format!("◂ {} ▸", v.api))],
        FieldId::KeyFrom => vec![Span::raw(format!("◂ {} ▸", v.key_from.label()))],
        FieldId::More => vec![Span::styled(
            if form.more {
                t!("form.more_open")
            } else {
                t!("form.more_closed")
            },
            dim,
        )],
        FieldId::Menu if v.menu.is_empty() => vec![Span::styled(t!("form.menu_none"), dim)],
        FieldId::Menu => {
            let items: Vec<String> = v.menu.iter().map(menu_entry).collect();
            vec![Span::raw(items.join(", "))]
        }
        FieldId::Key if v.key_from == KeyFrom::Keyring => {
            if v.key.is_empty() {
                let saved = match &v.provider {
                    ProviderSel::Existing(n) => app.key_state(n),
                    _ => KeyState::Missing(String::new()),
                };
                let hint = match saved {
                    KeyState::Found(from) => t!("form.key_saved", source = from),
                    _ => t!("form.key_paste"),
                };
                vec![Span::raw(cursor.to_string()), Span::styled(hint, dim)]
            } else {
                // Masked: one dot per character, so a paste visibly landed.
                let dots: String = "•".repeat(v.key.chars().count().min(40));
                vec![Span::raw(format!("{dots}{cursor}"))]
            }
        }
        f => {
            let text = form.text(f).to_string();
            let mut spans = vec![Span::raw(format!("{text}{cursor}"))];
            let chain = form.fallbacks(f);
            if !chain.is_empty() {
                let rest: Vec<String> = chain
                    .iter()
                    .map(|t| format!("{}/{}", t.provider, t.model))
                    .collect();
                spans.push(Span::styled(format!("  → {}", rest.join(", ")), dim));
            } else if f.is_model() && focused && !text.is_empty() {
                spans.push(Span::styled(t!("form.chain_key"), dim));
            }
            if f.is_model() && text.is_empty() {
                if let Some((model, provider)) = form.slot_elsewhere(&app.config, f) {
                    spans.push(Span::styled(
                        t!("form.kept_elsewhere", model = model, provider = provider),
                        dim,
                    ));
                } else if focused {
                    spans.push(Span::styled(t!("form.model_enter"), dim));
                }
            }
            spans
        }
    }
}

/// A menu entry on the form's one line: what `/model` shows for it, and
/// its provider (`Kimi K3 (moon)`, `all models (local)`); the editor
/// has the rest.
fn menu_entry(item: &MenuItem) -> String {
    let shown = match item {
        MenuItem::One(e) => e.label.clone().unwrap_or_else(|| e.slot.model.clone()),
        MenuItem::All { .. } => t!("menu.all_models"),
    };
    format!("{shown} ({})", item.provider())
}

pub fn draw(f: &mut Frame, app: &App, form: &Form, area: Rect, theme: Theme) {
    let block = Block::default().borders(Borders::ALL).title(title(form));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let fields = form.fields(&app.config, &app.presets);
    let height = inner.height as usize;
    // Keep the focused field in view on short terminals.
    let at = fields.iter().position(|x| *x == form.focus).unwrap_or(0);
    let skip = (at + 1).saturating_sub(height);
    let mut lines = Vec::new();
    for &field in fields.iter().skip(skip).take(height) {
        let focused = field == form.focus;
        let name = if field == FieldId::Key {
            key_label(form)
        } else {
            label(field)
        };
        let marker = if focused { "> " } else { "  " };
        let label_style = if focused {
            theme.selected()
        } else {
            theme.fg(Color::Gray)
        };
        // Pad by display width: CJK labels take two columns a character.
        let pad = LABEL.saturating_sub(Span::raw(name.as_str()).width());
        let mut spans = vec![Span::styled(
            format!("{marker}{name}{}", " ".repeat(pad)),
            label_style,
        )];
        spans.push(Span::raw(" "));
        spans.extend(value_spans(app, form, field, focused, theme));
        if let Some(e) = shown_error(app, form, field) {
            spans.push(Span::styled(
                format!("  ✗ {e}"),
                theme.fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_picker(f: &mut Frame, app: &App, p: &Picker, theme: Theme) {
    let screen = f.area();
    // Covers the form's long lines at 80 columns; centred when wider.
    let w = screen.width.saturating_sub(2).min(100);
    let h = screen.height.saturating_sub(4);
    let area = centered(screen, w, h);
    f.render_widget(Clear, area);
    let title = match &p.purpose {
        PickFor::Provider => t!("picker.title_provider"),
        PickFor::Model(field) => t!("picker.title_model", field = label(*field).to_lowercase()),
        PickFor::FallbackProvider => t!("picker.title_fallback_provider"),
        PickFor::FallbackModel { provider, .. } => {
            t!("picker.title_fallback_model", provider = provider)
        }
        PickFor::MenuProvider => t!("picker.title_menu_provider"),
        PickFor::MenuModel { provider, .. } => {
            t!("picker.title_menu_model", provider = provider)
        }
    };
    let block = theme.popup(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [filter, state, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(1),
    ])
    .areas(inner);
    f.render_widget(
        Line::from(vec![
            Span::styled(t!("picker.filter"), theme.fg(Color::DarkGray)),
            Span::raw(format!("{}▏", p.filter)),
        ]),
        filter,
    );
    let (text, style) = match &p.fetch {
        Fetch::Idle => (String::new(), Style::new()),
        Fetch::Loading(_) => (
            format!("{} {}", spinner(app.tick), t!("picker.loading")),
            theme.fg(Color::Yellow),
        ),
        // "more" only after suggestions: with none, every model is listed.
        Fetch::Done(n) if p.items.iter().any(|i| i.group != Group::Listed) => {
            (tn!("picker.listed", count = n), theme.fg(Color::Green))
        }
        Fetch::Done(n) => (tn!("picker.listed_all", count = n), theme.fg(Color::Green)),
        Fetch::Failed(e) => (t!("picker.failed", error = e), theme.fg(Color::Red)),
    };
    // Two lines: a provider's error message is often long.
    f.render_widget(
        Paragraph::new(wrap::lines(
            Line::from(Span::styled(text, style)),
            usize::from(state.width),
        )),
        state,
    );
    let visible = p.visible();
    let mut items = Vec::new();
    let mut selected_row = None;
    let mut last_group = None;
    for (i, it) in visible.iter().enumerate() {
        if last_group != Some(it.group) {
            last_group = Some(it.group);
            let heading = crate::i18n::text(match it.group {
                Group::Saved => "picker.group_saved",
                Group::Presets => "picker.group_presets",
                Group::Suggested => "picker.group_suggested",
                Group::Listed => "picker.group_listed",
                Group::Whole => "picker.group_whole",
            });
            items.push(ListItem::new(Line::from(Span::styled(
                heading.to_string(),
                theme.fg(Color::DarkGray).add_modifier(Modifier::BOLD),
            ))));
        }
        if i == p.selected {
            selected_row = Some(items.len());
        }
        let width = (list.width as usize).saturating_sub(4);
        let label_w = 30.min(width);
        let mut label: String = it.label.chars().take(label_w).collect();
        if label.chars().count() < label_w {
            label = format!("{label:<label_w$}");
        }
        items.push(ListItem::new(Line::from(vec![
            Span::raw(format!("{label} ")),
            Span::styled(it.detail.clone(), theme.fg(Color::DarkGray)),
        ])));
    }
    if visible.is_empty() {
        let msg = match (&p.purpose, p.filter.trim().is_empty()) {
            (purpose, false) if purpose.is_model() => {
                t!("picker.use_typed", id = p.filter.trim())
            }
            _ => t!("picker.nothing"),
        };
        items.push(ListItem::new(Span::styled(msg, theme.fg(Color::Gray))));
    }
    let widget = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol("> ");
    let mut state = ListState::default().with_selected(selected_row);
    f.render_stateful_widget(widget, list, &mut state);
}

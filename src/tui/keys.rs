//! The key map: a key press becomes a message, given what is on screen.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Msg};

/// Translate a key press into a message, given what is on screen.
pub fn to_msg(app: &App, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            // Ctrl-C quits from the list; on a form it asks first (Esc).
            KeyCode::Char('c') if app.form.is_some() => Some(Msg::Cancel),
            KeyCode::Char('c') => Some(Msg::Quit),
            KeyCode::Char('s') => Some(Msg::Save),
            KeyCode::Char('t') => Some(Msg::Test),
            KeyCode::Char('u') => Some(Msg::Clear),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Up => Msg::Up,
        KeyCode::Down => Msg::Down,
        KeyCode::Left => Msg::Left,
        KeyCode::Right => Msg::Right,
        KeyCode::Tab => Msg::Next,
        KeyCode::BackTab => Msg::Prev,
        KeyCode::Home => Msg::Home,
        KeyCode::End => Msg::End,
        KeyCode::Enter => Msg::Activate,
        KeyCode::Esc => Msg::Cancel,
        KeyCode::Backspace => Msg::Backspace,
        KeyCode::F(1) => Msg::Help,
        // Typing into a field, the filter or a dialog: letters are letters.
        KeyCode::Char(c) if app.typing() => Msg::Char(c),
        KeyCode::Char('k') => Msg::Up,
        KeyCode::Char('j') => Msg::Down,
        KeyCode::Char('g') => Msg::Home,
        KeyCode::Char('G') => Msg::End,
        KeyCode::Char('*') => Msg::SetDefault,
        KeyCode::Char('x') => Msg::Delete,
        KeyCode::Char('/') => Msg::Filter,
        KeyCode::Char('?') => Msg::Help,
        KeyCode::Char('q') => Msg::Quit,
        KeyCode::Char('n') => Msg::New,
        KeyCode::Char('e') => Msg::Edit,
        KeyCode::Char('d') => Msg::Duplicate,
        KeyCode::Char('t') => Msg::Test,
        KeyCode::Char(c) => Msg::Char(c),
        _ => return None,
    })
}

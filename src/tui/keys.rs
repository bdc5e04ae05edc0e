//! The key map: a key press becomes a message, given what is on screen.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Msg, Screen};

/// Translate a key press into a message, given what is on screen.
pub fn to_msg(screen: &Screen, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            // Ctrl-C quits from the list; on a form it asks first (Esc).
            KeyCode::Char('c') if screen.form().is_some() => Some(Msg::Cancel),
            KeyCode::Char('c') => Some(Msg::Quit),
            KeyCode::Char('s') => Some(Msg::Save),
            KeyCode::Char('t') => Some(Msg::Test),
            KeyCode::Char('u') => Some(Msg::Clear),
            KeyCode::Char('f') => Some(Msg::Fallbacks),
            _ => None,
        };
    }
    if key.modifiers.contains(KeyModifiers::SHIFT) {
        match key.code {
            KeyCode::Up => return Some(Msg::MoveUp),
            KeyCode::Down => return Some(Msg::MoveDown),
            _ => {}
        }
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
        KeyCode::Delete => Msg::Delete,
        KeyCode::F(1) => Msg::Help,
        // Typing into a field, the filter or a dialog: letters are letters.
        KeyCode::Char(c) if typing(screen) => Msg::Char(c),
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
        KeyCode::Char('u') => Msg::Usage,
        KeyCode::Char('r') => Msg::Resume,
        KeyCode::Char(c) => Msg::Char(c),
        _ => return None,
    })
}

/// Whether letters typed now are text rather than commands.
fn typing(screen: &Screen) -> bool {
    match screen {
        Screen::Home { filtering } => *filtering,
        Screen::Usage(_) | Screen::Resume(_) => false,
        Screen::Form { .. } | Screen::Overlay { .. } => true,
        // Over the form, `t` and `q` arrive as letters; the test takes both.
        Screen::Test { back, .. } => typing(back),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::Overlay;
    use crate::tui::form::Form;

    fn press(screen: &Screen, code: KeyCode, modifiers: KeyModifiers) -> Option<String> {
        to_msg(screen, KeyEvent::new(code, modifiers)).map(|m| format!("{m:?}"))
    }

    #[test]
    fn letters_are_commands_on_the_list_and_text_elsewhere() {
        let none = KeyModifiers::NONE;
        let home = Screen::default();
        let filtering = Screen::Home { filtering: true };
        let form = Screen::editing(Box::new(Form::new_profile()));
        let help = Overlay::Help.over(Screen::default());
        assert_eq!(press(&home, KeyCode::Char('q'), none).unwrap(), "Quit");
        for typing in [&filtering, &form, &help] {
            assert_eq!(
                press(typing, KeyCode::Char('q'), none).unwrap(),
                "Char('q')"
            );
        }
        assert_eq!(press(&home, KeyCode::Enter, none).unwrap(), "Activate");
        assert_eq!(press(&home, KeyCode::Char('u'), none).unwrap(), "Usage");
        assert_eq!(press(&home, KeyCode::Char('r'), none).unwrap(), "Resume");
        assert_eq!(press(&form, KeyCode::Char('r'), none).unwrap(), "Char('r')");
        assert_eq!(
            press(&filtering, KeyCode::Char('u'), none).unwrap(),
            "Char('u')"
        );
    }

    #[test]
    fn ctrl_c_quits_from_the_list_and_asks_first_on_a_form() {
        let ctrl = KeyModifiers::CONTROL;
        let form = Screen::editing(Box::new(Form::new_profile()));
        let help = Overlay::Help.over(Screen::editing(Box::new(Form::new_profile())));
        assert_eq!(
            press(&Screen::default(), KeyCode::Char('c'), ctrl).unwrap(),
            "Quit"
        );
        assert_eq!(press(&form, KeyCode::Char('c'), ctrl).unwrap(), "Cancel");
        assert_eq!(press(&help, KeyCode::Char('c'), ctrl).unwrap(), "Cancel");
    }

    #[test]
    fn chain_editor_keys() {
        let form = Screen::editing(Box::new(Form::new_profile()));
        let ctrl = KeyModifiers::CONTROL;
        let shift = KeyModifiers::SHIFT;
        assert_eq!(press(&form, KeyCode::Char('f'), ctrl).unwrap(), "Fallbacks");
        assert_eq!(press(&form, KeyCode::Up, shift).unwrap(), "MoveUp");
        assert_eq!(press(&form, KeyCode::Down, shift).unwrap(), "MoveDown");
        assert_eq!(press(&form, KeyCode::Up, KeyModifiers::NONE).unwrap(), "Up");
        assert_eq!(
            press(&form, KeyCode::Delete, KeyModifiers::NONE).unwrap(),
            "Delete"
        );
    }
}

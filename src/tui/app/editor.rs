//! The keys the list editors over the form share (a slot's fallback
//! chain, the model menu), so each key does the same in both.

use super::{App, Cmd, Msg, Overlay, Screen};
use crate::tui::form::Form;

/// What a key does in a list editor.
pub(super) enum EditKey {
    /// Move the selection by rows.
    Select(isize),
    /// Move the selected row up or down the list.
    Move(isize),
    Remove,
    Add,
    /// Enter: change the selected row (or add the first).
    Open,
    /// Close the editor.
    Done,
    /// Keys for something else (the form's, or an editor's own).
    Other(Msg),
}

impl EditKey {
    pub(super) fn of(msg: Msg) -> EditKey {
        match msg {
            Msg::Up => EditKey::Select(-1),
            Msg::Down => EditKey::Select(1),
            Msg::MoveUp | Msg::Char('K') => EditKey::Move(-1),
            Msg::MoveDown | Msg::Char('J') => EditKey::Move(1),
            Msg::Delete | Msg::Char('x') => EditKey::Remove,
            Msg::Char('a' | 'n') | Msg::New => EditKey::Add,
            Msg::Activate => EditKey::Open,
            Msg::Cancel | Msg::Quit | Msg::Char('q') => EditKey::Done,
            other => EditKey::Other(other),
        }
    }
}

impl App {
    /// The keys that are the form's while an editor is open: saving or
    /// testing closes the editor and the form does the rest; help opens
    /// over it. Anything else is ignored.
    pub(super) fn editor_passes(&mut self, mut form: Box<Form>, msg: Msg) -> (Screen, Option<Cmd>) {
        match msg {
            Msg::Save | Msg::Test => {
                form.close_editors();
                self.update_form(form, msg)
            }
            Msg::Help => (Overlay::Help.over(Screen::editing(form)), None),
            _ => (Screen::editing(form), None),
        }
    }
}

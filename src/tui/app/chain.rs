//! The fallback chain editor over a model field: the part of
//! `App::update` while it is open (its pickers are in `pick`).

use super::{App, Cmd, Msg, Overlay, Screen};
use crate::t;
use crate::tui::form::Form;

impl App {
    /// Ctrl-F on a model field.
    pub(super) fn open_chain(&mut self, mut form: Box<Form>) -> Screen {
        if form.open_chain(&self.config) {
            self.status = None;
        } else if let Some((model, provider)) = form.slot_elsewhere(&self.config, form.focus) {
            self.status = Some(t!(
                "form.chain_elsewhere",
                model = model,
                provider = provider
            ));
        } else {
            self.status = Some(t!("form.chain_model_only"));
        }
        Screen::editing(form)
    }

    pub(super) fn update_chain(&mut self, mut form: Box<Form>, msg: Msg) -> (Screen, Option<Cmd>) {
        let Some(edit) = form.chain.clone() else {
            return (Screen::editing(form), None);
        };
        let empty = form.fallbacks(edit.slot).is_empty();
        match msg {
            Msg::Up => form.chain_select(-1),
            Msg::Down => form.chain_select(1),
            Msg::MoveUp | Msg::Char('K') => form.chain_move(-1),
            Msg::MoveDown | Msg::Char('J') => form.chain_move(1),
            Msg::Delete | Msg::Char('x') => form.chain_remove(),
            Msg::Char('a' | 'n') | Msg::New => return self.add_fallback(form),
            Msg::Activate if empty => return self.add_fallback(form),
            Msg::Activate => {
                let provider = form.fallbacks(edit.slot)[edit.selected].provider.clone();
                let (picker, cmd) = self.fallback_models(&form, &provider, Some(edit.selected));
                return (Screen::picking(form, picker), cmd);
            }
            // Saving or testing closes the editor; the form does the rest.
            Msg::Save | Msg::Test => {
                form.chain = None;
                return self.update_form(form, msg);
            }
            Msg::Cancel | Msg::Quit | Msg::Fallbacks | Msg::Char('q') => form.chain = None,
            Msg::Help => return (Overlay::Help.over(Screen::editing(form)), None),
            _ => {}
        }
        (Screen::editing(form), None)
    }

    fn add_fallback(&mut self, form: Box<Form>) -> (Screen, Option<Cmd>) {
        let picker = self.fallback_provider_picker(&form);
        (Screen::picking(form, picker), None)
    }
}

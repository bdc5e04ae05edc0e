//! The fallback chain editor over a model field: the part of
//! `App::update` while it is open (its pickers are in `pick`).

use super::editor::EditKey;
use super::{App, Cmd, Msg, Screen};
use crate::t;
use crate::tui::form::Form;
use crate::tui::picker::PickFor;

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
        match EditKey::of(msg) {
            EditKey::Select(d) => form.chain_select(d),
            EditKey::Move(d) => form.chain_move(d),
            EditKey::Remove => form.chain_remove(),
            EditKey::Add => return self.add_fallback(form),
            EditKey::Open if empty => return self.add_fallback(form),
            EditKey::Open => {
                let purpose = PickFor::FallbackModel {
                    provider: form.fallbacks(edit.slot)[edit.selected].provider.clone(),
                    index: Some(edit.selected),
                };
                let (picker, cmd) = self.target_models(&form, purpose);
                return (Screen::picking(form, picker), cmd);
            }
            EditKey::Done | EditKey::Other(Msg::Fallbacks) => form.chain = None,
            EditKey::Other(msg) => return self.editor_passes(form, msg),
        }
        (Screen::editing(form), None)
    }

    fn add_fallback(&mut self, form: Box<Form>) -> (Screen, Option<Cmd>) {
        let picker = self.target_provider_picker(&form, PickFor::FallbackProvider);
        (Screen::picking(form, picker), None)
    }
}

//! The model menu editor over the form: the part of `App::update` while
//! it is open, and what its pickers pick (a provider, then one of its
//! models or all of them; the pickers are in `pick`).

use super::editor::EditKey;
use super::{App, Cmd, Msg, Screen};
use crate::config::{MenuEntry, MenuItem, Slot};
use crate::t;
use crate::tui::form::Form;
use crate::tui::picker::{Group, PickFor, Picker};

impl App {
    /// Enter on the Model menu field.
    pub(super) fn open_menu(&mut self, mut form: Box<Form>) -> Screen {
        self.status = None;
        form.open_menu();
        Screen::editing(form)
    }

    pub(super) fn update_menu(&mut self, mut form: Box<Form>, msg: Msg) -> (Screen, Option<Cmd>) {
        let Some(edit) = form.menu.clone() else {
            return (Screen::editing(form), None);
        };
        if edit.label.is_some() {
            return self.update_label(form, msg);
        }
        // What the last key said (a model already listed) is old news.
        self.status = None;
        match EditKey::of(msg) {
            EditKey::Select(d) => form.menu_select(d),
            EditKey::Move(d) => form.menu_move(d),
            EditKey::Remove => form.menu_remove(),
            EditKey::Open if form.menu_selected().is_some() => {
                let provider = form.menu_selected().map(MenuItem::provider);
                let purpose = PickFor::MenuModel {
                    provider: provider.unwrap_or_default().to_string(),
                    index: Some(edit.selected),
                };
                let (picker, cmd) = self.target_models(&form, purpose);
                return (Screen::picking(form, picker), cmd);
            }
            EditKey::Add | EditKey::Open => {
                let picker = self.target_provider_picker(&form, PickFor::MenuProvider);
                return (Screen::picking(form, picker), None);
            }
            EditKey::Done => form.menu = None,
            EditKey::Other(Msg::Char('l')) => {
                self.status = (!form.menu_label_start()).then(|| t!("menu.no_label"));
            }
            EditKey::Other(msg) => return self.editor_passes(form, msg),
        }
        (Screen::editing(form), None)
    }

    /// While the selected model's label is typed: letters are the label's.
    fn update_label(&mut self, mut form: Box<Form>, msg: Msg) -> (Screen, Option<Cmd>) {
        match msg {
            Msg::Char(c) => form.menu_label_mut().into_iter().for_each(|l| l.push(c)),
            Msg::Backspace => form.menu_label_mut().into_iter().for_each(|l| {
                l.pop();
            }),
            Msg::Clear => form.menu_label_mut().into_iter().for_each(String::clear),
            Msg::Activate => form.menu_label_done(true),
            Msg::Cancel | Msg::Quit => form.menu_label_done(false),
            // What was typed is what the user meant to save.
            Msg::Save | Msg::Test => {
                form.menu_label_done(true);
                return self.editor_passes(form, msg);
            }
            _ => {}
        }
        (Screen::editing(form), None)
    }

    /// Enter (or Tab) in a menu model's picker: the model, or the whole
    /// provider when its item was chosen with Enter (Tab takes the typed
    /// text as a model id).
    pub(super) fn menu_picked(&mut self, form: &mut Form, picker: &Picker, msg: &Msg, id: String) {
        let PickFor::MenuModel { provider, index } = &picker.purpose else {
            return;
        };
        let provider = provider.clone();
        let whole = matches!(msg, Msg::Activate)
            && picker.current().is_some_and(|i| i.group == Group::Whole);
        let item = if whole {
            MenuItem::All { provider }
        } else {
            MenuItem::One(MenuEntry {
                slot: Slot {
                    provider,
                    model: id,
                    fallbacks: Vec::new(),
                },
                label: None,
            })
        };
        let shown = item.text();
        self.status = (!form.menu_put(*index, item)).then(|| t!("menu.already", item = shown));
    }
}

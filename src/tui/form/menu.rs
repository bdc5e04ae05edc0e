//! The profile's model menu on the form, and its editor: add a model of
//! any provider (or a whole provider), change, remove, reorder and label
//! its entries.

use super::{Form, MenuEdit, list};
use crate::config::MenuItem;

/// Whether two items name the same thing: one model of a provider, or a
/// whole provider. A label or chain belongs to the one kept.
fn same(a: &MenuItem, b: &MenuItem) -> bool {
    match (a, b) {
        (MenuItem::One(a), MenuItem::One(b)) => {
            a.slot.provider == b.slot.provider && a.slot.model == b.slot.model
        }
        (MenuItem::All { provider: a }, MenuItem::All { provider: b }) => a == b,
        _ => false,
    }
}

/// `old` with another model (or provider): a single model keeps its label
/// and chain, as a fallback keeps its place when its model changes.
fn changed(old: &MenuItem, new: MenuItem) -> MenuItem {
    match (old, new) {
        (MenuItem::One(old), MenuItem::One(mut new)) => {
            new.label = new.label.or_else(|| old.label.clone());
            if new.slot.fallbacks.is_empty() {
                new.slot.fallbacks.clone_from(&old.slot.fallbacks);
            }
            MenuItem::One(new)
        }
        (_, new) => new,
    }
}

impl Form {
    /// Open the editor on the menu's first entry.
    pub fn open_menu(&mut self) {
        self.menu = Some(MenuEdit {
            selected: 0,
            label: None,
        });
    }

    /// The entry the editor has selected.
    pub fn menu_selected(&self) -> Option<&MenuItem> {
        self.values.menu.get(self.menu.as_ref()?.selected)
    }

    /// The model of the entry at `index`, when it is a single model.
    pub fn menu_model(&self, index: Option<usize>) -> Option<String> {
        match self.values.menu.get(index?)? {
            MenuItem::One(e) => Some(e.slot.model.clone()),
            MenuItem::All { .. } => None,
        }
    }

    /// Put `item` in place of the entry at `index`, or (`None`) at the
    /// end, and select it. The menu lists a thing once (the config refuses
    /// it twice): an item it has elsewhere is not put, the selection goes
    /// to that one, and this says `false`.
    pub fn menu_put(&mut self, index: Option<usize>, item: MenuItem) -> bool {
        let menu = &mut self.values.menu;
        let index = index.filter(|i| *i < menu.len());
        let twin = menu
            .iter()
            .enumerate()
            .position(|(i, m)| Some(i) != index && same(m, &item));
        let (at, put) = match (twin, index) {
            (Some(at), _) => (at, false),
            (None, Some(i)) => {
                menu[i] = changed(&menu[i], item);
                (i, true)
            }
            (None, None) => {
                menu.push(item);
                (menu.len() - 1, true)
            }
        };
        if let Some(e) = &mut self.menu {
            e.selected = at;
        }
        put
    }

    pub fn menu_remove(&mut self) {
        if let Some(e) = &mut self.menu {
            e.selected = list::remove(&mut self.values.menu, e.selected);
        }
    }

    /// Move the selection by `delta` rows.
    pub fn menu_select(&mut self, delta: isize) {
        if let Some(e) = &mut self.menu {
            e.selected = list::step(e.selected, delta, self.values.menu.len());
        }
    }

    /// Move the selected entry up or down the menu (`/model` lists it in
    /// this order).
    pub fn menu_move(&mut self, delta: isize) {
        if let Some(e) = &mut self.menu
            && let Some(to) = list::shift(&mut self.values.menu, e.selected, delta)
        {
            e.selected = to;
        }
    }

    /// Start typing the selected model's label. A whole provider has
    /// none (each of its models shows its own id): `false`.
    pub fn menu_label_start(&mut self) -> bool {
        let Some(MenuItem::One(entry)) = self.menu_selected() else {
            return false;
        };
        let typed = entry.label.clone().unwrap_or_default();
        if let Some(e) = &mut self.menu {
            e.label = Some(typed);
        }
        true
    }

    /// The label being typed.
    pub fn menu_label_mut(&mut self) -> Option<&mut String> {
        self.menu.as_mut()?.label.as_mut()
    }

    /// Stop typing the label; `keep` gives it to the model (an empty one
    /// takes the label away: `/model` shows the model id).
    pub fn menu_label_done(&mut self, keep: bool) {
        let Some(e) = &mut self.menu else { return };
        let Some(text) = e.label.take() else { return };
        if let (true, Some(MenuItem::One(entry))) = (keep, self.values.menu.get_mut(e.selected)) {
            let text = text.trim();
            entry.label = (!text.is_empty()).then(|| text.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MenuEntry, Slot};

    fn one(provider: &str, model: &str) -> MenuItem {
        MenuItem::One(MenuEntry {
            slot: Slot {
                provider: provider.into(),
                model: model.into(),
                fallbacks: Vec::new(),
            },
            label: None,
        })
    }

    fn all(provider: &str) -> MenuItem {
        MenuItem::All {
            provider: provider.into(),
        }
    }

    fn form() -> Form {
        let mut f = Form::new_profile();
        f.open_menu();
        f
    }

    fn shown(f: &Form) -> Vec<String> {
        f.values.menu.iter().map(MenuItem::text).collect()
    }

    fn selected(f: &Form) -> usize {
        f.menu.as_ref().unwrap().selected
    }

    #[test]
    fn add_move_remove() {
        let mut f = form();
        assert!(f.menu_put(None, one("moon", "kimi-k3")));
        assert!(f.menu_put(None, all("or")));
        assert_eq!(selected(&f), 1, "the new one");
        f.menu_move(-1);
        assert_eq!(shown(&f), ["or/* (all models)", "moon/kimi-k3"]);
        assert_eq!(selected(&f), 0);
        f.menu_move(-1);
        assert_eq!(selected(&f), 0, "already first");
        f.menu_select(1);
        f.menu_remove();
        assert_eq!(shown(&f), ["or/* (all models)"]);
        assert_eq!(selected(&f), 0);
        f.menu_remove();
        f.menu_remove();
        assert!(f.values.menu.is_empty());
    }

    #[test]
    fn a_thing_is_listed_once() {
        let mut f = form();
        f.menu_put(None, one("moon", "kimi-k3"));
        f.menu_put(None, all("moon"));
        assert!(!f.menu_put(None, one("moon", "kimi-k3")), "the same model");
        assert_eq!(selected(&f), 0, "on the one there");
        assert!(!f.menu_put(Some(0), all("moon")), "turned into a twin");
        assert!(f.menu_put(Some(1), all("moon")), "itself, in its place");
        assert_eq!(f.values.menu.len(), 2);
    }

    #[test]
    fn labels_are_typed_and_kept_when_the_model_changes() {
        let mut f = form();
        f.menu_put(None, one("moon", "kimi-k3"));
        f.menu_put(None, all("or"));
        assert!(!f.menu_label_start(), "a whole provider has no label");
        f.menu_select(-1);
        assert!(f.menu_label_start());
        f.menu_label_mut().unwrap().push_str("Kimi ");
        f.menu_label_done(true);
        assert_eq!(shown(&f)[0], "Kimi (moon/kimi-k3)", "trimmed");
        f.menu_label_start();
        f.menu_label_mut().unwrap().push('!');
        f.menu_label_done(false);
        assert_eq!(shown(&f)[0], "Kimi (moon/kimi-k3)", "Esc keeps the old");
        f.menu_put(Some(0), one("moon", "kimi-k3-turbo"));
        assert_eq!(shown(&f)[0], "Kimi (moon/kimi-k3-turbo)");
        f.menu_label_start();
        f.menu_label_mut().unwrap().clear();
        f.menu_label_done(true);
        assert_eq!(shown(&f)[0], "moon/kimi-k3-turbo", "empty: no label");
    }
}

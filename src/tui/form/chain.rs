//! A model slot's fallback chain on the form: the field's model is the
//! first target, and the chain editor adds, removes and reorders the
//! targets after it.

use super::{ChainEdit, FieldId, Form, FormMode, list};
use crate::config::{Config, Target};

impl Form {
    /// A slot of the saved profile served by another provider: the form
    /// does not edit it (nor its chain), and saving keeps it.
    pub fn slot_elsewhere(&self, cfg: &Config, f: FieldId) -> Option<(String, String)> {
        let (FormMode::Edit(name) | FormMode::Duplicate(name)) = &self.mode else {
            return None;
        };
        let p = cfg.profiles.get(name)?;
        let (_, s) = p.slots().into_iter().find(|(n, _)| Some(*n) == f.slot())?;
        (s.provider != p.provider && self.text(f).trim().is_empty())
            .then(|| (s.model.clone(), s.provider.clone()))
    }

    /// The targets after the field's model.
    pub fn fallbacks(&self, f: FieldId) -> &[Target] {
        f.slot()
            .and_then(|s| self.values.fallbacks.get(s))
            .map_or(&[], Vec::as_slice)
    }

    /// Changes the slot's fallbacks; a chain left empty has no entry, so
    /// the form compares equal to one that never had a chain.
    fn edit_fallbacks<T>(&mut self, f: FieldId, change: impl FnOnce(&mut Vec<Target>) -> T) -> T {
        let slot = f.slot().expect("a model field");
        let list = self.values.fallbacks.entry(slot).or_default();
        let out = change(list);
        if list.is_empty() {
            self.values.fallbacks.remove(slot);
        }
        out
    }

    /// Open the editor on the focused model field (not on one kept on
    /// another provider).
    pub fn open_chain(&mut self, cfg: &Config) -> bool {
        if !self.focus.is_model() || self.slot_elsewhere(cfg, self.focus).is_some() {
            return false;
        }
        self.chain = Some(ChainEdit {
            slot: self.focus,
            selected: 0,
        });
        true
    }

    /// Add a target at the end and select it.
    pub fn chain_add(&mut self, target: Target) {
        let Some(c) = &self.chain else { return };
        let slot = c.slot;
        let n = self.edit_fallbacks(slot, |l| {
            l.push(target);
            l.len()
        });
        if let Some(c) = &mut self.chain {
            c.selected = n - 1;
        }
    }

    pub fn chain_remove(&mut self) {
        let Some(c) = self.chain.clone() else { return };
        let selected = self.edit_fallbacks(c.slot, |l| list::remove(l, c.selected));
        if let Some(c) = &mut self.chain {
            c.selected = selected;
        }
    }

    /// Move the selection by `delta` rows.
    pub fn chain_select(&mut self, delta: isize) {
        let Some(c) = &self.chain else { return };
        let n = self.fallbacks(c.slot).len();
        if let Some(c) = &mut self.chain {
            c.selected = list::step(c.selected, delta, n);
        }
    }

    /// Move the selected target up or down the chain. Moving the first
    /// fallback up swaps it with the field's model when both are on the
    /// profile's provider (the field holds only that provider's models).
    pub fn chain_move(&mut self, delta: isize) {
        let Some(c) = self.chain.clone() else { return };
        let own = self.values.provider.name().unwrap_or_default().to_string();
        let len = self.fallbacks(c.slot).len();
        if c.selected >= len {
            return;
        }
        if delta < 0 && c.selected == 0 {
            let field = self.text(c.slot).trim().to_string();
            let first = &self.fallbacks(c.slot)[0];
            if first.provider != own || field.is_empty() {
                return;
            }
            let promoted = first.model.clone();
            self.edit_fallbacks(c.slot, |l| l[0].model = field);
            if let Some(t) = self.text_mut(c.slot) {
                *t = promoted;
            }
            return;
        }
        let moved = self.edit_fallbacks(c.slot, |l| list::shift(l, c.selected, delta));
        if let (Some(to), Some(c)) = (moved, &mut self.chain) {
            c.selected = to;
        }
    }

    /// Give a fallback another model.
    pub fn chain_set_model(&mut self, index: usize, model: String) {
        let Some(c) = &self.chain else { return };
        let slot = c.slot;
        self.edit_fallbacks(slot, |l| {
            if let Some(t) = l.get_mut(index) {
                t.model = model;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str, m: &str) -> Target {
        Target {
            provider: p.into(),
            model: m.into(),
        }
    }

    fn form() -> Form {
        let mut f = Form::new_profile();
        f.values.provider = super::super::ProviderSel::Existing("ds".into());
        f.values.main = "pro".into();
        f.focus = FieldId::Main;
        let cfg = crate::config::testing::mk_config("");
        assert!(f.open_chain(&cfg));
        f
    }

    fn chain(f: &Form) -> Vec<String> {
        f.fallbacks(FieldId::Main)
            .iter()
            .map(|t| format!("{}/{}", t.provider, t.model))
            .collect()
    }

    #[test]
    fn add_move_remove() {
        let mut f = form();
        f.chain_add(t("moon", "kimi"));
        f.chain_add(t("local", "qwen"));
        assert_eq!(f.chain.as_ref().unwrap().selected, 1, "the new one");
        f.chain_move(-1);
        assert_eq!(chain(&f), ["local/qwen", "moon/kimi"]);
        assert_eq!(f.chain.as_ref().unwrap().selected, 0);
        // Another provider cannot take the field's place.
        f.chain_move(-1);
        assert_eq!(chain(&f), ["local/qwen", "moon/kimi"]);
        assert_eq!(f.values.main, "pro");
        f.chain_move(1);
        f.chain_move(1);
        assert_eq!(chain(&f), ["moon/kimi", "local/qwen"]);
        f.chain_remove();
        f.chain_remove();
        assert!(chain(&f).is_empty());
        assert!(f.values.fallbacks.is_empty(), "no empty entry is left");
        f.chain_remove();
    }

    #[test]
    fn the_same_provider_swaps_with_the_field() {
        let mut f = form();
        f.chain_add(t("ds", "flash"));
        f.chain_move(-1);
        assert_eq!(f.values.main, "flash");
        assert_eq!(chain(&f), ["ds/pro"]);
        f.chain_set_model(0, "pro-2".into());
        assert_eq!(chain(&f), ["ds/pro-2"]);
    }
}

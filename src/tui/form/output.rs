//! A valid form as a [`FormPlan`]: what to write to the config and keyring.

use secrecy::SecretString;

use super::check::parse_env;
use super::{FieldId, Form, FormMode, KeyFrom, ProviderSel, blank, load_provider};
use crate::config::Config;
use crate::config::edit::{KeyChoice, ProfileChange, ProviderChange, ProviderEdit, SlotValue};
use crate::tui::plan::{FormPlan, ProviderPlan};

impl Form {
    /// What saving this form means for the config file and the keyring.
    /// Call only when [`Form::first_error`] is `None`.
    pub fn plan(&self, cfg: &Config) -> FormPlan {
        let v = &self.values;
        let provider = v.provider.name().unwrap_or_default().to_string();
        let mut change = ProfileChange {
            provider: Some(provider),
            description: opt(&v.description),
            max_output_tokens: v.max_output.trim().parse().ok(),
            env: Some(parse_env(&v.env).unwrap_or_default()),
            // Only a changed menu is written: one laid out by hand keeps
            // its comments and its plain ids.
            menu: (v.menu != self.initial.menu).then(|| v.menu.clone()),
            ..ProfileChange::default()
        };
        if change.description.is_none() {
            change.unset.push("description".into());
        }
        if change.max_output_tokens.is_none() {
            change.unset.push("max_output_tokens".into());
        }
        let saved = match &self.mode {
            FormMode::Edit(n) | FormMode::Duplicate(n) => cfg.profiles.get(n),
            FormMode::New => None,
        };
        let size = self.size_plan(saved, &mut change);
        for f in FieldId::ALL_MODELS {
            let slot = f.slot().expect("model field");
            let model = self.text(f).trim();
            // A slot served by another provider is not on the form: keep it.
            let elsewhere = slot != "main"
                && saved
                    .and_then(|p| p.slots().into_iter().find(|(n, _)| *n == slot))
                    .is_some_and(|(_, s)| s.provider != saved.map_or("", |p| &p.provider));
            if model.is_empty() {
                if !elsewhere {
                    change.unset.push(slot.into());
                }
            } else {
                change.slots.push((
                    slot,
                    SlotValue {
                        provider: None,
                        model: model.to_string(),
                    },
                ));
                // Always said, also when unchanged: a slot the file does
                // not set (fast defaults to main) inherits its chain, and
                // writing the slot must not drop it. The edit leaves a chain
                // already written this way alone.
                let chain = self.fallbacks(f);
                if !elsewhere {
                    change.fallbacks.push((
                        slot,
                        chain
                            .iter()
                            .map(|t| SlotValue {
                                provider: Some(t.provider.clone()),
                                model: t.model.clone(),
                            })
                            .collect(),
                    ));
                }
            }
        }
        let (original, copy_from) = match &self.mode {
            FormMode::New => (None, None),
            FormMode::Edit(n) => (Some(n.clone()), None),
            FormMode::Duplicate(n) => (None, Some(n.clone())),
        };
        FormPlan {
            original,
            copy_from,
            name: v.name.trim().to_string(),
            provider: self.provider_plan(cfg),
            profile: change,
            size,
        }
    }

    /// The provider as the form describes it (new, or changes to a saved one).
    pub fn provider_plan(&self, cfg: &Config) -> ProviderPlan {
        let v = &self.values;
        let key_choice = match v.key_from {
            KeyFrom::Keyring => KeyChoice::Keyring,
            KeyFrom::Env => KeyChoice::Env(v.key.trim().to_string()),
            KeyFrom::Command => KeyChoice::Command(v.key.trim().to_string()),
            KeyFrom::None => KeyChoice::None,
        };
        let key = (v.key_from == KeyFrom::Keyring && !v.key.trim().is_empty())
            .then(|| SecretString::from(v.key.trim().to_string()));
        let (new, edit) = match &v.provider {
            ProviderSel::New { preset, .. } => (
                Some(ProviderChange {
                    preset: Some(preset.clone()),
                    api: Some(v.api.as_str().to_string()),
                    base_url: opt(&v.base_url),
                    key_env: matches!(key_choice, KeyChoice::Env(_)).then(|| v.key.trim().into()),
                    key_command: matches!(key_choice, KeyChoice::Command(_))
                        .then(|| v.key.trim().into()),
                    key_keyring: false,
                    proxy: opt(&v.proxy),
                    ca_file: opt(&v.ca_file),
                }),
                None,
            ),
            _ => (None, Some(self.provider_edit(cfg, key_choice))),
        };
        ProviderPlan {
            name: v.provider.name().unwrap_or_default().to_string(),
            new,
            edit,
            key,
        }
    }

    /// Only what changed on a saved provider (it may be shared).
    fn provider_edit(&self, cfg: &Config, key: KeyChoice) -> ProviderEdit {
        let v = &self.values;
        let mut start = blank();
        if let ProviderSel::Existing(n) = &v.provider {
            load_provider(&mut start, cfg, n);
        }
        let changed = |a: &str, b: &str| (a.trim() != b.trim()).then(|| a.trim().to_string());
        let opt_changed = |a: &str, b: &str| changed(a, b).map(|s| (!s.is_empty()).then_some(s));
        ProviderEdit {
            api: (v.api != start.api).then(|| v.api.as_str().to_string()),
            // Not on screen for an API kind without one: nothing to write
            // (see `edit_provider` for what happens to the saved one).
            base_url: changed(&v.base_url, &start.base_url)
                .filter(|s| !s.is_empty() && v.api.uses_base_url())
                .map(Some),
            key: (v.key_from != start.key_from
                || (v.key_from != KeyFrom::Keyring && v.key.trim() != start.key.trim()))
            .then_some(key),
            proxy: opt_changed(&v.proxy, &start.proxy),
            ca_file: opt_changed(&v.ca_file, &start.ca_file),
        }
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

//! Changing the form's choices: the provider, the key source, the API.

use super::{FieldId, Form, KeyFrom, ProviderSel, free_name, load_provider};
use crate::config::{Api, Config, Preset, Presets, api_choices};

impl Form {
    /// The key sources this provider may use.
    pub fn key_choices(&self, cfg: &Config, presets: &Presets) -> Vec<KeyFrom> {
        let mut out = vec![KeyFrom::Keyring, KeyFrom::Env, KeyFrom::Command];
        if !self.needs_key(cfg, presets) {
            out.push(KeyFrom::None);
        }
        out
    }

    /// The API kinds the selected provider may speak (none before one is
    /// chosen): the rule loading the config checks.
    pub fn api_choices(&self, cfg: &Config, presets: &Presets) -> Vec<Api> {
        if self.values.provider == ProviderSel::None {
            return Vec::new();
        }
        api_choices(self.preset(cfg, presets))
    }

    pub(super) fn preset<'a>(&self, cfg: &Config, presets: &'a Presets) -> Option<&'a Preset> {
        let id = match &self.values.provider {
            ProviderSel::New { preset, .. } => Some(preset.clone()),
            ProviderSel::Existing(n) => cfg.providers.get(n).and_then(|p| p.preset.clone()),
            ProviderSel::None => None,
        }?;
        presets.get(&id)
    }

    pub(super) fn needs_key(&self, cfg: &Config, presets: &Presets) -> bool {
        let api = self.values.api;
        self.preset(cfg, presets).is_none_or(|p| p.needs_key)
            && api != Api::Bedrock
            && api != Api::Vertex
    }

    /// ←/→ on a choice field.
    pub fn cycle(&mut self, cfg: &Config, presets: &Presets, delta: isize) {
        match self.focus {
            FieldId::KeyFrom => {
                let choices = self.key_choices(cfg, presets);
                let i = choices
                    .iter()
                    .position(|c| *c == self.values.key_from)
                    .unwrap_or(0) as isize;
                let next = choices[((i + delta).rem_euclid(choices.len() as isize)) as usize];
                if next != self.values.key_from {
                    self.values.key_from = next;
                    // A key typed for the keyring must not become a variable name.
                    self.values.key = self.default_key_text(cfg, presets);
                }
            }
            FieldId::Api => {
                let apis = self.api_choices(cfg, presets);
                if apis.is_empty() {
                    return;
                }
                let i = apis.iter().position(|a| *a == self.values.api).unwrap_or(0) as isize;
                let next = apis[((i + delta).rem_euclid(apis.len() as isize)) as usize];
                let p = self.preset(cfg, presets);
                let url = |api| {
                    p.and_then(|p| p.endpoint(api))
                        .and_then(|e| e.base_url.clone())
                };
                // Follow the endpoint unless the user typed their own URL.
                if url(self.values.api).unwrap_or_default() == self.values.base_url {
                    self.values.base_url = url(next).unwrap_or_default();
                }
                self.values.api = next;
            }
            FieldId::More => self.more = !self.more,
            _ => {}
        }
    }

    /// What the key field holds when its source changes: the preset's
    /// conventional variable name for env, otherwise nothing.
    fn default_key_text(&self, cfg: &Config, presets: &Presets) -> String {
        match self.values.key_from {
            KeyFrom::Env => self
                .preset(cfg, presets)
                .and_then(|p| p.key_env.clone())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// Use an existing provider, or a new one from a preset.
    pub fn choose_provider(&mut self, cfg: &Config, presets: &Presets, sel: ProviderSel) {
        let mut v = self.values.clone();
        match &sel {
            ProviderSel::Existing(name) => load_provider(&mut v, cfg, name),
            ProviderSel::New { preset, .. } => {
                let Some(p) = presets.get(preset) else {
                    return;
                };
                v.api = p.api;
                v.base_url = p
                    .endpoint(p.api)
                    .and_then(|e| e.base_url.clone())
                    .unwrap_or_default();
                v.key_from = if p.needs_key {
                    KeyFrom::Keyring
                } else {
                    KeyFrom::None
                };
                v.key.clear();
                v.proxy.clear();
                v.ca_file.clear();
            }
            ProviderSel::None => {}
        }
        v.provider = sel;
        // Suggested models replace models of the previous provider, not
        // ones the user typed for this profile before choosing.
        let preset = match &v.provider {
            ProviderSel::New { preset, .. } => presets.get(preset),
            ProviderSel::Existing(n) => cfg
                .providers
                .get(n)
                .and_then(|p| p.preset.as_deref())
                .and_then(|id| presets.get(id)),
            ProviderSel::None => None,
        };
        if let Some(p) = preset {
            if v.main.is_empty() || self.values.provider != ProviderSel::None {
                v.main = p.suggested.main.clone().unwrap_or_default();
                // The suggestion's window, as picking it would give.
                let saved = match &v.provider {
                    ProviderSel::Existing(n) => cfg.providers.get(n),
                    _ => None,
                };
                v.context = saved
                    .map_or_else(
                        || p.models.get(&v.main).cloned(),
                        |s| Some(s.model(&v.main)),
                    )
                    .and_then(|m| m.context)
                    .map(|n| n.to_string())
                    .unwrap_or_default();
            }
            if v.fast.is_empty() || self.values.provider != ProviderSel::None {
                v.fast = p.suggested.fast.clone().unwrap_or_default();
            }
        }
        if v.name.is_empty()
            && let Some(p) = preset
        {
            v.name = free_name(&p.id, |n| cfg.profiles.contains_key(n));
        }
        if self.values.main != v.main {
            self.context_of = (!v.context.is_empty()).then(|| v.main.clone());
        }
        self.values = v;
        let fields = self.fields(cfg, presets);
        // Straight to what needs typing next, in the form's order (a saved
        // key needs nothing): a custom provider's empty Base URL before its
        // key, where Tab then leads.
        self.focus = [FieldId::BaseUrl, FieldId::Key, FieldId::Main]
            .into_iter()
            .find(|f| fields.contains(f) && self.error(*f, cfg, presets).is_some())
            .unwrap_or(FieldId::Main);
    }
}

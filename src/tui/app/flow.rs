//! The form, its pickers and the connection test: the parts of
//! `App::update` past the home screen.

use super::{App, Cmd, Msg, Overlay, TestView};
use crate::config::preset::ModelInfo;
use crate::t;
use crate::tui::form::{FieldId, Form, ProviderSel, free_name};
use crate::tui::picker::{Fetch, Group, Item, PickFor, Picker};

impl App {
    /// Open the form: a new profile, or a saved one to edit or duplicate.
    pub(super) fn open_form(&mut self, name: Option<String>, duplicate: bool) {
        let form = match name {
            Some(n) => Form::from_profile(&self.config, &n, duplicate),
            None => Some(Form::new_profile()),
        };
        self.status = None;
        self.form = form.map(Box::new);
        // A new profile starts where every new profile must: the provider.
        if let Some(f) = self.form.as_mut().filter(|f| f.values.name.is_empty()) {
            f.focus = FieldId::Provider;
            self.open_provider_picker();
        }
    }

    pub(super) fn update_form(&mut self, msg: Msg) -> Option<Cmd> {
        let (cfg, presets) = (&self.config, &self.presets);
        let form = self.form.as_mut()?;
        let focus = form.focus;
        match msg {
            Msg::Up | Msg::Prev => form.step(presets, -1),
            Msg::Down | Msg::Next => form.step(presets, 1),
            Msg::Left if focus.is_choice() => form.cycle(cfg, presets, -1),
            Msg::Right if focus.is_choice() => form.cycle(cfg, presets, 1),
            Msg::Char(' ') if focus.is_choice() || focus == FieldId::More => {
                form.cycle(cfg, presets, 1)
            }
            Msg::Char(c) if focus == FieldId::Provider => {
                self.open_provider_picker();
                if let Some(p) = self.picker.as_mut() {
                    p.type_char(c);
                }
            }
            Msg::Char(c) => {
                if let Some(text) = form.text_mut(focus) {
                    text.push(c);
                }
            }
            Msg::Backspace => {
                if let Some(text) = form.text_mut(focus) {
                    text.pop();
                }
            }
            Msg::Clear => {
                if let Some(text) = form.text_mut(focus) {
                    text.clear();
                }
            }
            Msg::Activate => match focus {
                FieldId::Provider => self.open_provider_picker(),
                f if f.is_model() => return self.open_model_picker(f),
                FieldId::More => form.cycle(cfg, presets, 1),
                f if f.is_choice() => form.cycle(cfg, presets, 1),
                _ => form.step(presets, 1),
            },
            Msg::Save | Msg::Test => {
                if let Some((field, why)) = form.first_error(cfg, presets) {
                    form.tried = true;
                    form.focus = field;
                    if matches!(
                        field,
                        FieldId::Opus
                            | FieldId::Sonnet
                            | FieldId::Haiku
                            | FieldId::Subagent
                            | FieldId::MaxOutput
                            | FieldId::Proxy
                            | FieldId::CaFile
                            | FieldId::Env
                    ) {
                        form.more = true;
                    }
                    self.status = Some(t!("form.fix_first", reason = why));
                    return None;
                }
                let plan = Box::new(form.plan(cfg));
                if matches!(msg, Msg::Save) {
                    if self.saving {
                        return None;
                    }
                    self.saving = true;
                    self.status = Some(t!("form.saving"));
                    return Some(Cmd::Save(plan));
                }
                let seq = self.next_seq();
                let provider = self.provider_display(&plan.provider.name);
                let model = plan
                    .profile
                    .slots
                    .first()
                    .map(|(_, s)| s.model.clone())
                    .unwrap_or_default();
                let again = Cmd::TestPlan(seq, plan.clone());
                self.test = Some(TestView {
                    profile: plan.name.clone(),
                    provider,
                    model,
                    seq,
                    result: None,
                    again: again.clone(),
                });
                return Some(again);
            }
            Msg::Cancel | Msg::Quit => {
                if form.dirty() {
                    self.overlay = Some(Overlay::ConfirmDiscard);
                } else {
                    self.form = None;
                    self.status = None;
                }
            }
            Msg::Help => self.overlay = Some(Overlay::Help),
            _ => {}
        }
        None
    }

    fn provider_display(&self, name: &str) -> String {
        if let Some(p) = self.config.providers.get(name) {
            return p.display_name.clone();
        }
        match self.form.as_ref().map(|f| &f.values.provider) {
            Some(ProviderSel::New { preset, .. }) => self
                .presets
                .get(preset)
                .map_or_else(|| name.to_string(), |p| p.name.clone()),
            _ => name.to_string(),
        }
    }

    /// Saved providers first, then every preset to make a new one from.
    fn open_provider_picker(&mut self) {
        let mut items: Vec<Item> = self
            .config
            .providers
            .values()
            .map(|p| Item {
                id: format!("existing:{}", p.name),
                label: p.name.clone(),
                detail: format!("{} · {}", p.display_name, p.api),
                group: Group::Saved,
            })
            .collect();
        items.extend(self.presets.iter().map(|p| {
            let mut detail = p.api.to_string();
            if p.local {
                detail.push_str(&format!(" · {}", t!("form.local")));
            }
            Item {
                id: format!("preset:{}", p.id),
                label: p.name.clone(),
                detail,
                group: Group::Presets,
            }
        }));
        let mut picker = Picker::new(PickFor::Provider, items);
        if let Some(name) = self.form.as_ref().and_then(|f| match &f.values.provider {
            ProviderSel::Existing(n) => Some(format!("existing:{n}")),
            ProviderSel::New { preset, .. } => Some(format!("preset:{preset}")),
            ProviderSel::None => None,
        }) {
            picker.select_id(&name);
        }
        self.picker = Some(picker);
    }

    /// The model picker: what the preset knows first, then (when it
    /// arrives) the provider's live list.
    fn open_model_picker(&mut self, field: FieldId) -> Option<Cmd> {
        let form = self.form.as_ref()?;
        let (suggested, known) = self.known_models(form);
        let mut items: Vec<Item> = Vec::new();
        for id in suggested.into_iter().chain(known.keys().cloned()) {
            if items.iter().any(|i| i.id == id) {
                continue;
            }
            let detail = known.get(&id).map(model_facts).unwrap_or_default();
            items.push(Item {
                label: id.clone(),
                id,
                detail,
                group: Group::Suggested,
            });
        }
        let current = form.text(field).trim().to_string();
        let api = form.values.api;
        let provider = form.provider_plan(&self.config);
        let mut picker = Picker::new(PickFor::Model(field), items);
        picker.select_id(&current);
        // Bedrock and Vertex have no list we can fetch with this client.
        let cmd = if api.uses_base_url() && !provider.name.is_empty() {
            let seq = self.next_seq();
            picker.fetch = Fetch::Loading(seq);
            Some(Cmd::FetchModels(seq, Box::new(provider)))
        } else {
            None
        };
        self.picker = Some(picker);
        cmd
    }

    /// The preset's suggestions and the models it (or the saved provider)
    /// describes.
    fn known_models(&self, form: &Form) -> (Vec<String>, indexmap::IndexMap<String, ModelInfo>) {
        let (preset, mut known) = match &form.values.provider {
            ProviderSel::Existing(n) => match self.config.providers.get(n) {
                Some(p) => (p.preset.clone(), p.models.clone()),
                None => (None, Default::default()),
            },
            ProviderSel::New { preset, .. } => (Some(preset.clone()), Default::default()),
            ProviderSel::None => (None, Default::default()),
        };
        let mut suggested = Vec::new();
        if let Some(p) = preset.as_deref().and_then(|id| self.presets.get(id)) {
            suggested.extend(p.suggested.main.clone());
            suggested.extend(p.suggested.fast.clone());
            for (id, info) in &p.models {
                known.entry(id.clone()).or_insert_with(|| info.clone());
            }
        }
        (suggested, known)
    }

    pub(super) fn models_arrived(&mut self, seq: u64, result: Result<Vec<String>, String>) {
        let Some(p) = self
            .picker
            .as_mut()
            .filter(|p| p.fetch == Fetch::Loading(seq))
        else {
            return;
        };
        match result {
            Ok(ids) => p.add_listed(ids),
            Err(e) => p.fetch = Fetch::Failed(e),
        }
    }

    pub(super) fn update_picker(&mut self, msg: Msg) -> Option<Cmd> {
        let picker = self.picker.as_mut()?;
        match msg {
            Msg::Up => picker.move_by(-1),
            Msg::Down => picker.move_by(1),
            Msg::Home => picker.selected = 0,
            Msg::End => picker.move_by(isize::MAX / 2),
            Msg::Char(c) => picker.type_char(c),
            Msg::Backspace => picker.backspace(),
            Msg::Clear => {
                picker.filter.clear();
                picker.move_by(0);
            }
            Msg::Cancel | Msg::Quit => {
                self.picker = None;
                // A brand-new form closed before choosing a provider: the
                // user changed their mind about making a profile.
                if self
                    .form
                    .as_ref()
                    .is_some_and(|f| !f.dirty() && f.values.provider == ProviderSel::None)
                {
                    self.form = None;
                }
            }
            Msg::Activate | Msg::Next => {
                let value = if matches!(msg, Msg::Next) {
                    picker.typed()
                } else {
                    picker.chosen()
                };
                let purpose = picker.purpose.clone();
                if let Some(v) = value {
                    self.picker = None;
                    self.picked(purpose, v);
                }
            }
            _ => {}
        }
        None
    }

    fn picked(&mut self, purpose: PickFor, value: String) {
        let (cfg, presets) = (&self.config, &self.presets);
        let Some(form) = self.form.as_mut() else {
            return;
        };
        match purpose {
            PickFor::Model(field) => {
                if let Some(t) = form.text_mut(field) {
                    *t = value;
                }
                form.step(presets, 1);
            }
            PickFor::Provider => {
                let sel = if let Some(n) = value.strip_prefix("existing:") {
                    ProviderSel::Existing(n.to_string())
                } else if let Some(id) = value.strip_prefix("preset:") {
                    // Keep the name of a new provider already chosen from
                    // the same preset; otherwise a free one.
                    match &form.values.provider {
                        ProviderSel::New { preset, name } if preset == id => ProviderSel::New {
                            preset: preset.clone(),
                            name: name.clone(),
                        },
                        _ => ProviderSel::New {
                            preset: id.to_string(),
                            name: free_name(id, |n| cfg.providers.contains_key(n)),
                        },
                    }
                } else {
                    return;
                };
                form.choose_provider(cfg, presets, sel);
            }
        }
    }

    pub(super) fn start_test_profile(&mut self, name: String) -> Option<Cmd> {
        let p = self.config.profiles.get(&name)?;
        let provider = self.config.providers.get(&p.main.provider)?;
        if !provider.api.uses_base_url() {
            self.status = Some(t!("probe.not_proxied", profile = name, api = provider.api));
            return None;
        }
        let (display, model) = (provider.display_name.clone(), p.main.model.clone());
        let seq = self.next_seq();
        let again = Cmd::TestProfile(seq, name.clone());
        self.test = Some(TestView {
            profile: name,
            provider: display,
            model,
            seq,
            result: None,
            again: again.clone(),
        });
        Some(again)
    }

    pub(super) fn update_test(&mut self, msg: Msg) -> Option<Cmd> {
        let t = self.test.as_mut()?;
        match msg {
            Msg::Char('t') | Msg::Test if t.result.is_some() => {
                let seq = self.seq + 1;
                self.seq = seq;
                t.seq = seq;
                t.result = None;
                t.again = match &t.again {
                    Cmd::TestProfile(_, n) => Cmd::TestProfile(seq, n.clone()),
                    Cmd::TestPlan(_, p) => Cmd::TestPlan(seq, p.clone()),
                    other => other.clone(),
                };
                Some(t.again.clone())
            }
            Msg::Cancel | Msg::Activate | Msg::Quit | Msg::Char('q') => {
                // Closing while running drops the result when it comes.
                self.test = None;
                None
            }
            _ => None,
        }
    }
}

/// `ctx 1000k · out 384k · thinking`
fn model_facts(m: &ModelInfo) -> String {
    let k = |n: u64| {
        if n >= 1000 {
            format!("{}k", n / 1000)
        } else {
            n.to_string()
        }
    };
    let mut parts = Vec::new();
    if let Some(c) = m.context {
        parts.push(format!("ctx {}", k(c)));
    }
    if let Some(o) = m.max_output {
        parts.push(format!("out {}", k(o)));
    }
    if m.thinking == Some(true) {
        parts.push("thinking".to_string());
    }
    parts.join(" · ")
}

//! The pickers over the form: providers and presets, or models (with the
//! provider's live list when it arrives).

use super::{App, Cmd, Msg, Screen};
use crate::config::preset::ModelInfo;
use crate::config::{Api, Target};
use crate::proxy::models::ListedModel;
use crate::t;
use crate::tui::form::{FieldId, Form, ProviderSel, free_name};
use crate::tui::picker::{Fetch, Group, Item, PickFor, Picker, size_facts};
use crate::tui::plan::ProviderPlan;
use std::fmt::Write as _;

impl App {
    /// Saved providers first, then every preset to make a new one from.
    pub(super) fn provider_picker(&self, form: &Form) -> Picker {
        let mut items: Vec<Item> = self
            .config
            .providers
            .values()
            .map(|p| {
                Item::plain(
                    format!("existing:{}", p.name),
                    p.name.clone(),
                    format!("{} · {}", p.display_name, p.api),
                    Group::Saved,
                )
            })
            .collect();
        let mut presets: Vec<Item> = self
            .presets
            .iter()
            .map(|p| {
                let mut detail = p.api.to_string();
                if p.local {
                    let _ = write!(detail, " · {}", t!("form.local"));
                }
                Item::plain(
                    format!("preset:{}", p.id),
                    p.name.clone(),
                    detail,
                    Group::Presets,
                )
            })
            .collect();
        // By the name shown, which is how people scan the list ("Z.ai" is
        // not filed under its id `zai` among the Zs' neighbours).
        presets.sort_by_cached_key(|i| i.label.to_lowercase());
        items.extend(presets);
        let mut picker = Picker::new(PickFor::Provider, items);
        match &form.values.provider {
            ProviderSel::Existing(n) => picker.select_id(&format!("existing:{n}")),
            ProviderSel::New { preset, .. } => picker.select_id(&format!("preset:{preset}")),
            ProviderSel::None => {}
        }
        picker
    }

    /// The model picker for a model field, on the form's provider.
    pub(super) fn model_picker(&mut self, form: &Form, field: FieldId) -> (Picker, Option<Cmd>) {
        let current = form.text(field).trim().to_string();
        let source = ModelSource {
            sel: form.values.provider.clone(),
            plan: form.provider_plan(&self.config),
            api: form.values.api,
        };
        self.models_of(source, &current, PickFor::Model(field))
    }

    /// Where a target's models come from: the form's provider as the form
    /// has it (maybe not saved yet), or a saved one.
    pub(super) fn model_source(&self, form: &Form, provider: &str) -> ModelSource {
        if form.values.provider.name() == Some(provider) {
            return ModelSource {
                sel: form.values.provider.clone(),
                plan: form.provider_plan(&self.config),
                api: form.values.api,
            };
        }
        ModelSource {
            sel: ProviderSel::Existing(provider.to_string()),
            plan: ProviderPlan {
                name: provider.to_string(),
                new: None,
                edit: None,
                key: None,
            },
            api: self
                .config
                .providers
                .get(provider)
                .map_or(Api::Openai, |p| p.api),
        }
    }

    /// The model picker of a target that may be on another provider (a
    /// fallback, a menu model), on the target's model when it has one. A
    /// menu offers its provider whole first.
    pub(super) fn target_models(&mut self, form: &Form, purpose: PickFor) -> (Picker, Option<Cmd>) {
        let (provider, current) = match &purpose {
            PickFor::FallbackModel { provider, index } => {
                let chain = form.chain.as_ref().zip(*index);
                let target = chain.and_then(|(c, i)| form.fallbacks(c.slot).get(i));
                (provider.clone(), target.map(|t| t.model.clone()))
            }
            PickFor::MenuModel { provider, index } => (provider.clone(), form.menu_model(*index)),
            _ => (String::new(), None),
        };
        let source = self.model_source(form, &provider);
        let current = current.unwrap_or_default();
        let menu = matches!(purpose, PickFor::MenuModel { .. });
        let (mut picker, cmd) = self.models_of(source, &current, purpose);
        if menu {
            // The item with no model id; a whole provider is "current"
            // when the entry is one (its `current` is empty too).
            let whole = Item::plain(
                String::new(),
                t!("menu.all_models"),
                t!("menu.all_detail", provider = provider),
                Group::Whole,
            );
            picker.items.insert(0, whole);
            picker.select_id(&current);
        }
        (picker, cmd)
    }

    /// A model picker: what the preset knows first, then (when it
    /// arrives) the provider's live list.
    pub(super) fn models_of(
        &mut self,
        source: ModelSource,
        current: &str,
        purpose: PickFor,
    ) -> (Picker, Option<Cmd>) {
        let (suggested, known) = self.known_models(&source.sel);
        let mut items: Vec<Item> = Vec::new();
        for id in suggested.into_iter().chain(known.keys().cloned()) {
            if items.iter().any(|i| i.id == id) {
                continue;
            }
            let info = known.get(&id);
            items.push(Item {
                detail: info.map(model_facts).unwrap_or_default(),
                context: info.and_then(|m| m.context),
                max_output: info.and_then(|m| m.max_output),
                label: id.clone(),
                id,
                group: Group::Suggested,
            });
        }
        let mut picker = Picker::new(purpose, items);
        picker.select_id(current);
        // Bedrock and Vertex have no list we can fetch with this client.
        let cmd = if source.api.uses_base_url() && !source.plan.name.is_empty() {
            let seq = self.next_seq();
            picker.fetch = Fetch::Loading(seq);
            Some(Cmd::FetchModels(seq, Box::new(source.plan)))
        } else {
            None
        };
        (picker, cmd)
    }

    /// A target's provider (a fallback's, a menu model's): this form's
    /// own first, then the saved ones the proxy can reach.
    pub(super) fn target_provider_picker(&self, form: &Form, purpose: PickFor) -> Picker {
        let own = form.values.provider.name().unwrap_or_default();
        let mut items = Vec::new();
        if !own.is_empty() {
            items.push(Item::plain(
                own.to_string(),
                own.to_string(),
                t!("picker.this_profile"),
                Group::Saved,
            ));
        }
        items.extend(
            self.config
                .providers
                .values()
                .filter(|p| p.name != own && p.api.uses_base_url())
                .map(|p| {
                    Item::plain(
                        p.name.clone(),
                        p.name.clone(),
                        format!("{} · {}", p.display_name, p.api),
                        Group::Saved,
                    )
                }),
        );
        Picker::new(purpose, items)
    }

    /// The preset's suggestions and the models it (or the saved provider)
    /// describes.
    fn known_models(
        &self,
        sel: &ProviderSel,
    ) -> (Vec<String>, indexmap::IndexMap<String, ModelInfo>) {
        let (preset, mut known) = match sel {
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

    pub(super) fn models_arrived(&mut self, seq: u64, result: Result<Vec<ListedModel>, String>) {
        let Some(p) = self
            .screen
            .picker_mut()
            .filter(|p| p.fetch == Fetch::Loading(seq))
        else {
            return;
        };
        match result {
            Ok(ids) => p.add_listed(ids),
            Err(e) => p.fetch = Fetch::Failed(e),
        }
    }

    pub(super) fn update_picker(
        &mut self,
        mut form: Box<Form>,
        mut picker: Picker,
        msg: Msg,
    ) -> (Screen, Option<Cmd>) {
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
                // A brand-new form closed before choosing a provider: the
                // user changed their mind about making a profile.
                if !form.dirty() && form.values.provider == ProviderSel::None {
                    return (Screen::default(), None);
                }
                return (Screen::editing(form), None);
            }
            Msg::Activate | Msg::Next => {
                let value = if matches!(msg, Msg::Next) {
                    picker.typed()
                } else {
                    picker.chosen()
                };
                if let Some(v) = value {
                    // Choosing a fallback's or menu model's provider goes
                    // on to its model.
                    match &picker.purpose {
                        PickFor::FallbackProvider => {
                            let next = PickFor::FallbackModel {
                                provider: v,
                                index: None,
                            };
                            let (next, cmd) = self.target_models(&form, next);
                            return (Screen::picking(form, next), cmd);
                        }
                        PickFor::MenuProvider => {
                            let next = PickFor::MenuModel {
                                provider: v,
                                index: None,
                            };
                            let (next, cmd) = self.target_models(&form, next);
                            return (Screen::picking(form, next), cmd);
                        }
                        PickFor::MenuModel { .. } => {
                            self.menu_picked(&mut form, &picker, &msg, v);
                            return (Screen::editing(form), None);
                        }
                        _ => {}
                    }
                    // The main model's size fills in the context field.
                    if picker.purpose == PickFor::Model(FieldId::Main) {
                        let item = picker.items.iter().find(|i| i.id == v);
                        form.picked_main(
                            &v,
                            item.and_then(|i| i.context),
                            item.and_then(|i| i.max_output),
                        );
                    }
                    self.picked(&mut form, picker.purpose, v);
                    return (Screen::editing(form), None);
                }
            }
            _ => {}
        }
        (Screen::picking(form, picker), None)
    }

    fn picked(&self, form: &mut Form, purpose: PickFor, value: String) {
        let (cfg, presets) = (&self.config, &self.presets);
        match purpose {
            PickFor::Model(field) => {
                if let Some(t) = form.text_mut(field) {
                    *t = value;
                }
                form.step(cfg, presets, 1);
                // The window was just filled in from the pick, in sight:
                // on to the next model, as before the field existed.
                if form.focus == FieldId::Context {
                    form.step(cfg, presets, 1);
                }
            }
            PickFor::FallbackModel { provider, index } => match index {
                Some(i) => form.chain_set_model(i, value),
                None => form.chain_add(Target {
                    provider,
                    model: value,
                }),
            },
            // Handled before: they open the model picker, or are the menu's.
            PickFor::FallbackProvider | PickFor::MenuProvider | PickFor::MenuModel { .. } => {}
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
}

/// Where a model picker's models come from.
pub(super) struct ModelSource {
    sel: ProviderSel,
    /// Enough to fetch the live list.
    plan: ProviderPlan,
    api: Api,
}

fn model_facts(m: &ModelInfo) -> String {
    size_facts(m.context, m.max_output, m.thinking == Some(true))
}

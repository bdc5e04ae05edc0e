//! The new / edit / duplicate profile form: its values, which fields show,
//! inline validation, and the [`FormPlan`] a save turns into. Pure: it reads the
//! loaded config and presets, and never touches files or the keyring.

mod chain;
mod check;
mod choose;
mod field;
mod list;
mod menu;
mod output;
mod size;

use std::collections::BTreeMap;

use crate::config::{Api, Config, MenuItem, Presets, Target};

pub use crate::config::edit::free_name;
pub use field::{FieldId, KeyFrom};

/// The chain editor, open over one model field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainEdit {
    pub slot: FieldId,
    /// Index into the slot's fallbacks.
    pub selected: usize,
}

/// The model menu editor, open over the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuEdit {
    /// Index into the menu.
    pub selected: usize,
    /// The label being typed for the selected model, while it is.
    pub label: Option<String>,
}

/// Which provider the profile uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderSel {
    None,
    Existing(String),
    /// A new provider made from this preset, under this name.
    New {
        preset: String,
        name: String,
    },
}

impl ProviderSel {
    pub fn name(&self) -> Option<&str> {
        match self {
            ProviderSel::None => None,
            ProviderSel::Existing(n) | ProviderSel::New { name: n, .. } => Some(n),
        }
    }
}

/// Everything the user can change. Compared with the values the form
/// opened with to know whether there is anything to lose.
#[derive(Clone, PartialEq, Eq)]
pub struct Values {
    pub name: String,
    pub provider: ProviderSel,
    pub base_url: String,
    pub api: Api,
    pub key_from: KeyFrom,
    /// The key itself (keyring), a variable name (env) or a command.
    pub key: String,
    pub main: String,
    pub fast: String,
    pub description: String,
    pub opus: String,
    pub sonnet: String,
    pub haiku: String,
    pub subagent: String,
    pub max_output: String,
    /// The main model's context window; empty: what the provider knows.
    pub context: String,
    pub daily_usd: String,
    pub monthly_usd: String,
    pub daily_tokens: String,
    pub monthly_tokens: String,
    pub proxy: String,
    pub ca_file: String,
    /// `NAME=value` pairs separated by commas.
    pub env: String,
    /// Each model slot's fallbacks (its chain after the field's model), by
    /// slot name; a slot without any has no entry.
    pub fallbacks: BTreeMap<&'static str, Vec<Target>>,
    /// The models `/model` lists besides the slots (`menu`), in order.
    pub menu: Vec<MenuItem>,
}

// By hand, so a typed key never reaches a debug print or a panic message.
impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Values")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("key_from", &self.key_from)
            .field("main", &self.main)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormMode {
    New,
    Edit(String),
    Duplicate(String),
}

#[derive(Clone, Debug)]
pub struct Form {
    pub mode: FormMode,
    pub values: Values,
    initial: Values,
    pub focus: FieldId,
    pub more: bool,
    /// Set after a save attempt with errors, so untouched empty fields
    /// only complain once the user tried to save.
    pub tried: bool,
    /// The fallback chain editor, open over a model field.
    pub chain: Option<ChainEdit>,
    /// The model menu editor, open over the form.
    pub menu: Option<MenuEdit>,
    /// The main model's output cap as the picker knew it, recorded with
    /// its context window on save (see [`Form::picked_main`]).
    pub picked_output: Option<(String, u64)>,
    /// The main model the context field was filled in for (from the
    /// preset, the provider or its list); `None` once the user typed it.
    /// Typing another main model empties a window that was not theirs.
    pub context_of: Option<String>,
}

fn blank() -> Values {
    Values {
        name: String::new(),
        provider: ProviderSel::None,
        base_url: String::new(),
        api: Api::Anthropic,
        key_from: KeyFrom::Keyring,
        key: String::new(),
        main: String::new(),
        fast: String::new(),
        description: String::new(),
        opus: String::new(),
        sonnet: String::new(),
        haiku: String::new(),
        subagent: String::new(),
        max_output: String::new(),
        context: String::new(),
        daily_usd: String::new(),
        monthly_usd: String::new(),
        daily_tokens: String::new(),
        monthly_tokens: String::new(),
        proxy: String::new(),
        ca_file: String::new(),
        env: String::new(),
        fallbacks: BTreeMap::new(),
        menu: Vec::new(),
    }
}

impl Form {
    pub fn new_profile() -> Form {
        Form::with(FormMode::New, blank(), FieldId::Name)
    }

    /// Edit (or, with `duplicate`, copy) a saved profile.
    pub fn from_profile(cfg: &Config, name: &str, duplicate: bool) -> Option<Form> {
        let p = cfg.profiles.get(name)?;
        let mut v = blank();
        v.name = name.to_string();
        v.provider = ProviderSel::Existing(p.provider.clone());
        load_provider(&mut v, cfg, &p.provider);
        let own = |s: &crate::config::Slot| {
            if s.provider == p.provider {
                s.model.clone()
            } else {
                // Other-provider slots are kept as they are (see `plan`).
                String::new()
            }
        };
        v.main.clone_from(&p.main.model);
        // The chains of slots on the form (an other-provider slot is kept
        // whole, chain and all).
        for (slot, s) in p.slots() {
            if (slot == "main" || s.provider == p.provider) && !s.fallbacks.is_empty() {
                let slot = FieldId::ALL_MODELS
                    .iter()
                    .find_map(|f| f.slot().filter(|n| *n == slot));
                if let Some(slot) = slot {
                    v.fallbacks.insert(slot, s.fallbacks.clone());
                }
            }
        }
        v.menu.clone_from(&p.menu);
        v.fast = own(&p.fast);
        v.description = p.description.clone().unwrap_or_default();
        v.opus = p.opus.as_ref().map(own).unwrap_or_default();
        v.sonnet = p.sonnet.as_ref().map(own).unwrap_or_default();
        v.haiku = p.haiku.as_ref().map(own).unwrap_or_default();
        v.subagent = p.subagent.as_ref().map(own).unwrap_or_default();
        v.max_output = p
            .max_output_tokens
            .map(|n| n.to_string())
            .unwrap_or_default();
        v.load_sizes(cfg, p);
        v.env = p
            .env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mode = if duplicate {
            v.name = free_name(&format!("{name}-copy"), |n| cfg.profiles.contains_key(n));
            FormMode::Duplicate(name.to_string())
        } else {
            FormMode::Edit(name.to_string())
        };
        let mut form = Form::with(mode, v, FieldId::Name);
        form.context_of = (p.context_window.is_none() && !form.values.context.is_empty())
            .then(|| p.main.model.clone());
        if duplicate {
            // A copy is new: there is something to lose from the start.
            form.initial.name.clear();
        }
        form.more = [&form.values.opus, &form.values.sonnet, &form.values.haiku]
            .iter()
            .any(|s| !s.is_empty())
            || !form.values.subagent.is_empty()
            || !form.values.max_output.is_empty()
            || p.budget.is_some()
            || !form.values.proxy.is_empty()
            || !form.values.ca_file.is_empty()
            || !form.values.env.is_empty()
            || !form.values.menu.is_empty()
            || form
                .values
                .fallbacks
                .keys()
                .any(|s| !matches!(*s, "main" | "fast"));
        Some(form)
    }

    fn with(mode: FormMode, values: Values, focus: FieldId) -> Form {
        Form {
            mode,
            initial: values.clone(),
            values,
            focus,
            more: false,
            tried: false,
            chain: None,
            menu: None,
            picked_output: None,
            context_of: None,
        }
    }

    /// Close whichever editor is open over the form.
    pub fn close_editors(&mut self) {
        self.chain = None;
        self.menu = None;
    }

    pub fn dirty(&self) -> bool {
        self.values != self.initial
    }

    /// The fields on screen, in order.
    pub fn fields(&self, cfg: &Config, presets: &Presets) -> Vec<FieldId> {
        use FieldId::{
            Api, BaseUrl, CaFile, Context, DailyTokens, DailyUsd, Description, Env, Fast, Haiku,
            Key, KeyFrom, Main, MaxOutput, Menu, MonthlyTokens, MonthlyUsd, More, Name, Opus,
            Provider, Proxy, Sonnet, Subagent,
        };
        let mut out = vec![Name, Provider];
        if self.values.provider != ProviderSel::None {
            if self.values.api.uses_base_url() {
                out.push(BaseUrl);
            }
            // A saved provider's kind can change too (for every profile
            // on it), among the same choices a new one has.
            if self.api_choices(cfg, presets).len() > 1 {
                out.push(Api);
            }
            out.push(KeyFrom);
            if self.values.key_from != self::KeyFrom::None {
                out.push(Key);
            }
        }
        out.extend([Main, Context, Fast, Description, More]);
        if self.more {
            out.extend([Opus, Sonnet, Haiku, Subagent, Menu, MaxOutput]);
            out.extend([DailyUsd, MonthlyUsd, DailyTokens, MonthlyTokens]);
            out.extend([Proxy, CaFile, Env]);
        }
        out
    }

    pub fn text_mut(&mut self, f: FieldId) -> Option<&mut String> {
        let v = &mut self.values;
        Some(match f {
            FieldId::Name => &mut v.name,
            FieldId::BaseUrl => &mut v.base_url,
            FieldId::Key => &mut v.key,
            FieldId::Main => &mut v.main,
            FieldId::Fast => &mut v.fast,
            FieldId::Description => &mut v.description,
            FieldId::Opus => &mut v.opus,
            FieldId::Sonnet => &mut v.sonnet,
            FieldId::Haiku => &mut v.haiku,
            FieldId::Subagent => &mut v.subagent,
            FieldId::MaxOutput => &mut v.max_output,
            FieldId::Context => &mut v.context,
            FieldId::DailyUsd => &mut v.daily_usd,
            FieldId::MonthlyUsd => &mut v.monthly_usd,
            FieldId::DailyTokens => &mut v.daily_tokens,
            FieldId::MonthlyTokens => &mut v.monthly_tokens,
            FieldId::Proxy => &mut v.proxy,
            FieldId::CaFile => &mut v.ca_file,
            FieldId::Env => &mut v.env,
            FieldId::Provider | FieldId::Api | FieldId::KeyFrom | FieldId::More | FieldId::Menu => {
                return None;
            }
        })
    }

    pub fn text(&self, f: FieldId) -> &str {
        let v = &self.values;
        match f {
            FieldId::Name => &v.name,
            FieldId::BaseUrl => &v.base_url,
            FieldId::Key => &v.key,
            FieldId::Main => &v.main,
            FieldId::Fast => &v.fast,
            FieldId::Description => &v.description,
            FieldId::Opus => &v.opus,
            FieldId::Sonnet => &v.sonnet,
            FieldId::Haiku => &v.haiku,
            FieldId::Subagent => &v.subagent,
            FieldId::MaxOutput => &v.max_output,
            FieldId::Context => &v.context,
            FieldId::DailyUsd => &v.daily_usd,
            FieldId::MonthlyUsd => &v.monthly_usd,
            FieldId::DailyTokens => &v.daily_tokens,
            FieldId::MonthlyTokens => &v.monthly_tokens,
            FieldId::Proxy => &v.proxy,
            FieldId::CaFile => &v.ca_file,
            FieldId::Env => &v.env,
            FieldId::Provider | FieldId::Api | FieldId::KeyFrom | FieldId::More | FieldId::Menu => {
                ""
            }
        }
    }

    /// Move the focus by `delta` visible fields (wrapping).
    pub fn step(&mut self, cfg: &Config, presets: &Presets, delta: isize) {
        let fields = self.fields(cfg, presets);
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = fields.len() as isize;
        self.focus = fields[((i + delta).rem_euclid(n)) as usize];
    }
}

/// Fill the provider-level fields from a saved provider.
fn load_provider(v: &mut Values, cfg: &Config, name: &str) {
    let Some(p) = cfg.providers.get(name) else {
        return;
    };
    v.api = p.api;
    v.base_url = p
        .base_url
        .as_ref()
        .map(std::string::ToString::to_string)
        .unwrap_or_default();
    (v.key_from, v.key) = match (&p.key.env, &p.key.command) {
        (Some(e), _) => (KeyFrom::Env, e.clone()),
        (None, Some(c)) => (KeyFrom::Command, c.clone()),
        _ if p.key.is_none() => (KeyFrom::None, String::new()),
        _ => (KeyFrom::Keyring, String::new()),
    };
    v.proxy = p
        .proxy
        .as_ref()
        .map(std::string::ToString::to_string)
        .unwrap_or_default();
    v.ca_file = p
        .ca_file
        .as_ref()
        .map(|c| c.display().to_string())
        .unwrap_or_default();
}

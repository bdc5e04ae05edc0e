//! Changes to the config document, made with `toml_edit` so the user's
//! comments, order and formatting survive. Each function checks what it can
//! against the current validated config; [`super::store::update`] validates
//! the whole result before saving.

use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use super::budget::Budget;
use super::error::ConfigError;
use super::model::Config;
use crate::t;

mod menu;
mod models;
mod provider;
mod search;
mod slots;
mod table;

pub use models::{ModelSize, set_model_size};
pub use provider::{
    KeyChoice, ProviderChange, ProviderEdit, add_pool_key, add_provider, edit_provider,
    enable_key_source, remove_provider,
};
pub use search::{SearchChange, remove_search, set_search};
pub use slots::SlotValue;
pub(crate) use table::section;
use table::{check_name, entry};

/// Fields to set on a profile; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct ProfileChange {
    pub provider: Option<String>,
    pub description: Option<String>,
    /// Sets each slot's first target; a fallback chain keeps the rest.
    pub slots: Vec<(&'static str, SlotValue)>,
    /// Replaces each slot's fallbacks (its chain after the first target);
    /// an empty list leaves the slot one target.
    pub fallbacks: Vec<(&'static str, Vec<SlotValue>)>,
    pub max_output_tokens: Option<u64>,
    pub context_window: Option<u64>,
    /// Replaces the profile's budget; an empty one removes it.
    pub budget: Option<Budget>,
    /// Replaces the profile's whole `env` table when set.
    pub env: Option<Vec<(String, String)>>,
    /// Replaces the profile's menu when set; an empty one removes it.
    pub menu: Option<Vec<crate::config::menu::MenuItem>>,
    /// Keys to remove (`fast`, `opus`, `description`, ...).
    pub unset: Vec<String>,
}

/// A name not taken yet: `base`, else `base-2`, `base-3`, ...
pub fn free_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .expect("some suffix is free")
}

fn apply_profile_change(table: &mut Table, change: &ProfileChange) {
    if let Some(p) = &change.provider {
        table.insert("provider", value(p.as_str()));
    }
    if let Some(d) = &change.description {
        table.insert("description", value(d.as_str()));
    }
    let provider = table
        .get("provider")
        .and_then(Item::as_str)
        .map(str::to_string);
    slots::apply(table, provider.as_deref(), &change.slots, &change.fallbacks);
    if let Some(n) = change.max_output_tokens {
        table.insert("max_output_tokens", value(n as i64));
    }
    if let Some(n) = change.context_window {
        table.insert("context_window", value(n as i64));
    }
    if let Some(b) = &change.budget {
        if b.is_empty() {
            table.remove("budget");
        } else {
            table.insert("budget", value(budget_table(b)));
        }
    }
    if let Some(env) = &change.env {
        if env.is_empty() {
            table.remove("env");
        } else {
            let mut t = InlineTable::new();
            for (k, v) in env {
                t.insert(k, v.as_str().into());
            }
            table.insert("env", value(t));
        }
    }
    if let Some(items) = &change.menu {
        menu::apply(table, items);
    }
    for key in &change.unset {
        table.remove(key);
    }
}

/// `{ daily_usd = 5.0, monthly_tokens = 2000000 }`, set fields only.
fn budget_table(b: &Budget) -> InlineTable {
    let mut t = InlineTable::new();
    let usd = [("daily_usd", b.daily_usd), ("monthly_usd", b.monthly_usd)];
    for (k, v) in usd {
        if let Some(v) = v {
            t.insert(k, v.into());
        }
    }
    let tokens = [
        ("daily_tokens", b.daily_tokens),
        ("monthly_tokens", b.monthly_tokens),
    ];
    for (k, v) in tokens {
        if let Some(v) = v {
            t.insert(k, (v as i64).into());
        }
    }
    t
}

pub fn add_profile(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
    change: &ProfileChange,
) -> Result<(), ConfigError> {
    check_name(name)?;
    if config.profiles.contains_key(name) {
        return Err(ConfigError::Refused(t!("edit.profile_exists", name = name)));
    }
    let mut table = Table::new();
    apply_profile_change(&mut table, change);
    section(doc, "profiles")?.insert(name, Item::Table(table));
    Ok(())
}

pub fn edit_profile(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
    change: &ProfileChange,
) -> Result<(), ConfigError> {
    config.profile(name)?;
    let table = entry(doc, "profiles", name)?;
    // Inline tables (`profiles.x = {...}`) are rare; edit them as tables.
    let mut as_table = Table::new();
    for (k, v) in table.iter() {
        as_table.insert(k, v.clone());
    }
    apply_profile_change(&mut as_table, change);
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
    for k in keys {
        if !as_table.contains_key(&k) {
            table.remove(&k);
        }
    }
    for (k, v) in &as_table {
        let same = table.get(k).map(std::string::ToString::to_string) == Some(v.to_string());
        if !same {
            table.insert(k, v.clone());
        }
    }
    Ok(())
}

/// Give a profile a new name, keeping every field and the default mark.
pub fn rename_profile(
    doc: &mut DocumentMut,
    config: &Config,
    from: &str,
    to: &str,
) -> Result<(), ConfigError> {
    copy_profile(doc, config, from, to)?;
    section(doc, "profiles")?.remove(from);
    if config.default.as_deref() == Some(from) {
        doc.insert("default", value(to));
    }
    Ok(())
}

/// A new profile with every field of an existing one.
pub fn copy_profile(
    doc: &mut DocumentMut,
    config: &Config,
    from: &str,
    to: &str,
) -> Result<(), ConfigError> {
    config.profile(from)?;
    check_name(to)?;
    if config.profiles.contains_key(to) {
        return Err(ConfigError::Refused(t!("edit.profile_exists", name = to)));
    }
    let profiles = section(doc, "profiles")?;
    let mut item = profiles
        .get(from)
        .cloned()
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = from)))?;
    // Keep the copy's header out of the original's comments.
    if let Some(t) = item.as_table_mut() {
        t.decor_mut().clear();
    }
    profiles.insert(to, item);
    Ok(())
}

pub fn remove_profile(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
) -> Result<(), ConfigError> {
    config.profile(name)?;
    section(doc, "profiles")?.remove(name);
    if config.default.as_deref() == Some(name) {
        doc.remove("default");
    }
    Ok(())
}

pub fn set_default(doc: &mut DocumentMut, config: &Config, name: &str) -> Result<(), ConfigError> {
    config.profile(name)?;
    // Root keys print before every table, so `default` stays at the top.
    match doc.get_mut("default") {
        Some(item) => *item = value(name),
        None => {
            doc.insert("default", value(name));
        }
    }
    Ok(())
}

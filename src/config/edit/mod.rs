//! Changes to the config document, made with `toml_edit` so the user's
//! comments, order and formatting survive. Each function checks what it can
//! against the current validated config; [`super::store::update`] validates
//! the whole result before saving.

use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use super::error::ConfigError;
use super::model::Config;
use super::resolve::valid_name;
use crate::t;

mod search;
mod slots;

pub use search::{SearchChange, remove_search, set_search};
pub use slots::SlotValue;

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
    /// Replaces the profile's whole `env` table when set.
    pub env: Option<Vec<(String, String)>>,
    /// Keys to remove (`fast`, `opus`, `description`, ...).
    pub unset: Vec<String>,
}

/// Fields of a new provider.
#[derive(Clone, Debug, Default)]
pub struct ProviderChange {
    pub preset: Option<String>,
    pub api: Option<String>,
    pub base_url: Option<String>,
    pub key_env: Option<String>,
    pub key_command: Option<String>,
    /// Write `keyring = true` even where it is the default.
    pub key_keyring: bool,
    pub proxy: Option<String>,
    pub ca_file: Option<String>,
}

/// Where a provider's key comes from, as one choice (the TUI's form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChoice {
    Keyring,
    Env(String),
    Command(String),
    /// No key line (providers whose preset needs no key).
    None,
}

/// Changes to an existing provider; `None` leaves a field alone, and
/// `Some(None)` removes it.
#[derive(Clone, Debug, Default)]
pub struct ProviderEdit {
    pub base_url: Option<String>,
    pub key: Option<KeyChoice>,
    pub proxy: Option<Option<String>>,
    pub ca_file: Option<Option<String>>,
}

/// The `[profiles]` or `[providers]` table, created implicit so the file
/// shows `[profiles.x]` headers without an empty `[profiles]`.
pub(crate) fn section<'a>(
    doc: &'a mut DocumentMut,
    name: &str,
) -> Result<&'a mut Table, ConfigError> {
    let item = doc.entry(name).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    item.as_table_mut()
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = name)))
}

/// `[profiles.NAME]` or `[providers.NAME]`, as a table to edit.
fn entry<'a>(
    doc: &'a mut DocumentMut,
    sect: &str,
    name: &str,
) -> Result<&'a mut dyn toml_edit::TableLike, ConfigError> {
    section(doc, sect)?
        .get_mut(name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = name)))
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

fn check_name(name: &str) -> Result<(), ConfigError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ConfigError::Refused(format!(
            "{} {}",
            t!("config.bad_name", name = name),
            t!("config.hint_name")
        )))
    }
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
    for key in &change.unset {
        table.remove(key);
    }
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

pub fn add_provider(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
    change: &ProviderChange,
) -> Result<(), ConfigError> {
    check_name(name)?;
    if config.providers.contains_key(name) {
        return Err(ConfigError::Refused(t!(
            "edit.provider_exists",
            name = name
        )));
    }
    let mut table = Table::new();
    let fields = [
        ("preset", &change.preset),
        ("api", &change.api),
        ("base_url", &change.base_url),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            table.insert(k, value(v.as_str()));
        }
    }
    let mut key = InlineTable::new();
    if let Some(env) = &change.key_env {
        key.insert("env", env.as_str().into());
    }
    if let Some(cmd) = &change.key_command {
        key.insert("command", cmd.as_str().into());
    }
    if change.key_keyring {
        key.insert("keyring", true.into());
    }
    if !key.is_empty() {
        table.insert("key", value(key));
    }
    for (k, v) in [("proxy", &change.proxy), ("ca_file", &change.ca_file)] {
        if let Some(v) = v {
            table.insert(k, value(v.as_str()));
        }
    }
    section(doc, "providers")?.insert(name, Item::Table(table));
    Ok(())
}

pub fn remove_provider(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
) -> Result<(), ConfigError> {
    config.provider(name)?;
    let users = config.profiles_using(name);
    if !users.is_empty() {
        return Err(ConfigError::Refused(t!(
            "edit.provider_in_use",
            name = name,
            profiles = users.join(", ")
        )));
    }
    section(doc, "providers")?.remove(name);
    Ok(())
}

pub fn edit_provider(
    doc: &mut DocumentMut,
    config: &Config,
    name: &str,
    change: &ProviderEdit,
) -> Result<(), ConfigError> {
    config.provider(name)?;
    let table = entry(doc, "providers", name)?;
    if let Some(u) = &change.base_url {
        table.insert("base_url", value(u.as_str()));
    }
    for (k, v) in [("proxy", &change.proxy), ("ca_file", &change.ca_file)] {
        match v {
            Some(Some(v)) => {
                table.insert(k, value(v.as_str()));
            }
            Some(None) => {
                table.remove(k);
            }
            None => {}
        }
    }
    if let Some(key) = &change.key {
        let mut t = InlineTable::new();
        match key {
            KeyChoice::Keyring => {
                t.insert("keyring", true.into());
            }
            KeyChoice::Env(v) => {
                t.insert("env", v.as_str().into());
            }
            KeyChoice::Command(c) => {
                t.insert("command", c.as_str().into());
            }
            KeyChoice::None => {}
        }
        if t.is_empty() {
            table.remove("key");
        } else {
            table.insert("key", value(t));
        }
    }
    Ok(())
}

/// Make sure a provider's `key` table includes `source` (`keyring` or
/// `file`), keeping any other sources it lists. Returns whether it changed.
pub fn enable_key_source(
    doc: &mut DocumentMut,
    config: &Config,
    provider: &str,
    source: &str,
) -> Result<bool, ConfigError> {
    let resolved = config.provider(provider)?;
    let already = match source {
        "file" => resolved.key.file,
        _ => resolved.key.keyring,
    };
    // (A provider without a `key` line already resolves to the keyring.)
    if already {
        return Ok(false);
    }
    let table = entry(doc, "providers", provider)?;
    match table.get_mut("key") {
        Some(item) => {
            if let Some(t) = item.as_inline_table_mut() {
                t.insert(source, true.into());
            } else if let Some(t) = item.as_table_mut() {
                t.insert(source, value(true));
            }
        }
        None => {
            let mut t = InlineTable::new();
            t.insert(source, true.into());
            table.insert("key", value(t));
        }
    }
    Ok(true)
}

/// Name a keyring label in a provider's `extra_keys` (its key pool).
pub fn add_pool_key(
    doc: &mut DocumentMut,
    config: &Config,
    provider: &str,
    label: &str,
) -> Result<(), ConfigError> {
    config.provider(provider)?;
    check_name(label)?;
    let table = entry(doc, "providers", provider)?;
    let mut key = InlineTable::new();
    key.insert("keyring", label.into());
    match table.get_mut("extra_keys").and_then(Item::as_array_mut) {
        Some(list) => list.push(key),
        None => {
            let mut list = toml_edit::Array::new();
            list.push(key);
            table.insert("extra_keys", value(list));
        }
    }
    Ok(())
}

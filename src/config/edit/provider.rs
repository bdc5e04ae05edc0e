//! Changes to `[providers.NAME]` tables: add, edit, remove, and the key
//! sources and pool keys `ccswitch key set` adds.

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, value};
use url::Url;

use super::table::{check_name, entry, section};
use crate::config::error::ConfigError;
use crate::config::model::Config;
use crate::config::preset::Api;
use crate::config::presets::Presets;
use crate::t;

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
    /// The API kind, as `api = "..."` takes it (checked when the result is
    /// validated, as a new provider's is).
    pub api: Option<String>,
    pub base_url: Option<Option<String>>,
    pub key: Option<KeyChoice>,
    pub proxy: Option<Option<String>>,
    pub ca_file: Option<Option<String>>,
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

/// Change a saved provider. A new API kind without a new base URL takes
/// the old URL along only when it is one of the user's own for an API
/// that uses one: the preset's URL for the old kind gives way to the
/// preset's for the new (the line goes), and Bedrock or Vertex would take
/// an old URL for a gateway. What is left must validate like a new
/// provider (`store::update` refuses anything else): an API kind the preset
/// has no endpoint for, or one that needs a base URL it lacks.
pub fn edit_provider(
    doc: &mut DocumentMut,
    config: &Config,
    presets: &Presets,
    name: &str,
    change: &ProviderEdit,
) -> Result<(), ConfigError> {
    let saved = config.provider(name)?;
    // (A text that is no API kind is written as given, and refused by
    // validation with the choices.)
    let new_api = change
        .api
        .as_deref()
        .filter(|a| a.parse::<Api>().ok() != Some(saved.api));
    let old_url_goes = new_api.is_some() && change.base_url.is_none() && {
        let no_url = new_api
            .and_then(|a| a.parse::<Api>().ok())
            .is_some_and(|a| !a.uses_base_url());
        let preset_url = saved
            .preset
            .as_deref()
            .and_then(|id| presets.get(id))
            .and_then(|p| p.endpoint(saved.api))
            .and_then(|e| e.base_url.as_deref());
        no_url || same_url(saved.base_url.as_ref().map(Url::as_str), preset_url)
    };
    let table = entry(doc, "providers", name)?;
    if let Some(api) = new_api {
        set_keeping_decor(table, "api", api);
    }
    if old_url_goes {
        table.remove("base_url");
    }
    let fields = [
        ("base_url", &change.base_url),
        ("proxy", &change.proxy),
        ("ca_file", &change.ca_file),
    ];
    for (k, v) in fields {
        match v {
            Some(Some(v)) => set_keeping_decor(table, k, v),
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

/// Set `key` to `text`, keeping the spacing and comment around a value it
/// replaces (`api = "openai"   # why`).
fn set_keeping_decor(table: &mut dyn TableLike, key: &str, text: &str) {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(v) => {
            let decor = v.decor().clone();
            *v = text.into();
            *v.decor_mut() = decor;
        }
        None => {
            table.insert(key, value(text));
        }
    }
}

/// Two URLs that are the same once parsed (`https://h` and `https://h/`).
fn same_url(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.map(Url::parse), b.map(Url::parse)) {
        (Some(Ok(a)), Some(Ok(b))) => a == b,
        _ => false,
    }
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

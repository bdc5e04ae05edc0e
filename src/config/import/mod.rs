//! `ccswitch import`: an existing setup as new providers and profiles.
//! Each source (`claude_env`: shell variables or `~/.claude/settings.json`;
//! `ccr`: claude-code-router's `config.json`; `litellm`: a LiteLLM
//! `config.yaml`; `ccswitch`: cc-switch's stored providers) is read into a
//! [`Found`], purely; [`Found::into_names`] picks names that clash with
//! nothing, [`dedupe`] drops what the config has already, and
//! [`Found::write`] adds the tables to a config document. Keys never enter
//! the document: a variable the user keeps is referenced by name, and a
//! literal key goes to the keyring (see `cli::import`).

pub mod ccr;
pub mod ccswitch;
pub mod claude_env;
pub mod dedupe;
pub mod keyvar;
pub mod litellm;
pub mod matching;
pub mod source;

use std::collections::HashSet;

use secrecy::SecretString;
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use super::edit::{free_name, section};
use super::error::ConfigError;
use super::preset::Api;
use super::resolve::{valid_env_name, valid_name};
use super::text::{comment, is_bidi_control, without_password};
use crate::t;

/// The most entries (providers, models, stored providers) one source may
/// have. A person's setup has tens; past this a file is not one, and
/// naming and comparing its entries would only cost.
pub const MAX_ENTRIES: usize = 1000;

/// Why a source with more than [`MAX_ENTRIES`] entries is not read.
pub fn too_many(label: &str) -> String {
    t!("import.too_many", path = label, max = MAX_ENTRIES)
}

/// The longest name an import gives a provider or profile: room for a
/// `-NNNN` suffix within the config's 64.
const MAX_NAME: usize = 48;

/// Where an imported provider's key comes from.
#[derive(Clone, Debug)]
pub enum Key {
    None,
    /// A variable the user keeps setting: referenced, not copied.
    Env(String),
    /// A key written in the source; it goes to the keyring. `from` says
    /// where it was, for the dry run (never the key).
    Secret {
        value: SecretString,
        from: String,
    },
}

#[derive(Clone, Debug)]
pub struct NewProvider {
    pub name: String,
    pub preset: Option<String>,
    pub api: Api,
    pub base_url: Option<String>,
    pub key: Key,
    pub proxy: Option<String>,
    pub ca_file: Option<String>,
    pub region: Option<String>,
    pub project: Option<String>,
}

impl NewProvider {
    /// A provider with its name, API and preset, and nothing else yet: no
    /// URL, key, proxy, CA file, region or project.
    pub fn new(name: &str, api: Api, preset: Option<&str>) -> NewProvider {
        NewProvider {
            name: name.to_string(),
            preset: preset.map(str::to_string),
            api,
            base_url: None,
            key: Key::None,
            proxy: None,
            ca_file: None,
            region: None,
            project: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewProfile {
    pub name: String,
    pub provider: String,
    /// (slot, provider when not the profile's, model), `main` first.
    pub slots: Vec<(&'static str, Option<String>, String)>,
}

/// Something the source had that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

#[derive(Clone, Debug, Default)]
pub struct Found {
    pub providers: Vec<NewProvider>,
    pub profiles: Vec<NewProfile>,
    pub skipped: Vec<Skipped>,
    /// Entries not added because the config (or an earlier source) has
    /// them already, and where (see [`dedupe`]).
    pub known: Vec<Skipped>,
    /// (new name, name in the source) of what [`Found::into_names`]
    /// renamed, for messages about it.
    pub renamed: Vec<(String, String)>,
}

impl Found {
    pub fn skip(&mut self, what: impl Into<String>, why: impl Into<String>) {
        self.skipped.push(Skipped {
            what: what.into(),
            why: why.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty() && self.profiles.is_empty()
    }

    /// Names that clash with nothing already in the config (or imported
    /// before): `name`, else `name-2`, ...; profiles follow their
    /// providers' new names.
    pub fn into_names(
        mut self,
        taken_provider: impl Fn(&str) -> bool,
        taken_profile: impl Fn(&str) -> bool,
    ) -> Found {
        let mut renamed: Vec<(String, String)> = Vec::new();
        // Sets: a file of many like-named entries tries many suffixes.
        let mut used: HashSet<String> = HashSet::new();
        for p in &mut self.providers {
            let name = free_name(&clean(&p.name), |n| taken_provider(n) || used.contains(n));
            used.insert(name.clone());
            renamed.push((p.name.clone(), name.clone()));
            p.name = name;
        }
        let new = |old: &str| {
            renamed
                .iter()
                .find(|(o, _)| o == old)
                .map_or_else(|| old.to_string(), |(_, n)| n.clone())
        };
        let mut used: HashSet<String> = HashSet::new();
        for p in &mut self.profiles {
            p.provider = new(&p.provider);
            for (_, provider, _) in &mut p.slots {
                if let Some(name) = provider {
                    *name = new(name);
                }
            }
            let name = free_name(&clean(&p.name), |n| taken_profile(n) || used.contains(n));
            used.insert(name.clone());
            self.renamed
                .push((name.clone(), std::mem::take(&mut p.name)));
            p.name = name;
        }
        self.renamed
            .extend(renamed.into_iter().map(|(old, new)| (new, old)));
        self
    }

    /// The same import with no password in a URL, to be shown.
    pub fn without_passwords(&self) -> Found {
        let mut shown = self.clone();
        for p in &mut shown.providers {
            for u in [&mut p.base_url, &mut p.proxy].into_iter().flatten() {
                *u = without_password(u);
            }
        }
        shown
    }

    /// Add the providers and profiles to `doc`, as tables (refused when
    /// the document's `providers` or `profiles` is not a table). Only
    /// names [`Found::into_names`] gave become keys; everything else a
    /// source said is a value, which `toml_edit` escapes, or a one-line
    /// comment.
    pub fn write(&self, doc: &mut DocumentMut) -> Result<(), ConfigError> {
        let names = self.providers.iter().map(|p| &p.name);
        if let Some(bad) = names
            .chain(self.profiles.iter().map(|p| &p.name))
            .find(|n| !valid_name(n))
        {
            let name = super::text::one_line(bad);
            return Err(ConfigError::Refused(t!("config.bad_name", name = name)));
        }
        for p in &self.providers {
            section(doc, "providers")?.insert(&p.name, Item::Table(provider_table(p)));
        }
        for p in &self.profiles {
            section(doc, "profiles")?.insert(&p.name, Item::Table(profile_table(p)));
        }
        Ok(())
    }
}

fn provider_table(p: &NewProvider) -> Table {
    let mut t = Table::new();
    if let Some(preset) = &p.preset {
        t.insert("preset", value(string(preset)));
    }
    t.insert("api", value(p.api.as_str()));
    let fields = [
        ("base_url", &p.base_url),
        ("region", &p.region),
        ("project", &p.project),
        ("proxy", &p.proxy),
        ("ca_file", &p.ca_file),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            t.insert(k, value(string(v)));
        }
    }
    let mut key = InlineTable::new();
    match &p.key {
        Key::None => {}
        // `keyvar::confirm` leaves only variable names here; anything
        // else would be refused by the save, so it is left out instead.
        Key::Env(var) if valid_env_name(var) => {
            key.insert("env", string(var));
        }
        Key::Env(_) => {}
        Key::Secret { from, .. } => {
            key.insert("keyring", true.into());
            let note = comment(&format!("key: <from {from}>, into the keyring"));
            t.decor_mut().set_prefix(format!("\n{note}"));
        }
    }
    if !key.is_empty() {
        t.insert("key", value(key));
    }
    t
}

fn profile_table(p: &NewProfile) -> Table {
    let mut t = Table::new();
    t.insert("provider", value(string(&p.provider)));
    for (slot, provider, model) in &p.slots {
        match provider.as_deref().filter(|o| *o != p.provider) {
            Some(other) => {
                let mut it = InlineTable::new();
                it.insert("provider", string(other));
                it.insert("model", string(model));
                t.insert(slot, value(it));
            }
            None => {
                t.insert(slot, value(string(model)));
            }
        }
    }
    t
}

/// `s` as a TOML string on one line, escaped: `toml_edit` writes a
/// value with a newline as a multi-line string, whose lines would read
/// like tables of their own to a person looking at the file.
fn string(s: &str) -> toml_edit::Value {
    use std::fmt::Write as _;
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(q, "\\u{:04X}", u32::from(c));
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q.parse().unwrap_or_else(|_| toml_edit::Value::from(s))
}

/// A name the config accepts: lowercase letters, digits, `-` and `_`,
/// at most [`MAX_NAME`] of them.
fn clean(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .take(MAX_NAME * 2)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    // `Kimi (China)` → `kimi-china`, not `kimi--china`.
    let mut out = String::with_capacity(s.len());
    for c in s.trim_matches('-').chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.truncate(MAX_NAME);
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "imported".into()
    } else {
        out.to_string()
    }
}

#[cfg(test)]
mod local_tests;
#[cfg(test)]
mod tests;

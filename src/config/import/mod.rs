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
pub mod litellm;

use secrecy::SecretString;
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use super::edit::{free_name, section};
use super::error::ConfigError;
use super::preset::Api;
use super::presets::Presets;

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
        let mut used: Vec<String> = Vec::new();
        for p in &mut self.providers {
            let name = free_name(&clean(&p.name), |n| {
                taken_provider(n) || used.iter().any(|u| u == n)
            });
            used.push(name.clone());
            renamed.push((p.name.clone(), name.clone()));
            p.name = name;
        }
        let new = |old: &str| {
            renamed
                .iter()
                .find(|(o, _)| o == old)
                .map_or_else(|| old.to_string(), |(_, n)| n.clone())
        };
        let mut used: Vec<String> = Vec::new();
        for p in &mut self.profiles {
            p.provider = new(&p.provider);
            for (_, provider, _) in &mut p.slots {
                if let Some(name) = provider {
                    *name = new(name);
                }
            }
            let name = free_name(&clean(&p.name), |n| {
                taken_profile(n) || used.iter().any(|u| u == n)
            });
            used.push(name.clone());
            self.renamed
                .push((name.clone(), std::mem::take(&mut p.name)));
            p.name = name;
        }
        self.renamed
            .extend(renamed.into_iter().map(|(old, new)| (new, old)));
        self
    }

    /// Add the providers and profiles to `doc`, as tables (refused when
    /// the document's `providers` or `profiles` is not a table).
    pub fn write(&self, doc: &mut DocumentMut) -> Result<(), ConfigError> {
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
        t.insert("preset", value(preset.as_str()));
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
            t.insert(k, value(v.as_str()));
        }
    }
    let mut key = InlineTable::new();
    match &p.key {
        Key::None => {}
        Key::Env(var) => {
            key.insert("env", var.as_str().into());
        }
        Key::Secret { from, .. } => {
            key.insert("keyring", true.into());
            t.decor_mut()
                .set_prefix(format!("\n# key: <from {from}>, into the keyring\n"));
        }
    }
    if !key.is_empty() {
        t.insert("key", value(key));
    }
    t
}

fn profile_table(p: &NewProfile) -> Table {
    let mut t = Table::new();
    t.insert("provider", value(p.provider.as_str()));
    for (slot, provider, model) in &p.slots {
        match provider.as_deref().filter(|o| *o != p.provider) {
            Some(other) => {
                let mut it = InlineTable::new();
                it.insert("provider", other.into());
                it.insert("model", model.as_str().into());
                t.insert(slot, value(it));
            }
            None => {
                t.insert(slot, value(model.as_str()));
            }
        }
    }
    t
}

/// A name the config accepts: lowercase letters, digits, `-` and `_`.
fn clean(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
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
    if out.is_empty() {
        "imported".into()
    } else {
        out
    }
}

/// The preset whose endpoint lives at `url`'s host, and the API kind of
/// that endpoint (an Anthropic-compatible path or an OpenAI one).
pub fn match_preset(url: &str, presets: &Presets) -> Option<(String, Api)> {
    let url = &loopback_v4(url);
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    let mut best = None;
    for p in presets.iter() {
        for (api, e) in &p.endpoints {
            let urls = e.base_url.iter().chain(&e.alternates);
            for u in urls {
                let u = &loopback_v4(u);
                let Some(h) = url::Url::parse(u)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                else {
                    continue;
                };
                if h.eq_ignore_ascii_case(&host) {
                    // The endpoint whose path the URL starts with wins.
                    let same_path = url.trim_end_matches('/').ends_with(u.trim_end_matches('/'))
                        || url.starts_with(u.trim_end_matches('/'));
                    if same_path || best.is_none() {
                        best = Some((p.id.clone(), *api));
                    }
                    if same_path {
                        return best;
                    }
                }
            }
        }
    }
    best
}

/// `localhost` as `127.0.0.1`: where `localhost` resolves to `::1` first,
/// a client would miss a server that listens on IPv4 only (Ollama, LM
/// Studio), which is what most local servers do.
pub fn loopback_v4(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.host_str() == Some("localhost") => {
            let _ = u.set_host(Some("127.0.0.1"));
            let s = u.to_string();
            // `Url` adds a `/` to a bare origin; keep the caller's form.
            if url.ends_with('/') {
                s
            } else {
                s.trim_end_matches('/').to_string()
            }
        }
        _ => url.to_string(),
    }
}

/// The preset's own URL for `api` is left out (the preset supplies it);
/// any other is kept.
pub fn own_url(url: String, preset: &str, api: Api, presets: &Presets) -> Option<String> {
    let same = presets
        .get(preset)
        .and_then(|p| p.endpoint(api))
        .and_then(|e| e.base_url.as_deref())
        .is_some_and(|u| u.trim_end_matches('/') == url.trim_end_matches('/'));
    (!same).then_some(url)
}

#[cfg(test)]
mod tests;

//! Inline validation: why a field cannot be saved, in a few words.

use super::{FieldId, Form, FormMode, KeyFrom, ProviderSel};
use crate::config::resolve::{
    UrlProblem, check_base_url, expand_home, proxy_url, valid_env_name, valid_key_command,
    valid_name,
};
use crate::config::{Config, Presets};
use crate::t;

impl Form {
    /// Why a field's value cannot be saved, if it cannot.
    pub fn error(&self, f: FieldId, cfg: &Config, presets: &Presets) -> Option<String> {
        let v = &self.values;
        let text = self.text(f).trim();
        match f {
            FieldId::Name if text.is_empty() => Some(t!("form.err_required")),
            FieldId::Name if !valid_name(text) => Some(t!("form.err_name")),
            FieldId::Name => {
                let own = match &self.mode {
                    FormMode::Edit(n) => Some(n.as_str()),
                    _ => None,
                };
                (cfg.profiles.contains_key(text) && own != Some(text))
                    .then(|| t!("form.err_name_taken"))
            }
            FieldId::Provider => (v.provider == ProviderSel::None).then(|| t!("form.err_provider")),
            FieldId::BaseUrl if text.is_empty() => Some(t!("form.err_required")),
            FieldId::BaseUrl => match check_base_url(text) {
                Ok(_) => None,
                Err(UrlProblem::HasQuery) => Some(t!("form.err_url_query")),
                Err(_) => Some(t!("form.err_url")),
            },
            FieldId::Key => match v.key_from {
                KeyFrom::Env if !valid_env_name(text) => Some(t!("form.err_env_name")),
                KeyFrom::Command if !valid_key_command(text) => Some(t!("form.err_command")),
                // A new provider needs its key now; a saved one keeps its own.
                KeyFrom::Keyring
                    if text.is_empty()
                        && !self.keyring_key_saved(cfg)
                        && self.needs_key(cfg, presets) =>
                {
                    Some(t!("form.err_key"))
                }
                _ => None,
            },
            f if f.is_model() && !self.fallbacks(f).is_empty() && text.is_empty() => {
                Some(t!("form.err_chain_first"))
            }
            f if f.is_model() && !self.fallbacks(f).is_empty() && !self.proxied(cfg) => {
                Some(t!("form.err_chain_direct", api = v.api))
            }
            FieldId::Menu if !v.menu.is_empty() && !self.proxied(cfg) => {
                Some(t!("form.err_menu_direct", api = v.api))
            }
            FieldId::Main if text.is_empty() => Some(t!("form.err_required")),
            f if f.is_model() && text.chars().any(char::is_whitespace) => {
                Some(t!("form.err_model"))
            }
            FieldId::MaxOutput if !text.is_empty() => match text.parse::<u64>() {
                Ok(n) if n > 0 => None,
                _ => Some(t!("form.err_number")),
            },
            FieldId::Context
            | FieldId::DailyUsd
            | FieldId::MonthlyUsd
            | FieldId::DailyTokens
            | FieldId::MonthlyTokens => self.size_error(f),
            FieldId::Proxy if !text.is_empty() => {
                proxy_url(text).is_none().then(|| t!("form.err_proxy"))
            }
            FieldId::CaFile if !text.is_empty() => {
                (!expand_home(text, cfg.home.as_deref()).is_file()).then(|| t!("form.err_ca_file"))
            }
            FieldId::Env => parse_env(text).err(),
            _ => None,
        }
    }

    /// Whether ccswitch's proxy serves the profile (only it can move a
    /// request along a fallback chain, or route a menu's models).
    fn proxied(&self, cfg: &Config) -> bool {
        let direct = match &self.mode {
            FormMode::Edit(n) | FormMode::Duplicate(n) => {
                cfg.profiles.get(n).is_some_and(|p| p.direct)
            }
            FormMode::New => false,
        };
        // A Bedrock or Vertex provider goes through the proxy unless it
        // says `direct = true` (or the ledger is off).
        let api = self.values.api;
        let through_proxy = match &self.values.provider {
            ProviderSel::Existing(n) => cfg
                .providers
                .get(n)
                .map_or(api.uses_base_url(), crate::config::Provider::proxied),
            _ => {
                api.uses_base_url()
                    || (matches!(
                        api,
                        crate::config::Api::Bedrock | crate::config::Api::Vertex
                    ) && cfg.ledger)
            }
        };
        through_proxy && !direct
    }

    /// Whether the selected provider is a saved one that reads the keyring
    /// (so an empty key field means "keep the stored key").
    fn keyring_key_saved(&self, cfg: &Config) -> bool {
        match &self.values.provider {
            ProviderSel::Existing(n) => cfg.providers.get(n).is_some_and(|p| p.key.keyring),
            _ => false,
        }
    }

    /// The first field with an error, among those on screen.
    pub fn first_error(&self, cfg: &Config, presets: &Presets) -> Option<(FieldId, String)> {
        self.fields(cfg, presets)
            .into_iter()
            .find_map(|f| self.error(f, cfg, presets).map(|e| (f, e)))
    }
}

/// `A=1, B=two` → pairs; the error names the bad part.
pub fn parse_env(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) if valid_env_name(k.trim()) => {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
            _ => return Err(t!("form.err_env", part = part)),
        }
    }
    Ok(out)
}

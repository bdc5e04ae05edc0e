//! The profile list as the home screen shows it: one row per profile, and
//! what is known about each provider's key.

use crate::config::{Api, Config, KeySpec, MenuItem};
use crate::usage::format::budgets;

/// What the key column says about a provider's key (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Not known yet (the check runs in the background).
    Checking,
    NotNeeded,
    /// Found, and where.
    Found(String),
    /// Configured sources, none of which has a key now.
    Missing(String),
}

/// One profile as the home screen shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub description: Option<String>,
    pub provider: String,
    pub provider_name: String,
    pub api: Api,
    pub url: String,
    /// (slot, model, provider when not the profile's own).
    pub slots: Vec<(&'static str, String, Option<String>)>,
    /// What each slot falls back to (`moon/kimi-k3 → ds/deepseek-v4-flash`);
    /// slots without fallbacks are left out.
    pub chains: Vec<(&'static str, String)>,
    /// Its model menu, an entry a line (`Kimi K3 (moon/kimi-k3)`).
    pub menu: Vec<String>,
    /// The budgets its requests count against, as (label, limits).
    pub budgets: Vec<(String, String)>,
    pub key_sources: KeySpec,
}

pub fn rows(cfg: &Config) -> Vec<Row> {
    cfg.profiles
        .values()
        .map(|p| {
            let provider = &cfg.providers[&p.provider];
            let url = match (&provider.base_url, &provider.region) {
                (Some(u), _) => u.to_string(),
                (None, Some(r)) => format!("region {r}"),
                (None, None) => String::new(),
            };
            Row {
                name: p.name.clone(),
                description: p.description.clone(),
                provider: p.provider.clone(),
                provider_name: provider.display_name.clone(),
                api: provider.api,
                url,
                slots: p
                    .slots()
                    .into_iter()
                    .map(|(n, s)| {
                        (
                            n,
                            s.model.clone(),
                            (s.provider != p.provider).then(|| s.provider.clone()),
                        )
                    })
                    .collect(),
                chains: p
                    .slots()
                    .into_iter()
                    .filter_map(|(n, s)| Some((n, s.fallback_text()?)))
                    .collect(),
                menu: p.menu.iter().map(MenuItem::text).collect(),
                budgets: budgets(cfg, p),
                key_sources: provider.key.clone(),
            }
        })
        .collect()
}

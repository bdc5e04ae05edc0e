//! A LiteLLM `config.yaml`: each `model_list` entry's upstream (the
//! `provider/` prefix of its `litellm_params.model`, or its `api_base`'s
//! host) becomes a provider, and the entries one profile, `litellm`,
//! whose slots follow the names Claude Code asks for: `*sonnet*` the main
//! model, `*haiku*` the small-fast one, `*opus*` opus. ccswitch then does
//! the gateway's job itself, in-process.

use std::collections::HashSet;

use secrecy::SecretString;
use serde::Deserialize;

use super::matching::{loopback_v4, match_preset, own_url};
use super::{Found, Key, MAX_ENTRIES, NewProfile, NewProvider};
use crate::config::edit::free_name;
use crate::config::presets::Presets;
use crate::t;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    model_list: Vec<ListedModel>,
}

#[derive(Deserialize)]
struct ListedModel {
    model_name: Option<String>,
    litellm_params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    model: Option<String>,
    api_base: Option<String>,
    api_key: Option<String>,
}

/// LiteLLM's provider prefixes, as preset ids.
const PREFIXES: &[(&str, &str)] = &[
    ("anthropic", "anthropic"),
    ("openai", "openai"),
    ("deepseek", "deepseek"),
    ("openrouter", "openrouter"),
    ("gemini", "gemini"),
    ("moonshot", "moonshot"),
    ("dashscope", "qwen"),
    ("ollama", "ollama"),
    ("ollama_chat", "ollama"),
    ("groq", "groq"),
    ("mistral", "mistral"),
    ("xai", "xai"),
    ("together_ai", "together"),
    ("fireworks_ai", "fireworks"),
    ("volcengine", "volcengine"),
    ("zai", "zai"),
    ("hosted_vllm", "vllm"),
    ("lm_studio", "lm-studio"),
    ("bedrock", "bedrock"),
    ("vertex_ai", "vertex"),
];

pub fn read(text: &str, path: &str, presets: &Presets) -> Result<Found, String> {
    let file: File = yaml_serde::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    if file.model_list.len() > MAX_ENTRIES {
        return Err(super::too_many(path));
    }
    let mut found = Found::default();
    // The providers' names, for picking new ones without a scan each.
    let mut names: HashSet<String> = HashSet::new();
    // (alias, provider name, upstream model id)
    let mut routes: Vec<(String, String, String)> = Vec::new();
    for (i, e) in file.model_list.iter().enumerate() {
        let alias = e
            .model_name
            .clone()
            .unwrap_or_else(|| format!("model_list[{i}]"));
        let Some(params) = &e.litellm_params else {
            found.skip(alias, t!("import.no_params"));
            continue;
        };
        let Some(full) = params.model.as_deref().filter(|m| !m.is_empty()) else {
            found.skip(alias, t!("import.no_params"));
            continue;
        };
        let (prefix, model) = full.split_once('/').unwrap_or(("openai", full));
        let by_host = params
            .api_base
            .as_deref()
            .and_then(|u| match_preset(u, presets));
        let by_prefix = PREFIXES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|(_, id)| *id);
        let (preset, api) = match (by_host, by_prefix) {
            (Some((id, api)), _) => (id, api),
            (None, Some(id)) if params.api_base.is_none() && presets.get(id).is_some() => (
                id.to_string(),
                presets
                    .get(id)
                    .map_or(crate::config::Api::Openai, |p| p.api),
            ),
            // An OpenAI-compatible server of the user's own.
            (None, _)
                if params.api_base.is_some() && matches!(prefix, "openai" | "hosted_vllm") =>
            {
                ("custom-openai".to_string(), crate::config::Api::Openai)
            }
            _ => {
                found.skip(
                    format!("{alias} ({full})"),
                    t!("import.unknown_prefix", prefix = prefix),
                );
                continue;
            }
        };
        let key = match params.api_key.as_deref().map(str::trim) {
            Some(k) if k.starts_with("os.environ/") => {
                Key::Env(k.trim_start_matches("os.environ/").to_string())
            }
            Some(k) if !k.is_empty() => Key::Secret {
                value: SecretString::from(k.to_string()),
                from: t!("import.litellm_key", alias = alias, path = path),
            },
            _ => Key::None,
        };
        let base_url = params
            .api_base
            .as_deref()
            .and_then(|u| own_url(loopback_v4(u), &preset, api, presets));
        // Entries on the same upstream, with the same key, share a provider.
        let same = found.providers.iter().find(|p| {
            p.preset.as_deref() == Some(preset.as_str())
                && p.base_url == base_url
                && same_key(&p.key, &key)
        });
        let name = match same {
            Some(p) => p.name.clone(),
            None => {
                let name = free_name(&preset, |n| names.contains(n));
                names.insert(name.clone());
                found.providers.push(NewProvider {
                    base_url,
                    key,
                    ..NewProvider::new(&name, api, Some(&preset))
                });
                name
            }
        };
        routes.push((alias, name, model.to_string()));
    }
    if let Some(profile) = profile(&routes) {
        // Entries no Claude Code name points at: their providers are in,
        // the models wait for a slot.
        for (alias, provider, model) in &routes {
            let used = profile.slots.iter().any(|(_, p, m)| {
                m == model && p.as_deref().unwrap_or(&profile.provider) == provider
            });
            if !used {
                found.skip(
                    alias.clone(),
                    t!("import.no_slot", provider = provider, model = model),
                );
            }
        }
        found.profiles.push(profile);
    }
    Ok(found)
}

fn same_key(a: &Key, b: &Key) -> bool {
    use secrecy::ExposeSecret;
    match (a, b) {
        (Key::None, Key::None) => true,
        (Key::Env(x), Key::Env(y)) => x == y,
        (Key::Secret { value: x, .. }, Key::Secret { value: y, .. }) => {
            x.expose_secret() == y.expose_secret()
        }
        _ => false,
    }
}

/// The slots Claude Code's names point at: `sonnet` (else the first
/// entry) is main, `haiku` fast and haiku, `opus` opus.
fn profile(routes: &[(String, String, String)]) -> Option<NewProfile> {
    let named = |word: &str| {
        routes
            .iter()
            .find(|(a, _, _)| a.to_ascii_lowercase().contains(word))
    };
    let main = named("sonnet").or_else(|| routes.first())?;
    let mut profile = NewProfile {
        name: "litellm".into(),
        provider: main.1.clone(),
        slots: vec![("main", None, main.2.clone())],
    };
    let mut add = |slot: &'static str, r: &(String, String, String)| {
        profile.slots.push((slot, Some(r.1.clone()), r.2.clone()));
    };
    if let Some(h) = named("haiku") {
        add("fast", h);
        add("haiku", h);
    }
    if let Some(o) = named("opus") {
        add("opus", o);
    }
    if named("sonnet").is_some() {
        add("sonnet", main);
    }
    Some(profile)
}

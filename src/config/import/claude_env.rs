//! Claude Code's own variables, from the shell or from the `env` block of
//! `~/.claude/settings.json`: one provider and one profile.

use secrecy::SecretString;

use super::matching::{local_name, loopback_v4, match_preset, own_url, set_network};
use super::{Found, Key, NewProfile, NewProvider};
use crate::config::preset::Api;
use crate::config::presets::Presets;
use crate::t;

/// Where the model of each slot comes from, in Claude Code's names.
const SLOTS: &[(&str, &[&str])] = &[
    ("main", &["ANTHROPIC_MODEL"]),
    (
        "fast",
        &[
            "ANTHROPIC_SMALL_FAST_MODEL",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL",
        ],
    ),
    ("opus", &["ANTHROPIC_DEFAULT_OPUS_MODEL"]),
    ("sonnet", &["ANTHROPIC_DEFAULT_SONNET_MODEL"]),
    ("haiku", &["ANTHROPIC_DEFAULT_HAIKU_MODEL"]),
    ("subagent", &["CLAUDE_CODE_SUBAGENT_MODEL"]),
];

/// `label` says where the variables are ("the environment", a file).
/// `keep_env`: reference the key's variable instead of copying its value
/// (only for variables the user keeps exporting).
pub fn read(
    label: &str,
    get: &dyn Fn(&str) -> Option<String>,
    keep_env: bool,
    presets: &Presets,
) -> Found {
    let var = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let on = |k: &str| var(k).is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"));
    let key_from = |names: &[&str]| -> Key {
        names
            .iter()
            .find_map(|n| var(n).map(|v| (*n, v)))
            .map_or(Key::None, |(n, v)| {
                if keep_env {
                    Key::Env(n.to_string())
                } else {
                    Key::Secret {
                        value: SecretString::from(v),
                        from: format!("{n} in {label}"),
                    }
                }
            })
    };
    let mut found = Found::default();
    let mut provider = if on("CLAUDE_CODE_USE_BEDROCK") {
        NewProvider {
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            key: key_from(&["AWS_BEARER_TOKEN_BEDROCK"]),
            ..NewProvider::new("bedrock", Api::Bedrock, Some("bedrock"))
        }
    } else if on("CLAUDE_CODE_USE_VERTEX") {
        NewProvider {
            region: var("CLOUD_ML_REGION"),
            project: var("ANTHROPIC_VERTEX_PROJECT_ID"),
            ..NewProvider::new("vertex", Api::Vertex, Some("vertex"))
        }
    } else if on("CLAUDE_CODE_USE_FOUNDRY") {
        // Claude Code's own rule: the base URL, else the resource's.
        let base = var("ANTHROPIC_FOUNDRY_BASE_URL").or_else(|| {
            var("ANTHROPIC_FOUNDRY_RESOURCE")
                .map(|r| format!("https://{r}.services.ai.azure.com/anthropic"))
        });
        let Some(base) = base else {
            found.skip(t!("import.foundry"), t!("import.foundry_no_resource"));
            return found;
        };
        if var("ANTHROPIC_FOUNDRY_API_KEY").is_none()
            && var("ANTHROPIC_FOUNDRY_AUTH_TOKEN").is_some()
        {
            // A token copied now would stop working within the hour.
            found.skip(
                t!("import.foundry_token"),
                t!("import.foundry_token_expires"),
            );
        }
        NewProvider {
            base_url: Some(base.trim_end_matches('/').to_string()),
            key: key_from(&["ANTHROPIC_FOUNDRY_API_KEY"]),
            ..NewProvider::new("foundry", Api::Anthropic, Some("foundry"))
        }
    } else if let Some(url) = var("ANTHROPIC_BASE_URL") {
        let key = key_from(&["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"]);
        match match_preset(&url, presets) {
            // Claude Code speaks Anthropic's API to this URL, whichever of
            // the preset's endpoints its host matched.
            Some((id, _)) => NewProvider {
                // The preset's own URL unless this one differs (a region).
                base_url: own_url(loopback_v4(&url), &id, Api::Anthropic, presets),
                key,
                ..NewProvider::new(&id, Api::Anthropic, Some(&id))
            },
            None => NewProvider {
                base_url: Some(loopback_v4(&url)),
                key,
                ..NewProvider::new(&host_name(&url), Api::Anthropic, Some("custom-anthropic"))
            },
        }
    } else if var("ANTHROPIC_API_KEY").is_some() || var("ANTHROPIC_AUTH_TOKEN").is_some() {
        NewProvider {
            key: key_from(&["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"]),
            ..NewProvider::new("anthropic", Api::Anthropic, Some("anthropic"))
        }
    } else {
        return found;
    };
    let proxy = var("HTTPS_PROXY").or_else(|| var("https_proxy"));
    set_network(&mut provider, proxy, var("NODE_EXTRA_CA_CERTS"), presets);
    let mut profile = NewProfile {
        name: provider.name.clone(),
        provider: provider.name.clone(),
        slots: Vec::new(),
    };
    for (slot, names) in SLOTS {
        if let Some(model) = names.iter().find_map(|n| var(n)) {
            profile.slots.push((slot, None, model));
        }
    }
    if profile.slots.first().is_none_or(|(s, _, _)| *s != "main") {
        // No ANTHROPIC_MODEL: the preset's suggestion, if it has one.
        let suggested = provider
            .preset
            .as_deref()
            .and_then(|id| presets.get(id))
            .and_then(|p| p.suggested.main.clone());
        match suggested {
            Some(m) => profile.slots.insert(0, ("main", None, m)),
            None => {
                found.skip(
                    t!("import.profile_for", provider = provider.name),
                    t!("import.no_model"),
                );
                found.providers.push(provider);
                return found;
            }
        }
    }
    found.providers.push(provider);
    found.profiles.push(profile);
    found
}

/// `https://llm.corp.example:4000/anthropic` → `llm`; a server on this
/// machine by its port, `http://127.0.0.1:18871` → `local-18871` (its
/// address would name every local server alike, `127`).
pub fn host_name(url: &str) -> String {
    if let Some(name) = local_name(url) {
        return name;
    }
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .map_or_else(
            || "gateway".into(),
            |h| {
                let labels: Vec<&str> = h.split('.').collect();
                match labels.as_slice() {
                    [one] => (*one).to_string(),
                    [first, ..] if *first != "api" && *first != "www" => (*first).to_string(),
                    [_, second, ..] => (*second).to_string(),
                    [] => "gateway".to_string(),
                }
            },
        )
}

//! claude-code-router's `config.json`: its `Providers` become providers,
//! its `Router` one profile (`ccr`). Transformers that adapt a provider's
//! API are what ccswitch's presets and translation already do; others are
//! listed as skipped.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::matching::{loopback_v4, match_preset, on_this_machine, own_url};
use super::{Found, Key, MAX_ENTRIES, NewProfile, NewProvider};
use crate::config::preset::Api;
use crate::config::presets::Presets;
use crate::t;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    #[serde(default)]
    providers: Vec<Provider>,
    #[serde(default)]
    router: serde_json::Map<String, Value>,
    #[serde(rename = "PROXY_URL")]
    proxy_url: Option<String>,
}

#[derive(Deserialize)]
struct Provider {
    name: Option<String>,
    api_base_url: Option<String>,
    api_key: Option<String>,
    #[serde(default)]
    transformer: Option<Value>,
}

/// Transformers whose work ccswitch's presets and translation do.
const HANDLED: &[&str] = &[
    "anthropic",
    "deepseek",
    "openrouter",
    "gemini",
    "groq",
    "tooluse",
    "enhancetool",
    "reasoning",
    "cleancache",
    "maxtoken",
    "openai",
];

pub fn read(text: &str, path: &str, presets: &Presets) -> Result<Found, String> {
    let file: File = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    if file.providers.len() > MAX_ENTRIES || file.router.len() > MAX_ENTRIES {
        return Err(super::too_many(path));
    }
    let mut found = Found::default();
    for (i, p) in file.providers.iter().enumerate() {
        let label = p.name.clone().unwrap_or_else(|| format!("Providers[{i}]"));
        let Some(url) = p.api_base_url.as_deref().filter(|u| !u.is_empty()) else {
            found.skip(label, t!("import.no_url"));
            continue;
        };
        let Some((base, api)) = endpoint(url, uses(p).iter().any(|u| u == "anthropic")) else {
            found.skip(label, t!("import.bad_url", url = url));
            continue;
        };
        let preset = match_preset(&base, presets);
        // Gemini's native API has an OpenAI-compatible twin: the preset's.
        let (base_url, api) = match &preset {
            Some((_, papi)) if url.contains("generativelanguage.googleapis.com/v1beta/models") => {
                (None, *papi)
            }
            Some((id, _)) => (own_url(loopback_v4(&base), id, api, presets), api),
            None => (Some(loopback_v4(&base)), api),
        };
        let needs_key = preset
            .as_ref()
            .and_then(|(id, _)| presets.get(id))
            .is_none_or(|p| p.needs_key);
        let key = match p.api_key.as_deref().map(str::trim) {
            Some(k) if k.starts_with('$') => Key::Env(
                k.trim_start_matches('$')
                    .trim_matches(['{', '}'])
                    .to_string(),
            ),
            Some(k) if !k.is_empty() && needs_key => Key::Secret {
                value: SecretString::from(k.to_string()),
                from: t!("import.ccr_key", provider = label, path = path),
            },
            _ => Key::None,
        };
        for u in uses(p).iter().filter(|u| !HANDLED.contains(&u.as_str())) {
            found.skip(
                format!("{label}: transformer `{u}`"),
                t!("import.no_transformer"),
            );
        }
        // CCR's one proxy is for its remote providers: a proxy for this
        // machine is only in the way (CCR #602).
        let local = url::Url::parse(url).is_ok_and(|u| on_this_machine(&u));
        found.providers.push(NewProvider {
            name: label,
            preset: preset.map(|(id, _)| id).or_else(|| {
                Some(
                    if api == Api::Anthropic {
                        "custom-anthropic"
                    } else {
                        "custom-openai"
                    }
                    .into(),
                )
            }),
            api,
            base_url,
            key,
            proxy: file.proxy_url.clone().filter(|p| !p.is_empty() && !local),
            ca_file: None,
            region: None,
            project: None,
        });
    }
    router(&file.router, &mut found);
    Ok(found)
}

/// The transformer names a provider uses, lowercased.
fn uses(p: &Provider) -> Vec<String> {
    p.transformer
        .as_ref()
        .and_then(|t| t.get("use"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().or_else(|| u.get(0).and_then(Value::as_str)))
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// CCR names the full endpoint (`…/chat/completions`, `…/v1/messages`);
/// ccswitch wants the base URL and the API kind.
fn endpoint(url: &str, anthropic: bool) -> Option<(String, Api)> {
    url::Url::parse(url).ok()?;
    let u = url.trim_end_matches('/');
    if let Some(base) = u.strip_suffix("/chat/completions") {
        return Some((base.to_string(), Api::Openai));
    }
    if let Some(base) = u.strip_suffix("/v1/messages") {
        return Some((base.to_string(), Api::Anthropic));
    }
    Some((
        u.to_string(),
        if anthropic {
            Api::Anthropic
        } else {
            Api::Openai
        },
    ))
}

/// `"provider,model"` routes become the `ccr` profile's slots.
fn router(r: &serde_json::Map<String, Value>, found: &mut Found) {
    let route = |k: &str| {
        let v = r.get(k)?.as_str()?;
        let (p, m) = v.split_once(',')?;
        Some((p.trim().to_string(), m.trim().to_string()))
    };
    let Some((provider, main)) = route("default") else {
        if !r.is_empty() {
            found.skip("Router", t!("import.no_default"));
        }
        return;
    };
    let mut profile = NewProfile {
        name: "ccr".into(),
        provider: provider.clone(),
        slots: vec![("main", None, main)],
    };
    for (key, slot) in [
        ("background", "fast"),
        ("longContext", "long_context"),
        ("image", "vision"),
    ] {
        if let Some((p, m)) = route(key) {
            profile.slots.push((slot, Some(p), m));
        }
    }
    for (key, value) in r {
        let why = match key.as_str() {
            "default" | "background" | "longContext" | "image" => continue,
            "think" => t!("import.no_think"),
            "webSearch" => t!("import.no_web_search"),
            "longContextThreshold" => t!("import.no_threshold"),
            _ => t!("import.no_route"),
        };
        found.skip(format!("Router.{key} = {value}"), why);
    }
    let known = |p: &str| found.providers.iter().any(|x| x.name == p);
    let missing: Vec<String> = std::iter::once(&profile.provider)
        .chain(profile.slots.iter().filter_map(|(_, p, _)| p.as_ref()))
        .filter(|p| !known(p))
        .cloned()
        .collect();
    if let Some(p) = missing.first() {
        found.skip("Router", t!("import.unknown_provider", provider = p));
        return;
    }
    found.profiles.push(profile);
}

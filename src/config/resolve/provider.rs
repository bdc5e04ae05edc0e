//! One provider table: its preset, API, URLs, key and limits.

use std::ops::Range;

use toml::Spanned;
use url::Url;

use super::checks::{
    UrlProblem, check_base_url, proxy_url, valid_env_name, valid_key_command, valid_name,
};
use super::cx::{Ctx, budget, expand_home};
use crate::config::error::ConfigError;
use crate::config::model::{ExtraKey, KeySpec, Provider, Timeouts};
use crate::config::preset::{Api, AuthStyle, Preset, api_choices};
use crate::config::presets::Presets;
use crate::config::raw::{RawKey, RawProvider};
use crate::config::redact::masked;
use crate::t;

pub(super) fn resolve_provider(
    cx: &Ctx,
    name: &str,
    span: Range<usize>,
    raw: RawProvider,
    presets: &Presets,
    ledger: bool,
) -> Result<Provider, ConfigError> {
    let preset = match &raw.preset {
        Some(id) => Some(presets.get(id.get_ref()).ok_or_else(|| {
            cx.invalid(
                id.span(),
                t!(
                    "config.unknown_preset",
                    preset = id.get_ref(),
                    provider = name
                ),
                match crate::config::error::closest(
                    id.get_ref(),
                    presets.iter().map(|p| p.id.as_str()),
                ) {
                    Some(guess) => t!("config.hint_did_you_mean", guess = guess),
                    None => t!("config.hint_presets"),
                },
            )
        })?),
        None => None,
    };
    let api = resolve_api(cx, name, span.clone(), raw.api.as_ref(), preset)?;
    let endpoint = preset
        .and_then(|p| p.endpoint(api))
        .cloned()
        .unwrap_or_default();

    let base_url = match &raw.base_url {
        Some(u) => Some(parse_http_url(cx, u)?),
        None => endpoint
            .base_url
            .as_ref()
            .map(|u| Url::parse(u).expect("preset URLs are checked when loaded")),
    };
    if api.uses_base_url() && base_url.is_none() {
        return Err(cx.invalid(
            span,
            t!("config.base_url_missing", provider = name, api = api),
            t!("config.hint_base_url"),
        ));
    }

    let proxy = match &raw.proxy {
        Some(p) => {
            Some(proxy_url(p.get_ref()).ok_or_else(|| {
                cx.invalid(
                    p.span(),
                    // Never echo the proxy URL: it may hold a password.
                    t!("config.bad_proxy", provider = name),
                    t!("config.hint_proxy"),
                )
            })?)
        }
        None => None,
    };

    // `auth = "none"` sends no key: asking the keyring for one would fail
    // where there is no keyring (a server, a container) for nothing.
    let needs_key = preset.is_none_or(|p| p.needs_key) && raw.auth != Some(AuthStyle::None);
    let key = match &raw.key {
        Some(k) => resolve_key(cx, name, k)?,
        None if needs_key && api != Api::Bedrock && api != Api::Vertex => KeySpec {
            keyring: true,
            ..KeySpec::default()
        },
        None => KeySpec::default(),
    };

    let mut models = preset.map(|p| p.models.clone()).unwrap_or_default();
    for (id, info) in raw.models {
        let merged = models
            .get(&id)
            .map_or(info.clone(), |base| base.merged(&info));
        models.insert(id, merged);
    }
    let quirks = match &raw.quirks {
        Some(q) => endpoint.quirks.merged(q),
        None => endpoint.quirks.clone(),
    }
    .resolve();
    let defaults = Timeouts::default();
    let secs = |v: Option<u64>, d| v.map_or(d, std::time::Duration::from_secs);
    let timeouts = raw.timeouts.map_or(defaults, |t| Timeouts {
        connect: secs(t.connect, defaults.connect),
        first_byte: secs(t.first_byte, defaults.first_byte),
        idle: secs(t.idle, defaults.idle),
    });
    let auth = raw.auth.or(endpoint.auth).unwrap_or(if key.is_none() {
        AuthStyle::None
    } else {
        AuthStyle::Bearer
    });

    let extra_keys = match raw.extra_keys {
        None => Vec::new(),
        Some(list) => {
            let span = list.span();
            let bad = || {
                cx.invalid(
                    span.clone(),
                    t!("config.bad_extra_key", provider = name),
                    t!("config.hint_extra_key"),
                )
            };
            let mut out = Vec::new();
            for k in list.into_inner() {
                out.push(match (k.env, k.command, k.keyring) {
                    (Some(v), None, None) if valid_env_name(&v) => ExtraKey::Env(v),
                    (None, Some(c), None) if !c.trim().is_empty() => ExtraKey::Command(c),
                    (None, None, Some(l)) if valid_name(&l) => ExtraKey::Keyring(l),
                    _ => return Err(bad()),
                });
            }
            out
        }
    };
    Ok(Provider {
        name: name.to_string(),
        preset: preset.map(|p| p.id.clone()),
        display_name: preset.map_or_else(|| name.to_string(), |p| p.name.clone()),
        api,
        base_url,
        auth,
        key,
        extra_keys,
        proxy,
        ca_file: raw.ca_file.map(|p| expand_home(&p, cx.home)),
        region: raw.region.or(endpoint.region),
        project: raw.project,
        aws_profile: raw.aws_profile,
        direct: direct(api, raw.direct, ledger),
        headers: raw.headers,
        models,
        quirks,
        timeouts,
        local: preset.is_some_and(|p| p.local),
        preset_key_env: preset.and_then(|p| p.key_env.clone()),
        budget: budget(cx, raw.budget)?,
    })
}

/// Whether Claude Code calls a cloud provider (Bedrock, Vertex) itself:
/// only when it says so, or when the ledger is off (nothing the proxy adds
/// would be kept).
fn direct(api: Api, raw: Option<bool>, ledger: bool) -> bool {
    match api {
        Api::Bedrock | Api::Vertex => raw.unwrap_or(!ledger),
        Api::Anthropic | Api::Openai => false,
    }
}

/// The provider's API kind: the one written, if its preset has an
/// endpoint for it ([`api_choices`], what the TUI offers too), else the
/// preset's own.
fn resolve_api(
    cx: &Ctx,
    name: &str,
    span: Range<usize>,
    raw_api: Option<&Spanned<Api>>,
    preset: Option<&Preset>,
) -> Result<Api, ConfigError> {
    Ok(match (raw_api, preset) {
        (Some(api), Some(preset)) => {
            let choices = api_choices(Some(preset));
            if !choices.contains(api.get_ref()) {
                let apis: Vec<String> = choices.iter().map(ToString::to_string).collect();
                return Err(cx.invalid(
                    api.span(),
                    t!(
                        "config.api_not_in_preset",
                        api = api.get_ref(),
                        preset = preset.id
                    ),
                    t!("config.hint_api_choices", apis = apis.join(", ")),
                ));
            }
            *api.get_ref()
        }
        (Some(api), None) => *api.get_ref(),
        (None, Some(preset)) => preset.api,
        (None, None) => {
            return Err(cx.invalid(
                span,
                t!("config.provider_needs_api", provider = name),
                t!("config.hint_provider_needs_api"),
            ));
        }
    })
}

/// Named in its errors with the password masked: they are printed.
fn parse_http_url(cx: &Ctx, u: &Spanned<String>) -> Result<Url, ConfigError> {
    check_base_url(u.get_ref()).map_err(|problem| match problem {
        UrlProblem::HasQuery => {
            let mut shown = Url::parse(u.get_ref()).expect("it parsed a moment ago");
            shown.set_query(None);
            shown.set_fragment(None);
            cx.invalid(
                u.span(),
                t!("config.base_url_query", url = masked(shown.as_str())),
                t!("config.hint_base_url_query"),
            )
        }
        UrlProblem::NotHttp => cx.invalid(
            u.span(),
            t!(
                "config.bad_url",
                url = masked(u.get_ref()),
                error = "http(s)"
            ),
            t!("config.hint_url"),
        ),
        UrlProblem::Unparsable(e) => cx.invalid(
            u.span(),
            t!("config.bad_url", url = masked(u.get_ref()), error = e),
            t!("config.hint_url"),
        ),
    })
}

fn resolve_key(cx: &Ctx, provider: &str, k: &Spanned<RawKey>) -> Result<KeySpec, ConfigError> {
    let raw = k.get_ref();
    let ttl_secs = match &raw.ttl {
        None => None,
        Some(_) if raw.command.is_none() => {
            return Err(cx.invalid(
                k.span(),
                t!("config.key_ttl_needs_command", provider = provider),
                t!("config.hint_key_ttl"),
            ));
        }
        Some(text) => match humantime::parse_duration(text.trim()) {
            Ok(d) if d.as_secs() >= 1 => Some(d.as_secs()),
            _ => {
                return Err(cx.invalid(
                    k.span(),
                    t!("config.key_bad_ttl", provider = provider, ttl = text),
                    t!("config.hint_key_ttl"),
                ));
            }
        },
    };
    let spec = KeySpec {
        env: raw.env.clone(),
        command: raw.command.clone(),
        ttl_secs,
        keyring: raw.keyring.unwrap_or(false),
        file: raw.file.unwrap_or(false),
    };
    if spec.is_none() {
        return Err(cx.invalid(
            k.span(),
            t!("config.key_empty", provider = provider),
            t!("config.hint_key"),
        ));
    }
    if let Some(env) = &spec.env
        && !valid_env_name(env)
    {
        return Err(cx.invalid(
            k.span(),
            t!("config.key_bad_env", name = env),
            t!("config.hint_env_name"),
        ));
    }
    if let Some(cmd) = &spec.command
        && !valid_key_command(cmd)
    {
        return Err(cx.invalid(
            k.span(),
            t!("config.key_bad_command", provider = provider),
            t!("config.hint_key_command"),
        ));
    }
    Ok(spec)
}

//! Validation: raw file + presets → [`Config`]. Every error points at the
//! line it is about and says how to fix it.

use std::ops::Range;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use toml::Spanned;
use url::Url;

use super::audit::Audit;
use super::budget::Budget;
use super::error::{ConfigError, Location};
use super::model::{
    CONFIG_VERSION, Config, ExtraKey, KeySpec, Profile, Provider, Slot, Target, Timeouts,
};
use super::preset::{Api, AuthStyle};
use super::presets::Presets;
use super::raw::{RawConfig, RawKey, RawProfile, RawProvider, RawSlot};
use crate::t;

struct Ctx<'a> {
    file: &'a Path,
    src: &'a str,
}

impl Ctx<'_> {
    fn invalid(&self, span: Range<usize>, message: String, hint: String) -> ConfigError {
        ConfigError::Invalid {
            loc: Location::from_span(self.file, self.src, Some(span)),
            message,
            hint,
        }
    }
}

/// A budget with every limit usable, or the line of the one that is not.
fn budget(cx: &Ctx<'_>, raw: Option<Spanned<Budget>>) -> Result<Option<Budget>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let span = raw.span();
    let b = raw.into_inner();
    match b.bad_field() {
        Some(field) => Err(cx.invalid(
            span,
            t!("config.bad_budget", field = field),
            t!("config.hint_budget"),
        )),
        None => Ok(Some(b).filter(|b| !b.is_empty())),
    }
}

/// Names are used as keyring accounts and command-line arguments.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['-', '.'])
}

pub fn valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn resolve(
    raw: RawConfig,
    presets: &Presets,
    file: &Path,
    src: &str,
) -> Result<Config, ConfigError> {
    let cx = Ctx { file, src };
    if let Some(v) = &raw.version
        && *v.get_ref() != i64::from(CONFIG_VERSION)
    {
        return Err(cx.invalid(
            v.span(),
            t!(
                "config.bad_version",
                version = v.get_ref(),
                supported = CONFIG_VERSION
            ),
            t!("config.hint_version"),
        ));
    }
    let mut providers = IndexMap::new();
    for (name, p) in raw.providers {
        let span = p.span();
        if !valid_name(&name) {
            return Err(cx.invalid(
                span,
                t!("config.bad_name", name = name),
                t!("config.hint_name"),
            ));
        }
        let provider = resolve_provider(&cx, &name, span, p.into_inner(), presets)?;
        providers.insert(name, provider);
    }
    let mut profiles = IndexMap::new();
    for (name, p) in raw.profiles {
        let span = p.span();
        if !valid_name(&name) {
            return Err(cx.invalid(
                span,
                t!("config.bad_name", name = name),
                t!("config.hint_name"),
            ));
        }
        let profile = resolve_profile(&cx, &name, span, p.into_inner(), &providers)?;
        profiles.insert(name, profile);
    }
    let default = match raw.default {
        Some(d) if !profiles.contains_key(d.get_ref()) => {
            return Err(cx.invalid(
                d.span(),
                t!("config.default_missing", name = d.get_ref()),
                hint_names("config.hint_pick_profile", profiles.keys()),
            ));
        }
        d => d.map(Spanned::into_inner),
    };
    let audit = match raw.audit {
        None => Audit::default(),
        Some(a) => {
            let span = a.span();
            a.into_inner().resolve().map_err(|field| {
                cx.invalid(
                    span,
                    t!("config.bad_audit", field = field),
                    t!("config.hint_audit"),
                )
            })?
        }
    };
    let ledger = match raw.ledger {
        Some(l) if !*l.get_ref() => {
            // Budgets are sums over the ledger: without it they could not
            // be kept, and a limit that silently does nothing is worse
            // than none.
            let budgeted = profiles.values().any(|p| p.budget.is_some())
                || providers.values().any(|p| p.budget.is_some());
            if budgeted {
                return Err(cx.invalid(
                    l.span(),
                    t!("config.ledger_budget"),
                    t!("config.hint_ledger_budget"),
                ));
            }
            false
        }
        _ => true,
    };
    let breaker = match raw.breaker {
        None => super::breaker::Breaker::default(),
        Some(b) => {
            let span = b.span();
            b.into_inner().resolve().map_err(|field| {
                cx.invalid(
                    span,
                    t!("config.bad_breaker", field = field),
                    t!("config.hint_breaker"),
                )
            })?
        }
    };
    let search = match raw.search {
        None => None,
        Some(s) => {
            let span = s.span();
            let bad = |message: &str, hint: &str| {
                cx.invalid(
                    span.clone(),
                    crate::i18n::text(message).to_string(),
                    crate::i18n::text(hint).to_string(),
                )
            };
            let s = s
                .into_inner()
                .resolve()
                .map_err(|p| bad(p.message, p.hint))?;
            // The checks providers' URLs and keys get, here where they live.
            if check_base_url(&s.url).is_err() {
                return Err(bad("config.search_bad_url", "config.hint_search_url"));
            }
            let bad_env = s.key.env.as_deref().is_some_and(|e| !valid_env_name(e));
            let bad_cmd = s
                .key
                .command
                .as_deref()
                .is_some_and(|c| !valid_key_command(c));
            if bad_env || bad_cmd {
                return Err(bad("config.search_bad_key", "config.hint_search_key"));
            }
            Some(s)
        }
    };
    Ok(Config {
        version: CONFIG_VERSION,
        default,
        claude_path: raw.claude_path.map(|p| expand_home(&p)),
        audit,
        ledger,
        breaker,
        search,
        providers,
        profiles,
    })
}

fn hint_names<'a>(key: &'static str, names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = names.map(String::as_str).collect();
    let list = if list.is_empty() {
        "-".to_string()
    } else {
        list.join(", ")
    };
    crate::i18n::fill(crate::i18n::text(key), &[("names", &list)])
}

/// `~/x` → `$HOME/x` (`~\x` too, and `%USERPROFILE%` where there is no
/// `HOME`), so paths in the file can be portable.
pub fn expand_home(p: &str) -> PathBuf {
    let rest = p.strip_prefix("~/").or_else(|| p.strip_prefix("~\\"));
    match (rest, crate::paths::home_dir(&|k| std::env::var(k).ok())) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(p),
    }
}

fn resolve_provider(
    cx: &Ctx,
    name: &str,
    span: Range<usize>,
    raw: RawProvider,
    presets: &Presets,
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
                match super::error::closest(id.get_ref(), presets.iter().map(|p| p.id.as_str())) {
                    Some(guess) => t!("config.hint_did_you_mean", guess = guess),
                    None => t!("config.hint_presets"),
                },
            )
        })?),
        None => None,
    };
    let api = match (&raw.api, preset) {
        (Some(api), Some(preset)) => {
            if preset.endpoint(*api.get_ref()).is_none() {
                let apis: Vec<String> = preset.apis().map(|a| a.to_string()).collect();
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
    };
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
        ca_file: raw.ca_file.map(|p| expand_home(&p)),
        region: raw.region.or(endpoint.region),
        project: raw.project,
        aws_profile: raw.aws_profile,
        headers: raw.headers,
        models,
        quirks,
        timeouts,
        local: preset.is_some_and(|p| p.local),
        preset_key_env: preset.and_then(|p| p.key_env.clone()),
        budget: budget(cx, raw.budget)?,
    })
}

/// Why a text cannot be a provider's base URL (config loading and the TUI
/// form check the same rules).
pub enum UrlProblem {
    Unparsable(url::ParseError),
    NotHttp,
    /// Paths are appended to the base URL; a query would end up in the
    /// middle of them (and a secret in it in error messages).
    HasQuery,
}

pub fn check_base_url(text: &str) -> Result<Url, UrlProblem> {
    let url = Url::parse(text).map_err(UrlProblem::Unparsable)?;
    if url.query().is_some() || url.fragment().is_some() {
        Err(UrlProblem::HasQuery)
    } else if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(url)
    } else {
        Err(UrlProblem::NotHttp)
    }
}

/// An upstream proxy URL ccswitch can use, if the text is one.
pub fn proxy_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") && u.has_host())
}

/// A key command splits into a program and its arguments (no shell).
pub fn valid_key_command(cmd: &str) -> bool {
    shlex::split(cmd).is_some_and(|argv| !argv.is_empty())
}

fn parse_http_url(cx: &Ctx, u: &Spanned<String>) -> Result<Url, ConfigError> {
    check_base_url(u.get_ref()).map_err(|problem| match problem {
        UrlProblem::HasQuery => {
            let mut shown = Url::parse(u.get_ref()).expect("it parsed a moment ago");
            shown.set_query(None);
            shown.set_fragment(None);
            cx.invalid(
                u.span(),
                t!("config.base_url_query", url = shown),
                t!("config.hint_base_url_query"),
            )
        }
        UrlProblem::NotHttp => cx.invalid(
            u.span(),
            t!("config.bad_url", url = u.get_ref(), error = "http(s)"),
            t!("config.hint_url"),
        ),
        UrlProblem::Unparsable(e) => cx.invalid(
            u.span(),
            t!("config.bad_url", url = u.get_ref(), error = e),
            t!("config.hint_url"),
        ),
    })
}

fn resolve_key(cx: &Ctx, provider: &str, k: &Spanned<RawKey>) -> Result<KeySpec, ConfigError> {
    let raw = k.get_ref();
    let spec = KeySpec {
        env: raw.env.clone(),
        command: raw.command.clone(),
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

fn resolve_profile(
    cx: &Ctx,
    name: &str,
    span: Range<usize>,
    raw: RawProfile,
    providers: &IndexMap<String, Provider>,
) -> Result<Profile, ConfigError> {
    let Some(provider) = raw.provider else {
        return Err(cx.invalid(
            span,
            t!("config.profile_needs_provider", profile = name),
            hint_names("config.hint_pick_provider", providers.keys()),
        ));
    };
    let check_provider = |p: &str, at: Range<usize>| -> Result<(), ConfigError> {
        if providers.contains_key(p) {
            Ok(())
        } else {
            Err(cx.invalid(
                at,
                t!("config.provider_missing", profile = name, provider = p),
                hint_names("config.hint_pick_provider", providers.keys()),
            ))
        }
    };
    check_provider(provider.get_ref(), provider.span())?;
    let default_provider = provider.get_ref().clone();
    let slot = |s: Option<Spanned<RawSlot>>| -> Result<Option<Slot>, ConfigError> {
        let Some(s) = s else { return Ok(None) };
        let at = s.span();
        let RawSlot {
            provider,
            model,
            fallbacks,
        } = s.into_inner();
        let target = |provider: Option<String>, model: String| -> Result<Target, ConfigError> {
            if model.trim().is_empty() {
                return Err(cx.invalid(
                    at.clone(),
                    t!("config.model_empty", profile = name),
                    t!("config.hint_model"),
                ));
            }
            let provider = provider.unwrap_or_else(|| default_provider.clone());
            check_provider(&provider, at.clone())?;
            Ok(Target { provider, model })
        };
        let Target { provider, model } = target(provider, model)?;
        let fallbacks = fallbacks
            .into_iter()
            .map(|f| target(f.provider, f.model))
            .collect::<Result<_, _>>()?;
        Ok(Some(Slot {
            provider,
            model,
            fallbacks,
        }))
    };
    let Some(main) = slot(raw.main)? else {
        return Err(cx.invalid(
            span,
            t!("config.main_missing", profile = name),
            t!("config.hint_model"),
        ));
    };
    let fast = slot(raw.fast)?.unwrap_or_else(|| main.clone());
    let opus = slot(raw.opus)?;
    let sonnet = slot(raw.sonnet)?;
    let haiku = slot(raw.haiku)?;
    let subagent = slot(raw.subagent)?;
    let vision = slot(raw.vision)?;
    let long_context = slot(raw.long_context)?;
    let profile = Profile {
        name: name.to_string(),
        provider: default_provider.clone(),
        description: raw.description,
        main,
        fast,
        opus,
        sonnet,
        haiku,
        subagent,
        vision,
        long_context,
        max_output_tokens: raw.max_output_tokens,
        context_window: raw.context_window,
        api_timeout_ms: raw.api_timeout_ms,
        nonessential_traffic: raw.nonessential_traffic.unwrap_or(false),
        tool_search: raw.tool_search,
        web_fetch_preflight: raw.web_fetch_preflight.unwrap_or(true),
        direct: raw.direct.unwrap_or(false),
        claude_path: raw.claude_path.map(|p| expand_home(&p)),
        env: raw.env,
        budget: budget(cx, raw.budget)?,
    };
    for key in profile.env.keys() {
        if !valid_env_name(key) {
            return Err(cx.invalid(
                span,
                t!("config.bad_env_key", profile = name, name = key),
                t!("config.hint_env_name"),
            ));
        }
    }
    // Bedrock, Vertex and direct mode have no proxy to route slots between
    // providers: Claude Code talks to one upstream itself.
    let api = providers[&profile.provider].api;
    let needs_one_provider = profile.direct || matches!(api, Api::Bedrock | Api::Vertex);
    if needs_one_provider && (profile.has_fallbacks() || !profile.route_slots().is_empty()) {
        return Err(cx.invalid(
            span,
            t!("config.fallbacks_need_proxy", profile = name, api = api),
            t!("config.hint_fallbacks_need_proxy"),
        ));
    }
    if needs_one_provider && profile.providers().len() > 1 {
        return Err(cx.invalid(
            span,
            t!("config.mixed_direct", profile = name, api = api),
            t!("config.hint_mixed_direct"),
        ));
    }
    if profile.direct && api != Api::Anthropic {
        return Err(cx.invalid(
            span,
            t!("config.direct_needs_anthropic", profile = name),
            t!("config.hint_direct"),
        ));
    }
    Ok(profile)
}

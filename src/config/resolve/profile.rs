//! One profile table: its provider, slots (with fallback chains) and
//! settings.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::checks::valid_env_name;
use super::cx::{Ctx, budget, expand_home, hint_names};
use crate::config::error::ConfigError;
use crate::config::model::{Profile, Provider, Slot, Target};
use crate::config::preset::Api;
use crate::config::raw::{RawProfile, RawSlot};
use crate::t;

pub(super) fn resolve_profile(
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
    let classifier = slot(raw.classifier)?;
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
        classifier,
        max_output_tokens: raw.max_output_tokens,
        context_window: raw.context_window,
        api_timeout_ms: raw.api_timeout_ms,
        nonessential_traffic: raw.nonessential_traffic.unwrap_or(false),
        tool_search: raw.tool_search,
        web_fetch_preflight: raw.web_fetch_preflight.unwrap_or(true),
        direct: raw.direct.unwrap_or(false),
        claude_path: raw.claude_path.map(|p| expand_home(&p, cx.home)),
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

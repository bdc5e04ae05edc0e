//! One profile table: its provider, slots (with fallback chains) and
//! settings.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::checks::valid_env_name;
use super::cx::{Ctx, budget, expand_home, hint_names};
use crate::config::error::ConfigError;
use crate::config::menu::{MenuEntry, MenuItem};
use crate::config::model::{Profile, Provider, Slot, Target};
use crate::config::preset::Api;
use crate::config::raw::{RawMenuItem, RawProfile, RawSlot};
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
    let t = Targets {
        cx,
        name,
        providers,
        default: provider.get_ref(),
    };
    t.check(provider.get_ref(), provider.span())?;
    let default_provider = provider.get_ref().clone();
    let slot = |s: Option<Spanned<RawSlot>>| -> Result<Option<Slot>, ConfigError> {
        let Some(s) = s else { return Ok(None) };
        let at = s.span();
        let RawSlot {
            provider,
            model,
            fallbacks,
        } = s.into_inner();
        let first = t.target(provider, model, &at)?;
        t.chain(first, fallbacks, &at).map(Some)
    };
    let menu = t.menu(raw.menu)?;
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
        project: raw.project,
        env: raw.env,
        budget: budget(cx, raw.budget)?,
        menu,
        subagents_follow_menu: raw.subagents_follow_menu.unwrap_or(false),
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
    let own = &providers[&profile.provider];
    let api = own.api;
    let needs_one_provider = profile.direct || !own.proxied();
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

/// How an error names a menu item: `provider/model`, or `provider/*`.
fn menu_item_name(item: &MenuItem) -> String {
    match item {
        MenuItem::One(e) => format!("{}/{}", e.slot.provider, e.slot.model),
        MenuItem::All { provider } => format!("{provider}/*"),
    }
}

/// Checks a profile's targets against the providers there are.
struct Targets<'a> {
    cx: &'a Ctx<'a>,
    name: &'a str,
    providers: &'a IndexMap<String, Provider>,
    /// The profile's own provider, for targets that name none.
    default: &'a str,
}

impl Targets<'_> {
    fn check(&self, p: &str, at: Range<usize>) -> Result<(), ConfigError> {
        if self.providers.contains_key(p) {
            return Ok(());
        }
        Err(self.cx.invalid(
            at,
            t!("config.provider_missing", profile = self.name, provider = p),
            hint_names("config.hint_pick_provider", self.providers.keys()),
        ))
    }

    fn target(
        &self,
        provider: Option<String>,
        model: String,
        at: &Range<usize>,
    ) -> Result<Target, ConfigError> {
        if model.trim().is_empty() {
            return Err(self.cx.invalid(
                at.clone(),
                t!("config.model_empty", profile = self.name),
                t!("config.hint_model"),
            ));
        }
        let provider = provider.unwrap_or_else(|| self.default.to_string());
        self.check(&provider, at.clone())?;
        Ok(Target { provider, model })
    }

    /// A slot: its first target, then its fallbacks.
    fn chain(
        &self,
        first: Target,
        rest: Vec<RawSlot>,
        at: &Range<usize>,
    ) -> Result<Slot, ConfigError> {
        let fallbacks = rest
            .into_iter()
            .map(|f| self.target(f.provider, f.model, at))
            .collect::<Result<_, _>>()?;
        Ok(Slot {
            provider: first.provider,
            model: first.model,
            fallbacks,
        })
    }

    fn menu(&self, raw: Option<Spanned<Vec<RawMenuItem>>>) -> Result<Vec<MenuItem>, ConfigError> {
        let Some(m) = raw else { return Ok(Vec::new()) };
        let at = m.span();
        let mut items = Vec::new();
        for item in m.into_inner() {
            let item = if item.all {
                let provider = item.provider.unwrap_or_else(|| self.default.to_string());
                self.check(&provider, at.clone())?;
                MenuItem::All { provider }
            } else {
                let first = self.target(item.provider, item.model.unwrap_or_default(), &at)?;
                MenuItem::One(MenuEntry {
                    slot: self.chain(first, item.fallbacks, &at)?,
                    label: item.label,
                })
            };
            let key = menu_item_name(&item);
            if items.iter().any(|i| menu_item_name(i) == key) {
                return Err(self.cx.invalid(
                    at,
                    t!(
                        "config.menu_twice",
                        profile = self.name,
                        item = menu_item_name(&item)
                    ),
                    t!("config.hint_menu_twice"),
                ));
            }
            items.push(item);
        }
        Ok(items)
    }
}

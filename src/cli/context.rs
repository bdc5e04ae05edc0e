//! `profile add/edit --context-window TOKENS|auto`: a number is the
//! profile's own `context_window`; `auto` asks the provider's model list
//! for the main model's window and records it under the provider, as the
//! TUI's model picker does. Either way the launch passes it to Claude Code
//! (`CLAUDE_CODE_MAX_CONTEXT_TOKENS`), which otherwise assumes 1M tokens
//! for a model id it does not know.

use crate::config::edit::{ModelSize, SlotValue};
use crate::config::{self, Config, Presets};
use crate::ctx::Ctx;
use crate::proxy::models::{check_supported, fetch_listing_blocking};
use crate::t;

use super::args::ProfileArgs;
use super::error::CliError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextArg {
    Tokens(u64),
    Auto,
}

/// `--context-window`'s value: `auto` or a whole number above 0.
pub fn parse(args: &ProfileArgs) -> Result<Option<ContextArg>, CliError> {
    let Some(text) = args.context_window.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if text.eq_ignore_ascii_case("auto") {
        return Ok(Some(ContextArg::Auto));
    }
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(ContextArg::Tokens(n))),
        _ => Err(CliError::Usage(t!("profile.bad_context", value = text))),
    }
}

/// For `auto`: the main model's provider and size from the provider's
/// live list, fetched before the config is locked for the change. `None`
/// when the profile's provider or main model cannot be told yet (the
/// change itself then says why).
pub fn listed(
    ctx: &Ctx,
    args: &ProfileArgs,
    slots: &[(&'static str, SlotValue)],
) -> Result<Option<(String, ModelSize)>, CliError> {
    let (cfg, presets) = config::load(&ctx.paths)?;
    let Some((provider, model)) = main_target(&cfg, &presets, args, slots) else {
        return Ok(None);
    };
    let p = cfg.provider(&provider)?.clone();
    check_supported(p.api, &p.name).map_err(|e| CliError::Failed(e.to_string()))?;
    let key = ctx.secrets.resolve(&p, &*ctx.env)?.map(|k| k.secret);
    let models = fetch_listing_blocking(p, key).map_err(CliError::Failed)?;
    let found = models.into_iter().find(|m| m.id == model);
    match found {
        Some(m) if m.context.is_some() => Ok(Some((
            provider,
            ModelSize {
                model,
                context: m.context,
                max_output: m.max_output,
            },
        ))),
        _ => Err(CliError::Failed(t!(
            "profile.context_not_listed",
            provider = provider,
            model = model
        ))),
    }
}

/// The provider and model of the profile's main slot after the change:
/// the options first, then the saved profile (edit), then the only
/// provider and its preset's suggestion (add).
fn main_target(
    cfg: &Config,
    presets: &Presets,
    args: &ProfileArgs,
    slots: &[(&'static str, SlotValue)],
) -> Option<(String, String)> {
    let saved = cfg.profiles.get(&args.name);
    let own = args
        .provider
        .clone()
        .or_else(|| saved.map(|p| p.provider.clone()))
        .or_else(|| (cfg.providers.len() == 1).then(|| cfg.providers.keys().next().cloned())?)?;
    let main = slots.iter().find(|(s, _)| *s == "main").map(|(_, v)| v);
    match (main, saved) {
        (Some(v), _) => Some((v.provider.clone().unwrap_or(own), v.model.clone())),
        (None, Some(p)) => Some((p.main.provider.clone(), p.main.model.clone())),
        (None, None) => {
            let preset = cfg.providers.get(&own)?.preset.as_deref()?;
            let model = presets.get(preset)?.suggested.main.clone()?;
            Some((own, model))
        }
    }
}

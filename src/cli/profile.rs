//! `ccswitch profile ...`

use std::fmt::Write as _;
use std::io::Write;
use std::time::SystemTime;

use crate::config::edit::{self, ProfileChange, SlotValue};
use crate::config::state;
use crate::config::{self, Profile, ops, store};
use crate::usage::budget::{Scope, scopes};
use crate::usage::format::budgets;
use crate::{t, tn};

use super::args::{ProfileArgs, ProfileCmd, ShowArgs};
use super::context::{self, ContextArg};
use super::error::CliError;
use super::table::{Table, json};
use crate::ctx::Ctx;

pub fn run(cmd: ProfileCmd, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        ProfileCmd::List(a) => list(ctx, a.json, out),
        ProfileCmd::Show(ShowArgs { name, json: j }) => show(ctx, &name, j, out),
        ProfileCmd::Add(args) => add(ctx, args, out),
        ProfileCmd::Edit(args) => edit_cmd(ctx, args, out),
        ProfileCmd::Rm { name } => {
            ops::remove_profile(&ctx.paths, &name)?;
            writeln!(out, "{}", t!("profile.removed", name = name))?;
            Ok(())
        }
        ProfileCmd::Default { name } => {
            ops::set_default(&ctx.paths, &name)?;
            writeln!(out, "{}", t!("profile.default_set", name = name))?;
            Ok(())
        }
        ProfileCmd::Export { name } => {
            let (cfg, _) = config::load(&ctx.paths)?;
            let file = &ctx.paths.config_file;
            let text =
                std::fs::read_to_string(file).map_err(|e| config::ConfigError::io(file, e))?;
            write!(out, "{}", config::export::profile(&text, &cfg, &name)?)?;
            Ok(())
        }
    }
}

fn list(ctx: &Ctx, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let last_used = state::load(&ctx.paths);
    if as_json {
        let rows: Vec<_> = cfg
            .profiles
            .values()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "default": cfg.default.as_deref() == Some(p.name.as_str()),
                    "provider": p.provider,
                    "main": p.main,
                    "fast": p.fast,
                    "last_used": last_used.get(&p.name).copied().and_then(state::rfc3339),
                })
            })
            .collect();
        return json(out, &rows);
    }
    if cfg.profiles.is_empty() {
        writeln!(out, "{}", t!("profile.none"))?;
        return Ok(());
    }
    let now = SystemTime::now();
    let mut table = Table::new(&[
        " ".to_string(),
        t!("profile.col_profile"),
        t!("profile.col_provider"),
        t!("profile.col_main"),
        t!("profile.col_fast"),
        t!("profile.col_last_used"),
    ]);
    for p in cfg.profiles.values() {
        let mark = if cfg.default.as_deref() == Some(p.name.as_str()) {
            "*"
        } else {
            " "
        };
        table.row(vec![
            mark.into(),
            p.name.clone(),
            p.provider.clone(),
            slot_text(p, &p.main),
            slot_text(p, &p.fast),
            last_used
                .get(&p.name)
                .map_or_else(|| "-".into(), |&then| state::ago(then, now)),
        ]);
    }
    table.write(out)?;
    Ok(())
}

fn slot_text(p: &Profile, s: &config::Slot) -> String {
    if s.provider == p.provider {
        s.model.clone()
    } else {
        format!("{} ({})", s.model, s.provider)
    }
}

fn show(ctx: &Ctx, name: &str, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let p = cfg.profile(name)?;
    if as_json {
        let mut v = serde_json::to_value(p).map_err(|e| CliError::Failed(e.to_string()))?;
        v["default"] = (cfg.default.as_deref() == Some(name)).into();
        // The profile's own budget is `budget`; these count every
        // profile's requests to a provider it uses, and stop it as well.
        let shared: serde_json::Map<String, serde_json::Value> = scopes(&cfg, p)
            .into_iter()
            .filter_map(|(scope, b)| match scope {
                Scope::Provider(name) => Some((name, serde_json::json!(b))),
                Scope::Profile(_) => None,
            })
            .collect();
        v["provider_budgets"] = shared.into();
        return json(out, &v);
    }
    let provider = cfg.provider(&p.provider)?;
    let mut t = Table::new(&[&t!("field.profile"), &p.name]);
    if cfg.default.as_deref() == Some(name) {
        t.row(vec![t!("field.default"), t!("word.yes")]);
    }
    if let Some(d) = &p.description {
        t.row(vec![t!("field.description"), d.clone()]);
    }
    t.row(vec![
        t!("field.provider"),
        format!(
            "{} ({}, {})",
            p.provider, provider.display_name, provider.api
        ),
    ]);
    if let Some(u) = &provider.base_url {
        t.row(vec![
            t!("field.base_url"),
            crate::config::model::redact_url(u),
        ]);
    }
    for (label, limits) in budgets(&cfg, p) {
        t.row(vec![label, limits]);
    }
    for (slot, s) in p.slots() {
        let info = cfg
            .providers
            .get(&s.provider)
            .map(|pr| pr.model(&s.model))
            .unwrap_or_default();
        let mut text = slot_text(p, s);
        if let (Some(ctx_len), Some(max)) = (info.context, info.max_output) {
            let _ = write!(text, "  [{ctx_len} ctx, {max} out]");
        }
        t.row(vec![slot.to_string(), text]);
        if let Some(chain) = s.fallback_text() {
            // Indented under the slot it belongs to.
            t.row(vec![format!("  {}", t!("field.fallbacks")), chain]);
        }
    }
    if !p.menu.is_empty() {
        // The count, then an entry a row in `/model`'s order.
        t.row(vec![
            t!("field.menu"),
            tn!("menu.entries", count = p.menu.len()),
        ]);
        for item in &p.menu {
            t.row(vec![String::new(), item.text()]);
        }
    }
    for (k, v) in &p.env {
        t.row(vec![format!("env {k}"), v.clone()]);
    }
    t.write(out)?;
    Ok(())
}

/// Turn `--main` ... and `--via SLOT=PROVIDER` into slot values.
fn slots_from_args(args: &ProfileArgs) -> Result<Vec<(&'static str, SlotValue)>, CliError> {
    let mut via = std::collections::HashMap::new();
    for v in &args.via {
        let (slot, provider) = v
            .split_once('=')
            .filter(|(s, p)| config::model::SLOT_NAMES.contains(s) && !p.is_empty())
            .ok_or_else(|| CliError::Usage(t!("profile.bad_via", value = v)))?;
        via.insert(slot.to_string(), provider.to_string());
    }
    let given = [
        ("main", &args.main),
        ("fast", &args.fast),
        ("opus", &args.opus),
        ("sonnet", &args.sonnet),
        ("haiku", &args.haiku),
        ("subagent", &args.subagent),
    ];
    let mut out = Vec::new();
    for (slot, model) in given {
        match model {
            Some(m) => out.push((
                slot,
                SlotValue {
                    provider: via.remove(slot),
                    model: m.clone(),
                },
            )),
            None if via.contains_key(slot) => {
                return Err(CliError::Usage(t!(
                    "profile.via_without_model",
                    slot = slot
                )));
            }
            None => {}
        }
    }
    Ok(out)
}

fn add(ctx: &Ctx, args: ProfileArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if !args.unset.is_empty() {
        return Err(CliError::Usage(t!("profile.unset_on_add")));
    }
    let mut slots = slots_from_args(&args)?;
    let window = context::parse(&args)?;
    let listed = match window {
        Some(ContextArg::Auto) => context::listed(ctx, &args, &slots)?,
        _ => None,
    };
    store::change(&ctx.paths, |doc, cfg, presets| {
        let provider = match &args.provider {
            Some(p) => p.clone(),
            // With exactly one provider there is nothing to choose.
            None if cfg.providers.len() == 1 => {
                cfg.providers.keys().next().cloned().unwrap_or_default()
            }
            None => {
                let names: Vec<_> = cfg.providers.keys().cloned().collect();
                return Err(CliError::Usage(t!(
                    "profile.need_provider",
                    names = names.join(", ")
                )));
            }
        };
        let resolved = cfg.provider(&provider)?;
        // Fill missing main/fast from the preset's suggestions.
        let suggested = resolved
            .preset
            .as_deref()
            .and_then(|id| presets.get(id))
            .map(|p| p.suggested.clone())
            .unwrap_or_default();
        for (slot, model) in [("main", suggested.main), ("fast", suggested.fast)] {
            if let (false, Some(model)) = (slots.iter().any(|(s, _)| *s == slot), model) {
                slots.push((
                    slot,
                    SlotValue {
                        provider: None,
                        model,
                    },
                ));
            }
        }
        if !slots.iter().any(|(s, _)| *s == "main") {
            return Err(CliError::Usage(t!(
                "profile.need_main",
                provider = provider
            )));
        }
        slots.sort_by_key(|(s, _)| config::model::SLOT_NAMES.iter().position(|n| n == s));
        let change = ProfileChange {
            provider: Some(provider),
            description: args.description.clone(),
            slots: slots.clone(),
            context_window: tokens(window),
            ..Default::default()
        };
        edit::add_profile(doc, cfg, &args.name, &change)?;
        if let Some((provider, size)) = &listed {
            edit::set_model_size(doc, cfg, provider, size)?;
        }
        if args.default || cfg.profiles.is_empty() {
            let with_new = store::validated(&ctx.paths, doc, presets)?;
            edit::set_default(doc, &with_new, &args.name)?;
        }
        Ok::<_, CliError>(())
    })?;
    writeln!(out, "{}", t!("profile.added", name = args.name))?;
    said_listed(listed.as_ref(), out)
}

fn tokens(window: Option<ContextArg>) -> Option<u64> {
    match window {
        Some(ContextArg::Tokens(n)) => Some(n),
        _ => None,
    }
}

/// Which window `auto` found, so the user can check it.
fn said_listed(
    listed: Option<&(String, edit::ModelSize)>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if let Some((provider, size)) = listed {
        writeln!(
            out,
            "{}",
            t!(
                "profile.context_listed",
                model = size.model,
                provider = provider,
                tokens = size.context.unwrap_or_default()
            )
        )?;
    }
    Ok(())
}

fn edit_cmd(ctx: &Ctx, args: ProfileArgs, out: &mut dyn Write) -> Result<(), CliError> {
    const UNSETTABLE: [&str; 7] = [
        "fast",
        "opus",
        "sonnet",
        "haiku",
        "subagent",
        "description",
        "context_window",
    ];
    CliError::check_unset(&args.unset, &UNSETTABLE)?;
    let slots = slots_from_args(&args)?;
    let window = context::parse(&args)?;
    let change = ProfileChange {
        provider: args.provider.clone(),
        description: args.description.clone(),
        slots,
        unset: args.unset.clone(),
        context_window: tokens(window),
        ..Default::default()
    };
    let nothing = change.provider.is_none()
        && change.description.is_none()
        && change.slots.is_empty()
        && change.unset.is_empty()
        && window.is_none()
        && !args.default;
    if nothing {
        return Err(CliError::Usage(t!("profile.edit_nothing")));
    }
    let listed = match window {
        Some(ContextArg::Auto) => context::listed(ctx, &args, &change.slots)?,
        _ => None,
    };
    store::change(&ctx.paths, |doc, cfg, _| {
        edit::edit_profile(doc, cfg, &args.name, &change)?;
        if let Some((provider, size)) = &listed {
            edit::set_model_size(doc, cfg, provider, size)?;
        }
        if args.default {
            edit::set_default(doc, cfg, &args.name)?;
        }
        Ok::<_, CliError>(())
    })?;
    writeln!(out, "{}", t!("profile.updated", name = args.name))?;
    said_listed(listed.as_ref(), out)
}

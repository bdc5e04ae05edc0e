//! `ccswitch provider ...`

use std::io::Write;

use crate::config::edit::{self, KeyChoice, ProviderChange, ProviderEdit};
use crate::config::model::redact_url;
use crate::config::{self, KeySpec, Provider, store};
use crate::proxy::models::{check_supported, fetch_blocking};
use crate::t;

use super::args::{ProviderAddArgs, ProviderCmd, ProviderEditArgs, ShowArgs};
use super::error::CliError;
use super::table::{Table, json};
use crate::ctx::Ctx;

pub fn run(cmd: ProviderCmd, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        ProviderCmd::List(a) => list(ctx, a.json, out),
        ProviderCmd::Show(ShowArgs { name, json: j }) => show(ctx, &name, j, out),
        ProviderCmd::Add(args) => add(ctx, args, out),
        ProviderCmd::Edit(args) => edit_cmd(ctx, &args, out),
        ProviderCmd::Models { name, json: j } => models(ctx, &name, j, out),
        ProviderCmd::Rm { name } => {
            store::change(&ctx.paths, |doc, cfg, _| {
                edit::remove_provider(doc, cfg, &name)?;
                Ok::<_, CliError>(())
            })?;
            writeln!(out, "{}", t!("provider.removed", name = name))?;
            Ok(())
        }
    }
}

/// The key's configured sources, for display (never the key).
pub(super) fn key_sources(spec: &KeySpec) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &spec.env {
        parts.push(format!("env {e}"));
    }
    if spec.command.is_some() {
        parts.push("command".to_string());
    }
    if spec.keyring {
        parts.push("keyring".to_string());
    }
    if spec.file {
        parts.push("file".to_string());
    }
    if parts.is_empty() {
        t!("key.none_needed")
    } else {
        parts.join(" → ")
    }
}

fn location(p: &Provider) -> String {
    match (&p.base_url, &p.region) {
        (Some(u), _) => redact_url(u),
        (None, Some(r)) => format!("region {r}"),
        (None, None) => "-".to_string(),
    }
}

fn list(ctx: &Ctx, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    if as_json {
        let rows: Vec<&Provider> = cfg.providers.values().collect();
        return json(out, &rows);
    }
    if cfg.providers.is_empty() {
        writeln!(out, "{}", t!("provider.none"))?;
        return Ok(());
    }
    let mut table = Table::new(&[
        t!("provider.col_provider"),
        t!("provider.col_preset"),
        t!("provider.col_api"),
        t!("provider.col_url"),
        t!("provider.col_key"),
    ]);
    for p in cfg.providers.values() {
        table.row(vec![
            p.name.clone(),
            p.preset.clone().unwrap_or_else(|| "-".into()),
            p.api.to_string(),
            location(p),
            key_sources(&p.key),
        ]);
    }
    table.write(out)?;
    Ok(())
}

fn show(ctx: &Ctx, name: &str, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let p = cfg.provider(name)?;
    if as_json {
        return json(out, p);
    }
    let mut t = Table::new(&[
        &t!("field.provider"),
        &format!("{} ({})", p.name, p.display_name),
    ]);
    t.row(vec![
        t!("field.preset"),
        p.preset.clone().unwrap_or_else(|| "-".into()),
    ]);
    t.row(vec![t!("field.api"), p.api.to_string()]);
    t.row(vec![t!("field.url"), location(p)]);
    t.row(vec![t!("field.auth"), p.auth.as_str().to_string()]);
    t.row(vec![t!("field.key"), key_sources(&p.key)]);
    if let Some(proxy) = &p.proxy {
        t.row(vec![t!("field.proxy"), redact_url(proxy)]);
    }
    if let Some(ca) = &p.ca_file {
        t.row(vec![t!("field.ca_file"), ca.display().to_string()]);
    }
    let users = cfg.profiles_using(name);
    t.row(vec![
        t!("field.used_by"),
        if users.is_empty() {
            "-".into()
        } else {
            users.join(", ")
        },
    ]);
    for (id, m) in &p.models {
        let mut facts = Vec::new();
        if let Some(c) = m.context {
            facts.push(format!("ctx {c}"));
        }
        if let Some(o) = m.max_output {
            facts.push(format!("out {o}"));
        }
        if let Some(price) = crate::usage::prices::price_for(p, id) {
            facts.push(format!("${}/${} per Mtok", price.input, price.output));
        }
        t.row(vec![format!("model {id}"), facts.join(", ")]);
    }
    t.write(out)?;
    Ok(())
}

/// `provider models NAME`: the live list, one id per line (or JSON).
fn models(ctx: &Ctx, name: &str, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let provider = cfg.provider(name)?.clone();
    // Before the key: a keyring prompt for a list we cannot fetch helps nobody.
    check_supported(provider.api, &provider.name).map_err(|e| CliError::Failed(e.to_string()))?;
    // The key is found the way the proxy finds it.
    let key = ctx.secrets.resolve(&provider, &*ctx.env)?.map(|k| k.secret);
    let ids = fetch_blocking(provider, key).map_err(CliError::Failed)?;
    if as_json {
        return json(out, &ids);
    }
    if ids.is_empty() {
        eprintln!("{}", t!("models.empty", provider = name));
    }
    for id in &ids {
        writeln!(out, "{id}")?;
    }
    Ok(())
}

fn add(ctx: &Ctx, args: ProviderAddArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let added = store::change(&ctx.paths, |doc, cfg, presets| {
        // `ccswitch provider add deepseek` picks the preset of the same name.
        let preset =
            match (&args.preset, &args.api) {
                (Some(p), _) => Some(presets.get(p).map(|p| p.id.clone()).ok_or_else(|| {
                    config::ConfigError::NotFound {
                        kind: "preset",
                        name: p.clone(),
                        available: presets.ids(),
                    }
                })?),
                (None, None) => Some(presets.get(&args.name).map(|p| p.id.clone()).ok_or_else(
                    || CliError::Usage(t!("provider.need_preset", name = args.name)),
                )?),
                (None, Some(_)) => None,
            };
        let change = ProviderChange {
            preset: preset.clone(),
            api: args.api.clone(),
            base_url: args.base_url.clone(),
            key_env: args.key_env.clone(),
            key_command: args.key_command.clone(),
            proxy: args.proxy.clone(),
            ca_file: args.ca_file.clone(),
            ..Default::default()
        };
        edit::add_provider(doc, cfg, &args.name, &change)?;
        let new = store::validated(&ctx.paths, doc, presets)?;
        Ok::<_, CliError>(new.provider(&args.name)?.clone())
    })?;
    said(out, "provider.added", &added)?;
    if added.key.keyring && added.key.env.is_none() && added.key.command.is_none() {
        writeln!(out, "{}", t!("provider.next_key", name = added.name))?;
    }
    Ok(())
}

/// `provider edit`: the options as one change, checked the way `provider
/// add` checks a new provider (the whole config validates, or nothing is
/// written).
fn edit_cmd(ctx: &Ctx, args: &ProviderEditArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let change = edit_change(args)?;
    let updated = store::change(&ctx.paths, |doc, cfg, presets| {
        edit::edit_provider(doc, cfg, presets, &args.name, &change)?;
        let new = store::validated(&ctx.paths, doc, presets)?;
        Ok::<_, CliError>(new.provider(&args.name)?.clone())
    })?;
    said(out, "provider.updated", &updated)?;
    let keyring_only =
        updated.key.keyring && updated.key.env.is_none() && updated.key.command.is_none();
    if change.key.is_some() && keyring_only {
        writeln!(out, "{}", t!("provider.next_key", name = updated.name))?;
    }
    Ok(())
}

fn edit_change(args: &ProviderEditArgs) -> Result<ProviderEdit, CliError> {
    const UNSETTABLE: [&str; 4] = ["base_url", "key", "proxy", "ca_file"];
    CliError::check_unset(&args.unset, &UNSETTABLE)?;
    let unset = |field: &str| args.unset.iter().any(|u| u == field);
    let given = [
        ("base_url", args.base_url.is_some()),
        ("key", args.key_env.is_some() || args.key_command.is_some()),
        ("proxy", args.proxy.is_some()),
        ("ca_file", args.ca_file.is_some()),
    ];
    if let Some((field, _)) = given.iter().find(|(f, set)| *set && unset(f)) {
        return Err(CliError::Usage(t!("provider.set_and_unset", field = field)));
    }
    // Given: set it; `--unset`: remove it; neither: leave it.
    let pick = |value: &Option<String>, field: &str| match value {
        Some(v) => Some(Some(v.clone())),
        None => unset(field).then_some(None),
    };
    let key = match (&args.key_env, &args.key_command) {
        (Some(var), _) => Some(KeyChoice::Env(var.clone())),
        (None, Some(cmd)) => Some(KeyChoice::Command(cmd.clone())),
        // No key line: the default source (the keyring, or none for a
        // provider that needs no key).
        (None, None) => unset("key").then_some(KeyChoice::None),
    };
    let change = ProviderEdit {
        api: args.api.clone(),
        base_url: pick(&args.base_url, "base_url"),
        key,
        proxy: pick(&args.proxy, "proxy"),
        ca_file: pick(&args.ca_file, "ca_file"),
    };
    let nothing = change.api.is_none()
        && change.base_url.is_none()
        && change.key.is_none()
        && change.proxy.is_none()
        && change.ca_file.is_none();
    if nothing {
        return Err(CliError::Usage(t!("provider.edit_nothing")));
    }
    Ok(change)
}

/// "Added (or updated) provider `name` (display, api)." for `key`.
fn said(out: &mut dyn Write, key: &str, p: &crate::config::Provider) -> Result<(), CliError> {
    let line = crate::i18n::fill(
        crate::i18n::text(key),
        &[
            ("name", &p.name as &dyn std::fmt::Display),
            ("display", &p.display_name),
            ("api", &p.api),
        ],
    );
    writeln!(out, "{line}")?;
    Ok(())
}

//! `ccswitch key ...`: store, remove and check keys. Keys are read without
//! echo and never printed.

use std::io::Write;

use crate::config::{self, edit, store};
use crate::secrets::{FileStore, SecretStore};
use crate::{t, tn};

use super::args::KeyCmd;
use super::error::CliError;
use super::prompt::read_key;
use super::provider::key_sources;
use super::table::{Table, json};
use crate::ctx::Ctx;

pub fn run(cmd: KeyCmd, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        KeyCmd::Set {
            provider,
            add: true,
            label,
            ..
        } => add(ctx, &provider, label, out),
        KeyCmd::Set { provider, file, .. } => set(ctx, &provider, file, out),
        KeyCmd::Rm { provider } => rm(ctx, &provider, out),
        KeyCmd::Status(a) => status(ctx, a.json, a.no_command, out),
    }
}

/// The key from the terminal (no echo) or from piped stdin.
fn set(ctx: &Ctx, provider: &str, to_file: bool, out: &mut dyn Write) -> Result<(), CliError> {
    // Check the provider before asking for a key.
    let (cfg, presets) = config::load(&ctx.paths)?;
    if cfg.provider(provider).is_err() {
        let hint = if presets.get(provider).is_some() {
            t!("key.add_provider_first", name = provider)
        } else {
            String::new()
        };
        let err = cfg
            .provider(provider)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return Err(CliError::Usage(format!("{err}{hint}")));
    }
    let key = read_key(provider)?;
    let source = if to_file { "file" } else { "keyring" };
    if to_file {
        let store = FileStore::new(&ctx.paths.credentials_file);
        let created = !store.exists();
        ctx.secrets.file.set(provider, &key)?;
        if created {
            eprintln!(
                "{}",
                t!(
                    "key.file_warning",
                    path = ctx.paths.credentials_file.display()
                )
            );
        }
    } else {
        ctx.secrets.keyring.set(provider, &key)?;
    }
    let changed = store::change(&ctx.paths, |doc, cfg, _| {
        edit::enable_key_source(doc, cfg, provider, source)
    })?;
    writeln!(
        out,
        "{}",
        t!("key.stored", provider = provider, store = source)
    )?;
    if changed {
        writeln!(
            out,
            "{}",
            t!("key.source_enabled", provider = provider, store = source)
        )?;
    }
    // Warn when an earlier source would win over what was just stored.
    let (cfg, _) = config::load(&ctx.paths)?;
    if let Some(var) = cfg
        .provider(provider)?
        .key
        .env
        .as_ref()
        .filter(|v| (ctx.env)(v).is_some())
    {
        writeln!(out, "{}", t!("key.shadowed_by_env", var = var))?;
    }
    Ok(())
}

/// `key set NAME --add`: one more key for the provider's pool, stored in
/// the keyring as `NAME:LABEL` and named in `extra_keys`.
fn add(
    ctx: &Ctx,
    provider: &str,
    label: Option<String>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let p = cfg.provider(provider)?;
    let taken = |l: &str| {
        p.extra_keys
            .iter()
            .any(|k| matches!(k, config::ExtraKey::Keyring(x) if x == l))
    };
    let label = match label {
        Some(l) if taken(&l) => {
            return Err(CliError::Usage(t!(
                "key.label_taken",
                provider = provider,
                label = l
            )));
        }
        Some(l) => l,
        None => (2..)
            .map(|n: u32| n.to_string())
            .find(|l| !taken(l))
            .unwrap_or_default(),
    };
    let key = read_key(provider)?;
    ctx.secrets
        .keyring
        .set(&crate::secrets::pool_entry(provider, &label), &key)?;
    store::change(&ctx.paths, |doc, cfg, _| {
        edit::add_pool_key(doc, cfg, provider, &label)
    })?;
    writeln!(
        out,
        "{}",
        tn!(
            "key.pool_added",
            n = p.extra_keys.len() + 2,
            provider = provider,
            label = label
        )
    )?;
    Ok(())
}

fn rm(ctx: &Ctx, provider: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let stores: [&dyn SecretStore; 2] = [ctx.secrets.keyring.as_ref(), ctx.secrets.file.as_ref()];
    let mut removed = Vec::new();
    let mut errors = Vec::new();
    for s in stores {
        match s.delete(provider) {
            Ok(true) => removed.push(s.name()),
            Ok(false) => {}
            // A missing keyring should not stop removal from the file.
            Err(e) => errors.push(e),
        }
    }
    if removed.is_empty() {
        if let Some(e) = errors.into_iter().next() {
            return Err(e.into());
        }
        writeln!(out, "{}", t!("key.nothing_stored", provider = provider))?;
    } else {
        writeln!(
            out,
            "{}",
            t!(
                "key.removed",
                provider = provider,
                stores = removed.join(", ")
            )
        )?;
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct StatusRow {
    provider: String,
    sources: crate::config::KeySpec,
    needed: bool,
    found: bool,
    source: Option<crate::secrets::KeySource>,
    error: Option<String>,
    /// Its key comes from a command that `--no-command` did not run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    not_run: bool,
}

fn status(ctx: &Ctx, as_json: bool, no_command: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let rows: Vec<StatusRow> = cfg
        .providers
        .values()
        .map(|p| {
            // The variable is read before the command, as `resolve` does.
            let in_env = p
                .key
                .env
                .as_ref()
                .is_some_and(|v| (ctx.env)(v).is_some_and(|x| !x.trim().is_empty()));
            let not_run = no_command && p.key.command.is_some() && !in_env;
            let resolved = if not_run {
                Ok(None)
            } else {
                ctx.secrets.resolve(p, &*ctx.env)
            };
            let (found, source, error) = match resolved {
                Ok(Some(k)) => (true, Some(k.source), None),
                Ok(None) => (false, None, None),
                Err(e) => (false, None, Some(e.to_string())),
            };
            StatusRow {
                provider: p.name.clone(),
                sources: p.key.clone(),
                needed: !p.key.is_none(),
                found,
                source,
                error,
                not_run,
            }
        })
        .collect();
    if as_json {
        return json(out, &rows);
    }
    if rows.is_empty() {
        writeln!(out, "{}", t!("provider.none"))?;
        return Ok(());
    }
    let mut table = Table::new(&[
        t!("key.col_provider"),
        t!("key.col_sources"),
        t!("key.col_status"),
    ]);
    for r in &rows {
        let state = match (&r.source, &r.error, r.needed) {
            _ if r.not_run => t!("key.command_not_run"),
            (Some(s), _, _) => t!("key.found_in", source = s),
            (None, Some(e), _) => e.lines().next().unwrap_or("").to_string(),
            (None, None, false) => t!("key.not_needed"),
            (None, None, true) => t!("key.missing"),
        };
        table.row(vec![r.provider.clone(), key_sources(&r.sources), state]);
    }
    table.write(out)?;
    Ok(())
}

//! `ccswitch import`: find an existing setup (the shell's Claude Code
//! variables, `~/.claude/settings.json`, claude-code-router's config, or
//! the file given), show what it becomes, and add it: keys to the keyring
//! first, then the config in one atomic save. A failure at either step
//! leaves nothing behind.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::args::ImportArgs;
use super::error::CliError;
use crate::config::import::{self, Found, Key};
use crate::config::{self, Presets};
use crate::ctx::Ctx;
use crate::t;

pub fn run(a: &ImportArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, presets) = config::load(&ctx.paths)?;
    let sources = match &a.from {
        Some(path) => vec![from_file(path, &presets)?],
        None => detect(ctx, a.keep_env, &presets)?,
    };
    if sources
        .iter()
        .all(|(_, f)| f.is_empty() && f.skipped.is_empty())
    {
        let home = crate::paths::home_dir(&*ctx.env).unwrap_or_default();
        writeln!(
            out,
            "{}",
            t!(
                "import.nothing",
                settings = settings_file(ctx, &home).display(),
                ccr = ccr_file(&home).display()
            )
        )?;
        return Ok(());
    }
    // One set of names over every source, clashing with nothing saved.
    let mut all = Found::default();
    let mut labels = Vec::new();
    for (label, f) in sources {
        labels.push((label, f.providers.len(), f.profiles.len()));
        all.providers.extend(f.providers);
        all.profiles.extend(f.profiles);
        all.skipped.extend(f.skipped);
    }
    let all = all.into_names(
        |n| cfg.providers.contains_key(n),
        |n| cfg.profiles.contains_key(n),
    );
    summary(out, &labels, &all)?;
    let path = ctx.paths.config_file.display().to_string();
    if a.dry_run {
        let mut doc = toml_edit::DocumentMut::new();
        all.write(&mut doc);
        let text = doc.to_string();
        writeln!(
            out,
            "\n{}\n\n{}",
            t!("import.dry_run", path = path),
            text.trim_start()
        )?;
        return Ok(());
    }
    if all.is_empty() {
        return Ok(());
    }
    let stored = store_keys(ctx, &all)?;
    let saved = config::store::update(&ctx.paths, |doc, _| {
        all.write(doc);
        Ok::<_, config::ConfigError>(())
    });
    if let Err(e) = saved {
        // Nothing half-written: the keys go too.
        for name in stored {
            let _ = ctx.secrets.keyring.delete(&name);
        }
        return Err(e.into());
    }
    writeln!(
        out,
        "{}",
        t!(
            "import.done",
            providers = all.providers.len(),
            profiles = all.profiles.len(),
            path = path
        )
    )?;
    Ok(())
}

/// Every source found on this machine.
fn detect(ctx: &Ctx, keep_env: bool, presets: &Presets) -> Result<Vec<(String, Found)>, CliError> {
    let mut out = Vec::new();
    let label = t!("import.environment");
    out.push((
        label.clone(),
        import::claude_env::read(&label, &*ctx.env, keep_env, presets),
    ));
    let home = crate::paths::home_dir(&*ctx.env).unwrap_or_default();
    let settings = settings_file(ctx, &home);
    if settings.is_file() {
        out.push(from_file(&settings, presets)?);
    }
    let ccr = ccr_file(&home);
    if ccr.is_file() {
        out.push(from_file(&ccr, presets)?);
    }
    Ok(out)
}

fn settings_file(ctx: &Ctx, home: &Path) -> PathBuf {
    crate::launch::resume::claude_dir(&*ctx.env, Some(home))
        .unwrap_or_else(|| home.join(".claude"))
        .join("settings.json")
}

fn ccr_file(home: &Path) -> PathBuf {
    home.join(".claude-code-router").join("config.json")
}

/// A file is what its content says it is.
fn from_file(path: &Path, presets: &Presets) -> Result<(String, Found), CliError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Failed(t!("import.read_failed", path = shown, error = e)))?;
    let yaml = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"));
    if yaml {
        let found = import::litellm::read(&text, &shown, presets).map_err(CliError::Failed)?;
        return Ok((shown, found));
    }
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Failed(format!(
            "{shown}: {e}. {}",
            t!("import.unknown_source", path = shown)
        ))
    })?;
    if json.get("Providers").is_some() || json.get("Router").is_some() {
        let found = import::ccr::read(&text, &shown, presets).map_err(CliError::Failed)?;
        return Ok((shown, found));
    }
    if let Some(env) = json.get("env").and_then(serde_json::Value::as_object) {
        let get = |k: &str| env.get(k).and_then(|v| v.as_str()).map(str::to_string);
        // A key written in the file is copied to the keyring.
        return Ok((
            shown.clone(),
            import::claude_env::read(&shown, &get, false, presets),
        ));
    }
    Err(CliError::Failed(t!("import.unknown_source", path = shown)))
}

fn summary(
    out: &mut dyn Write,
    labels: &[(String, usize, usize)],
    all: &Found,
) -> Result<(), CliError> {
    let (mut providers, mut profiles) = (all.providers.iter(), all.profiles.iter());
    for (label, np, nf) in labels {
        if *np == 0 && *nf == 0 {
            continue;
        }
        writeln!(out, "{}", t!("import.found_in", source = label))?;
        for p in providers.by_ref().take(*np) {
            let mut what = match &p.preset {
                Some(id) => format!("{id} ({})", p.api),
                None => p.api.to_string(),
            };
            if let Some(u) = &p.base_url {
                let _ = write!(what, ", {u}");
            }
            let _ = match &p.key {
                Key::None => Ok(()),
                Key::Env(v) => write!(what, ", key = {{ env = \"{v}\" }}"),
                Key::Secret { from, .. } => write!(what, ", key <{from}> → keyring"),
            };
            writeln!(
                out,
                "{}",
                t!("import.provider_line", name = p.name, what = what)
            )?;
        }
        for p in profiles.by_ref().take(*nf) {
            let slots: Vec<String> = p
                .slots
                .iter()
                .map(|(s, prov, m)| match prov {
                    Some(o) if *o != p.provider => format!("{s} = {o}/{m}"),
                    _ => format!("{s} = {m}"),
                })
                .collect();
            let what = format!("{}: {}", p.provider, slots.join(", "));
            writeln!(
                out,
                "{}",
                t!("import.profile_line", name = p.name, what = what)
            )?;
        }
    }
    if !all.skipped.is_empty() {
        writeln!(out, "{}", t!("import.skipped_header"))?;
        for s in &all.skipped {
            writeln!(
                out,
                "{}",
                t!("import.skipped_line", what = s.what, why = s.why)
            )?;
        }
    }
    Ok(())
}

/// Keys written in the sources go to the keyring, under the provider's
/// new name; a failure takes back what was stored.
fn store_keys(ctx: &Ctx, all: &Found) -> Result<Vec<String>, CliError> {
    let mut stored: Vec<String> = Vec::new();
    for p in &all.providers {
        let Key::Secret { value, .. } = &p.key else {
            continue;
        };
        let secret = secrecy::SecretString::from(value.expose_secret().to_string());
        if let Err(e) = ctx.secrets.keyring.set(&p.name, &secret) {
            for name in &stored {
                let _ = ctx.secrets.keyring.delete(name);
            }
            let error = e.to_string().lines().next().unwrap_or_default().to_string();
            return Err(CliError::Failed(t!("import.keyring_needed", error = error)));
        }
        stored.push(p.name.clone());
    }
    Ok(stored)
}

//! `ccswitch import` beyond the pure readers (`config::import`): finding
//! the sources on this machine, one set of names over all of them, the
//! summary people read, and the write (keys first, then the config in one
//! atomic save; a failure at either leaves neither). The command line and
//! the TUI's first-run offer both use it.

mod error;
mod read;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use crate::config::import::dedupe::{Known, drop_known};
use crate::config::import::source::Kind;
use crate::config::import::{self, Found, Key, keyvar};
use crate::config::text::{one_line, shown_url};
use crate::config::{self, Config, Presets};
use crate::ctx::Ctx;
use crate::{t, tn};
pub use error::ImportError;

use read::ccswitch_store;
pub use read::{ImportSource, from_file};

/// Each source's label, and how many providers and profiles it gave.
pub type Labels = Vec<(String, usize, usize)>;

/// Every source on this machine, each read. One that cannot be read is a
/// skipped line naming it and why, and the others are still read: a
/// broken `settings.json` must not hide cc-switch's providers.
pub fn detect(ctx: &Ctx, keep_env: bool, presets: &Presets) -> Vec<ImportSource> {
    let label = t!("import.environment");
    let mut out = vec![ImportSource {
        found: import::claude_env::read(&label, &*ctx.env, keep_env, presets),
        label,
        own_env: true,
    }];
    let home = crate::paths::home_dir(&*ctx.env).unwrap_or_default();
    let files = [
        (settings_file(ctx, &home), Some(Kind::ClaudeSettings)),
        (ccr_file(&home), Some(Kind::Json)),
    ];
    let store = ccswitch_store(&ccswitch_dir(ctx, &home)).map(|s| (s, None));
    for (file, kind) in files.into_iter().chain(store) {
        if file.is_file() {
            out.push(read::found_here(&file, kind, presets));
        }
    }
    out
}

/// cc-switch's folder: `CC_SWITCH_CONFIG_DIR` (its CLI's override), else
/// `~/.cc-switch`.
pub fn ccswitch_dir(ctx: &Ctx, home: &Path) -> PathBuf {
    (ctx.env)("CC_SWITCH_CONFIG_DIR")
        .filter(|d| !d.trim().is_empty())
        .map_or_else(|| home.join(".cc-switch"), PathBuf::from)
}

pub fn settings_file(ctx: &Ctx, home: &Path) -> PathBuf {
    crate::claude::resume::claude_dir(&*ctx.env, Some(home))
        .unwrap_or_else(|| home.join(".claude"))
        .join("settings.json")
}

pub fn ccr_file(home: &Path) -> PathBuf {
    home.join(".claude-code-router").join("config.json")
}

/// All sources as one import, named to clash with nothing in `cfg`, with
/// only the key variables that fit their providers or that the user named
/// (`key_vars`), and without what `cfg` (or an earlier source) has already.
pub fn merge(
    ctx: &Ctx,
    sources: Vec<ImportSource>,
    cfg: &Config,
    presets: &Presets,
    key_vars: &[String],
) -> (Labels, Found) {
    let mut all = Found::default();
    // Every name so far, so a new one is found without a scan each.
    let (mut providers, mut profiles) = (HashSet::new(), HashSet::new());
    let mut labels = Vec::new();
    let keyring_holds = |name: &str, key: &secrecy::SecretString| {
        ctx.secrets
            .keyring
            .get(name)
            .ok()
            .flatten()
            .is_some_and(|s| s.expose_secret() == key.expose_secret())
    };
    for s in sources {
        let mut named = s.found.into_names(
            |n| cfg.providers.contains_key(n) || providers.contains(n),
            |n| cfg.profiles.contains_key(n) || profiles.contains(n),
        );
        if !s.own_env {
            keyvar::confirm(&mut named, presets, key_vars);
        }
        let known = Known {
            cfg,
            earlier: &all,
            presets,
            keyring_holds: &keyring_holds,
        };
        let found = drop_known(named, &known);
        labels.push((s.label, found.providers.len(), found.profiles.len()));
        providers.extend(found.providers.iter().map(|p| p.name.clone()));
        profiles.extend(found.profiles.iter().map(|p| p.name.clone()));
        all.providers.extend(found.providers);
        all.profiles.extend(found.profiles);
        all.skipped.extend(found.skipped);
        all.known.extend(found.known);
    }
    (labels, all)
}

/// What will be added, and what is left out, in lines for people (the
/// command's output and the TUI's offer). Each line is one line without
/// control characters, whatever the sources' names hold, and no URL in it
/// shows a password.
pub fn summary(labels: &[(String, usize, usize)], all: &Found) -> Vec<String> {
    lines(labels, all).iter().map(|l| shown(l)).collect()
}

/// The longest line [`summary`] prints: a name of a megabyte is a file
/// built to flood the screen.
const MAX_LINE: usize = 300;

fn shown(line: &str) -> String {
    let line = one_line(line);
    match line.char_indices().nth(MAX_LINE) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn lines(labels: &[(String, usize, usize)], all: &Found) -> Vec<String> {
    let mut out = Vec::new();
    let (mut providers, mut profiles) = (all.providers.iter(), all.profiles.iter());
    for (label, np, nf) in labels {
        if *np == 0 && *nf == 0 {
            continue;
        }
        out.push(t!("import.found_in", source = label));
        for p in providers.by_ref().take(*np) {
            let mut what = match &p.preset {
                Some(id) => format!("{id} ({})", p.api),
                None => p.api.to_string(),
            };
            if let Some(u) = &p.base_url {
                let _ = write!(what, ", {}", shown_url(u));
            }
            if let Some(u) = &p.proxy {
                let _ = write!(what, ", proxy {}", shown_url(u));
            }
            let _ = match &p.key {
                Key::None => Ok(()),
                Key::Env(v) => write!(what, ", key = {{ env = \"{v}\" }}"),
                Key::Secret { from, .. } => write!(what, ", key <{from}> → keyring"),
            };
            out.push(t!("import.provider_line", name = p.name, what = what));
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
            out.push(t!("import.profile_line", name = p.name, what = what));
        }
    }
    if !all.known.is_empty() {
        out.push(t!("import.known_header"));
        for s in &all.known {
            out.push(t!("import.skipped_line", what = s.what, why = s.why));
        }
    }
    if !all.skipped.is_empty() {
        out.push(t!("import.skipped_header"));
        for s in &all.skipped {
            out.push(t!("import.skipped_line", what = s.what, why = s.why));
        }
    }
    out
}

/// Keys to the keyring, then the config; a failure takes back the keys.
pub fn apply(ctx: &Ctx, all: &Found) -> Result<String, ImportError> {
    let mut stored: Vec<String> = Vec::new();
    let take_back = |stored: &[String]| {
        for name in stored {
            let _ = ctx.secrets.keyring.delete(name);
        }
    };
    for p in &all.providers {
        let Key::Secret { value, .. } = &p.key else {
            continue;
        };
        let secret = secrecy::SecretString::from(value.expose_secret().to_string());
        if let Err(e) = ctx.secrets.keyring.set(&p.name, &secret) {
            take_back(&stored);
            let error = e.to_string().lines().next().unwrap_or_default().to_string();
            return Err(ImportError::Failed(t!(
                "import.keyring_needed",
                error = error
            )));
        }
        stored.push(p.name.clone());
    }
    // The first profile of a config becomes its default, as with `profile
    // add` and the TUI: `ccswitch run` then needs no name.
    let mut default = None;
    let saved = config::store::update(&ctx.paths, |doc, presets| {
        let before = config::store::validated(&ctx.paths, doc, presets)?;
        all.write(doc)?;
        if let Some(first) = all.profiles.first()
            && before.profiles.is_empty()
            && before.default.is_none()
        {
            let after = config::store::validated(&ctx.paths, doc, presets)?;
            config::edit::set_default(doc, &after, &first.name)?;
            default = Some(first.name.clone());
        }
        Ok::<_, config::ConfigError>(())
    });
    if let Err(e) = saved {
        take_back(&stored);
        return Err(e.into());
    }
    let mut done = t!(
        "import.done",
        providers = tn!("count.providers", n = all.providers.len()),
        profiles = tn!("count.profiles", n = all.profiles.len()),
        path = ctx.paths.config_file.display()
    );
    if let Some(name) = default {
        done.push(' ');
        done.push_str(&t!("import.default_set", name = name));
    }
    Ok(done)
}

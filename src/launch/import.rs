//! `ccswitch import` beyond the pure readers (`config::import`): finding
//! the sources on this machine, one set of names over all of them, the
//! summary people read, and the write (keys first, then the config in one
//! atomic save; a failure at either leaves neither). The command line and
//! the TUI's first-run offer both use it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::error::LaunchError;
use crate::config::import::ccswitch::{self, Entry};
use crate::config::import::dedupe::{Known, drop_known};
use crate::config::import::{self, Found, Key};
use crate::config::{self, Config, Presets};
use crate::ctx::Ctx;
use crate::t;

/// Each source's label, and how many providers and profiles it gave.
pub type Labels = Vec<(String, usize, usize)>;

/// What one source gave, under its label.
pub struct Source {
    pub label: String,
    pub found: Found,
}

/// Every source on this machine, each read (a file that cannot be read is
/// an error naming it).
pub fn detect(ctx: &Ctx, keep_env: bool, presets: &Presets) -> Result<Vec<Source>, LaunchError> {
    let label = t!("import.environment");
    let mut out = vec![Source {
        found: import::claude_env::read(&label, &*ctx.env, keep_env, presets),
        label,
    }];
    let home = crate::paths::home_dir(&*ctx.env).unwrap_or_default();
    for file in [settings_file(ctx, &home), ccr_file(&home)] {
        if file.is_file() {
            out.push(from_file(&file, presets)?);
        }
    }
    if let Some(store) = ccswitch_store(&ccswitch_dir(ctx, &home)) {
        out.push(from_file(&store, presets)?);
    }
    Ok(out)
}

/// cc-switch's folder: `CC_SWITCH_CONFIG_DIR` (its CLI's override), else
/// `~/.cc-switch`.
pub fn ccswitch_dir(ctx: &Ctx, home: &Path) -> PathBuf {
    (ctx.env)("CC_SWITCH_CONFIG_DIR")
        .filter(|d| !d.trim().is_empty())
        .map_or_else(|| home.join(".cc-switch"), PathBuf::from)
}

/// The database, else an older release's `config.json`.
fn ccswitch_store(dir: &Path) -> Option<PathBuf> {
    ["cc-switch.db", "config.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|f| f.is_file())
}

pub fn settings_file(ctx: &Ctx, home: &Path) -> PathBuf {
    super::resume::claude_dir(&*ctx.env, Some(home))
        .unwrap_or_else(|| home.join(".claude"))
        .join("settings.json")
}

pub fn ccr_file(home: &Path) -> PathBuf {
    home.join(".claude-code-router").join("config.json")
}

/// A file is what its content (or, for YAML, its name) says it is; a
/// folder is cc-switch's.
pub fn from_file(path: &Path, presets: &Presets) -> Result<Source, LaunchError> {
    let label = path.display().to_string();
    if path.is_dir() {
        return match ccswitch_store(path) {
            Some(store) => from_file(&store, presets),
            None => Err(LaunchError::Failed(t!(
                "import.unknown_source",
                path = label
            ))),
        };
    }
    let failed = |e: &dyn std::fmt::Display| {
        LaunchError::Failed(t!("import.read_failed", path = label, error = e))
    };
    let bytes = std::fs::read(path).map_err(|e| failed(&e))?;
    if bytes.starts_with(b"SQLite format 3\0") {
        let entries = ccswitch_rows(path).map_err(|e| failed(&e))?;
        let found = ccswitch::read(&entries, &label, presets);
        return Ok(Source { label, found });
    }
    let text = String::from_utf8(bytes).map_err(|e| failed(&e))?;
    let yaml = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"));
    if yaml {
        let found = import::litellm::read(&text, &label, presets).map_err(LaunchError::Failed)?;
        return Ok(Source { label, found });
    }
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        LaunchError::Failed(format!(
            "{label}: {e}. {}",
            t!("import.unknown_source", path = label)
        ))
    })?;
    if let Some(entries) = ccswitch::legacy_entries(&json) {
        let found = ccswitch::read(&entries, &label, presets);
        return Ok(Source { label, found });
    }
    if json.get("Providers").is_some() || json.get("Router").is_some() {
        let found = import::ccr::read(&text, &label, presets).map_err(LaunchError::Failed)?;
        return Ok(Source { label, found });
    }
    if let Some(env) = json.get("env").and_then(serde_json::Value::as_object) {
        let get = |k: &str| env.get(k).and_then(|v| v.as_str()).map(str::to_string);
        // A key written in the file is copied to the keyring.
        let found = import::claude_env::read(&label, &get, false, presets);
        return Ok(Source { label, found });
    }
    Err(LaunchError::Failed(t!(
        "import.unknown_source",
        path = label
    )))
}

/// cc-switch's Claude Code providers, in the order its list shows them.
/// Read-only: cc-switch may be running, and its file is never changed.
fn ccswitch_rows(path: &Path) -> rusqlite::Result<Vec<Entry>> {
    use rusqlite::{Connection, OpenFlags};
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    db.busy_timeout(std::time::Duration::from_secs(2))?;
    let row = |r: &rusqlite::Row| {
        Ok(Entry {
            name: r.get(0)?,
            settings: r.get(1)?,
        })
    };
    let sql = "SELECT name, settings_config FROM providers WHERE app_type = 'claude'";
    // `sort_index` is the order the user arranged; older databases lack it.
    let ordered = format!("{sql} ORDER BY sort_index IS NULL, sort_index, rowid");
    match db.prepare(&ordered) {
        Ok(mut q) => q.query_map([], row)?.collect(),
        Err(_) => db
            .prepare(&format!("{sql} ORDER BY rowid"))?
            .query_map([], row)?
            .collect(),
    }
}

/// All sources as one import, named to clash with nothing in `cfg`, and
/// without what `cfg` (or an earlier source) has already.
pub fn merge(ctx: &Ctx, sources: Vec<Source>, cfg: &Config, presets: &Presets) -> (Labels, Found) {
    let mut all = Found::default();
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
        let named = s.found.into_names(
            |n| cfg.providers.contains_key(n) || all.providers.iter().any(|p| p.name == n),
            |n| cfg.profiles.contains_key(n) || all.profiles.iter().any(|p| p.name == n),
        );
        let known = Known {
            cfg,
            earlier: &all,
            presets,
            keyring_holds: &keyring_holds,
        };
        let found = drop_known(named, &known);
        labels.push((s.label, found.providers.len(), found.profiles.len()));
        all.providers.extend(found.providers);
        all.profiles.extend(found.profiles);
        all.skipped.extend(found.skipped);
        all.known.extend(found.known);
    }
    (labels, all)
}

/// What will be added, and what is left out, in lines for people.
pub fn summary(labels: &[(String, usize, usize)], all: &Found) -> Vec<String> {
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
                let _ = write!(what, ", {u}");
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
pub fn apply(ctx: &Ctx, all: &Found) -> Result<String, LaunchError> {
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
            return Err(LaunchError::Failed(t!(
                "import.keyring_needed",
                error = error
            )));
        }
        stored.push(p.name.clone());
    }
    let saved = config::store::update(&ctx.paths, |doc, _| all.write(doc));
    if let Err(e) = saved {
        take_back(&stored);
        return Err(e.into());
    }
    Ok(t!(
        "import.done",
        providers = all.providers.len(),
        profiles = all.profiles.len(),
        path = ctx.paths.config_file.display()
    ))
}

//! The run loop's side effects, which take time or touch the outside
//! world: saving, checking keys, listing a provider's models, testing a
//! connection, reading usage, listing sessions. Slow ones run on their own
//! thread and answer with a message.

mod resume;
mod usage;

use crate::checks::targets::test_all;
use crate::circuits;
use crate::config::import::Found;
use crate::import;
use std::sync::mpsc::Sender;

use super::app::{Cmd, KeyState, Msg};
use super::driver::Runner;
use super::plan::{self, FormPlan, ProviderPlan};
use crate::config::state;
use crate::config::{self, ConfigError, KeySpec, ops, store};
use crate::ctx::Ctx;
use crate::paths::Paths;
use crate::proxy::models::ListedModel;
use crate::secrets::{KeySource, MemoryStore, SecretStore, Secrets};
use crate::t;
use std::sync::Arc;

/// The real commands: files and threads; slow work answers through `tx`.
pub struct Worker<'a> {
    pub ctx: &'a Ctx,
    pub tx: Sender<Msg>,
}

impl Runner for Worker<'_> {
    fn run(&mut self, cmd: Cmd) -> Vec<Msg> {
        let (ctx, tx) = (self.ctx, self.tx.clone());
        match cmd {
            // The loop ends on these before they get here.
            Cmd::Quit | Cmd::Launch(..) => Vec::new(),
            Cmd::SetDefault(name) => {
                let saved = ops::set_default(&ctx.paths, &name);
                let done = t!("tui.default_set", name = name);
                vec![reload(ctx, saved, done, Some(name))]
            }
            Cmd::Delete(name) => {
                let saved = ops::remove_profile(&ctx.paths, &name);
                let mut out = Vec::new();
                if saved.is_ok() {
                    out.push(last_used(&ctx.paths));
                }
                out.push(reload(ctx, saved, t!("tui.deleted", name = name), None));
                out
            }
            Cmd::RefreshBalances(providers) => {
                refresh_balances(ctx, providers, tx);
                Vec::new()
            }
            Cmd::FindImport => vec![Msg::ImportFound(find_import(ctx))],
            Cmd::Import => {
                import_in_background(ctx, tx);
                Vec::new()
            }
            Cmd::ReadRecent => {
                usage::spawn_week(ctx.paths.usage_db.clone(), (ctx.now)(), tx);
                let open = circuits::read(&ctx.paths.circuits_file, (ctx.now)());
                vec![last_used(&ctx.paths), Msg::Circuits(open), balances(ctx)]
            }
            Cmd::LoadUsage(seq, query) => {
                usage::spawn_load(ctx.paths.usage_db.clone(), seq, *query, (ctx.now)(), tx);
                Vec::new()
            }
            Cmd::ListSessions(seq, profile, ledger) => {
                resume::spawn_list(ctx, seq, profile, ledger, tx);
                Vec::new()
            }
            Cmd::Save(plan) => {
                save(ctx, *plan, tx);
                Vec::new()
            }
            Cmd::CheckKeys(providers) => {
                check_keys(ctx, providers, tx);
                Vec::new()
            }
            Cmd::FetchModels(seq, provider) => {
                fetch_models(ctx, seq, *provider, tx);
                Vec::new()
            }
            Cmd::TestProfile(seq, name) => {
                test_profile(ctx, seq, name, tx);
                Vec::new()
            }
            Cmd::TestPlan(seq, plan) => {
                test_plan(ctx, seq, *plan, tx);
                Vec::new()
            }
        }
    }
}

/// Re-read the config after a change; the status line says what happened,
/// and the cursor goes to `select`.
fn reload(ctx: &Ctx, saved: Result<(), ConfigError>, done: String, select: Option<String>) -> Msg {
    reloaded(&ctx.paths, saved.map_err(|e| e.to_string()), done, select)
}

/// Where a provider's key would come from right now, without running key
/// commands (a `pass`/GPG prompt would fight the screen for the terminal).
fn check_key(
    spec: &KeySpec,
    name: &str,
    secrets: &Secrets,
    env: &dyn Fn(&str) -> Option<String>,
) -> KeyState {
    if spec.is_none() {
        return KeyState::NotNeeded;
    }
    if let Some(var) = spec
        .env
        .as_ref()
        .filter(|v| env(v).is_some_and(|x| !x.trim().is_empty()))
    {
        return KeyState::Found(KeySource::Env(var.clone()).to_string());
    }
    if spec.command.is_some() {
        return KeyState::Found(t!("tui.key_command"));
    }
    let stores: [(bool, &dyn SecretStore); 2] = [
        (spec.keyring, secrets.keyring.as_ref()),
        (spec.file, secrets.file.as_ref()),
    ];
    let mut why = Vec::new();
    for (on, store) in stores {
        if !on {
            continue;
        }
        match store.get(name) {
            Ok(Some(_)) => return KeyState::Found(store.name().to_string()),
            Ok(None) => why.push(store.name().to_string()),
            Err(e) => why.push(e.to_string().lines().next().unwrap_or_default().to_string()),
        }
    }
    if let Some(v) = &spec.env {
        why.insert(0, format!("env {v}"));
    }
    KeyState::Missing(why.join(", "))
}

/// Key checks touch the keyring, which can take seconds when locked: off
/// the UI thread, results come back as messages.
fn check_keys(ctx: &Ctx, providers: Vec<String>, tx: Sender<Msg>) {
    let Ok((cfg, _)) = config::load(&ctx.paths) else {
        return;
    };
    let specs: Vec<(String, KeySpec)> = providers
        .into_iter()
        .filter_map(|p| cfg.providers.get(&p).map(|pr| (p, pr.key.clone())))
        .collect();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        for (name, spec) in specs {
            let state = check_key(&spec, &name, &ctx.secrets, &*ctx.env);
            if tx.send(Msg::KeyChecked(name, state)).is_err() {
                return;
            }
        }
    });
}

/// Save off the UI thread: a locked keyring can take seconds to answer.
fn save(ctx: &Ctx, plan: FormPlan, tx: Sender<Msg>) {
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let paths = &ctx.paths;
        let saved = save_plan(paths, &ctx.secrets, &plan);
        let renamed = saved.is_ok() && plan.renamed_from().is_some();
        let done = t!("form.saved", name = plan.name);
        let _ = tx.send(reloaded(paths, saved, done, Some(plan.name.clone())));
        if renamed {
            // The profile's "last used" entry moved with it.
            let _ = tx.send(last_used(paths));
        }
    });
}

/// The import, on its own thread like a save: its keys go to the keyring,
/// which can take seconds (a locked keyring asks to be unlocked), and the
/// screen must keep drawing meanwhile. The thread works with a clone of
/// the screen's own context: the same files, key stores and environment.
fn import_in_background(ctx: &Ctx, tx: Sender<Msg>) {
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let done = detected(&ctx)
            .and_then(|(_, all)| import::apply(&ctx, &all).map_err(|e| e.to_string()));
        let msg = match done {
            Ok(message) => reload(&ctx, Ok(()), message, None),
            Err(e) => Msg::Failed(first_line(&e)),
        };
        let _ = tx.send(msg);
    });
}

/// What an import would bring in, as lines (nothing found: `None`).
fn find_import(ctx: &Ctx) -> Option<Vec<String>> {
    let (labels, all) = detected(ctx).ok()?;
    (!all.is_empty()).then(|| import::summary(&labels, &all))
}

/// Every source on this machine as one import against the saved config:
/// what the offer shows, and what `y` writes.
fn detected(ctx: &Ctx) -> Result<(import::Labels, Found), String> {
    let (cfg, presets) = config::load(&ctx.paths).map_err(|e| e.to_string())?;
    let sources = import::detect(ctx, false, &presets);
    Ok(import::merge(ctx, sources, &cfg, &presets, &[]))
}

/// Every profile's last launch, as of now.
fn last_used(paths: &Paths) -> Msg {
    Msg::LastUsed(
        state::load(paths).into_iter().collect(),
        std::time::SystemTime::now(),
    )
}

/// After a save: the config as it now is, with what to tell the user and
/// the profile the cursor goes to, or why the save failed.
fn reloaded(paths: &Paths, saved: Result<(), String>, done: String, select: Option<String>) -> Msg {
    match saved.and_then(|()| config::load(paths).map_err(|e| e.to_string())) {
        Ok((cfg, _)) => Msg::Saved {
            config: Box::new(cfg),
            done,
            select,
        },
        Err(e) => Msg::Failed(e),
    }
}

/// Store the typed key first: if the keyring refuses, nothing is saved and
/// the form stays open with everything the user typed.
fn save_plan(paths: &Paths, secrets: &Secrets, plan: &FormPlan) -> Result<(), String> {
    if let Some(key) = &plan.provider.key {
        secrets
            .keyring
            .set(&plan.provider.name, key)
            .map_err(|e| t!("form.key_not_stored", error = e))?;
    }
    let file = paths.config_file.clone();
    store::update(paths, |doc, presets| plan::apply(doc, presets, &file, plan))
        .map_err(|e: ConfigError| e.to_string())?;
    if let Some(old) = plan.renamed_from() {
        // "Last used" is a convenience; a failure here is not the save's.
        let _ = state::rename(paths, old, &plan.name);
    }
    Ok(())
}

/// The screen's context with keys as `ccswitch run` would find them, but
/// a key typed into the form (not saved yet) standing in for the edited
/// provider's keyring entry; for a thread to own. Only that one entry:
/// the profile's other providers (fallbacks, slots elsewhere) and the
/// provider's pool keys are read from the keyring as usual.
fn with_typed_key(ctx: &Ctx, provider: &ProviderPlan) -> Ctx {
    let mut ctx = ctx.clone();
    if let Some(key) = &provider.key {
        let typed = MemoryStore::over(ctx.secrets.keyring.clone(), &provider.name, key);
        ctx.secrets.keyring = Arc::new(typed);
    }
    ctx
}

fn fetch_models(ctx: &Ctx, seq: u64, provider: ProviderPlan, tx: Sender<Msg>) {
    let file = ctx.paths.config_file.clone();
    let preview = store::preview(&ctx.paths, |doc, presets| {
        plan::apply_provider(doc, presets, &file, &provider)
    });
    let ctx = with_typed_key(ctx, &provider);
    std::thread::spawn(move || {
        let result = preview
            .map_err(|e| first_line(&e.to_string()))
            .and_then(|cfg| list(&cfg, &provider.name, &ctx));
        let _ = tx.send(Msg::Models(seq, result));
    });
}

fn list(cfg: &config::Config, name: &str, ctx: &Ctx) -> Result<Vec<ListedModel>, String> {
    let provider = cfg.provider(name).map_err(|e| e.to_string())?.clone();
    let key = ctx
        .secrets
        .resolve(&provider, &*ctx.env)
        .map_err(|e| first_line(&e.to_string()))?
        .map(|k| k.secret);
    crate::proxy::models::fetch_listing_blocking(provider, key)
}

fn test_profile(ctx: &Ctx, seq: u64, name: String, tx: Sender<Msg>) {
    let loaded = config::load(&ctx.paths);
    let now = (ctx.now)();
    let circuits = circuits::read(&ctx.paths.circuits_file, now);
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let result = loaded.map_err(|e| e.to_string()).and_then(|(cfg, _)| {
            let tested = test_all(&ctx, &cfg, &name, &circuits, now);
            // The test reached the provider already; its balance is
            // asked (at most once a minute) for the list's detail pane.
            let main = cfg.profile(&name).ok().map(|p| p.main.provider.clone());
            if let (Some(p), Ok(rt)) = (
                main.and_then(|m| cfg.provider(&m).ok()),
                crate::proxy::runtime(),
            ) {
                rt.block_on(crate::checks::balance::entry(&ctx, p, BALANCE_LIMIT));
            }
            tested
        });
        let _ = tx.send(Msg::Tested(seq, result));
        let _ = tx.send(balances(&ctx));
    });
}

/// How long `t` (and the list's minute) waits for a provider's balance.
const BALANCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Ask these providers for their balances (the cache asks each at most
/// once a minute), all at once within [`BALANCE_LIMIT`], then send what
/// `balances.json` holds. Off the UI thread: a provider may be slow.
fn refresh_balances(ctx: &Ctx, providers: Vec<String>, tx: Sender<Msg>) {
    let Ok((cfg, _)) = config::load(&ctx.paths) else {
        return;
    };
    // The config may have changed since the screen chose them.
    let asked: Vec<config::Provider> = providers
        .iter()
        .filter_map(|p| cfg.providers.get(p))
        .filter(|p| crate::checks::balance::asked_unprompted(p))
        .cloned()
        .collect();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = crate::proxy::runtime() {
            let each = asked
                .iter()
                .map(|p| crate::checks::balance::entry(&ctx, p, BALANCE_LIMIT));
            rt.block_on(futures_util::future::join_all(each));
        }
        let _ = tx.send(balances(&ctx));
    });
}

/// The balances cached in `balances.json`: a small file read, no request
/// (opening the list must not reach every provider).
fn balances(ctx: &Ctx) -> Msg {
    use crate::proxy::upstream::balance::cache;
    Msg::Balances(cache::read_all(&cache::path(&ctx.paths.data_dir)))
}

fn test_plan(ctx: &Ctx, seq: u64, plan: FormPlan, tx: Sender<Msg>) {
    let file = ctx.paths.config_file.clone();
    let preview = store::preview(&ctx.paths, |doc, presets| {
        plan::apply(doc, presets, &file, &plan)
    });
    let now = (ctx.now)();
    let circuits = circuits::read(&ctx.paths.circuits_file, now);
    let ctx = with_typed_key(ctx, &plan.provider);
    std::thread::spawn(move || {
        let result = preview
            .map_err(|e| e.to_string())
            .and_then(|cfg| test_all(&ctx, &cfg, &plan.name, &circuits, now));
        let _ = tx.send(Msg::Tested(seq, result));
    });
}

/// Config errors span lines (file, line, hint); a picker has one.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests;

//! The run loop's side effects that take time or touch the outside world:
//! saving a form, listing a provider's models, testing a connection. Slow
//! ones run on their own thread and answer with a message.

use std::sync::mpsc::Sender;

use super::app::Msg;
use super::plan::{self, Plan, ProviderPlan};
use crate::cli::Ctx;
use crate::config::{self, ConfigError, store};
use crate::secrets::{FileStore, MemoryStore, SecretStore, Secrets};
use crate::t;

/// Store the typed key first: if the keyring refuses, nothing is saved and
/// the form stays open with everything the user typed.
pub fn save_plan(ctx: &Ctx, plan: &Plan) -> Result<(), String> {
    if let Some(key) = &plan.provider.key {
        ctx.secrets
            .keyring
            .set(&plan.provider.name, key)
            .map_err(|e| t!("form.key_not_stored", error = e))?;
    }
    let file = ctx.paths.config_file.clone();
    store::update(&ctx.paths, |doc, presets| {
        plan::apply(doc, presets, &file, plan)
    })
    .map_err(|e: ConfigError| e.to_string())
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Keys as the proxy would find them, with a key typed into the form (not
/// saved yet) taking the keyring's place.
fn secrets_for(ctx: &Ctx, provider: &ProviderPlan) -> Secrets {
    match &provider.key {
        Some(key) => {
            let mem = MemoryStore::default();
            let _ = mem.set(&provider.name, key);
            Secrets {
                keyring: Box::new(mem),
                file: Box::new(FileStore::new(&ctx.paths.credentials_file)),
            }
        }
        None => Secrets::system(&ctx.paths.credentials_file),
    }
}

pub fn fetch_models(ctx: &Ctx, seq: u64, provider: ProviderPlan, tx: Sender<Msg>) {
    let file = ctx.paths.config_file.clone();
    let preview = store::preview(&ctx.paths, |doc, presets| {
        plan::apply_provider(doc, presets, &file, &provider)
    });
    let secrets = secrets_for(ctx, &provider);
    std::thread::spawn(move || {
        let result = preview
            .map_err(|e| first_line(&e.to_string()))
            .and_then(|cfg| list(&cfg, &provider.name, &secrets));
        let _ = tx.send(Msg::Models(seq, result));
    });
}

fn list(cfg: &config::Config, name: &str, secrets: &Secrets) -> Result<Vec<String>, String> {
    let provider = cfg.provider(name).map_err(|e| e.to_string())?.clone();
    let key = secrets
        .resolve(&provider, &env)
        .map_err(|e| first_line(&e.to_string()))?
        .map(|k| k.secret);
    let up = crate::proxy::upstream::Upstream::new(provider, key).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(crate::proxy::models::list_models(&up))
        .map_err(|e| e.to_string())
}

pub fn test_profile(ctx: &Ctx, seq: u64, name: String, tx: Sender<Msg>) {
    let creds = ctx.paths.credentials_file.clone();
    let loaded = config::load(&ctx.paths);
    std::thread::spawn(move || {
        let result = loaded.map_err(|e| e.to_string()).and_then(|(cfg, _)| {
            crate::launch::probe::probe_profile(&cfg, &name, &Secrets::system(&creds), &env)
        });
        let _ = tx.send(Msg::Tested(seq, result));
    });
}

pub fn test_plan(ctx: &Ctx, seq: u64, plan: Plan, tx: Sender<Msg>) {
    let file = ctx.paths.config_file.clone();
    let preview = store::preview(&ctx.paths, |doc, presets| {
        plan::apply(doc, presets, &file, &plan)
    });
    let secrets = secrets_for(ctx, &plan.provider);
    std::thread::spawn(move || {
        let result = preview
            .map_err(|e| e.to_string())
            .and_then(|cfg| crate::launch::probe::probe_profile(&cfg, &plan.name, &secrets, &env));
        let _ = tx.send(Msg::Tested(seq, result));
    });
}

/// Config errors span lines (file, line, hint); a picker has one.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

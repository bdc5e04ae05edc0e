//! `ccswitch run`, `test` and `env`: the commands that hand a profile to
//! the launcher.

use std::io::Write;

use super::args::{EnvArgs, RunArgs, TestArgs};
use super::error::CliError;
use super::table::json;
use crate::checks::probe;
use crate::ctx::Ctx;
use crate::launch::run as launcher;
use crate::t;

/// `ccswitch run`.
pub fn run(a: RunArgs, ctx: &Ctx) -> Result<u8, CliError> {
    let mut claude_args = a.claude_args;
    let mut profile = a.profile;
    // `ccswitch run -- -p hi`: the first word after `--` is claude's.
    if let Some(p) = profile.take_if(|p| p.starts_with('-')) {
        claude_args.insert(0, p);
    }
    let opts = launcher::RunOptions {
        profile,
        claude_args,
        claude: a.claude,
        log_file: a.log_file,
        verbose: a.verbose,
        quiet: a.quiet,
        ignore_budget: a.ignore_budget,
        model: a.model,
    };
    Ok(launcher::run(ctx, opts)?)
}

/// The profile the TUI chose, launched as `ccswitch run NAME -- ARGS`
/// would.
pub fn run_profile(ctx: &Ctx, name: String, claude_args: Vec<String>) -> Result<u8, CliError> {
    run_plain(ctx, Some(name), claude_args)
}

/// `ccswitch run [PROFILE] -- ARGS` with none of run's own options.
fn run_plain(ctx: &Ctx, profile: Option<String>, claude_args: Vec<String>) -> Result<u8, CliError> {
    let opts = launcher::RunOptions {
        profile,
        claude_args,
        claude: None,
        log_file: None,
        verbose: false,
        quiet: false,
        ignore_budget: false,
        model: None,
    };
    Ok(launcher::run(ctx, opts)?)
}

/// `ccswitch --resume [ID] [-- ARGS]`: `run PROFILE -- --resume ID ARGS`
/// with the profile the session ran with (as `run` noted it, else as the
/// usage ledger has it), or the default one.
pub fn resume(ctx: &Ctx, id: String, args: Vec<String>) -> Result<u8, CliError> {
    let profile = (!id.is_empty())
        .then(|| session_profile(ctx, &id))
        .flatten();
    let mut claude_args = vec!["--resume".to_string()];
    claude_args.extend((!id.is_empty()).then_some(id));
    claude_args.extend(args);
    run_plain(ctx, profile, claude_args)
}

/// The profile Claude Code session `id` ran with, while it still exists.
fn session_profile(ctx: &Ctx, id: &str) -> Option<String> {
    const LEDGER_DAYS: i64 = 60;
    let known = crate::config::state::session_profile(&ctx.paths, id).or_else(|| {
        let conn = crate::usage::db::open_read(&ctx.paths.usage_db).ok()?;
        let since = crate::usage::unix_ms((ctx.now)()) - LEDGER_DAYS * 86_400_000;
        crate::usage::query::session_profiles(&conn, &[id.to_string()], since)
            .ok()?
            .remove(id)
    })?;
    let (cfg, _) = crate::config::load(&ctx.paths).ok()?;
    cfg.profiles.contains_key(&known).then_some(known)
}
/// How long `ccswitch test` waits for the main provider's balance.
const BALANCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(8);

/// `ccswitch test`: exit 0 when every step passed, 1 otherwise.
pub fn test(a: TestArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    let (cfg, _) = crate::config::load(&ctx.paths)?;
    let profile = launcher::pick_profile(&cfg, a.profile.as_deref())?.clone();
    let main = cfg.provider(&profile.main.provider)?.clone();
    if !main.api.uses_base_url() {
        return Err(CliError::Usage(t!(
            "probe.not_proxied",
            profile = profile.name,
            api = main.api
        )));
    }
    let now = (ctx.now)();
    let circuits = crate::circuits::read(&ctx.paths.circuits_file, now);
    let steps = crate::checks::targets::test_all(ctx, &cfg, &profile.name, &circuits, now)
        .map_err(CliError::Failed)?;
    // After the steps, and not one of them for the exit code: a low
    // balance fails nothing by itself (a used-up one already failed the
    // auth step with the provider's 402).
    let balance = crate::proxy::runtime()
        .ok()
        .and_then(|rt| rt.block_on(crate::checks::balance::entry(ctx, &main, BALANCE_LIMIT)));
    if a.json {
        let mut all = serde_json::to_value(&steps).map_err(|e| CliError::Failed(e.to_string()))?;
        let step = balance.and_then(|e| crate::checks::balance::test_step(&main, &e));
        if let (serde_json::Value::Array(all), Some(step)) = (&mut all, step) {
            all.push(serde_json::to_value(step).map_err(|e| CliError::Failed(e.to_string()))?);
        }
        json(out, &all)?;
    } else {
        for line in probe::render(
            &profile.name,
            &main.display_name,
            &profile.main.model,
            &steps,
        ) {
            writeln!(out, "{line}")?;
        }
        if let Some(line) = balance.and_then(|e| crate::checks::balance::test_line(&main, &e)) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(u8::from(!steps.iter().all(|s| s.ok)))
}

/// `ccswitch env`: export lines for a profile that needs no proxy.
pub fn env(a: EnvArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    for line in launcher::env_lines(ctx, a.profile.as_deref(), a.shell)? {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `ccswitch __key-helper`: Claude Code's `apiKeyHelper` in a direct-mode
/// session prints the key `run` put in its environment.
pub fn key_helper(ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    match crate::launch::env::session::key_helper(&*ctx.env) {
        Some(key) => {
            writeln!(out, "{key}")?;
            Ok(0)
        }
        None => Err(CliError::Usage(t!("launch.key_helper_outside"))),
    }
}

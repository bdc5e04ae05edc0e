//! `ccswitch statusline`: the one line Claude Code shows under its prompt,
//! for a `ccswitch run` session: profile, upstream model, this session's
//! tokens, cache hit rate and cost, the main provider's balance (where it
//! publishes one) and what is left of the tightest budget.
//!
//! Claude Code runs it after every message, so it must be quick (one small
//! read of the ledger) and must never fail loudly: whatever is missing is
//! left out of the line.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

use super::error::CliError;
use crate::claude::status_line::{BUDGET_VAR, PROFILE_VAR, SESSION_VAR};
use crate::config;
use crate::ctx::Ctx;
use crate::proxy::Upstream;
use crate::proxy::upstream::balance::{BalanceEndpoint, cache};
use crate::t;
use crate::usage::budget::{self, Use};
use crate::usage::format::{money, short};
use crate::usage::{db, query};

/// The longest the line waits for a provider's balance: Claude Code waits
/// for the line, and a cached balance is shown meanwhile.
const BALANCE_LIMIT: Duration = Duration::from_millis(1500);

/// Claude Code's status JSON is small; more is not read.
const MAX_INPUT: u64 = 64 * 1024;

pub fn run(ctx: &Ctx, input: &mut dyn Read, out: &mut dyn Write) -> Result<(), CliError> {
    let mut text = String::new();
    let _ = input.take(MAX_INPUT).read_to_string(&mut text);
    let status: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let line = line(ctx, &status);
    writeln!(out, "{line}")?;
    Ok(())
}

fn line(ctx: &Ctx, status: &Value) -> String {
    let profile = (ctx.env)(PROFILE_VAR);
    let session = (ctx.env)(SESSION_VAR);
    let mut parts = vec![format!("ccswitch {}", profile.as_deref().unwrap_or("-"))];
    let conn = db::open_read(&ctx.paths.usage_db).ok();
    let mine = conn
        .as_ref()
        .zip(session.as_deref())
        .and_then(|(c, s)| query::session(c, s).ok());
    let cfg = config::load(&ctx.paths).ok().map(|(c, _)| c);
    let asked = status.pointer("/model/id").and_then(Value::as_str);
    // The model the main loop is on, as `/model` last picked it: with
    // several providers, which one serves it too.
    let in_use = cfg
        .as_ref()
        .zip(profile.as_deref())
        .zip(asked)
        .and_then(|((cfg, name), id)| in_use(cfg, name, id));
    let model = in_use
        .or_else(|| mine.as_ref().and_then(|(_, m)| m.clone()))
        .or_else(|| asked.map(str::to_string));
    if let Some(m) = model {
        parts.push(m);
    }
    // Nothing sent yet: no figures ("$0.00" would read as a price, for a
    // model that may have none).
    if let Some((sums, _)) = mine.as_ref().filter(|(s, _)| s.requests > 0) {
        let tokens = sums.all_input().saturating_add(sums.output_tokens);
        parts.push(t!("statusline.tokens", n = short(tokens)));
        // Where the provider caches at all: a share that falls is the
        // first sign of a prompt whose prefix keeps moving.
        if sums.cache_read_tokens + sums.cache_write_tokens > 0 {
            let percent = format!("{:.0}", sums.cache_share() * 100.0);
            parts.push(t!("statusline.cache", percent = percent));
        }
        parts.push(money(sums));
    }
    if let (Some(cfg), Some(name)) = (&cfg, &profile)
        && let Some(b) = balance_part(ctx, cfg, name)
    {
        parts.push(b);
    }
    if let (Some(conn), Some(cfg), Some(name)) = (&conn, &cfg, &profile)
        && let Some(u) = tightest(ctx, cfg, conn, name)
    {
        let part = budget_part(&u);
        // `--ignore-budget`: the budget is shown, but stops nothing.
        if (ctx.env)(BUDGET_VAR).as_deref() == Some("ignored") {
            parts.push(t!("statusline.budget_ignored", budget = part));
        } else {
            parts.push(part);
        }
    }
    parts.join(" · ")
}

/// What serves model id `id` in a profile that spans providers: `model ·
/// provider` (the menu model's label, when it has one). `None` for a
/// one-provider profile (the model says it all) or an id it does not know.
fn in_use(cfg: &config::Config, name: &str, id: &str) -> Option<String> {
    use crate::proxy::menu::Menu;
    let profile = cfg.profiles.get(name)?;
    if profile.providers().len() < 2 {
        return None;
    }
    let menu = Menu::naming(profile, id);
    let (shown, slot) = match menu.get(id) {
        Some(e) => (e.label.as_deref().unwrap_or(&e.slot.model), &e.slot),
        None => {
            let (_, slot) = crate::proxy::route::route(profile, &menu, id, false);
            (slot.model.as_str(), slot)
        }
    };
    let provider = cfg
        .providers
        .get(&slot.provider)
        .map_or(slot.provider.as_str(), |p| p.display_name.as_str());
    Some(t!("statusline.model", model = shown, provider = provider))
}

/// The budget closest to its limit, of the profile and its providers.
fn tightest(
    ctx: &Ctx,
    cfg: &config::Config,
    conn: &rusqlite::Connection,
    profile: &str,
) -> Option<Use> {
    let profile = cfg.profiles.get(profile)?;
    let now_ms = crate::usage::unix_ms((ctx.now)());
    budget::scopes(cfg, profile)
        .iter()
        .filter_map(|(scope, b)| {
            let spent = budget::spent(conn, scope, now_ms).ok()?;
            Some(budget::uses(scope, b, &spent))
        })
        .flatten()
        .max_by(|a, b| a.share().total_cmp(&b.share()))
}

/// The main provider's balance: the cached one, asked again once it is a
/// minute old, within [`BALANCE_LIMIT`] (a provider that does not answer
/// in time leaves the cached balance showing, and is not asked again for a
/// minute). A key from a command is not fetched here: a command may prompt
/// (a password manager), and the line runs after every message; `ccswitch
/// test`, `doctor` and the TUI fill the cache for those.
fn balance_part(ctx: &Ctx, cfg: &config::Config, profile: &str) -> Option<String> {
    let p = cfg
        .provider(&cfg.profiles.get(profile)?.main.provider)
        .ok()?;
    BalanceEndpoint::of(p)?;
    let path = cache::path(&ctx.paths.data_dir);
    let now = (ctx.now)();
    let cached = cache::get(&path, &p.name);
    let entry = match cached {
        Some(e) if e.is_fresh(now) || p.key.command.is_some() => e,
        cached => refresh(ctx, p, &path, now).or(cached)?,
    };
    let b = entry.balance?;
    let shown = b.shown()?;
    Some(if b.is_low() {
        t!("statusline.balance_low", balance = shown)
    } else {
        t!("statusline.balance", balance = shown)
    })
}

fn refresh(
    ctx: &Ctx,
    p: &config::Provider,
    path: &std::path::Path,
    now: std::time::SystemTime,
) -> Option<cache::Entry> {
    let key = ctx.secrets.resolve(p, &*ctx.env).ok().flatten()?.secret;
    let up = Upstream::new(p.clone(), Some(key)).ok()?;
    let rt = crate::proxy::runtime().ok()?;
    Some(rt.block_on(cache::current(path, &up, now, BALANCE_LIMIT)))
}

fn budget_part(u: &Use) -> String {
    let left = (u.limit - u.spent).max(0.0);
    let amount = if u.is_usd() {
        format!("${left:.2}")
    } else {
        short(left as u64)
    };
    let period = if u.field.starts_with("daily") {
        t!("statusline.today")
    } else {
        t!("statusline.this_month")
    };
    let percent = format!("{:.0}", u.share() * 100.0);
    match u.share() {
        s if s >= 1.0 => t!("statusline.budget_out", period = period),
        s if s >= 0.8 => t!(
            "statusline.budget_warn",
            percent = percent,
            left = amount,
            period = period
        ),
        _ => t!("statusline.budget_left", left = amount, period = period),
    }
}

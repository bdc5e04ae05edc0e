//! `ccswitch gateway key …`: issue, list, revoke and rotate members' keys.
//! A key is printed once, alone on stdout (so it can be piped to where it
//! goes); what happened is said on stderr. Afterwards only its prefix is
//! ever shown.

use std::io::Write;
use std::time::SystemTime;

use secrecy::ExposeSecret;
use serde_json::json;

use super::args::{GatewayKeyCmd, IssueArgs};
use super::show::{date, limits, profiles, rfc3339, state, status_name};
use crate::cli::error::CliError;
use crate::cli::table::{Table, json};
use crate::gateway::admin;
use crate::gateway::keys::prefix_named;
use crate::gateway::store::{Budgets, KeyRecord, KeySettings, RateLimits, Store};
use crate::t;

pub async fn run(
    cmd: GatewayKeyCmd,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match cmd {
        GatewayKeyCmd::Issue(a) => issue(a, store, now, out).await,
        GatewayKeyCmd::List { json } => list(store, json, now, out).await,
        GatewayKeyCmd::Revoke { prefix } => revoke(&prefix, store, now, out).await,
        GatewayKeyCmd::Rotate { prefix } => rotate(&prefix, store, now, out).await,
    }
}

async fn issue(
    a: IssueArgs,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let settings = KeySettings {
        profiles: a.profiles,
        budgets: Budgets {
            daily_usd: a.budgets.daily_usd,
            monthly_usd: a.budgets.monthly_usd,
        },
        limits: RateLimits {
            rpm: a.rpm,
            tpm: a.tpm,
        },
    };
    let issued = admin::issue(store, &a.member, settings, a.expires, now).await?;
    let r = &issued.record;
    eprintln!(
        "{}",
        t!(
            "gateway.key_issued",
            prefix = r.prefix,
            member = r.member,
            team = r.team
        )
    );
    writeln!(out, "{}", issued.key.expose_secret())?;
    Ok(())
}

async fn list(
    store: &Store,
    as_json: bool,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let keys = store.keys().await?;
    if as_json {
        let rows: Vec<_> = keys.iter().map(|k| key_json(k, now)).collect();
        return json(out, &rows);
    }
    if keys.is_empty() {
        writeln!(out, "{}", t!("gateway.keys_none"))?;
        return Ok(());
    }
    let mut table = Table::new(&[
        t!("gateway.col_prefix"),
        t!("gateway.col_member"),
        t!("gateway.col_team"),
        t!("gateway.col_profiles"),
        t!("gateway.col_limits"),
        t!("gateway.col_state"),
    ]);
    for k in &keys {
        table.row(vec![
            k.prefix.clone(),
            k.member.clone(),
            k.team.clone(),
            profiles(k),
            limits(k),
            state(k, now),
        ]);
    }
    table.write(out)?;
    Ok(())
}

fn key_json(k: &KeyRecord, now: SystemTime) -> serde_json::Value {
    let (b, l) = (k.settings.budgets, k.settings.limits);
    json!({
        "prefix": k.prefix,
        "member": k.member,
        "team": k.team,
        "profiles": k.settings.profiles,
        "daily_usd": b.daily_usd,
        "monthly_usd": b.monthly_usd,
        "rpm": l.rpm,
        "tpm": l.tpm,
        "state": status_name(k, now),
        "created": rfc3339(k.created_at),
        "expires": k.expires_at.map(rfc3339),
        "revoked": k.revoked_at.map(rfc3339),
        "rotated_from": k.rotated_from,
    })
}

async fn revoke(
    given: &str,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let prefix = prefix_named(given);
    // Asked first, so a second revoke says when the first one was.
    let before = store.key_by_prefix(prefix).await?;
    let message = match before.revoked_at {
        Some(at) => t!(
            "gateway.key_was_revoked",
            prefix = before.prefix,
            member = before.member,
            date = date(at)
        ),
        None => {
            let k = store.revoke_key(prefix, now).await?;
            t!(
                "gateway.key_revoked_now",
                prefix = k.prefix,
                member = k.member,
                team = k.team
            )
        }
    };
    writeln!(out, "{message}")?;
    Ok(())
}

async fn rotate(
    given: &str,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let rotated = admin::rotate(store, prefix_named(given), now).await?;
    eprintln!(
        "{}",
        t!(
            "gateway.key_rotated",
            old = rotated.old.prefix,
            new = rotated.new.prefix,
            member = rotated.new.member
        )
    );
    writeln!(out, "{}", rotated.key.expose_secret())?;
    Ok(())
}

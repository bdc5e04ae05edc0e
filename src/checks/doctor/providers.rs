//! Each provider's key (found, never shown), its endpoint (answering,
//! through its own proxy and CA) and its balance, where it publishes one.

use std::time::{Duration, SystemTime};

use super::check::{Check, Status, check, first_line};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::proxy::upstream::balance::cache;
use crate::{t, tn};

/// Each provider's key (never printed) and whether its endpoint answers,
/// through its own proxy and CA; the endpoints are asked at once.
pub(super) fn providers(ctx: &Ctx, cfg: &Config) -> Vec<Check> {
    let mut known = Vec::new();
    let mut out = asked(ctx, cfg, &mut known);
    // An upstream's error may echo the key it refused, and doctor's output
    // is what people paste into bug reports: every key it found, and
    // anything shaped like one, is masked.
    let mask = crate::secrets::Redactor::new(&known);
    for c in &mut out {
        c.detail = mask.redact(&c.detail).into_owned();
        c.fix = c.fix.as_deref().map(|f| mask.redact(f).into_owned());
    }
    out
}

/// The checks, and in `known` each key found.
fn asked(ctx: &Ctx, cfg: &Config, known: &mut Vec<String>) -> Vec<Check> {
    use secrecy::ExposeSecret;
    let mut out = Vec::new();
    let mut asks = Vec::new();
    for p in cfg.providers.values() {
        let key = match ctx.secrets.resolve(p, &*ctx.env) {
            Ok(Some(k)) => {
                known.push(k.secret.expose_secret().to_string());
                out.push(check(
                    "key",
                    Status::Ok,
                    t!("doctor.key_ok", provider = p.name, source = k.source),
                    None,
                ));
                Some(k.secret)
            }
            Ok(None) if p.key.is_none() => None,
            Ok(None) => {
                out.push(check(
                    "key",
                    Status::Fail,
                    t!("doctor.key_missing", provider = p.name),
                    Some(t!("doctor.key_fix", provider = p.name)),
                ));
                continue;
            }
            Err(e) => {
                out.push(check(
                    "key",
                    Status::Fail,
                    format!("{}: {}", p.name, first_line(&e.to_string())),
                    Some(t!("doctor.key_fix", provider = p.name)),
                ));
                continue;
            }
        };
        if p.api.uses_base_url() {
            asks.push((p.clone(), key));
        }
    }
    let Ok(rt) = crate::proxy::runtime() else {
        return out;
    };
    let results = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, (provider, key)) in asks.into_iter().enumerate() {
            let ctx = ctx.clone();
            set.spawn(async move {
                let name = provider.name.clone();
                // Asked beside the model list: both within the same wait.
                let balance =
                    crate::checks::balance::entry(&ctx, &provider, Duration::from_secs(8));
                let list = async {
                    match crate::proxy::Upstream::new(provider.clone(), key) {
                        Ok(up) => {
                            crate::proxy::models::list_models_within(&up, Duration::from_secs(8))
                                .await
                                .map_err(Unreached::List)
                        }
                        Err(e) => Err(Unreached::Client(e.to_string())),
                    }
                };
                let (r, balance) = tokio::join!(list, balance);
                (i, name, r, balance)
            });
        }
        let mut all = Vec::new();
        while let Some(Ok(r)) = set.join_next().await {
            all.push(r);
        }
        all.sort_by_key(|(i, _, _, _)| *i);
        all
    });
    let now = (ctx.now)();
    for (_, name, r, balance) in results {
        out.push(reach(&name, r));
        let balance = balance.and_then(|e| balance_check(&name, &e, now));
        out.extend(balance);
    }
    out
}

/// Why a provider's model list was not had.
enum Unreached {
    List(crate::proxy::models::ListError),
    /// Its client could not be built (a bad CA file, say).
    Client(String),
}

fn reach(name: &str, r: Result<Vec<String>, Unreached>) -> Check {
    use crate::proxy::models::ListError;
    match r {
        Ok(models) => check(
            "reach",
            Status::Ok,
            tn!("doctor.reach_ok", n = models.len(), provider = name),
            None,
        ),
        // Reached; the key was refused.
        Err(Unreached::List(
            e @ ListError::Status {
                status: 401 | 403, ..
            },
        )) => check(
            "reach",
            Status::Fail,
            first_line(&e.to_string()),
            Some(t!("doctor.key_fix", provider = name)),
        ),
        // Reached: some providers have no model list.
        Err(Unreached::List(ListError::Status { status, .. })) => check(
            "reach",
            Status::Ok,
            t!("doctor.reach_no_list", provider = name, status = status),
            None,
        ),
        Err(Unreached::List(e)) => check(
            "reach",
            Status::Fail,
            first_line(&e.to_string()),
            Some(t!("doctor.reach_fix", provider = name)),
        ),
        Err(Unreached::Client(e)) => check(
            "reach",
            Status::Fail,
            format!("{name}: {}", first_line(&e)),
            Some(t!("doctor.reach_fix", provider = name)),
        ),
    }
}

/// `doctor`'s check: the balance (a warning when low or used up), or a
/// warning when the balance API refuses the key. Other failures say
/// nothing: the provider's reach check covers them, and a shape not
/// recognised shows no balance rather than a wrong one.
fn balance_check(name: &str, e: &cache::Entry, now: SystemTime) -> Option<Check> {
    if e.error_code.as_deref() == Some("rejected") {
        return Some(Check {
            id: "balance",
            status: Status::Warn,
            detail: t!(
                "doctor.balance_key",
                provider = name,
                error = e.error.clone().unwrap_or_default()
            ),
            fix: Some(t!("doctor.key_fix", provider = name)),
        });
    }
    let b = e.balance.as_ref()?;
    let mut shown = b.shown()?;
    if e.error.is_some() {
        // An older balance, said as such.
        let ago = crate::config::state::ago(e.had(), now);
        shown.push_str(&t!("balance.age", ago = ago));
    }
    Some(if b.is_low() {
        Check {
            id: "balance",
            status: Status::Warn,
            detail: t!("doctor.balance_low", provider = name, balance = shown),
            fix: Some(t!("doctor.balance_fix", provider = name)),
        }
    } else {
        Check {
            id: "balance",
            status: Status::Ok,
            detail: t!("doctor.balance_ok", provider = name, balance = shown),
            fix: None,
        }
    })
}

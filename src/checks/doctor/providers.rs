//! Each provider's key (found, never shown) and its endpoint (answering,
//! through its own proxy and CA).

use std::time::Duration;

use super::check::{Check, Status, check, first_line};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::{t, tn};

/// Each provider's key (never printed) and whether its endpoint answers,
/// through its own proxy and CA; the endpoints are asked at once.
pub(super) fn providers(ctx: &Ctx, cfg: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    let mut asks = Vec::new();
    for p in cfg.providers.values() {
        let key = match ctx.secrets.resolve(p, &*ctx.env) {
            Ok(Some(k)) => {
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
            set.spawn(async move {
                let name = provider.name.clone();
                let r = match crate::proxy::Upstream::new(provider, key) {
                    Ok(up) => crate::proxy::models::list_models_within(&up, Duration::from_secs(8))
                        .await
                        .map_err(Unreached::List),
                    Err(e) => Err(Unreached::Client(e.to_string())),
                };
                (i, name, r)
            });
        }
        let mut all = Vec::new();
        while let Some(Ok(r)) = set.join_next().await {
            all.push(r);
        }
        all.sort_by_key(|(i, _, _)| *i);
        all
    });
    for (_, name, r) in results {
        out.push(reach(&name, r));
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

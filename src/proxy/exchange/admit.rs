//! A gateway member's request admitted before it goes upstream: counted
//! against their key's rate limits (in the store when replicas share it,
//! else in this process) and, where the store counts, what their budgets
//! spent read in the same call. Or, well within every limit a moment ago,
//! sent on at once with that admission confirmed before the client hears
//! back (`gateway::budget::speculate`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::answer::Answer;
use crate::gateway::auth::Principal;
use crate::gateway::budget::Ahead;
use crate::gateway::budget::speculate::{Admission, Late, Pending};
use crate::proxy::error::ProxyError;
use crate::proxy::handlers::request::Parsed;
use crate::proxy::state::State;
use crate::t;

/// A request admitted: what its budgets spent (read with its count, for
/// the first attempt), and its admission still to confirm, if it went on
/// without it.
pub(super) type Admitted = (Option<Ahead>, Option<Pending>);

/// Admit a gateway member's request (anyone else's passes). A store that
/// cannot answer leaves the count to this process: limits then hold per
/// replica rather than not at all.
pub(super) async fn admit(
    state: &State,
    parts: &http::request::Parts,
    (body, body_len): (&Parsed, usize),
) -> Result<Admitted, ProxyError> {
    let Some(member) = parts.extensions.get::<Arc<Principal>>() else {
        return Ok((None, None));
    };
    let limits = member.limits;
    let rated = !limits.is_empty();
    let shared = state
        .cfg
        .gateway
        .as_ref()
        .map(|g| g.store())
        .filter(|s| s.shares_rates());
    let tokens = body.input_estimate(body_len);
    let Some(store) = shared else {
        if rated {
            local_rate(state, member, tokens)?;
        }
        return Ok((None, None));
    };
    let now = SystemTime::now();
    let counted = match &state.cfg.gate_budget {
        Some(budgeter) => budgeter.admission(member, tokens, now).await,
        None if rated => {
            let secs = crate::gateway::store::spend::unix_secs(now);
            let rate = store.rate_admit(member.key_id, limits, tokens, secs).await;
            rate.map(|r| Admission::Decided {
                wait: r.wait,
                ahead: None,
            })
        }
        None => return Ok((None, None)),
    };
    match counted {
        Ok(Admission::Decided { wait: None, ahead }) => Ok((ahead, None)),
        Ok(Admission::Decided {
            wait: Some(secs), ..
        }) => {
            state.gate_stats.refused("rate_limited");
            Err(rate_limited(member, Duration::from_secs(secs)))
        }
        Ok(Admission::Speculated { ahead, pending }) => Ok((ahead, Some(pending))),
        Err(e) => {
            // Budgets alone: the attempt reads them again, and says so
            // if that fails too.
            if rated {
                warn_local(state, &e);
                local_rate(state, member, tokens)?;
            }
            Ok((None, None))
        }
    }
}

fn warn_local(state: &State, e: &dyn std::fmt::Display) {
    state.log(&format!(
        "warning: {}",
        t!("proxy.gateway_rates_local", error = e)
    ));
}

/// `member`'s request counted by this process alone.
fn local_rate(state: &State, member: &Principal, tokens: u64) -> Result<(), ProxyError> {
    let counted = state
        .limiter
        .admit(member.key_id, &member.limits, tokens, Instant::now());
    counted.map_err(|wait| {
        state.gate_stats.refused("rate_limited");
        rate_limited(member, wait)
    })
}

/// `exchange`, the upstream half of a request that went on before its
/// admission, with `pending` (that admission) alongside: its answer is
/// judged before the reply is passed on. A refusal that comes first
/// drops the exchange, so the upstream request is cancelled as early as
/// it can be. `hold`: the request's own budget reservation.
pub(super) async fn confirmed(
    state: &State,
    member: &Principal,
    pending: Pending,
    hold: Option<u64>,
    exchange: impl Future<Output = Result<Answer, ProxyError>>,
) -> Result<Answer, ProxyError> {
    let mut exchange = std::pin::pin!(exchange);
    let mut verdict = std::pin::pin!(pending.confirm(hold));
    // Biased: the upstream request leaves first and the admission's
    // statement right after it. The other order delayed the upstream
    // request behind the database's wake-up (with PostgreSQL on the same
    // 2 cores, one sitting: 0.59–0.61 ms added at p50 against 0.66–0.79).
    let answered = tokio::select! {
        biased;
        r = &mut exchange => r,
        v = &mut verdict => {
            judge(state, member, v)?;
            return exchange.await;
        }
    };
    // Refused now, a reply already read is dropped unseen: the client
    // gets the refusal it would have had before the request went.
    judge(state, member, verdict.await)?;
    answered
}

/// `pending`, the admission of a request refused before it went upstream:
/// awaited all the same, so the store counts the request as it would have
/// had it waited; its rate limits' refusal, if any (its budgets already
/// refused it).
pub(super) async fn unsent(
    state: &State,
    member: &Principal,
    pending: Pending,
) -> Result<(), ProxyError> {
    match pending.confirm(None).await {
        Err(Late::Over(_) | Late::Unchecked { budgeted: true, .. }) => Ok(()),
        v => verdict(state, member, v),
    }
}

/// The store's late verdict on a request already sent upstream: a refusal
/// is also counted and logged as one that came late.
fn judge(state: &State, member: &Principal, v: Result<(), Late>) -> Result<(), ProxyError> {
    let refusal = verdict(state, member, v).err();
    let Some(refusal) = refusal else {
        return Ok(());
    };
    state.gate_stats.refused_late();
    state.log(&format!(
        "warning: {}",
        t!(
            "proxy.gateway_refused_late",
            prefix = member.key_prefix,
            error = refusal
        )
    ));
    Err(refusal)
}

/// The store's verdict on a request admitted ahead of it, as the refusal
/// the client gets.
fn verdict(state: &State, member: &Principal, v: Result<(), Late>) -> Result<(), ProxyError> {
    let refusal = match v {
        Ok(()) => return Ok(()),
        Err(Late::RateLimited(secs)) => {
            state.gate_stats.refused("rate_limited");
            rate_limited(member, Duration::from_secs(secs))
        }
        Err(Late::Over(m)) => {
            state.gate_stats.refused("budget");
            ProxyError::Budget(m)
        }
        Err(Late::Unchecked {
            error,
            budgeted,
            tokens,
        }) => {
            warn_local(state, &error);
            if budgeted {
                // As `reserve` does when the store cannot answer: a budget
                // that cannot be checked is not passed.
                ProxyError::Unavailable(t!("gateway.budget_unchecked"))
            } else {
                // Counted here instead, as a request the store failed to
                // admit beforehand would have been.
                match local_rate(state, member, tokens) {
                    Ok(()) => return Ok(()),
                    Err(e) => e,
                }
            }
        }
    };
    Err(refusal)
}

/// A gateway key over its rate limit: 429 with `retry-after`, which
/// Claude Code (and Anthropic's SDKs) wait out before trying again.
fn rate_limited(member: &Principal, wait: Duration) -> ProxyError {
    // Rounded up: a client that comes back after a rounded-down wait is
    // early, and is refused again.
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    ProxyError::Upstream {
        status: 429,
        message: t!(
            "proxy.gateway_rate_limited",
            prefix = member.key_prefix,
            secs = secs
        ),
        retry_after: Some(http::HeaderValue::from(secs)),
    }
}

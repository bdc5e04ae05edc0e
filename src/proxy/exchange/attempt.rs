//! One target's try of a request: its budget checked (and held while the
//! request runs), then the exchange with its upstream, recorded as its own
//! ledger row.

use std::sync::Arc;
use std::time::Instant;

use super::admit::{confirmed, unsent};
use super::answer::Answer;
use super::cloud::cloud;
use super::forward::{anthropic, openai};
use crate::config::Api;
use crate::gateway::auth::Principal;
use crate::gateway::budget::{Ahead, Refused};
use crate::proxy::error::ProxyError;
use crate::proxy::finish::{Finisher, RequestMeta};
use crate::proxy::handlers::request::ClientRequest;
use crate::proxy::state::State;
use crate::proxy::upstream::Upstream;
use crate::t;
use crate::usage::budget::Verdict;
use crate::usage::budget::checker::{Checker, Estimate, Hold};
use crate::usage::prices::Tokens;

/// One target's try: its budget, then its upstream, recorded as its own
/// ledger row. `is_last`: an empty reply is passed on as it is, since no
/// target is left to do better.
pub(super) async fn attempt(
    state: &Arc<State>,
    parts: &http::request::Parts,
    mut inc: ClientRequest,
    meta: RequestMeta<'_>,
    raw: Option<bytes::Bytes>,
    is_last: bool,
    started: Instant,
) -> Result<Answer, ProxyError> {
    let up = state
        .cfg
        .upstreams
        .get(meta.provider)
        .cloned()
        .ok_or_else(|| ProxyError::BadRequest(t!("proxy.no_upstream", provider = meta.provider)))?;
    let model = meta.model;
    let mut fin = Finisher::new(state.clone(), meta, started);
    if let Some(raw) = raw {
        fin.audit(raw);
    }
    let pending = inc.pending.take();
    let member = parts.extensions.get::<Arc<Principal>>();
    let mut hold = None;
    if state.cfg.budget.is_some() || state.cfg.gate_budget.is_some() {
        // What this request may cost: its input, and all it may write
        // (capped at what the model can write).
        let max_output = up.provider.models.get(model).and_then(|m| m.max_output);
        let estimate = Estimate {
            input_tokens: inc.body.input_estimate(inc.body_len),
            max_tokens: match (inc.body.max_tokens(), max_output) {
                (Some(n), Some(cap)) => n.min(cap),
                (n, cap) => n.or(cap).unwrap_or(0),
            },
        };
        let target = (up.provider.name.as_str(), model);
        match budgets(state, parts, target, estimate, inc.ahead.take(), &mut fin).await {
            Ok(h) => hold = h,
            Err(e_budget) => {
                // The admission still runs, so the request is counted as
                // it would have been had it waited; and a refusal by it
                // comes first, as it would have.
                let e = match (pending, member) {
                    (Some(pending), Some(member)) => unsent(state, member, pending).await.err(),
                    _ => None,
                };
                let e = e.unwrap_or(e_budget);
                fin.failed(&e);
                return Err(e);
            }
        }
    }
    // Boxed: the exchange is a large future, and held both alone and
    // inside `confirmed` it would make every attempt's future (and a
    // debug build's stack) about twice as big.
    let exchange = Box::pin(exchange(state, &up, model, parts, inc, &mut fin, !is_last));
    let result = match (pending, member) {
        (Some(pending), Some(member)) => confirmed(state, member, pending, hold, exchange).await,
        _ => exchange.await,
    };
    if let Err(e) = &result {
        fin.failed(e);
    }
    result
}

/// The exchange with the target's upstream, by its API. `empty_fails`: an
/// empty reply is an error (a later target may do better).
async fn exchange(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    parts: &http::request::Parts,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Answer, ProxyError> {
    match up.provider.api {
        Api::Anthropic => anthropic(state, up, model, parts, inc, fin, empty_fails).await,
        Api::Bedrock | Api::Vertex => cloud(state, up, model, parts, inc, fin, empty_fails).await,
        _ => openai(state, up, model, &parts.headers, inc, fin, empty_fails).await,
    }
}

/// The profile's budgets, then (on a team gateway) the member's: the
/// request goes only if both let it, holding its estimate of each.
/// Returns the member's hold, if one was taken.
async fn budgets(
    state: &Arc<State>,
    parts: &http::request::Parts,
    (provider, model): (&str, &str),
    estimate: Estimate,
    ahead: Option<Ahead>,
    fin: &mut Finisher,
) -> Result<Option<u64>, ProxyError> {
    if let Some(checker) = &state.cfg.budget {
        fin.hold(budget(state, checker, provider, model, estimate).await?);
    }
    let member = parts.extensions.get::<Arc<Principal>>();
    if let (Some(budgeter), Some(member)) = (&state.cfg.gate_budget, member) {
        let tokens = Tokens {
            input: estimate.input_tokens,
            output: estimate.max_tokens,
            ..Tokens::default()
        };
        let now = std::time::SystemTime::now();
        match budgeter
            .reserve(member, provider, model, tokens, now, ahead)
            .await
        {
            Ok(r) => {
                let id = r.hold_id();
                fin.spend(r);
                return Ok(Some(id));
            }
            Err(Refused::Over(m)) => {
                state.gate_stats.refused("budget");
                return Err(ProxyError::Budget(m));
            }
            Err(e @ Refused::Unavailable(_)) => {
                // The store's own error for the operator; the client gets
                // the plain sentence, which names no host or file.
                let source = std::error::Error::source(&e).map(ToString::to_string);
                state.log(&format!("warning: {e}: {}", source.unwrap_or_default()));
                return Err(ProxyError::Unavailable(e.to_string()));
            }
        }
    }
    Ok(None)
}

/// Whether the budgets let a request to `provider` go, and what it holds
/// of them while it runs. The check reads SQLite, so it runs on the
/// blocking pool.
async fn budget(
    state: &Arc<State>,
    checker: &Arc<Checker>,
    provider: &str,
    model: &str,
    estimate: Estimate,
) -> Result<Option<Hold>, ProxyError> {
    let (checker, provider, model) = (checker.clone(), provider.to_string(), model.to_string());
    let now_ms = crate::usage::unix_ms(std::time::SystemTime::now());
    let (verdict, hold) =
        tokio::task::spawn_blocking(move || checker.check(&provider, &model, estimate, now_ms))
            .await
            .unwrap_or((Verdict::Go, None));
    match verdict {
        Verdict::Go => Ok(hold),
        Verdict::Warn(lines) => {
            for l in lines {
                state.log(&format!("warning: {l}"));
            }
            Ok(hold)
        }
        Verdict::Stop(message) => Err(ProxyError::Budget(message)),
    }
}

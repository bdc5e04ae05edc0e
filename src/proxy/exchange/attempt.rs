//! One target's try of a request: its budget checked (and held while the
//! request runs), then the exchange with its upstream, recorded as its own
//! ledger row.

use std::sync::Arc;
use std::time::Instant;

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
        if let Err(e) = budgets(state, parts, target, estimate, inc.ahead.take(), &mut fin).await {
            fin.failed(&e);
            return Err(e);
        }
    }
    let empty_fails = !is_last;
    let result = match up.provider.api {
        Api::Anthropic => anthropic(state, &up, model, parts, inc, &mut fin, empty_fails).await,
        Api::Bedrock | Api::Vertex => {
            cloud(state, &up, model, parts, inc, &mut fin, empty_fails).await
        }
        _ => {
            openai(
                state,
                &up,
                model,
                &parts.headers,
                inc,
                &mut fin,
                empty_fails,
            )
            .await
        }
    };
    if let Err(e) = &result {
        fin.failed(e);
    }
    result
}

/// The profile's budgets, then (on a team gateway) the member's: the
/// request goes only if both let it, holding its estimate of each.
async fn budgets(
    state: &Arc<State>,
    parts: &http::request::Parts,
    (provider, model): (&str, &str),
    estimate: Estimate,
    ahead: Option<Ahead>,
    fin: &mut Finisher,
) -> Result<(), ProxyError> {
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
            Ok(r) => fin.spend(r),
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
    Ok(())
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

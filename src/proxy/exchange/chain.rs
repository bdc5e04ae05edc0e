//! A Messages request routed to a slot and sent along its fallback chain,
//! one attempt per target, until one answers or none is left.

use std::sync::Arc;
use std::time::Instant;

use super::admit::admit;
use super::answer::Answer;
use super::attempt::attempt;
use crate::gateway::auth::Principal;
use crate::proxy::breaker::Admit;
use crate::proxy::error::ProxyError;
use crate::proxy::fallback;
use crate::proxy::finish::RequestMeta;
use crate::proxy::handlers::request::ClientRequest;
use crate::proxy::route::{Fits, by_content, route};
use crate::proxy::state::State;
use crate::t;
use crate::usage::Attribution;
use crate::usage::project;

/// A request through its slot's chain: each target in turn (skipping open
/// breakers) until one answers or none is left.
pub async fn dispatch(
    state: &Arc<State>,
    parts: &http::request::Parts,
    mut inc: ClientRequest,
    started: Instant,
) -> Result<Answer, ProxyError> {
    let (mut ahead, mut pending) = admit(state, parts, (&inc.body, inc.body_len)).await?;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let mut cc_session = header("x-claude-code-session-id").map(str::to_string);
    // The header is enough to know; the body is read only when the answer
    // matters (a subagent slot to route to) and the header is missing.
    let subagent = header("x-claude-code-agent-id").is_some()
        || (state.cfg.profile.subagent.is_some() && inc.body.marks_subagent());
    let who = attribution(parts);
    let profile = &state.cfg.profile;
    let chosen = if inc.body.is_classifier() {
        ("classifier", profile.classifier_slot())
    } else {
        route(profile, &state.cfg.menu, &inc.requested, subagent)
    };
    let (slot_name, slot) = if profile.vision.is_none() && profile.long_context.is_none() {
        chosen
    } else {
        let provider = state
            .cfg
            .upstreams
            .get(&chosen.1.provider)
            .map(|u| &u.provider);
        let fits = Fits::of(provider, &chosen.1.model, profile);
        let estimate = || inc.body.input_estimate(inc.body_len);
        by_content(profile, chosen, &fits, estimate, || inc.body.has_images())
    };
    refusals(state, slot_name, slot, &inc)?;
    let raw = inc.raw.take();
    let last = slot.fallbacks.len();
    // Breakers only ever skip a chain's earlier targets: a one-target slot
    // keeps no breaker bookkeeping on its path.
    let chained = last > 0;
    // A one-target slot moves its body into the one attempt; a chain keeps
    // it for the next target until the last.
    let mut body = Some(inc.body);
    let mut failures = Vec::new();
    // Attempts that ran and failed (breaker skips never ran).
    let mut failed_attempts = 0u64;
    for (i, (provider, model)) in slot.targets().enumerate() {
        let is_last = i == last;
        if !is_last && let Admit::No(left) = state.breakers.admit(provider, model, breaker_now()) {
            let why = t!("proxy.breaker_skipped", secs = left.as_secs().max(1));
            failures.push((
                fallback::name(provider, model),
                ProxyError::Unreachable(why),
            ));
            continue;
        }
        let mut waited = false;
        loop {
            let parsed = if is_last { body.take() } else { body.clone() };
            let one = ClientRequest {
                body: parsed.ok_or_else(|| ProxyError::BadRequest(t!("proxy.no_messages")))?,
                body_len: inc.body_len,
                requested: inc.requested.clone(),
                stream: inc.stream,
                raw: None,
                ahead: ahead.take(),
                pending: pending.take(),
            };
            let meta = RequestMeta {
                requested: &inc.requested,
                slot: slot_name,
                provider,
                model,
                stream: inc.stream,
                cc_session: if is_last {
                    cc_session.take()
                } else {
                    cc_session.clone()
                },
                subagent,
                attempt: u32::try_from(i).unwrap_or(u32::MAX),
                who: who.clone(),
            };
            let began = if i == 0 && !waited {
                started
            } else {
                Instant::now()
            };
            let e = match attempt(state, parts, one, meta, raw.clone(), is_last, began).await {
                Ok(answer) => {
                    if chained && let Some(change) = state.breakers.success(provider, model) {
                        state.breaker_notes.changed(provider, model, &change);
                    }
                    if failed_attempts > 0 {
                        state.stats.note_recovered(failed_attempts);
                    }
                    return Ok(answer);
                }
                Err(e) => {
                    failed_attempts += 1;
                    e
                }
            };
            let target = fallback::name(provider, model);
            let final_failure =
                is_last || !matches!(fallback::next(&e, waited), fallback::Next::Wait(_));
            if chained
                && final_failure
                && fallback::counts(&e)
                && let Some(change) = state.breakers.failure(provider, model, breaker_now())
            {
                state.breaker_notes.changed(provider, model, &change);
            }
            if is_last {
                if failures.is_empty() {
                    return Err(e);
                }
                failures.push((target, e));
                return Err(fallback::all_failed(failures));
            }
            match fallback::next(&e, waited) {
                fallback::Next::Stop => {
                    let message = format!("{target}: {e}");
                    return Err(e.reworded(message));
                }
                fallback::Next::Wait(d) => {
                    tokio::time::sleep(d).await;
                    waited = true;
                }
                fallback::Next::MoveOn => {
                    if let Some((p, m)) = slot.targets().nth(i + 1) {
                        state.log(&t!(
                            "proxy.falling_back",
                            requested = inc.requested,
                            slot = slot_name,
                            target = target,
                            next = fallback::name(p, m)
                        ));
                    }
                    failures.push((target, e));
                    break;
                }
            }
        }
    }
    // Unreachable: the last target returns above.
    Err(fallback::all_failed(failures))
}

/// What the chosen slot must refuse before anything goes upstream.
fn refusals(
    state: &State,
    slot_name: &str,
    slot: &crate::config::Slot,
    inc: &ClientRequest,
) -> Result<(), ProxyError> {
    if inc.body.has_safeguards() {
        refuse_safeguards(state, slot)?;
    }
    if !state.cfg.menu.is_empty() && slot_name != "long_context" {
        refuse_over_window(state, slot, inc)?;
    }
    Ok(())
}

/// Who the request is for: the member a team gateway admitted it by (put
/// in the extensions by `server::dispatch`), and the project label the
/// client sent.
fn attribution(parts: &http::request::Parts) -> Attribution {
    let member = parts.extensions.get::<Arc<Principal>>();
    let project = parts
        .headers
        .get(project::HEADER)
        .and_then(|v| project::from_header(v.as_bytes()));
    Attribution {
        member: member.map(|p| p.member.as_str().into()),
        team: member.map(|p| p.team.as_str().into()),
        key_prefix: member.map(|p| p.key_prefix.as_str().into()),
        project: project.map(Into::into),
    }
}

/// Auto mode asks the upstream to run its safety check (`safeguards`).
/// Where a target of the slot cannot, the request is refused as Claude
/// Code's gateway contract says: a 400 whose message names `safeguards`
/// makes it send the turn again at once without them and check actions
/// itself. Passing the field to an upstream that ignores it would leave
/// the check to chance.
fn refuse_safeguards(state: &State, slot: &crate::config::Slot) -> Result<(), ProxyError> {
    let unable = slot.targets().find(|(provider, _)| {
        state
            .cfg
            .upstreams
            .get(*provider)
            .is_none_or(|u| !u.provider.quirks.safeguards)
    });
    match unable {
        // The prefix is the contract's, not a message for people.
        Some((provider, _)) => Err(ProxyError::BadRequest(format!(
            "safeguards: {}",
            t!("proxy.safeguards_refused", provider = provider)
        ))),
        None => Ok(()),
    }
}

/// With a menu, `/model` may move a conversation to a model with a smaller
/// window than the one Claude Code was told (the smallest of the menu, when
/// known; it cannot be told per model). A request the model cannot take is
/// refused the way Anthropic's API refuses one: Claude Code reads this
/// message (its numbers included) and compacts the conversation, where the
/// upstream's own refusal would end the turn. The estimate is rough, so
/// only menu profiles, which need it, pay for it.
fn refuse_over_window(
    state: &State,
    slot: &crate::config::Slot,
    inc: &ClientRequest,
) -> Result<(), ProxyError> {
    let provider = state.cfg.upstreams.get(&slot.provider).map(|u| &u.provider);
    let Some(window) = Fits::of(provider, &slot.model, &state.cfg.profile).context else {
        return Ok(());
    };
    let tokens = inc.body.input_estimate(inc.body_len);
    if tokens <= window {
        return Ok(());
    }
    // Claude Code's wording, not a message for people.
    Err(ProxyError::BadRequest(format!(
        "prompt is too long: {tokens} tokens > {window} maximum"
    )))
}

/// The breakers' clock: tokio's, which is the system's in a running proxy,
/// so a test can hold it still and step over a cooldown instead of
/// sleeping through it and hoping nothing else ran late.
fn breaker_now() -> Instant {
    tokio::time::Instant::now().into_std()
}

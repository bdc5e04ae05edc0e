//! `POST /v1/messages`: route the requested model to a slot's upstream and
//! forward (Anthropic kind) or translate (OpenAI kind).

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;

use super::request::{ClientRequest, read_request};
use crate::config::Api;
use crate::proxy::body::{Body, json_response};
use crate::proxy::breaker::{Admit, Change};
use crate::proxy::error::{ProxyError, upstream_message};
use crate::proxy::fallback;
use crate::proxy::finish::{Finisher, RequestMeta};
use crate::proxy::route::{Fits, by_content, route};
use crate::proxy::state::State;
use crate::proxy::streams;
use crate::proxy::streams::hold::{self, Held, Wire};
use crate::proxy::translate::anthropic::{MessagesRequest, Usage};
use crate::proxy::translate::common::client_headers;
use crate::proxy::translate::passthrough::{self, anthropic_headers, merge_usage};
use crate::proxy::translate::{openai::ChatResponse, replay, request, response};
use crate::proxy::upstream::Upstream;
use crate::proxy::upstream::send::{is_event_stream, read_whole, send};
use crate::t;
use crate::usage::budget::{Checker, Verdict};

pub async fn handle(
    state: &Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, ProxyError> {
    let started = Instant::now();
    let typed = state.single_api == Some(Api::Openai);
    let (parts, mut inc) = read_request(req, typed, state.cfg.audit.is_some()).await?;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let cc_session = header("x-claude-code-session-id").map(str::to_string);
    // The header is enough to know; the body is read only when the answer
    // matters (a subagent slot to route to) and the header is missing.
    let subagent = header("x-claude-code-agent-id").is_some()
        || (state.cfg.profile.subagent.is_some() && inc.body.marks_subagent());
    let chosen = route(&state.cfg.profile, &inc.requested, subagent);
    let profile = &state.cfg.profile;
    let (slot_name, slot) = if profile.vision.is_none() && profile.long_context.is_none() {
        chosen
    } else {
        let provider = state
            .cfg
            .upstreams
            .get(&chosen.1.provider)
            .map(|u| &u.provider);
        let fits = Fits::of(provider, &chosen.1.model, profile);
        let estimate = crate::proxy::translate::common::estimate_tokens(inc.body_len);
        by_content(profile, chosen, &fits, estimate, || inc.body.has_images())
    };
    let raw = inc.raw.take();
    let last = slot.fallbacks.len();
    // A one-target slot moves its body into the one attempt; a chain keeps
    // it for the next target until the last.
    let mut body = Some(inc.body);
    let mut failures = Vec::new();
    for (i, (provider, model)) in slot.targets().enumerate() {
        let is_last = i == last;
        if !is_last && let Admit::No(left) = state.breakers.admit(provider, model, Instant::now()) {
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
            };
            let meta = RequestMeta {
                requested: &inc.requested,
                slot: slot_name,
                provider,
                model,
                stream: inc.stream,
                cc_session: cc_session.clone(),
                subagent,
                attempt: u32::try_from(i).unwrap_or(u32::MAX),
            };
            let began = if i == 0 && !waited {
                started
            } else {
                Instant::now()
            };
            let e = match attempt(state, &parts, one, meta, raw.clone(), is_last, began).await {
                Ok(resp) => {
                    if let Some(change) = state.breakers.success(provider, model) {
                        breaker_note(state, provider, model, &change);
                    }
                    return Ok(resp);
                }
                Err(e) => e,
            };
            let target = fallback::name(provider, model);
            let final_failure =
                is_last || !matches!(fallback::next(&e, waited), fallback::Next::Wait(_));
            if final_failure
                && fallback::counts(&e)
                && let Some(change) = state.breakers.failure(provider, model, Instant::now())
            {
                breaker_note(state, provider, model, &change);
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

/// A breaker opening or closing, in the log.
fn breaker_note(state: &State, provider: &str, model: &str, change: &Change) {
    let target = fallback::name(provider, model);
    let secs = state.breakers.cooldown().as_secs();
    state.log(&match change {
        Change::Opened { failures } => {
            t!(
                "proxy.breaker_open",
                target = target,
                n = failures,
                secs = secs
            )
        }
        Change::Reopened => t!("proxy.breaker_reopen", target = target, secs = secs),
        Change::Closed => t!("proxy.breaker_closed", target = target),
    });
}

/// One target's try: its budget, then its upstream, recorded as its own
/// ledger row. `is_last`: an empty reply is passed on as it is, since no
/// target is left to do better.
async fn attempt(
    state: &Arc<State>,
    parts: &http::request::Parts,
    inc: ClientRequest,
    meta: RequestMeta<'_>,
    raw: Option<bytes::Bytes>,
    is_last: bool,
    started: Instant,
) -> Result<Response<Body>, ProxyError> {
    let up = state
        .cfg
        .upstreams
        .get(meta.provider)
        .cloned()
        .ok_or_else(|| ProxyError::BadRequest(t!("proxy.no_upstream", provider = meta.provider)))?;
    if let Some(checker) = &state.cfg.budget {
        budget(state, checker, &up.provider.name)
            .await
            .map_err(|e| {
                state.log(&format!(
                    "{} -> {} {}/{} refused: {e}",
                    inc.requested, meta.slot, up.provider.name, meta.model
                ));
                e
            })?;
    }
    let model = meta.model;
    let mut fin = Finisher::new(state.clone(), meta, started);
    if let Some(raw) = raw {
        fin.audit(raw);
    }
    let empty_fails = !is_last;
    let result = match up.provider.api {
        Api::Anthropic => anthropic(&up, model, parts, inc, &mut fin, empty_fails).await,
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

/// A stream from a target that has a fallback, held until its first
/// content (see `streams::hold`): one that ends empty or fails before it
/// becomes the error that moves the request on. Others pass untouched.
async fn hold(
    resp: crate::proxy::upstream::reply::Reply,
    wire: Wire,
    up: &Upstream,
    model: &str,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<crate::proxy::upstream::reply::Reply, ProxyError> {
    if !empty_fails {
        return Ok(resp);
    }
    match hold::until_content(resp, wire, up.provider.timeouts.idle).await {
        Held::Content(r) => Ok(r),
        Held::Empty => Err(empty_reply(fin, up, model, &Usage::default())),
        Held::Failed(e) => Err(e),
    }
}

/// An empty reply from a target that has a fallback: recorded with its
/// usage, then the error that moves the request on.
fn empty_reply(fin: &mut Finisher, up: &Upstream, model: &str, usage: &Usage) -> ProxyError {
    let message = t!(
        "proxy.empty_reply",
        target = fallback::name(&up.provider.name, model)
    );
    fin.done(200, Some(usage), Some(&message));
    ProxyError::EmptyReply(message)
}

/// Whether the budgets let a request to `provider` go. The check waits on
/// the ledger's writer and reads SQLite, so it runs on the blocking pool.
async fn budget(
    state: &Arc<State>,
    checker: &Arc<Checker>,
    provider: &str,
) -> Result<(), ProxyError> {
    let (checker, provider) = (checker.clone(), provider.to_string());
    let now_ms = crate::usage::unix_ms(std::time::SystemTime::now());
    let verdict = tokio::task::spawn_blocking(move || checker.check(&provider, now_ms))
        .await
        .unwrap_or(Verdict::Go);
    match verdict {
        Verdict::Go => Ok(()),
        Verdict::Warn(lines) => {
            for l in lines {
                state.log(&format!("warning: {l}"));
            }
            Ok(())
        }
        Verdict::Stop(message) => Err(ProxyError::Budget(message)),
    }
}

/// A request body for the upstream, in a buffer sized like the client's
/// (growing a buffer for a long conversation copied it many times over).
fn encode(body: &impl serde::Serialize, like: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(like + like / 8 + 256);
    // Serializing maps with string keys into memory cannot fail.
    let _ = serde_json::to_writer(&mut out, body);
    out
}

fn max_output(up: &Upstream, model: &str) -> Option<u64> {
    up.provider.model(model).max_output
}

async fn anthropic(
    up: &Arc<Upstream>,
    model: &str,
    parts: &http::request::Parts,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Response<Body>, ProxyError> {
    let mut body = inc.body.into_raw()?;
    let notes =
        passthrough::rewrite_request(&mut body, model, &up.provider.quirks, max_output(up, model));
    fin.notes(notes);
    let url = up
        .messages_url
        .as_ref()
        .ok_or_else(|| ProxyError::BadRequest(up.url("/v1/messages")))?;
    let extra = anthropic_headers(&up.quirks, &parts.headers);
    let body = encode(&body, inc.body_len);
    let resp = send(up, url, parts.uri.query(), extra, body).await?;
    if is_event_stream(&resp) {
        let resp = hold(resp, Wire::Anthropic, up, model, fin, empty_fails).await?;
        return Ok(streams::passthrough(
            resp,
            up.provider.timeouts.idle,
            fin.take(),
        ));
    }
    let status = resp.status();
    let bytes = read_whole(up, resp).await?;
    // Only `usage` and how many content blocks are read; the rest of the
    // message is skipped, not built.
    #[derive(serde::Deserialize)]
    struct UsageOnly {
        usage: Option<Value>,
        content: Option<Vec<serde::de::IgnoredAny>>,
    }
    let mut usage = Usage::default();
    let read = serde_json::from_slice::<UsageOnly>(&bytes).ok();
    if let Some(u) = read.as_ref().and_then(|r| r.usage.as_ref()) {
        merge_usage(&mut usage, u);
    }
    let empty = read.is_some_and(|r| r.content.is_none_or(|c| c.is_empty()));
    if empty_fails && empty && status.is_success() {
        return Err(empty_reply(fin, up, model, &usage));
    }
    fin.sent(&bytes);
    fin.done(status.as_u16(), Some(&usage), None);
    Ok(json_response(status, bytes))
}

async fn openai(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    client: &HeaderMap,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Response<Body>, ProxyError> {
    let req: MessagesRequest = inc.body.into_typed()?;
    let target = request::Target {
        model,
        quirks: &up.provider.quirks,
        max_output: max_output(up, model),
        stream: inc.stream,
    };
    let translated = request::to_openai(&req, &target);
    fin.notes(translated.notes);
    let renamed_tools = translated.renamed_tools;
    let body = encode(&translated.request, inc.body_len);
    let url = up
        .chat_url
        .as_ref()
        .ok_or_else(|| ProxyError::BadRequest(up.url("/chat/completions")))?;
    let resp = send(up, url, None, client_headers(client), body).await?;
    let message_id = state.message_id();
    if inc.stream && is_event_stream(&resp) {
        let resp = hold(resp, Wire::OpenAi, up, model, fin, empty_fails).await?;
        let cfg = crate::proxy::translate::stream::StreamConfig {
            message_id,
            model: inc.requested.clone(),
            // A byte-based estimate: exact counting costs more than the whole
            // proxy hop, and the real usage replaces it in message_delta.
            input_estimate: crate::proxy::translate::common::estimate_tokens(inc.body_len),
            quirks: up.quirks.clone(),
            renamed_tools,
        };
        return Ok(streams::translated(
            resp,
            cfg,
            up.provider.timeouts.idle,
            fin.take(),
        ));
    }
    let bytes = read_whole(up, resp).await?;
    let chat: ChatResponse = serde_json::from_slice(&bytes)
        .map_err(|e| ProxyError::BadUpstream(t!("proxy.bad_upstream_json", error = e)))?;
    if let Some(err) = &chat.error {
        let message = upstream_message(502, err.to_string().as_bytes());
        return Err(ProxyError::BadUpstream(message));
    }
    let ctx = response::ResponseCtx {
        message_id: &message_id,
        model: &inc.requested,
        quirks: &up.quirks,
        renamed_tools: &renamed_tools,
    };
    let msg = response::from_openai(&chat, &ctx);
    if empty_fails && msg.content.is_empty() {
        return Err(empty_reply(fin, up, model, &msg.usage));
    }
    let resp = if inc.stream {
        // The upstream ignored `stream: true`; Claude Code still gets a stream.
        streams::whole(&replay::events(&msg), fin)
    } else {
        let body = bytes::Bytes::from(serde_json::to_vec(&msg).unwrap_or_default());
        fin.sent(&body);
        json_response(StatusCode::OK, body)
    };
    fin.done(200, Some(&msg.usage), None);
    Ok(resp)
}

//! One target's exchange: the request sent as that target needs it (passed
//! through to an Anthropic-kind upstream, translated for an OpenAI-kind
//! one) and its reply brought back in Anthropic's shape, streamed or whole.

use std::sync::Arc;

use http::{HeaderMap, Response, StatusCode};
use serde_json::Value;

use super::request::ClientRequest;
use crate::proxy::body::{Body, json_response};
use crate::proxy::error::{ProxyError, upstream_message};
use crate::proxy::fallback;
use crate::proxy::finish::Finisher;
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
        Held::Empty(sent) => Err(empty_reply(fin, up, model, &sse_usage(&sent, wire))),
        Held::Failed(e) => Err(e),
    }
}

/// The usage an SSE reply reported: Anthropic's `message_start` and
/// `message_delta` usage, or an OpenAI chunk's `usage`.
fn sse_usage(sent: &[u8], wire: Wire) -> Usage {
    let mut usage = Usage::default();
    let text = String::from_utf8_lossy(sent);
    let events = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok());
    for event in events {
        match wire {
            Wire::Anthropic => {
                let u = event
                    .pointer("/message/usage")
                    .or_else(|| event.get("usage"));
                if let Some(u) = u {
                    merge_usage(&mut usage, u);
                }
            }
            Wire::OpenAi => {
                let u = event.get("usage").filter(|u| !u.is_null()).and_then(|u| {
                    serde_json::from_value::<crate::proxy::translate::openai::ChatUsage>(u.clone())
                        .ok()
                });
                if let Some(u) = u {
                    usage = crate::proxy::translate::common::usage(&u);
                }
            }
        }
    }
    usage
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

pub async fn anthropic(
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

pub async fn openai(
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
    let web_search = translated.web_search;
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
        web_search: web_search.as_deref(),
        stop_sequences: req.stop_sequences.as_deref().unwrap_or_default(),
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

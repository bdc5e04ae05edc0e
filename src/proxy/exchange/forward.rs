//! One target's exchange: the request sent as that target needs it (passed
//! through to an Anthropic-kind upstream, translated for an OpenAI-kind
//! one) and its reply brought back in Anthropic's shape, streamed or whole.

use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::answer::Answer;
use crate::proxy::error::{ProxyError, upstream_message};
use crate::proxy::fallback;
use crate::proxy::finish::Finisher;
use crate::proxy::finish::committed;
use crate::proxy::handlers::request::ClientRequest;
use crate::proxy::state::State;
use crate::proxy::streams;
use crate::proxy::streams::hold::{self, Held, Wire};
use crate::proxy::translate::anthropic::{MessagesRequest, Usage};
use crate::proxy::translate::common::client_headers;
use crate::proxy::translate::passthrough::{
    self, SseTagger, UsageSniffer, anthropic_headers, merge_usage, tag_message,
};
use crate::proxy::translate::provenance::Provenance;
use crate::proxy::translate::sse::SseDecoder;
use crate::proxy::translate::stream::{StreamConfig, StreamTranslator};
use crate::proxy::translate::{openai::ChatResponse, replay, request, response};
use crate::proxy::upstream::Upstream;
use crate::proxy::upstream::send::{is_event_stream, read_whole, send};
use crate::{t, tn};

/// A stream from a target that has a fallback, held until its first
/// content (see `streams::hold`): one that ends empty or fails before it
/// becomes the error that moves the request on. `usage` reads what an
/// empty one sent, with the reader its stream would have had.
async fn hold(
    resp: crate::proxy::upstream::reply::Reply,
    wire: Wire,
    up: &Upstream,
    model: &str,
    fin: &mut Finisher,
    usage: impl FnOnce(&[u8]) -> Usage,
) -> Result<crate::proxy::upstream::reply::Reply, ProxyError> {
    match hold::until_content(resp, wire, up.provider.timeouts.idle).await {
        Held::Content(r) => Ok(r),
        Held::Empty(sent) => Err(empty_reply(fin, up, model, &usage(&sent))),
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
    // Moved on to the next target: nothing was answered to wait for.
    let _ = fin.done(200, Some(usage), Some(&message));
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

pub(super) fn max_output(up: &Upstream, model: &str) -> Option<u64> {
    up.provider.model(model).max_output
}

/// The quirks a request to `model` is rewritten by: a model the config
/// says takes no images (DeepSeek's, behind an endpoint that accepts
/// them for others) gets a notice in each image's place, not an image
/// it would refuse or ignore.
pub(super) fn quirks_for<'a>(up: &'a Upstream, model: &str) -> &'a crate::config::Quirks {
    if up.quirks.images && up.provider.model(model).vision == Some(false) {
        &up.text_only
    } else {
        &up.provider.quirks
    }
}

/// The exchange with an Anthropic-kind upstream: the request passed
/// through with the provider's fixes.
pub async fn anthropic(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    parts: &http::request::Parts,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Answer, ProxyError> {
    let mut body = inc.body.into_raw()?;
    let to = state.provenance(&up.provider.name);
    let notes = passthrough::rewrite_request(
        &mut body,
        model,
        quirks_for(up, model),
        max_output(up, model),
        &to,
    );
    fin.notes(notes);
    let url = up
        .messages_url
        .as_ref()
        .ok_or_else(|| ProxyError::BadRequest(up.url("/v1/messages")))?;
    let mut extra = anthropic_headers(&up.quirks, &parts.headers);
    // A member's session behind a team gateway: the gateway records usage
    // by project. A folder's name is nobody else's business.
    if up.ccswitch_gateway
        && let Some(project) = parts.headers.get(crate::usage::project::HEADER)
    {
        extra.insert(crate::usage::project::HEADER, project.clone());
    }
    let body = passthrough::encode_request(&body, &to, inc.body_len);
    let resp = send(up, url, parts.uri.query(), extra, body).await?;
    anthropic_reply(up, model, resp, &to, fin, empty_fails).await
}

/// An Anthropic-shaped reply (an Anthropic-kind upstream's, or a cloud's
/// once decoded): streamed on with thinking signatures tagged, or read
/// whole; an empty one fails where a fallback may do better.
pub(super) async fn anthropic_reply(
    up: &Arc<Upstream>,
    model: &str,
    resp: crate::proxy::upstream::reply::Reply,
    to: &Provenance<'_>,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Answer, ProxyError> {
    if is_event_stream(&resp) {
        let resp = if empty_fails {
            let usage = |sent: &[u8]| {
                let mut sniffer = UsageSniffer::default();
                sniffer.push(sent);
                sniffer.usage
            };
            hold(resp, Wire::Anthropic, up, model, fin, usage).await?
        } else {
            resp
        };
        let idle = up.provider.timeouts.idle;
        let tagger = to.tag().map(SseTagger::new);
        return Ok(Answer::Stream(streams::passthrough(
            resp,
            idle,
            fin.take(),
            tagger,
        )));
    }
    let status = resp.status();
    let mut bytes = read_whole(up, resp).await?;
    if let Some(tagged) = to.tag().and_then(|maker| tag_message(&bytes, maker)) {
        bytes = tagged.into();
    }
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
    committed(fin.done(status.as_u16(), Some(&usage), None)).await;
    Ok(Answer::Whole { status, bytes })
}

/// The exchange with an OpenAI-kind upstream: the request translated to
/// Chat Completions, the reply back to Anthropic's shape.
pub async fn openai(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    client: &HeaderMap,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Answer, ProxyError> {
    let mut req: MessagesRequest = inc.body.into_typed()?;
    if let Some(recall) = &state.recall {
        let restored = recall
            .lock()
            .map_or(0, |mut r| r.apply(&mut req, &up.provider.name));
        if restored > 0 {
            fin.notes(vec![tn!("proxy.thinking_restored", n = restored)]);
        }
    }
    let to = state.provenance(&up.provider.name);
    let target = request::UpstreamModel {
        model,
        quirks: quirks_for(up, model),
        max_output: max_output(up, model),
        stream: inc.stream,
        provenance: to,
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
        let cfg = StreamConfig {
            message_id,
            model: inc.requested.clone(),
            // A byte-based estimate: exact counting costs more than the whole
            // proxy hop, and the real usage replaces it in message_delta.
            input_estimate: crate::proxy::translate::common::estimate_tokens(inc.body_len),
            quirks: up.quirks.clone(),
            renamed_tools,
            thinking_maker: to.tag().map(str::to_string),
        };
        let resp = if empty_fails {
            let usage = |sent: &[u8]| {
                let mut tr = StreamTranslator::new(cfg.clone());
                for event in SseDecoder::new().push(sent) {
                    tr.push_data(&event.data);
                }
                tr.usage_so_far()
            };
            hold(resp, Wire::OpenAi, up, model, fin, usage).await?
        } else {
            resp
        };
        let idle = up.provider.timeouts.idle;
        return Ok(Answer::Stream(streams::translated(
            resp,
            cfg,
            idle,
            fin.take(),
        )));
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
        thinking_maker: to.tag(),
    };
    let msg = response::from_openai(&chat, &ctx);
    if empty_fails && msg.content.is_empty() {
        return Err(empty_reply(fin, up, model, &msg.usage));
    }
    let answer = if inc.stream {
        // The upstream ignored `stream: true`; Claude Code still gets a stream.
        Answer::Stream(streams::whole(&replay::events(&msg), fin))
    } else {
        let bytes = bytes::Bytes::from(serde_json::to_vec(&msg).unwrap_or_default());
        fin.sent(&bytes);
        Answer::Whole {
            status: StatusCode::OK,
            bytes,
        }
    };
    committed(fin.done(200, Some(&msg.usage), None)).await;
    Ok(answer)
}

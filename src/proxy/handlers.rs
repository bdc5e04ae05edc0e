//! Route handlers: messages (both upstream kinds), count_tokens, models.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::error::{ProxyError, upstream_message};
use super::passthrough::{self, RawBody, merge_usage};
use super::route::route;
use super::send::{anthropic_headers, client_headers, is_event_stream, read_whole, send};
use super::server::{Body, State, error_response, full};
use super::streams::{self, Finisher};
use super::translate::anthropic::{MessagesRequest, Usage};
use super::translate::{openai::ChatResponse, request, response};
use super::{MAX_BODY, Upstream, tokens};
use crate::config::Api;
use crate::t;
use serde_json::value::RawValue;
use url::Url;

async fn read_body(body: Incoming) -> Result<Bytes, ProxyError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ProxyError::TooLarge(t!(
                "proxy.too_large",
                mib = MAX_BODY / (1024 * 1024)
            )))
        }
        Err(e) => Err(ProxyError::BadRequest(t!("proxy.body_read", error = e))),
    }
}

fn parse_object(bytes: &[u8]) -> Result<RawBody, ProxyError> {
    serde_json::from_slice::<RawBody>(bytes).map_err(|e| {
        if e.is_data() {
            ProxyError::BadRequest(t!("proxy.not_object"))
        } else {
            ProxyError::BadRequest(t!("proxy.bad_json", error = e))
        }
    })
}

/// The body as the chosen path needs it: raw top-level fields for the
/// passthrough (unknown fields survive, untouched fields are not re-encoded),
/// the typed request for translation.
enum Parsed {
    Raw(RawBody),
    Typed(Box<MessagesRequest>),
}

fn shape_error(e: serde_json::Error) -> ProxyError {
    ProxyError::BadRequest(t!("proxy.bad_request_shape", error = e))
}

impl Parsed {
    /// Only a body read untyped reaches the passthrough (the typed read is
    /// for profiles without Anthropic-kind upstreams): the typed form keeps
    /// no unknown fields.
    fn into_raw(self) -> Result<RawBody, ProxyError> {
        match self {
            Parsed::Raw(m) => Ok(m),
            Parsed::Typed(r) => serde_json::to_string(&r)
                .and_then(|s| serde_json::from_str(&s))
                .map_err(shape_error),
        }
    }

    fn into_typed(self) -> Result<MessagesRequest, ProxyError> {
        match self {
            Parsed::Typed(r) => Ok(*r),
            Parsed::Raw(m) => serde_json::to_string(&m)
                .and_then(|s| serde_json::from_str(&s))
                .map_err(shape_error),
        }
    }
}

/// The request part the proxy needs before choosing a path.
struct ClientRequest {
    body: Parsed,
    /// Size of the body as received, for a cheap token estimate.
    body_len: usize,
    requested: String,
    stream: bool,
}

/// Read and parse the body. With `typed`, straight into the Messages types
/// (one parse, for profiles whose providers are all OpenAI-kind); otherwise
/// into a generic map.
async fn read_request(
    req: Request<Incoming>,
    typed: bool,
) -> Result<(http::request::Parts, ClientRequest), ProxyError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
    let body_len = bytes.len();
    let (body, requested, stream) = if typed {
        let r: MessagesRequest = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_data() {
                ProxyError::BadRequest(t!("proxy.bad_request_shape", error = e))
            } else {
                ProxyError::BadRequest(t!("proxy.bad_json", error = e))
            }
        })?;
        let (requested, stream) = (r.model.clone(), r.stream.unwrap_or(false));
        (Parsed::Typed(Box::new(r)), requested, stream)
    } else {
        let body = parse_object(&bytes)?;
        let requested = body
            .get("model")
            .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
            .unwrap_or_default();
        // `model` is checked first, as the typed parse would.
        let is_array = |r: &RawValue| r.get().trim_start().starts_with('[');
        if !requested.is_empty() && !body.get("messages").is_some_and(|r| is_array(r)) {
            return Err(ProxyError::BadRequest(t!("proxy.no_messages")));
        }
        let stream = body.get("stream").is_some_and(|r| r.get().trim() == "true");
        (Parsed::Raw(body), requested, stream)
    };
    if requested.is_empty() {
        return Err(ProxyError::BadRequest(t!("proxy.no_model")));
    }
    Ok((
        parts,
        ClientRequest {
            body,
            body_len,
            requested,
            stream,
        },
    ))
}

pub async fn messages(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let typed = state.single_api == Some(Api::Openai);
    let (parts, inc) = match read_request(req, typed).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let (slot_name, slot) = route(&state.cfg.profile, &inc.requested);
    let Some(up) = state.cfg.upstreams.get(&slot.provider).cloned() else {
        return error_response(ProxyError::BadRequest(t!(
            "proxy.no_upstream",
            provider = slot.provider
        )));
    };
    let fin = Finisher::new(
        state.clone(),
        &inc.requested,
        slot_name,
        &up.provider.name,
        &slot.model,
        inc.stream,
        started,
    );
    let result = match up.provider.api {
        Api::Anthropic => anthropic(&up, &slot.model, parts, inc, fin).await,
        _ => openai(state, &up, &slot.model, &parts.headers, inc, fin).await,
    };
    result.unwrap_or_else(|(e, fin)| {
        fin.done(e.status().as_u16(), None, Some(&e.to_string()));
        error_response(e)
    })
}

type Failed = (ProxyError, Finisher);

fn max_output(up: &Upstream, model: &str) -> Option<u64> {
    up.provider.model(model).max_output
}

async fn anthropic(
    up: &Arc<Upstream>,
    model: &str,
    parts: http::request::Parts,
    inc: ClientRequest,
    mut fin: Finisher,
) -> Result<Response<Body>, Failed> {
    let mut body = match inc.body.into_raw() {
        Ok(b) => b,
        Err(e) => return Err((e, fin)),
    };
    let notes =
        passthrough::rewrite_request(&mut body, model, &up.provider.quirks, max_output(up, model));
    fin.notes(notes);
    let Some(url) = &up.messages_url else {
        return Err((ProxyError::BadRequest(up.url("/v1/messages")), fin));
    };
    let extra = anthropic_headers(up, &parts.headers);
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let resp = match send(up, url, parts.uri.query(), extra, body).await {
        Ok(r) => r,
        Err(e) => return Err((e, fin)),
    };
    let is_sse = is_event_stream(&resp);
    if is_sse {
        return Ok(streams::passthrough(resp, up.provider.timeouts.idle, fin));
    }
    let status = resp.status();
    let bytes = match read_whole(up, resp).await {
        Ok(b) => b,
        Err(e) => return Err((e, fin)),
    };
    // Only `usage` is read; the rest of the message is skipped, not built.
    #[derive(serde::Deserialize)]
    struct UsageOnly {
        usage: Option<Value>,
    }
    let mut usage = Usage::default();
    if let Ok(UsageOnly { usage: Some(u) }) = serde_json::from_slice::<UsageOnly>(&bytes) {
        merge_usage(&mut usage, &u);
    }
    fin.done(status.as_u16(), Some(&usage), None);
    Ok(json_response(status, bytes))
}

async fn openai(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    client: &HeaderMap,
    inc: ClientRequest,
    mut fin: Finisher,
) -> Result<Response<Body>, Failed> {
    let req = match inc.body.into_typed() {
        Ok(r) => r,
        Err(e) => return Err((e, fin)),
    };
    let target = request::Target {
        model,
        quirks: &up.provider.quirks,
        max_output: max_output(up, model),
        stream: inc.stream,
    };
    let translated = request::to_openai(&req, &target);
    fin.notes(translated.notes);
    let renamed_tools = translated.renamed_tools;
    let body = serde_json::to_vec(&translated.request).unwrap_or_default();
    let Some(url) = &up.chat_url else {
        return Err((ProxyError::BadRequest(up.url("/chat/completions")), fin));
    };
    let resp = match send(up, url, None, client_headers(client), body).await {
        Ok(r) => r,
        Err(e) => return Err((e, fin)),
    };
    let think_tags = up.provider.quirks.think_tags == Some(true);
    let message_id = state.message_id();
    let is_sse = is_event_stream(&resp);
    if inc.stream && is_sse {
        let cfg = super::translate::stream::StreamConfig {
            message_id,
            model: inc.requested.clone(),
            // A byte-based estimate: exact counting costs more than the whole
            // proxy hop, and the real usage replaces it in message_delta.
            input_estimate: super::translate::common::estimate_tokens(inc.body_len),
            think_tags,
            renamed_tools,
        };
        return Ok(streams::translated(
            resp,
            cfg,
            up.provider.timeouts.idle,
            fin,
        ));
    }
    let bytes = match read_whole(up, resp).await {
        Ok(b) => b,
        Err(e) => return Err((e, fin)),
    };
    let chat: ChatResponse = match serde_json::from_slice(&bytes) {
        Ok(c) => c,
        Err(e) => {
            return Err((
                ProxyError::BadUpstream(t!("proxy.bad_upstream_json", error = e)),
                fin,
            ));
        }
    };
    if let Some(err) = &chat.error {
        let message = upstream_message(502, err.to_string().as_bytes());
        return Err((ProxyError::BadUpstream(message), fin));
    }
    let ctx = response::ResponseCtx {
        message_id: &message_id,
        model: &inc.requested,
        think_tags,
        renamed_tools: &renamed_tools,
    };
    let msg = response::from_openai(&chat, &ctx);
    fin.done(200, Some(&msg.usage), None);
    if inc.stream {
        // The upstream ignored `stream: true`; Claude Code still gets a stream.
        return Ok(streams::from_message(&msg));
    }
    Ok(json_response(
        StatusCode::OK,
        serde_json::to_vec(&msg).unwrap_or_default().into(),
    ))
}

fn json_response(status: StatusCode, bytes: Bytes) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `count_tokens`: the upstream counts when it can, otherwise a local
/// tokenizer does.
pub async fn count_tokens(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let (parts, inc) = match read_request(req, false).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let mut raw = match inc.body.into_raw() {
        Ok(b) => b,
        Err(e) => return error_response(e),
    };
    let parsed: MessagesRequest =
        match serde_json::to_string(&raw).and_then(|s| serde_json::from_str(&s)) {
            Ok(r) => r,
            Err(e) => return error_response(shape_error(e)),
        };
    let (_, slot) = route(&state.cfg.profile, &inc.requested);
    let up = state.cfg.upstreams.get(&slot.provider).cloned();
    if let Some(up) = up.filter(|u| u.provider.api == Api::Anthropic) {
        passthrough::rewrite_request(&mut raw, &slot.model, &up.provider.quirks, None);
        let Ok(url) = Url::parse(&up.url("/v1/messages/count_tokens")) else {
            return error_response(ProxyError::BadRequest(up.url("/v1/messages/count_tokens")));
        };
        let extra = anthropic_headers(&up, &parts.headers);
        let body = serde_json::to_vec(&raw).unwrap_or_default();
        match send(&up, &url, None, extra, body).await {
            Ok(resp) => {
                let status = resp.status();
                if let Ok(b) = resp.bytes().await {
                    return json_response(status, b);
                }
            }
            // Providers without the endpoint: count locally instead.
            Err(ProxyError::Upstream {
                status: 404 | 405 | 501,
                ..
            }) => {}
            Err(e) => return error_response(e),
        }
    }
    // Tokenizing a long conversation takes milliseconds: off the runtime
    // thread, which serves every other request and stream.
    let n = tokio::task::spawn_blocking(move || tokens::count_request(&parsed))
        .await
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        json!({ "input_tokens": n }).to_string().into(),
    )
}

/// `GET /v1/models`: the profile's models in Anthropic's list format.
pub fn models(state: &Arc<State>) -> Response<Body> {
    let mut seen = Vec::new();
    for (_, slot) in state.cfg.profile.slots() {
        if !seen.contains(&slot.model) {
            seen.push(slot.model.clone());
        }
    }
    let data: Vec<Value> = seen
        .iter()
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"}))
        .collect();
    let body = json!({
        "data": data,
        "has_more": false,
        "first_id": seen.first(),
        "last_id": seen.last(),
    });
    json_response(StatusCode::OK, body.to_string().into())
}

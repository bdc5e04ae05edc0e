//! `POST /v1/messages/count_tokens`.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use serde_json::json;
use url::Url;

use super::request::{read_request, shape_error};
use crate::config::Api;
use crate::proxy::body::{Body, InBody, json_response};
use crate::proxy::error::ProxyError;
use crate::proxy::route::route;
use crate::proxy::state::State;
use crate::proxy::tokens;
use crate::proxy::translate::anthropic::MessagesRequest;
use crate::proxy::translate::passthrough::{self, anthropic_headers};
use crate::proxy::upstream::send::{read_whole, send};

/// `count_tokens`: the upstream counts when it can, otherwise a local
/// tokenizer does.
pub async fn handle(
    state: &Arc<State>,
    req: Request<impl InBody>,
) -> Result<Response<Body>, ProxyError> {
    let (parts, inc) = read_request(req, false, false).await?;
    let mut raw = inc.body.into_raw()?;
    let parsed: MessagesRequest = serde_json::to_string(&raw)
        .and_then(|s| serde_json::from_str(&s))
        .map_err(shape_error)?;
    let subagent = parts.headers.contains_key("x-claude-code-agent-id");
    let (_, slot) = route(
        &state.cfg.profile,
        &state.cfg.menu,
        &inc.requested,
        subagent,
    );
    let up = state.cfg.upstreams.get(&slot.provider).cloned();
    if let Some(up) = up.filter(|u| u.provider.api == Api::Anthropic) {
        let to = state.provenance(&up.provider.name);
        passthrough::rewrite_request(&mut raw, &slot.model, &up.provider.quirks, None, &to);
        let url = Url::parse(&up.url("/v1/messages/count_tokens"))
            .map_err(|_| ProxyError::BadRequest(up.url("/v1/messages/count_tokens")))?;
        let extra = anthropic_headers(&up.quirks, &parts.headers);
        let body = passthrough::encode_request(&raw, &to, 0);
        match send(&up, &url, None, extra, body).await {
            Ok(resp) => {
                let status = resp.status();
                return Ok(json_response(status, read_whole(&up, resp).await?));
            }
            // Providers without the endpoint: count locally instead.
            Err(ProxyError::Upstream {
                status: 404 | 405 | 501,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
    }
    // Tokenizing a long conversation takes milliseconds: off the runtime
    // thread, which serves every other request and stream.
    let n = tokio::task::spawn_blocking(move || tokens::count_request(&parsed))
        .await
        .unwrap_or_default();
    Ok(json_response(
        StatusCode::OK,
        json!({ "input_tokens": n }).to_string().into(),
    ))
}

//! The exchange with a cloud upstream (Bedrock, Vertex): the request
//! passed through with the Anthropic passthrough's fixes, then rewritten by
//! the cloud's body rules and signed; the reply brought back as the
//! Anthropic passthrough brings its own.

use std::sync::Arc;

use super::answer::Answer;
use super::forward::{anthropic_reply, max_output, quirks_for};
use crate::proxy::error::ProxyError;
use crate::proxy::finish::Finisher;
use crate::proxy::handlers::request::ClientRequest;
use crate::proxy::state::State;
use crate::proxy::translate::bedrock as rules;
use crate::proxy::translate::passthrough::{self, anthropic_headers};
use crate::proxy::translate::vertex as vertex_rules;
use crate::proxy::upstream::Upstream;
use crate::proxy::upstream::cloud::{Cloud, bedrock, vertex as vertex_up};
use crate::proxy::upstream::send::is_event_stream;

/// The exchange with a cloud upstream: the passthrough's request, then
/// the cloud's own body rules (Bedrock: the betas moved into the body;
/// Vertex: the betas as the header it reads), signed and sent; the reply
/// (whole, SSE, or Bedrock's event stream already turned into SSE) as the
/// passthrough's.
pub async fn cloud(
    state: &Arc<State>,
    up: &Arc<Upstream>,
    model: &str,
    parts: &http::request::Parts,
    inc: ClientRequest,
    fin: &mut Finisher,
    empty_fails: bool,
) -> Result<Answer, ProxyError> {
    let Some(cloud) = state.cfg.clouds.get(&up.provider.name) else {
        return Err(ProxyError::BadRequest(crate::t!(
            "proxy.no_upstream",
            provider = up.provider.name
        )));
    };
    let stream = inc.stream;
    let mut body = inc.body.into_raw()?;
    let to = state.provenance(&up.provider.name);
    let mut notes = passthrough::rewrite_request(
        &mut body,
        model,
        quirks_for(up, model),
        max_output(up, model),
        &to,
    );
    // The betas as the passthrough would forward them (its quirks applied).
    let headers = anthropic_headers(&up.quirks, &parts.headers);
    let resp = match &**cloud {
        Cloud::Bedrock(cloud) => {
            let betas = headers.get("anthropic-beta").and_then(|v| v.to_str().ok());
            notes.extend(rules::invoke_body(&mut body, betas));
            fin.notes(notes);
            let body = passthrough::encode_request(&body, &to, inc.body_len);
            let resp = bedrock::send(up, cloud, model, stream, body).await?;
            if stream && !is_event_stream(&resp) {
                // Asked for a stream, Bedrock always streams; anything else
                // is an error body the status already said.
                return Err(ProxyError::BadUpstream(crate::t!("cloud.not_a_stream")));
            }
            resp
        }
        Cloud::Vertex(cloud) => {
            notes.extend(vertex_rules::predict_body(&mut body));
            fin.notes(notes);
            let extra = vertex_rules::predict_headers(&headers);
            let body = passthrough::encode_request(&body, &to, inc.body_len);
            vertex_up::send(up, cloud, model, stream, extra, body).await?
        }
    };
    anthropic_reply(up, model, resp, &to, fin, empty_fails).await
}

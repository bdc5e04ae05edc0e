//! `POST /v1/messages`: read the request, then send it along its slot's
//! chain, or run the web search loop around that when the request carries
//! a `web_search` server tool its target cannot run.

use std::sync::Arc;
use std::time::Instant;

use http::{Request, Response};

use super::request::read_request;
use super::web_search;
use crate::config::Api;
use crate::proxy::body::{Body, InBody};
use crate::proxy::error::ProxyError;
use crate::proxy::exchange::dispatch;
use crate::proxy::state::State;

pub async fn handle(
    state: &Arc<State>,
    req: Request<impl InBody>,
) -> Result<Response<Body>, ProxyError> {
    let started = Instant::now();
    let typed = state.single_api == Some(Api::Openai);
    let (parts, inc) = read_request(req, typed, state.cfg.audit.is_some()).await?;
    if let Some(how) = web_search::wanted(state, &parts, &inc) {
        return web_search::run(state, parts, inc, how, started).await;
    }
    Ok(dispatch(state, &parts, inc, started).await?.into_response())
}

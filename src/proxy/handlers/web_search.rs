//! The I/O around the web search loop (`translate::web_search`): each
//! inner call goes along the slot's chain like any request, not streamed,
//! and each search goes to the `[search]` backend. A streaming client gets
//! `message_start` once the first call has answered (so a failing upstream
//! still fails with its own status, which Claude Code retries), then each
//! block as it is known, with pings while it waits.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::request::{ClientRequest, Parsed};
use crate::config::Api;
use crate::proxy::body::{Body, json_response, sse_response};
use crate::proxy::error::ProxyError;
use crate::proxy::exchange::{Answer, dispatch};
use crate::proxy::route::route;
use crate::proxy::setup::SearchSetup;
use crate::proxy::state::State;
use crate::proxy::translate::anthropic::{Event, MessageResponse, OutBlock};
use crate::proxy::translate::sse::encode_into;
use crate::proxy::translate::web_search::{self, Failure, Loop, LoopStep, Spec};
use crate::{t, tn};

/// The whole loop's limit: searches and inner calls together. Claude Code
/// waits up to ten minutes for a request; this ends well before.
const DEADLINE: Duration = Duration::from_secs(300);

/// Claude Code gives up after 300 s of silence.
const PING_EVERY: Duration = Duration::from_secs(15);

/// How the loop runs a request's search.
pub enum Searcher {
    /// The `[search]` backend, through a function the model calls.
    Backend,
    /// The upstream's own search, asked for by the translator.
    Upstream,
}

/// The request's web search tool, when its target cannot run it as sent.
/// A request without one costs a look at its tool list.
pub fn wanted(
    state: &State,
    parts: &http::request::Parts,
    inc: &ClientRequest,
) -> Option<(Spec, Searcher)> {
    let spec = match &inc.body {
        Parsed::Raw(m) => {
            let tools = m.get("tools")?.get();
            if !tools.contains("\"web_search_") {
                return None;
            }
            web_search::find(&serde_json::from_str(tools).ok()?)?
        }
        Parsed::Typed(r) => {
            let t = r.tools.as_ref()?;
            if !t.iter().any(|t| {
                t.kind
                    .as_deref()
                    .is_some_and(|k| k.starts_with("web_search_"))
            }) {
                return None;
            }
            web_search::find(&serde_json::to_value(t).ok()?)?
        }
    };
    let subagent = parts.headers.contains_key("x-claude-code-agent-id");
    let (_, slot) = route(
        &state.cfg.profile,
        &state.cfg.menu,
        &inc.requested,
        subagent,
    );
    let (native, own) = state
        .cfg
        .upstreams
        .get(&slot.provider)
        .map_or((false, false), |u| {
            let (api, quirks) = (u.provider.api, &u.provider.quirks);
            (
                web_search::runs_natively(api, quirks),
                web_search::searches_itself(api, quirks),
            )
        });
    let searcher = if own {
        Searcher::Upstream
    } else {
        Searcher::Backend
    };
    (!native).then_some((spec, searcher))
}

pub async fn run(
    state: &Arc<State>,
    parts: http::request::Parts,
    inc: ClientRequest,
    (spec, searcher): (Spec, Searcher),
    started: Instant,
) -> Result<Response<Body>, ProxyError> {
    // Anthropic's API refuses a web search tool with both lists, and so
    // does Claude Code; a client that sends one gets the same 400.
    if crate::proxy::translate::web_search::conflict(&spec) {
        return Err(ProxyError::BadRequest(t!("proxy.search_both_lists")));
    }
    let id = state.message_id();
    let stream = inc.stream;
    let requested = inc.requested.clone();
    let body = to_map(inc.body)?;
    let only_search = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| t.len() == 1);
    let backend = match &state.cfg.search {
        SearchSetup::Ready(b) => Ok(b.clone()),
        SearchSetup::Off => Err(t!("proxy.search_off")),
        SearchSetup::Broken(why) => Err(t!("proxy.search_broken", error = why)),
    };
    // A request that exists only to search (Claude Code's WebSearch tool)
    // gets the reason at once, as its whole answer, instead of a model's
    // paraphrase of it.
    let own = matches!(searcher, Searcher::Upstream);
    if let (Err(why), true, false) = (&backend, only_search, own) {
        state.log(why);
        let mut m = MessageResponse::new(&id, &requested);
        m.content = vec![OutBlock::Text { text: why.clone() }];
        m.stop_reason = Some(crate::proxy::translate::anthropic::StopReason::EndTurn);
        return Ok(answer_whole(&m, stream));
    }
    // With a backend to fall back on, the provider's own search keeps a
    // copy of the request: a provider that refuses it (a plan without
    // search, an endpoint without the tool) still gets the search done.
    let fallback = (own && backend.is_ok()).then(|| (body.clone(), spec.clone()));
    let mut run = Runner {
        state: state.clone(),
        parts,
        lp: if own {
            Loop::native(body, spec)
        } else {
            Loop::start(body, spec)
        },
        backend,
        requested,
        deadline: started + DEADLINE,
    };
    // The first call decides the response's status.
    match (run.call_upstream(None).await, fallback) {
        (Ok(()), _) => {}
        (Err(e), Some((body, spec))) => {
            let backend = run.backend.as_ref().map_or("", |b| b.settings.kind.name());
            state.log(&t!(
                "proxy.native_search_failed",
                error = e,
                backend = backend
            ));
            run.lp = Loop::start(body, spec);
            run.call_upstream(None).await?;
        }
        (Err(e), None) => return Err(e),
    }
    if !stream {
        run.finish(None).await?;
        return Ok(answer_whole(&run.lp.message(&id, &run.requested), false));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let mut head = BytesMut::new();
    for e in web_search::start_events(&mut run.lp, &id, &run.requested) {
        encode_into(&e, &mut head);
    }
    let _ = tx.send(head.freeze()).await;
    tokio::spawn(async move {
        let mut out = BytesMut::new();
        match run.finish(Some(&tx)).await {
            Ok(()) => {
                for e in web_search::end_events(&mut run.lp) {
                    encode_into(&e, &mut out);
                }
            }
            Err(e) => {
                run.state.log(&t!("proxy.search_loop_failed", error = e));
                let error = e.body(&run.state.cfg.redactor);
                encode_into(&Event::Error { error }, &mut out);
            }
        }
        let _ = tx.send(out.freeze()).await;
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        let bytes = rx.recv().await?;
        Some((Ok::<_, Infallible>(Frame::data(bytes)), rx))
    });
    Ok(sse_response(StreamBody::new(frames).boxed_unsync()))
}

struct Runner {
    state: Arc<State>,
    parts: http::request::Parts,
    lp: Loop,
    backend: Result<Arc<crate::search::Backend>, String>,
    requested: String,
    deadline: Instant,
}

impl Runner {
    /// Steps until the loop is done.
    async fn finish(&mut self, tx: Option<&mpsc::Sender<Bytes>>) -> Result<(), ProxyError> {
        loop {
            // A client that went away must not go on costing searches and
            // upstream calls.
            if tx.is_some_and(mpsc::Sender::is_closed) {
                return Ok(());
            }
            match self.lp.step() {
                LoopStep::Done => return Ok(()),
                LoopStep::Search(query) => {
                    let outcome = pinging(tx, self.search(&query)).await;
                    self.lp.searched(outcome);
                }
                LoopStep::Call(_) => self.call_upstream(tx).await?,
            }
            if let Some(tx) = tx {
                let mut out = BytesMut::new();
                self.blocks_into(&mut out);
                if !out.is_empty() {
                    let _ = tx.send(out.freeze()).await;
                }
            }
        }
    }

    /// One inner call, if the loop wants one now: the reply goes into the
    /// loop.
    async fn call_upstream(&mut self, tx: Option<&mpsc::Sender<Bytes>>) -> Result<(), ProxyError> {
        let LoopStep::Call(body) = self.lp.step() else {
            return Ok(());
        };
        if Instant::now() > self.deadline {
            return Err(ProxyError::Timeout(t!(
                "proxy.search_deadline",
                secs = DEADLINE.as_secs()
            )));
        }
        let reply = pinging(tx, self.call(body)).await?;
        let state = self.state.clone();
        let mut new_id = move || state.message_id().replacen("msg_", "srvtoolu_", 1);
        self.lp.reply(&reply, &mut new_id);
        Ok(())
    }

    async fn call(&self, body: Value) -> Result<Value, ProxyError> {
        let bytes = serde_json::to_vec(&body).map_err(|e| ProxyError::BadRequest(e.to_string()))?;
        let parsed = if self.state.single_api == Some(Api::Openai) {
            Parsed::Typed(Box::new(
                serde_json::from_value(body).map_err(super::request::shape_error)?,
            ))
        } else {
            Parsed::Raw(serde_json::from_slice(&bytes).map_err(super::request::shape_error)?)
        };
        // Each inner call is a request of its own in the audit log, with
        // the body as it went (the client's, and the search results so far).
        let audited = self.state.cfg.audit.is_some();
        let inc = ClientRequest {
            body: parsed,
            body_len: bytes.len(),
            requested: self.requested.clone(),
            stream: false,
            raw: audited.then(|| Bytes::from(bytes)),
            ahead: None,
            pending: None,
        };
        let answer = dispatch(&self.state, &self.parts, inc, Instant::now()).await?;
        // The inner call asked for a whole reply; a stream here is an
        // upstream that ignored `stream: false`, which the loop cannot read.
        let Answer::Whole { status, bytes } = answer else {
            return Err(ProxyError::BadUpstream(t!("proxy.stream_unasked")));
        };
        if !status.is_success() {
            return Err(ProxyError::BadUpstream(
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ProxyError::BadUpstream(t!("proxy.bad_upstream_json", error = e)))
    }

    async fn search(&self, query: &str) -> Result<Vec<crate::search::Hit>, Failure> {
        let backend = self.backend.as_ref().map_err(|why| Failure {
            code: "unavailable".into(),
            message: why.clone(),
        })?;
        let began = Instant::now();
        let at = std::time::SystemTime::now();
        let kind = backend.settings.kind.name();
        let outcome = backend.search(query).await;
        let ms = began.elapsed().as_millis();
        self.audit_search(at, kind, query, &outcome, ms);
        // The query is the user's words: it stays out of the log.
        match &outcome {
            Ok(hits) => self.state.log(&tn!(
                "proxy.searched",
                n = hits.len(),
                backend = kind,
                ms = ms
            )),
            Err(e) => self.state.log(&t!(
                "proxy.search_failed",
                backend = kind,
                error = e,
                ms = ms
            )),
        }
        // The backend's own error text goes to the model: it may echo the
        // search key.
        outcome.map_err(|e| Failure {
            code: e.code().into(),
            message: self.state.cfg.redactor.redact(&e.to_string()).into_owned(),
        })
    }

    /// The search's line in the audit log: what went to a third party.
    fn audit_search(
        &self,
        at: std::time::SystemTime,
        backend: &'static str,
        query: &str,
        outcome: &Result<Vec<crate::search::Hit>, crate::search::SearchError>,
        ms: u128,
    ) {
        let Some(sink) = &self.state.cfg.audit else {
            return;
        };
        let header = |name: &str| self.parts.headers.get(name).and_then(|v| v.to_str().ok());
        sink.search(crate::audit::AuditSearch {
            at_ms: crate::usage::unix_ms(at),
            request_id: self.state.request_id(),
            session: self.state.cfg.session.clone(),
            cc_session: header("x-claude-code-session-id").map(str::to_string),
            profile: self.state.profile.clone(),
            backend,
            query: query.to_string(),
            results: outcome.as_ref().ok().map(Vec::len),
            error: outcome.as_ref().err().map(crate::search::SearchError::code),
            duration_ms: u64::try_from(ms).unwrap_or(u64::MAX),
        });
    }

    fn blocks_into(&mut self, out: &mut BytesMut) {
        for e in web_search::drained_events(&mut self.lp) {
            encode_into(&e, out);
        }
    }
}

/// Waits for `work`, sending a ping now and then so the client's silence
/// timer does not fire during a slow search or a reasoning model's call.
async fn pinging<T>(tx: Option<&mpsc::Sender<Bytes>>, work: impl Future<Output = T>) -> T {
    let Some(tx) = tx else {
        return work.await;
    };
    tokio::pin!(work);
    let mut tick = tokio::time::interval(PING_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = tick.tick() => {
                let mut ping = BytesMut::new();
                encode_into(&Event::Ping, &mut ping);
                let _ = tx.send(ping.freeze()).await;
            }
        }
    }
}

fn to_map(body: Parsed) -> Result<Map<String, Value>, ProxyError> {
    let value = match body {
        Parsed::Raw(m) => serde_json::to_value(m),
        Parsed::Typed(r) => serde_json::to_value(*r),
    }
    .map_err(super::request::shape_error)?;
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(ProxyError::BadRequest(t!("proxy.not_object"))),
    }
}

/// A message known in full: JSON, or the events of it for a stream.
fn answer_whole(m: &MessageResponse, stream: bool) -> Response<Body> {
    if !stream {
        let bytes = serde_json::to_vec(m).unwrap_or_default();
        return json_response(StatusCode::OK, bytes.into());
    }
    let mut out = BytesMut::new();
    for e in crate::proxy::translate::replay::events(m) {
        encode_into(&e, &mut out);
    }
    sse_response(crate::proxy::body::full(out.freeze()))
}

//! The HTTP layer: accept loop, connection tasks, graceful shutdown, auth
//! and route dispatch.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::error::ProxyError;
use super::{ProxyConfig, Stats, handlers};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into()).boxed_unsync()
}

pub fn error_response(e: ProxyError) -> Response<Body> {
    e.into_response().map(full)
}

pub struct State {
    pub cfg: ProxyConfig,
    pub stats: Arc<Stats>,
    /// The API every upstream of the profile speaks, when they agree: the
    /// body can then be parsed once, in the form that path needs.
    pub single_api: Option<crate::config::Api>,
    id_prefix: String,
    next_id: AtomicU64,
}

impl State {
    pub fn new(cfg: ProxyConfig, stats: Arc<Stats>) -> State {
        let mut apis = cfg.upstreams.values().map(|u| u.provider.api);
        let first = apis.next();
        let single_api = first.filter(|a| apis.all(|b| b == *a));
        State {
            cfg,
            stats,
            single_api,
            id_prefix: super::random_hex(6),
            next_id: AtomicU64::new(1),
        }
    }

    /// A message id unique to this proxy run.
    pub fn message_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("msg_ccsw{}{n:06}", self.id_prefix)
    }

    pub fn log(&self, line: &str) {
        (self.cfg.log)(line);
    }
}

pub async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(dispatch(&state, req).await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    // In-flight requests get a moment; a stuck stream must not hold the exit.
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
}

/// Claude Code sends the token as `Authorization: Bearer` (AUTH_TOKEN) or
/// `x-api-key` (API_KEY); either may carry it.
fn authorized(state: &State, req: &Request<Incoming>) -> bool {
    let want = state.cfg.token.expose_secret().as_bytes();
    let h = req.headers();
    let bearer = h
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let api_key = h.get("x-api-key").and_then(|v| v.to_str().ok());
    [bearer, api_key]
        .into_iter()
        .flatten()
        .any(|given| bool::from(given.trim().as_bytes().ct_eq(want)))
}

async fn dispatch(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path();
    let method = req.method();
    // Claude Code's preconnect probes come without credentials.
    if method == Method::HEAD && (path == "/" || path == "/api/hello") {
        return Response::new(full(Bytes::new()));
    }
    if !authorized(state, &req) {
        return error_response(ProxyError::Unauthorized(crate::t!("proxy.bad_token")));
    }
    match (method.clone(), path.trim_end_matches('/')) {
        (Method::POST, "/v1/messages") => handlers::messages(state, req).await,
        (Method::POST, "/v1/messages/count_tokens") => handlers::count_tokens(state, req).await,
        (Method::GET, "/v1/models") => handlers::models(state),
        _ => {
            let mut r = error_response(ProxyError::NotFound(crate::t!(
                "proxy.no_route",
                method = method,
                path = path
            )));
            if path == "/v1/messages" || path == "/v1/models" {
                *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            }
            r
        }
    }
}

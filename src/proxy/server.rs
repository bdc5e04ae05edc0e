//! The HTTP layer: accept loop, connection tasks and graceful shutdown;
//! each request is authenticated and dispatched to its handler.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

use super::auth::authorized;
use super::body::{Body, error_response, full};
use super::error::ProxyError;
use super::handlers::{count_tokens, messages, models};
use super::state::State;

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

async fn dispatch(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path();
    let method = req.method();
    // Claude Code's preconnect probes come without credentials.
    if method == Method::HEAD && (path == "/" || path == "/api/hello") {
        return Response::new(full(Bytes::new()));
    }
    if !authorized(&state.cfg.token, req.headers()) {
        return error_response(ProxyError::Unauthorized(crate::t!("proxy.bad_token")));
    }
    let handled = match (method.clone(), path.trim_end_matches('/')) {
        (Method::POST, "/v1/messages") => messages::handle(state, req).await,
        (Method::POST, "/v1/messages/count_tokens") => count_tokens::handle(state, req).await,
        (Method::GET, "/v1/models") => Ok(models::handle(state)),
        _ => {
            let mut r = error_response(ProxyError::NotFound(crate::t!(
                "proxy.no_route",
                method = method,
                path = path
            )));
            if path == "/v1/messages" || path == "/v1/models" {
                *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            }
            return r;
        }
    };
    handled.unwrap_or_else(error_response)
}

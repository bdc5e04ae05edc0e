//! The HTTP layer: accept loop, connection tasks and graceful shutdown;
//! each request is authenticated and dispatched to its handler.
//!
//! Any local process can connect, token or not, so a connection costs
//! bounded time and the number of them is capped: one that sends nothing is
//! closed after [`Limits::first_byte`], headers must arrive within
//! [`Limits::headers`] (which also closes idle keep-alive connections), a
//! request without the token gets its 401 and the connection closed, and
//! past [`Limits::connections`] a silent connection makes room for a new
//! one (see `conns`), so the file descriptors the upstream side needs are
//! never used up.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

use super::body::{Body, InBody, error_response, full};
use super::conns::{Limits, Slots};
use super::error::ProxyError;
use super::handlers::{count_tokens, me, messages, models, ui};
use super::metrics;
use super::state::State;
use crate::gateway::auth::Principal;

/// After a failed accept (out of descriptors, mostly) the listener stays
/// readable: retrying at once would spin a core until something closes.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

pub async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    limits: Limits,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.headers);
    builder.http2().timer(TokioTimer::new());
    let slots = Slots::new(limits.connections);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let mut slot = tokio::select! {
            s = slots.take() => s,
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let tls = state.cfg.tls.clone();
        let state = state.clone();
        let svc = hyper::service::service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(dispatch(&state, req).await) }
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // Protocol detection (HTTP/1 or h2c) runs before hyper's timer
            // starts: a peer that never sends a byte would sit there forever.
            let mut closed = slot.chosen();
            let mut first = [0u8; 1];
            let spoke = tokio::select! {
                // `peek`, not `readable`: readiness may be reported before
                // any byte is there.
                r = tokio::time::timeout(limits.first_byte, stream.peek(&mut first)) => {
                    matches!(r, Ok(Ok(n)) if n > 0)
                }
                _ = &mut closed => false,
            };
            if !spoke {
                return;
            }
            slot.spoke();
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn).await;
                }
                // The handshake gets the time a first byte gets: a peer
                // that stalls in it must not hold a connection slot.
                Some(acceptor) => {
                    let shake = tokio::time::timeout(limits.first_byte, acceptor.accept(stream));
                    let Ok(Ok(stream)) = shake.await else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn).await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    // In-flight requests get a moment; a stuck stream must not hold the exit.
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
}

/// One request, authenticated and handed to its route. Generic over the
/// body, so [`crate::proxy::Service`] can call it without a socket.
pub async fn dispatch(state: &Arc<State>, mut req: Request<impl InBody>) -> Response<Body> {
    // Claude Code's preconnect probes come without credentials.
    if req.method() == Method::HEAD && matches!(req.uri().path(), "/" | "/api/hello") {
        return Response::new(full(Bytes::new()));
    }
    // A gateway's usage page: its sign-in form must be reachable without
    // the token, so it checks the token (or its cookie) itself.
    if ui::is_ui(state, req.uri().path()) {
        return ui::handle(state, req).await;
    }
    let who = match super::gate::admit(state, req.headers()).await {
        Ok(who) => who,
        Err(e) => {
            let unknown = matches!(e, ProxyError::Unauthorized(_));
            let mut r = error_response(e, &state.cfg.redactor);
            // Without the token a client gets nothing more from this connection.
            if unknown {
                r.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            return r;
        }
    };
    if let Some(member) = who {
        // For the routes that record who asked.
        req.extensions_mut().insert(member);
    }
    let path = req.uri().path();
    let method = req.method();
    let handled = match (method.clone(), path.trim_end_matches('/')) {
        (Method::POST, "/v1/messages") => messages::handle(state, req).await,
        (Method::POST, "/v1/messages/count_tokens") => count_tokens::handle(state, req).await,
        (Method::GET, "/v1/models") => Ok(models::handle(state)),
        // Every member's spending: the operator's, not a member's, to read.
        (Method::GET, "/metrics") if req.extensions().get::<Arc<Principal>>().is_some() => Err(
            ProxyError::Forbidden(crate::t!("proxy.metrics_operator_only")),
        ),
        (Method::GET, "/metrics") => Ok(metrics::handle(state)),
        (Method::GET, "/v1/ccswitch/me") => me::handle(state, req).await,
        _ => {
            let mut r = error_response(
                ProxyError::NotFound(crate::t!("proxy.no_route", method = method, path = path)),
                &state.cfg.redactor,
            );
            if matches!(path, "/v1/messages" | "/v1/models" | "/metrics") {
                *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            }
            return r;
        }
    };
    handled.unwrap_or_else(|e| error_response(e, &state.cfg.redactor))
}

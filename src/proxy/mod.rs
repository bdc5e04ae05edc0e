//! The embedded proxy: speaks the Anthropic Messages API to Claude Code and
//! each profile slot's provider upstream. Binds loopback by default, checks
//! a per-session token on every route but the preconnect probes (a
//! gateway's usage page shows its sign-in form without it, and its figures
//! only with it), and never logs prompts.
//!
//! Inside, arrows point one way: `server` accepts, authenticates and
//! dispatches to `handlers` (and `metrics` for `/metrics`; `handlers::ui`
//! checks its own credentials, for its sign-in form), which use the
//! leaf modules (`body`, `state`, `error`, `finish`, `streams`), the
//! `upstream` client and the pure `translate`.

mod auth;
mod body;
mod breaker;
mod conns;
mod error;
mod exchange;
mod fallback;
mod finish;
mod gate;
mod gate_metrics;
mod handlers;
pub mod log;
pub mod menu;
mod metrics;
mod prom;
mod recall;
pub mod route;
mod server;
pub(crate) mod setup;
mod state;
pub mod stats;
mod streams;
pub mod tls;
pub mod tokens;
pub mod translate;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

pub use auth::new_token;
pub use body::{Body, InBody};
pub use conns::Limits;
pub use error::ProxyError;
pub use log::LogWriter;
pub use setup::{LogFn, ProxyConfig, StartError, runtime, runtime_with};
pub use stats::Stats;
pub use upstream::{Upstream, models};

/// A running proxy. Dropping it without [`ProxyHandle::shutdown`] leaves the
/// server running until the runtime stops.
pub struct ProxyHandle {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    state: Arc<state::State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    /// The key pools' balance watch, when a pool has a balance API.
    watch: Option<tokio::task::JoinHandle<()>>,
}

impl ProxyHandle {
    /// Stop accepting, give in-flight requests a moment, then stop.
    pub async fn shutdown(mut self) {
        if let Some(w) = self.watch.take() {
            w.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// The same proxy, called without its socket.
    pub fn service(&self) -> Service {
        Service {
            state: self.state.clone(),
        }
    }
}

/// The proxy as a function of a request, without a socket (as axum's
/// `oneshot`): the HTTP layer's own tests go through [`start`]; everything
/// behind it (auth, routes, translation, fallback, recording) can be called
/// directly.
#[derive(Clone)]
pub struct Service {
    state: Arc<state::State>,
}

impl Service {
    pub fn new(cfg: ProxyConfig) -> Service {
        Service {
            state: Arc::new(state::State::new(cfg, Arc::new(Stats::default()))),
        }
    }

    pub async fn call(&self, req: http::Request<impl InBody>) -> http::Response<Body> {
        server::dispatch(&self.state, req).await
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.state.stats.clone()
    }
}

/// Bind and start serving. Must be called inside a tokio runtime.
pub async fn start(addr: SocketAddr, cfg: ProxyConfig) -> Result<ProxyHandle, StartError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let stats = Arc::new(Stats::default());
    let limits = cfg.limits;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let watch = upstream::balance::watch::spawn(cfg.upstreams.values().cloned().collect());
    let state = Arc::new(state::State::new(cfg, stats.clone()));
    let task = tokio::spawn(server::accept_loop(listener, state.clone(), limits, rx));
    Ok(ProxyHandle {
        addr,
        stats,
        state,
        shutdown: Some(tx),
        task,
        watch,
    })
}

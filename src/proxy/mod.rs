//! The embedded proxy: speaks the Anthropic Messages API to Claude Code and
//! each profile slot's provider upstream. Binds loopback by default, checks
//! a per-session token on every route but the preconnect probes, and never
//! logs prompts.

mod error;
mod handlers;
pub mod models;
pub mod passthrough;
mod reply;
pub mod route;
mod send;
mod server;
pub mod stats;
mod streams;
pub mod tokens;
pub mod translate;
pub mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

pub use error::ProxyError;
pub use stats::Stats;
pub use upstream::Upstream;

use crate::config::{Api, Config, ConfigError, Profile};
use crate::secrets::{SecretError, Secrets};
use crate::t;

/// Where request log lines go (stderr for `serve`, a file for `run`).
pub type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

/// Largest request body accepted: Anthropic's own limit.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// Errors starting the proxy.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}", t!("proxy.key_error", provider = provider, error = source))]
    Key {
        provider: String,
        #[source]
        source: SecretError,
    },
    #[error("{}", t!("proxy.not_proxied", profile = profile, provider = provider, api = api))]
    NotProxied {
        profile: String,
        provider: String,
        api: Api,
    },
    #[error("{}", t!("proxy.bad_proxy", provider = provider, error = error))]
    Proxy { provider: String, error: String },
    #[error("{}", t!("proxy.bad_ca", path = path.display(), error = error))]
    Ca { path: PathBuf, error: String },
    #[error("{}", t!("proxy.client", error = .0))]
    Client(String),
    #[error("{}", t!("proxy.bind", addr = addr, error = source))]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Everything a running proxy needs, resolved up front (keys included) so a
/// request never waits on a keyring.
pub struct ProxyConfig {
    pub profile: Profile,
    pub upstreams: HashMap<String, Arc<Upstream>>,
    pub token: SecretString,
    pub log: LogFn,
    /// Add what translation dropped or changed to each request's log line.
    pub log_notes: bool,
}

impl ProxyConfig {
    pub fn for_profile(
        config: &Config,
        profile: &str,
        secrets: &Secrets,
        env: &dyn Fn(&str) -> Option<String>,
        token: SecretString,
        log: LogFn,
    ) -> Result<ProxyConfig, StartError> {
        let profile = config.profile(profile)?.clone();
        let mut upstreams = HashMap::new();
        for name in profile.providers() {
            let provider = config.provider(name)?.clone();
            if !provider.api.uses_base_url() {
                return Err(StartError::NotProxied {
                    profile: profile.name.clone(),
                    provider: provider.name.clone(),
                    api: provider.api,
                });
            }
            let key = secrets
                .resolve(&provider, env)
                .map_err(|source| StartError::Key {
                    provider: provider.name.clone(),
                    source,
                })?
                .map(|k| k.secret);
            upstreams.insert(name.to_string(), Arc::new(Upstream::new(provider, key)?));
        }
        Ok(ProxyConfig {
            profile,
            upstreams,
            token,
            log,
            log_notes: false,
        })
    }
}

/// The runtime the proxy runs on: one thread. The work per request is
/// small and I/O-bound, and on a laptop's few cores one thread beat a
/// work-stealing pool on both added latency (p50 0.06-0.09 ms against
/// 0.10-0.13) and throughput (`examples/proxy-load`): no cross-core
/// wake-ups, and nothing to steal. Slow CPU work (local token counting)
/// goes to the blocking pool.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// A fresh random session token for the client side of the proxy.
pub fn new_token() -> SecretString {
    SecretString::from(format!("ccsw-{}", random_hex(24)))
}

/// `bytes` random bytes from the OS, in hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS RNG failing is not something to limp on from.
    getrandom::fill(&mut buf).expect("the OS random number generator works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running proxy. Dropping it without [`ProxyHandle::shutdown`] leaves the
/// server running until the runtime stops.
pub struct ProxyHandle {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ProxyHandle {
    /// Stop accepting, give in-flight requests a moment, then stop.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
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
    let (tx, rx) = tokio::sync::oneshot::channel();
    let state = Arc::new(server::State::new(cfg, stats.clone()));
    let task = tokio::spawn(server::accept_loop(listener, state, rx));
    Ok(ProxyHandle {
        addr,
        stats,
        shutdown: Some(tx),
        task,
    })
}

//! What a proxy needs before it can serve: the profile, an upstream client
//! per provider (keys resolved up front), the session token and the log
//! sink, and the runtime it runs on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::SecretString;

use super::conns::Limits;
use super::upstream::{ClientError, Upstream};
use crate::config::{Api, Config, ConfigError, Profile};
use crate::secrets::{SecretError, Secrets};
use crate::t;

/// Where request log lines go (stderr for `serve`, a file for `run`).
pub type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

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
    #[error(transparent)]
    Client(#[from] ClientError),
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
    /// What a client connection may cost (time, and how many at once).
    pub limits: Limits,
    /// Where finished requests go for the usage ledger (none: not kept).
    pub usage: Option<crate::usage::Sink>,
    /// This proxy run's id in the ledger.
    pub session: Arc<str>,
    /// Budgets to check before each request goes upstream.
    pub budget: Option<Arc<crate::usage::budget::checker::Checker>>,
    /// Where finished requests go for the audit log (none: it is off).
    pub audit: Option<crate::usage::audit::AuditSink>,
    /// When a failing fallback target is skipped.
    pub breaker: crate::config::Breaker,
    /// Where breakers opening and closing are noted for other processes
    /// (none: not noted).
    pub circuits: Option<std::path::PathBuf>,
    /// The web search backend for upstreams that cannot run Anthropic's
    /// `web_search` tool.
    pub search: SearchSetup,
}

/// `[search]` as the proxy found it at start.
#[derive(Clone, Default)]
pub enum SearchSetup {
    /// No `[search]` table.
    #[default]
    Off,
    Ready(Arc<crate::search::Backend>),
    /// Configured, but its key could not be found: why, for the model and
    /// the log (a session without search beats no session).
    Broken(String),
}

impl SearchSetup {
    pub fn new(
        config: &Config,
        secrets: &Secrets,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> SearchSetup {
        let Some(s) = &config.search else {
            return SearchSetup::Off;
        };
        match secrets.resolve_spec(&s.kind.keyring_entry(), &s.key, env) {
            Ok(key) => match crate::search::Backend::new(s.clone(), key.map(|k| k.secret)) {
                Ok(b) => SearchSetup::Ready(Arc::new(b)),
                Err(e) => SearchSetup::Broken(e.to_string()),
            },
            Err(e) => SearchSetup::Broken(e.to_string()),
        }
    }
}

impl ProxyConfig {
    /// Every upstream key and the session token: what the audit log
    /// redacts.
    pub fn secrets(&self) -> Vec<String> {
        use secrecy::ExposeSecret;
        let mut out: Vec<String> = self
            .upstreams
            .values()
            .flat_map(|u| u.secret_values())
            .collect();
        out.push(self.token.expose_secret().to_string());
        out
    }

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
            let extra =
                secrets
                    .resolve_extra(&provider, env)
                    .map_err(|source| StartError::Key {
                        provider: provider.name.clone(),
                        source,
                    })?;
            let mut up = Upstream::new(provider, key)?.with_pool(&extra)?;
            up.log = Some(log.clone());
            upstreams.insert(name.to_string(), Arc::new(up));
        }
        Ok(ProxyConfig {
            profile,
            upstreams,
            token,
            log,
            log_notes: false,
            limits: Limits::default(),
            usage: None,
            session: super::auth::random_hex(8).into(),
            budget: None,
            audit: None,
            breaker: config.breaker,
            circuits: None,
            search: SearchSetup::new(config, secrets, env),
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

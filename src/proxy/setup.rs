//! What a proxy needs before it can serve: the profile, an upstream client
//! per provider (keys resolved up front), the session token and the log
//! sink, and the runtime it runs on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::conns::Limits;
use super::upstream::cloud::{Bedrock, Cloud, CloudError, Vertex};
use super::upstream::{ClientError, Upstream};
use crate::config::{Api, Config, ConfigError, Profile};
use crate::secrets::{KeySource, Redactor, SecretError, Secrets};
use crate::t;

/// Where request log lines go (stderr for `serve`, a file for `run`): the
/// ledger's log sink type, one for the whole crate.
pub use crate::usage::LogFn;

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
    #[error(transparent)]
    Cloud(#[from] CloudError),
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
    /// Cloud upstreams' endpoints and signers (Bedrock), by provider.
    pub clouds: HashMap<String, Arc<Cloud>>,
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
    pub audit: Option<crate::audit::AuditSink>,
    /// When a failing fallback target is skipped.
    pub breaker: crate::config::Breaker,
    /// Where breakers opening and closing are noted for other processes
    /// (none: not noted).
    pub circuits: Option<std::path::PathBuf>,
    /// The web search backend for upstreams that cannot run Anthropic's
    /// `web_search` tool.
    pub search: SearchSetup,
    /// TLS for a proxy reached over the network (`serve --tls-cert`);
    /// none: plain HTTP.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// A team gateway's members, by their virtual keys (`serve
    /// --gateway`); none: the session token alone.
    pub gateway: Option<Arc<crate::gateway::auth::Authenticator>>,
    /// The members' budgets on a team gateway (with `gateway`).
    pub gate_budget: Option<Arc<crate::gateway::budget::Budgeter>>,
    /// The profile's model menu (whole providers expanded by
    /// [`crate::launch::proxied`] once their lists are in).
    pub menu: super::menu::Menu,
    /// Masks every secret this run knows, and key-shaped text, in whatever
    /// the proxy passes on or keeps: error messages and events, log lines
    /// (`log` already goes through it), the audit log.
    pub redactor: Arc<Redactor>,
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
        Self::with_key(config, secrets, env).0
    }

    /// The setup, and the backend's key for the redactor.
    pub fn with_key(
        config: &Config,
        secrets: &Secrets,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> (SearchSetup, Option<SecretString>) {
        let Some(s) = &config.search else {
            return (SearchSetup::Off, None);
        };
        match secrets.resolve_spec(&s.kind.keyring_entry(), &s.key, env) {
            Ok(key) => {
                let key = key.map(|k| k.secret);
                match crate::search::Backend::new(s.clone(), key.clone()) {
                    Ok(b) => (SearchSetup::Ready(Arc::new(b)), key),
                    Err(e) => (SearchSetup::Broken(e.to_string()), None),
                }
            }
            Err(e) => (SearchSetup::Broken(e.to_string()), None),
        }
    }
}

/// Provider header values that may be credentials: under a name that says
/// so, or shaped like a key. Others (`X-Team = "platform"`) would mask
/// ordinary words.
fn header_secrets(p: &crate::config::Provider) -> impl Iterator<Item = &str> {
    const NAMES: &[&str] = &[
        "auth", "key", "token", "secret", "cookie", "sign", "session", "pass", "cred",
    ];
    p.headers.iter().filter_map(|(name, value)| {
        let name = name.to_ascii_lowercase();
        let named = NAMES.iter().any(|n| name.contains(n));
        let shaped = value.len() >= 20
            && !value.contains(char::is_whitespace)
            && value.chars().any(|c| c.is_ascii_digit())
            && value.chars().any(|c| c.is_ascii_alphabetic());
        (named || shaped).then_some(value.as_str())
    })
}

/// Every model the profile sends to cloud provider `p` (Bedrock, Vertex)
/// must be one the price table or the provider's `models` knows (a
/// cross-region profile by its model): a typo would otherwise fail only at
/// the first request.
fn check_models(profile: &Profile, p: &crate::config::Provider) -> Result<(), CloudError> {
    let slots = profile.slots().into_iter().chain(profile.route_slots());
    let targets = slots
        .flat_map(|(_, s)| s.targets())
        .chain(profile.menu_slots().flat_map(crate::config::Slot::targets));
    for (_, model) in targets.filter(|(provider, _)| *provider == p.name) {
        if crate::usage::prices::price_for(p, model).is_none() && !p.models.contains_key(model) {
            let (provider, model) = (p.name.clone(), model.to_string());
            return Err(if p.api == Api::Vertex {
                CloudError::VertexUnknownModel { provider, model }
            } else {
                CloudError::UnknownModel { provider, model }
            });
        }
    }
    Ok(())
}

/// `log` with every line masked first.
fn masked(log: LogFn, redactor: Arc<Redactor>) -> LogFn {
    Arc::new(move |line: &str| log(&redactor.redact(line)))
}

impl ProxyConfig {
    /// The config for a proxy serving `profile` of `config`.
    pub fn new(
        config: &Config,
        profile: &Profile,
        secrets: &Secrets,
        env: &dyn Fn(&str) -> Option<String>,
        token: SecretString,
        log: LogFn,
    ) -> Result<ProxyConfig, StartError> {
        let profile = profile.clone();
        let mut built = Vec::new();
        let mut clouds = HashMap::new();
        let mut known: Vec<String> = vec![token.expose_secret().to_string()];
        for name in profile.providers() {
            let provider = config.provider(name)?.clone();
            if !provider.proxied() {
                return Err(StartError::NotProxied {
                    profile: profile.name.clone(),
                    provider: provider.name.clone(),
                    api: provider.api,
                });
            }
            let resolved = secrets
                .resolve(&provider, env)
                .map_err(|source| StartError::Key {
                    provider: provider.name.clone(),
                    source,
                })?;
            // Only a key the command gave is fetched again (an env var
            // named first wins over the command, and does not expire).
            let refresh = match (&resolved, &provider.key.command, provider.key.ttl_secs) {
                (Some(r), Some(cmd), Some(ttl)) if matches!(r.source, KeySource::Command) => {
                    Some((cmd.clone(), std::time::Duration::from_secs(ttl)))
                }
                _ => None,
            };
            let mut key = resolved.map(|k| k.secret);
            let mut cloud = None;
            if provider.api == Api::Bedrock {
                // A Bedrock API key (the provider's, else the variable
                // Claude Code itself reads) means Bearer auth, not SigV4.
                let bearer = key.take().or_else(|| {
                    env("AWS_BEARER_TOKEN_BEDROCK")
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| SecretString::from(v.trim().to_string()))
                });
                known.extend(bearer.iter().map(|k| k.expose_secret().to_string()));
                check_models(&profile, &provider)?;
                cloud = Some(Cloud::Bedrock(Bedrock::new(&provider, bearer.as_ref())?));
            } else if provider.api == Api::Vertex {
                check_models(&profile, &provider)?;
                // The project Claude Code's own Vertex mode would read.
                let project = env("ANTHROPIC_VERTEX_PROJECT_ID");
                cloud = Some(Cloud::Vertex(Vertex::new(&provider, project)?));
            }
            let extra =
                secrets
                    .resolve_extra(&provider, env)
                    .map_err(|source| StartError::Key {
                        provider: provider.name.clone(),
                        source,
                    })?;
            known.extend(
                key.iter()
                    .chain(&extra)
                    .map(|k| k.expose_secret().to_string()),
            );
            known.extend(header_secrets(&provider).map(str::to_string));
            if let Some(c) = cloud {
                clouds.insert(name.to_string(), Arc::new(c));
            }
            let mut up = Upstream::new(provider, key)?.with_pool(&extra)?;
            if let Some((command, ttl)) = refresh {
                up = up.with_refresh(&command, ttl);
            }
            known.extend(up.secret_values());
            built.push((name.to_string(), up));
        }
        let (search, search_key) = SearchSetup::with_key(config, secrets, env);
        known.extend(search_key.map(|k| k.expose_secret().to_string()));
        let redactor = Arc::new(Redactor::new(&known));
        let log = masked(log, redactor.clone());
        let upstreams = built
            .into_iter()
            .map(|(name, mut up)| {
                up.log = Some(log.clone());
                if let Some(r) = &mut up.refresh {
                    r.log = Some(log.clone());
                    r.redactor = Some(redactor.clone());
                }
                (name, Arc::new(up))
            })
            .collect();
        Ok(ProxyConfig {
            tls: None,
            gateway: None,
            gate_budget: None,
            menu: super::menu::Menu::build(&profile, &HashMap::new()),
            profile,
            upstreams,
            clouds,
            token,
            log,
            log_notes: false,
            limits: Limits::default(),
            usage: None,
            session: crate::random::random_hex(8).into(),
            budget: None,
            audit: None,
            breaker: config.breaker,
            circuits: None,
            search,
            redactor,
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

/// The runtime for `workers` threads: one is [`runtime`]; more is a
/// work-stealing pool, for a team gateway whose many members' requests
/// (each checked against the store and budgets) would queue behind one
/// core. Nothing in the proxy is tied to a thread: every task it spawns
/// is `Send`, and no request state lives in thread-locals.
pub fn runtime_with(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if workers <= 1 {
        return runtime();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
}

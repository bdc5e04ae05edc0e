//! One proxied session, built the same way for `ccswitch run`, `ccswitch
//! serve` and the connection test: the proxy's config from the resolved
//! profile, what it records (ledger, audit log, budgets, breaker notes),
//! the proxy started, and everything closed in order at the end.

use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::SecretString;

use crate::audit::AuditLog;
use crate::config::{Config, Profile};
use crate::ctx::Ctx;
use crate::proxy::stats::ModelUsage;
use crate::proxy::{self, LogFn, ProxyConfig, ProxyHandle, StartError};
use crate::t;
use crate::usage::Ledger;

/// How a session is started.
pub struct Options {
    pub addr: SocketAddr,
    pub token: SecretString,
    /// Where the proxy's lines go (it masks every secret it knows first).
    pub log: LogFn,
    /// Add what translation dropped or changed to each request's line.
    pub log_notes: bool,
    /// TLS for a proxy reached over the network (`serve --tls-cert`).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// A team gateway's members, by their keys (`serve --gateway`).
    pub gateway: Option<Arc<crate::gateway::auth::Authenticator>>,
    /// Every gateway request waits for the shared store's admission
    /// before it goes upstream (`serve --admit-first`).
    pub admit_first: bool,
    /// What the session keeps; `None` keeps nothing (the connection test:
    /// a probe is not usage, and must not trip or note a breaker).
    pub record: Option<Recording>,
}

/// What a recorded session keeps.
pub struct Recording {
    /// Where problems opening the ledger or the audit log are told.
    pub warn: LogFn,
    /// Do not check budgets this session.
    pub ignore_budget: bool,
}

/// A running proxied session.
pub struct Proxied {
    handle: ProxyHandle,
    // Dropped after the proxy stops, ledger first: everything the proxy
    // recorded is written before the totals are read.
    ledger: Option<Ledger>,
    audit: Option<AuditLog>,
    /// This run's id in the ledger.
    pub session: Arc<str>,
}

/// What a session did, once closed.
pub struct Totals {
    pub total: ModelUsage,
    pub by_model: Vec<((String, String), ModelUsage)>,
    /// Claude Code's own session id, last seen in a request.
    pub claude_session: Option<String>,
    /// Failed attempts that a fallback answered for (in `total` too).
    pub recovered: u64,
}

/// The proxy's config for `profile`, with what it records when `record`
/// asks for it.
fn config(
    ctx: &Ctx,
    cfg: &Config,
    profile: &Profile,
    opts: Options,
) -> Result<(ProxyConfig, Option<Ledger>, Option<AuditLog>), StartError> {
    let mut pcfg = ProxyConfig::new(cfg, profile, &ctx.secrets, &*ctx.env, opts.token, opts.log)?;
    pcfg.log_notes = opts.log_notes;
    pcfg.gate_budget = opts.gateway.as_ref().map(|g| {
        let budgeter = crate::gateway::budget::Budgeter::new(
            g.store().clone(),
            crate::usage::pricer(cfg),
            pcfg.log.clone(),
        );
        Arc::new(budgeter.admit_first(opts.admit_first))
    });
    pcfg.gateway = opts.gateway;
    pcfg.tls = opts.tls;
    let Some(record) = opts.record else {
        return Ok((pcfg, None, None));
    };
    // What the ledger and budgets have to say passes the same mask as the
    // proxy's own lines.
    let warn: LogFn = {
        let (warn, redactor) = (record.warn, pcfg.redactor.clone());
        Arc::new(move |line: &str| warn(&redactor.redact(line)))
    };
    let ledger = crate::usage::start(&ctx.paths, cfg, &warn, (ctx.now)());
    pcfg.usage = ledger.as_ref().and_then(Ledger::sink);
    pcfg.circuits = Some(ctx.paths.circuits_file.clone());
    if record.ignore_budget {
        (pcfg.log)(&t!("budget.ignored"));
    } else {
        pcfg.budget = crate::usage::checker(&ctx.paths, cfg, profile, ledger.as_ref(), &warn);
    }
    let audit = crate::audit::start(&ctx.paths, cfg, pcfg.redactor.clone(), &pcfg.log);
    pcfg.audit = audit.as_ref().and_then(AuditLog::sink);
    Ok((pcfg, ledger, audit))
}

/// How long the menu waits for a whole provider's model list.
const MENU_LIST_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The menu with its whole providers' models in: each asked for its list
/// at once. One that does not answer in time (or at all) gives the models
/// its config table names, and the session's log says so.
async fn expand_menu(pcfg: &mut ProxyConfig, profile: &Profile) {
    use crate::proxy::menu::Menu;
    use crate::proxy::upstream::models::list_models_within;
    let whole = Menu::whole_providers(profile);
    if whole.is_empty() {
        return;
    }
    let asks = whole
        .iter()
        .filter_map(|p| pcfg.upstreams.get(*p))
        .map(|up| async move {
            let listed = list_models_within(up, MENU_LIST_LIMIT).await;
            (up.provider.name.clone(), listed)
        });
    let mut lists = std::collections::HashMap::new();
    for (name, listed) in futures_util::future::join_all(asks).await {
        let models = listed.unwrap_or_else(|e| {
            (pcfg.log)(&format!(
                "warning: {}",
                t!("launch.menu_list_failed", provider = name, error = e)
            ));
            pcfg.upstreams[&name]
                .provider
                .models
                .keys()
                .cloned()
                .collect()
        });
        lists.insert(name, models);
    }
    pcfg.menu = Menu::build(profile, &lists);
}

impl Proxied {
    /// Build the session's proxy and start it.
    pub async fn start(
        ctx: &Ctx,
        cfg: &Config,
        profile: &Profile,
        opts: Options,
    ) -> Result<Proxied, StartError> {
        let addr = opts.addr;
        let (mut pcfg, ledger, audit) = config(ctx, cfg, profile, opts)?;
        expand_menu(&mut pcfg, profile).await;
        let session = pcfg.session.clone();
        let handle = proxy::start(addr, pcfg).await?;
        Ok(Proxied {
            handle,
            ledger,
            audit,
            session,
        })
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr
    }

    /// Stop the proxy (in-flight requests get a moment), then write out
    /// what it recorded.
    pub async fn close(self) -> Totals {
        let stats = self.handle.stats.clone();
        self.handle.shutdown().await;
        drop(self.ledger);
        drop(self.audit);
        Totals {
            total: stats.total(),
            by_model: stats.snapshot(),
            claude_session: stats.last_session(),
            recovered: stats.recovered(),
        }
    }
}

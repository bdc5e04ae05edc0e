//! What every request of a running proxy shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::ExposeSecret;

use super::breaker::Breakers;
use super::breaker::notes::BreakerNotes;
use super::setup::ProxyConfig;
use super::stats::Stats;
use crate::config::Api;
use crate::proxy::translate::provenance::Provenance;
use crate::random::random_hex;

pub struct State {
    pub cfg: ProxyConfig,
    pub stats: Arc<Stats>,
    /// The API every upstream of the profile speaks, when they agree: the
    /// body can then be parsed once, in the form that path needs.
    pub single_api: Option<Api>,
    /// Thinking of tool-call turns, for profiles that span providers (see
    /// [`super::recall`]).
    pub recall: Option<std::sync::Mutex<super::recall::Recall>>,
    /// The profile's targets span more than one provider, so a turn may go
    /// to a provider that did not make the history's thinking: replies'
    /// thinking is tagged with its maker (`translate::provenance`). A
    /// single-provider profile's replies go through as they came.
    pub spans_providers: bool,
    /// Gateway keys' requests and tokens in the last minute.
    pub limiter: crate::gateway::limit::Limiter,
    /// A team gateway's counts by team and member, for `/metrics`.
    pub gate_stats: super::gate_metrics::GateStats,
    /// The profile's name, shared by every ledger record.
    pub profile: Arc<str>,
    /// One per fallback target.
    pub breakers: Breakers,
    /// Where their changes are told.
    pub breaker_notes: BreakerNotes,
    /// The usage page's sign-in cookie: derived from the session token
    /// with a salt of this run, so it is never the token and ends with it.
    pub ui_cookie: String,
    id_prefix: String,
    next_id: AtomicU64,
}

impl State {
    pub fn new(cfg: ProxyConfig, stats: Arc<Stats>) -> State {
        let mut apis = cfg.upstreams.values().map(|u| u.provider.api);
        let first = apis.next();
        let single_api = first.filter(|a| apis.all(|b| b == *a));
        let spans_providers = cfg.profile.providers().len() > 1;
        let recall = spans_providers.then(Default::default);
        let breakers = Breakers::new(&cfg.profile, cfg.breaker);
        let breaker_notes = BreakerNotes {
            log: cfg.log.clone(),
            file: cfg.circuits.clone(),
            profile: cfg.profile.name.clone(),
            cooldown: breakers.cooldown(),
        };
        let ui_cookie =
            crate::gateway::ui::session::cookie_value(cfg.token.expose_secret(), &random_hex(16));
        State {
            ui_cookie,
            profile: cfg.profile.name.as_str().into(),
            breakers,
            breaker_notes,
            cfg,
            stats,
            single_api,
            recall,
            limiter: Default::default(),
            gate_stats: Default::default(),
            spans_providers,
            id_prefix: random_hex(6),
            next_id: AtomicU64::new(1),
        }
    }

    /// A message id unique to this proxy run.
    pub fn message_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("msg_ccsw{}{n:06}", self.id_prefix)
    }

    /// A request id unique to this proxy run, for the audit log.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("req_ccsw{}{n:06}", self.id_prefix)
    }

    /// The provider `name` as the history's thinking sees it.
    pub fn provenance<'a>(&self, name: &'a str) -> Provenance<'a> {
        Provenance {
            provider: name,
            spans_providers: self.spans_providers,
        }
    }

    pub fn log(&self, line: &str) {
        (self.cfg.log)(line);
    }
}

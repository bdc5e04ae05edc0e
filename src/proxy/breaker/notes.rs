//! Breakers opening and closing, told: a log line, and a note in the
//! circuits file for the processes that cannot see this proxy's breakers
//! (the TUI's list, `ccswitch test`). The request path only hands over the
//! change; the file is written off it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::Change;
use crate::circuits;
use crate::proxy::fallback;
use crate::proxy::setup::LogFn;
use crate::{t, tn};

/// Where a proxy run tells its breakers' changes.
pub struct BreakerNotes {
    pub log: LogFn,
    /// The circuits file (none: changes are only logged).
    pub file: Option<PathBuf>,
    pub profile: String,
    pub cooldown: Duration,
}

impl BreakerNotes {
    /// Tell that the breaker of `provider`/`model` changed.
    pub fn changed(&self, provider: &str, model: &str, change: &Change) {
        let target = fallback::name(provider, model);
        let secs = self.cooldown.as_secs();
        (self.log)(&match change {
            Change::Opened { failures } => {
                tn!(
                    "proxy.breaker_open",
                    n = failures,
                    target = target,
                    secs = secs
                )
            }
            Change::Reopened => t!("proxy.breaker_reopen", target = target, secs = secs),
            Change::Closed => t!("proxy.breaker_closed", target = target),
        });
        let Some(path) = self.file.clone() else {
            return;
        };
        let now = SystemTime::now();
        let record = match change {
            Change::Opened { .. } | Change::Reopened => Some(circuits::Circuit {
                provider: provider.to_string(),
                model: model.to_string(),
                since: circuits::unix_secs(now),
                until: circuits::unix_secs(now + self.cooldown),
                failures: match change {
                    Change::Opened { failures } => *failures,
                    _ => 0,
                },
                profile: self.profile.clone(),
            }),
            Change::Closed => None,
        };
        let (provider, model) = (provider.to_string(), model.to_string());
        let log = self.log.clone();
        // Off the request's way: the file is locked and replaced.
        tokio::task::spawn_blocking(move || {
            let note = match &record {
                Some(c) => circuits::Note::Open(c),
                None => circuits::Note::Closed {
                    provider: &provider,
                    model: &model,
                },
            };
            if let Err(e) = circuits::note(&path, &note, now) {
                log(&t!("proxy.circuits_io", path = path.display(), error = e));
            }
        });
    }
}

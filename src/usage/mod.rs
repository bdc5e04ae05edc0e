//! The usage ledger: one row per upstream request in SQLite, prices to turn
//! tokens into cost, and the queries behind `ccswitch usage`.
//!
//! The proxy builds a [`Record`] when a request ends and hands it to a
//! [`Sink`]; the [`Ledger`]'s thread prices and writes it. Nothing here runs
//! on the request path but that one channel send.

pub mod budget;
pub mod db;
pub mod format;
pub mod prices;
pub mod project;
pub mod query;
pub mod record;
#[cfg(test)]
pub(crate) mod testing;
pub mod writer;

pub use db::LedgerError;
pub use record::{Attribution, ErrorClass, Record};
pub use writer::{Ledger, LogFn, Pricer, Sink};

use std::time::SystemTime;

use crate::config::Config;
use crate::paths::Paths;
use crate::t;

/// A time as the ledger keeps it: Unix milliseconds (0 before 1970).
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The ledger for a proxy run, or `None`: when the config turns it off, or
/// (with a warning in the log) when it cannot be opened. Usage is then not
/// recorded, and the session runs.
pub fn start(paths: &Paths, config: &Config, log: &LogFn, now: SystemTime) -> Option<Ledger> {
    if !config.ledger {
        return None;
    }
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let opened = match db::open(&paths.usage_db, secs) {
        Ok(o) => o,
        Err(e) => {
            log(&format!("warning: {}", t!("usage.off", error = e)));
            return None;
        }
    };
    if let Some(aside) = &opened.moved_aside {
        log(&format!(
            "warning: {}",
            t!(
                "usage.moved_aside",
                path = paths.usage_db.display(),
                aside = aside.display()
            )
        ));
    }
    Some(Ledger::start(opened.conn, pricer(config), log.clone()))
}

/// Prices from the config's providers (and the built-in table).
pub fn pricer(config: &Config) -> Pricer {
    let providers = config.providers.clone();
    Box::new(move |provider, model| {
        providers
            .get(provider)
            .and_then(|p| prices::price_for(p, model))
    })
}

/// The budget checks for a profile's proxy run, when it has budgets (its
/// own or its providers') and the ledger is on.
pub fn checker(
    paths: &Paths,
    config: &Config,
    profile: &crate::config::Profile,
    ledger: Option<&Ledger>,
    log: &LogFn,
) -> Option<std::sync::Arc<budget::checker::Checker>> {
    let scopes = budget::scopes(config, profile);
    if scopes.is_empty() {
        return None;
    }
    let opened = ledger.and_then(|l| {
        let sink = l.sink()?;
        match db::open_read(&paths.usage_db) {
            Ok(conn) => Some((conn, sink)),
            Err(e) => {
                log(&format!("warning: {}", t!("budget.unchecked", error = e)));
                None
            }
        }
    });
    let Some((conn, sink)) = opened else {
        if ledger.is_none() {
            log(&format!(
                "warning: {}",
                t!("budget.unchecked", error = t!("budget.no_ledger"))
            ));
        }
        return None;
    };
    Some(std::sync::Arc::new(budget::checker::Checker::new(
        &profile.name,
        scopes,
        conn,
        &sink,
        pricer(config),
    )))
}

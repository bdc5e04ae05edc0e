//! Reading the usage ledger for the screen: the usage screen's 30 days and
//! the list's 7-day lines. Always on a thread of its own (another session
//! may hold the write lock for a moment), answering with a message.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::SystemTime;

use rusqlite::Connection;

use crate::tui::app::{Msg, SpentSoFar, UsageData, UsageQuery};
use crate::usage::LedgerError;
use crate::usage::db;
use crate::usage::query::{self, By, Filter, Sums};

pub(super) fn spawn_load(path: PathBuf, seq: u64, q: UsageQuery, now: SystemTime, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        let result = load(&path, &q, secs(now));
        let _ = tx.send(Msg::UsageLoaded(seq, Box::new(result)));
    });
}

pub(super) fn spawn_week(path: PathBuf, now: SystemTime, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        let _ = tx.send(Msg::Week(week(&path, secs(now))));
    });
}

fn secs(t: SystemTime) -> i64 {
    crate::usage::unix_ms(t) / 1000
}

/// The ledger, or `None` when nothing was ever recorded (not an error: the
/// screen says when recording starts).
fn open(path: &Path) -> Result<Option<Connection>, String> {
    match db::open_read(path) {
        Ok(conn) => Ok(Some(conn)),
        Err(LedgerError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The usage screen's numbers at `now_secs`.
pub fn load(path: &Path, q: &UsageQuery, now_secs: i64) -> Result<UsageData, String> {
    match open(path)? {
        Some(conn) => read(&conn, q, now_secs).map_err(|e| e.to_string()),
        None => Ok(UsageData::default()),
    }
}

/// Each profile's last 7 days (today included) at `now_secs`.
pub fn week(path: &Path, now_secs: i64) -> Result<HashMap<String, Sums>, String> {
    let Some(conn) = open(path)? else {
        return Ok(HashMap::new());
    };
    let by_profile = || -> rusqlite::Result<HashMap<String, Sums>> {
        let b = query::bounds(&conn, now_secs)?;
        let f = Filter {
            since_ms: b.week,
            until_ms: b.tomorrow,
            profile: None,
        };
        let groups = query::grouped(&conn, &f, By::Profile)?;
        Ok(groups.into_iter().map(|g| (g.key, g.sums)).collect())
    };
    by_profile().map_err(|e| e.to_string())
}

fn read(conn: &Connection, q: &UsageQuery, now_secs: i64) -> rusqlite::Result<UsageData> {
    let b = query::bounds(conn, now_secs)?;
    let since = |since_ms, profile: Option<&str>| Filter {
        since_ms,
        until_ms: b.tomorrow,
        profile: profile.map(str::to_string),
    };
    let days30 = since(b.days30, q.profile.as_deref());
    let by_day = query::grouped(conn, &days30, By::Day)?;
    let days = query::day_keys(conn, now_secs, 30)?
        .into_iter()
        .map(|day| {
            let sums = by_day
                .iter()
                .find(|g| g.key == day)
                .map(|g| g.sums.clone())
                .unwrap_or_default();
            (day, sums)
        })
        .collect();
    let profile_spent = match q.budget_profile.as_deref() {
        Some(p) => SpentSoFar {
            today: query::total(conn, &since(b.today, Some(p)))?,
            month: query::total(conn, &since(b.month, Some(p)))?,
        },
        None => SpentSoFar::default(),
    };
    // Today is part of this month: every provider with spend today is in
    // the month's groups.
    let today = query::grouped(conn, &since(b.today, None), By::Provider)?;
    let provider_spent = query::grouped(conn, &since(b.month, None), By::Provider)?
        .into_iter()
        .map(|m| {
            let today = today
                .iter()
                .find(|t| t.key == m.key)
                .map(|t| t.sums.clone())
                .unwrap_or_default();
            let spent = SpentSoFar {
                today,
                month: m.sums,
            };
            (m.key, spent)
        })
        .collect();
    Ok(UsageData {
        recorded: true,
        days,
        total: query::total(conn, &days30)?,
        models: query::grouped(conn, &days30, By::Model)?,
        profile_spent,
        provider_spent,
    })
}

#[cfg(test)]
mod tests;

//! The usage page's figures as plain values: read from the ledger (and the
//! store's keys and members, which the caller fetched) into a [`Snapshot`].
//! Reading opens the ledger read-only for one page and closes it at once:
//! WAL readers never stop the writer, and nothing is held between pages.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use rusqlite::Connection;

use crate::gateway::store::{Budgets, KeyRecord, KeyStatus, Member};
use crate::usage::LedgerError;
use crate::usage::db;
use crate::usage::query::team::{self, Failed};
use crate::usage::query::{self, By, Filter, Sums, UsageGroup};

/// How many failed requests the page lists.
pub const RECENT_ERRORS: u32 = 20;

/// Everything the page shows.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The range the tables and the chart cover: the last `days` local
    /// days, today included.
    pub days: u32,
    /// When it was read, local `YYYY-MM-DD HH:MM`.
    pub as_of: String,
    /// The ledger is on; off, there is nothing to show.
    pub recorded: bool,
    pub today: Sums,
    pub month: Sums,
    pub range: Sums,
    pub teams: Vec<UsageGroup>,
    pub members: Vec<UsageGroup>,
    pub projects: Vec<UsageGroup>,
    pub models: Vec<UsageGroup>,
    /// Each member's team, from the store.
    pub member_teams: HashMap<String, String>,
    pub chart: Chart,
    pub keys: Vec<KeyBudget>,
    pub errors: Vec<Failed>,
}

/// Spend per day and team.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    /// Local dates, oldest first.
    pub days: Vec<String>,
    /// Teams, the biggest spender first (`-`: requests without a team).
    pub teams: Vec<String>,
    /// `cost[day][team]`, USD.
    pub cost: Vec<Vec<f64>>,
}

impl Chart {
    /// Each day's total.
    pub fn totals(&self) -> Vec<f64> {
        self.cost.iter().map(|d| d.iter().sum()).collect()
    }
}

/// A live key's budgets and what it spent against them.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyBudget {
    pub prefix: String,
    pub member: String,
    pub team: String,
    pub budgets: Budgets,
    pub today_usd: f64,
    pub month_usd: f64,
}

/// The page's figures from the ledger at `ledger` (`None`: the ledger is
/// off). A ledger not made yet reads as an empty one.
pub fn load(
    ledger: Option<&Path>,
    now: SystemTime,
    days: u32,
    keys: &[KeyRecord],
    members: &[Member],
) -> Result<Snapshot, LedgerError> {
    let Some(path) = ledger else {
        return Ok(Snapshot {
            days,
            ..Snapshot::default()
        });
    };
    let conn = match db::open_read(path) {
        Ok(c) => c,
        Err(LedgerError::Missing { .. }) => {
            db::empty().map_err(|e| LedgerError::reading(path, e))?
        }
        Err(e) => return Err(e),
    };
    // One read transaction: the cards, tables and chart agree with each
    // other while the writer commits. It lasts the few reads of one page.
    let read_all = || {
        let tx = conn.unchecked_transaction()?;
        read(&tx, now, days, keys, members)
    };
    read_all().map_err(|e| LedgerError::reading(path, e))
}

/// The page's figures from an open ledger.
pub fn read(
    conn: &Connection,
    now: SystemTime,
    days: u32,
    keys: &[KeyRecord],
    members: &[Member],
) -> rusqlite::Result<Snapshot> {
    let now_secs = crate::usage::unix_ms(now) / 1000;
    let b = query::bounds(conn, now_secs)?;
    let since = query::days_back(conn, now_secs, u64::from(days))?.unwrap_or(b.days30);
    let filter = |since_ms| Filter {
        since_ms,
        until_ms: b.tomorrow,
        profile: None,
    };
    let range = filter(since);
    let grouped = |by| query::grouped(conn, &range, by);
    let day_keys = query::day_keys(conn, now_secs, days)?;
    let today_spend = team::spend_by_key(conn, b.today, b.tomorrow)?;
    let month_spend = team::spend_by_key(conn, b.month, b.tomorrow)?;
    let spent = |m: &HashMap<String, f64>, k: &str| m.get(k).copied().unwrap_or(0.0);
    Ok(Snapshot {
        days,
        as_of: team::local_minute(conn, now_secs)?,
        recorded: true,
        today: query::total(conn, &filter(b.today))?,
        month: query::total(conn, &filter(b.month))?,
        range: query::total(conn, &range)?,
        teams: grouped(By::Team)?,
        members: grouped(By::Member)?,
        projects: grouped(By::Project)?,
        models: grouped(By::Model)?,
        member_teams: members
            .iter()
            .map(|m| (m.name.clone(), m.team.clone()))
            .collect(),
        chart: chart(conn, &day_keys)?,
        keys: keys
            .iter()
            .filter(|k| k.status(now) == KeyStatus::Active)
            .map(|k| KeyBudget {
                prefix: k.prefix.clone(),
                member: k.member.clone(),
                team: k.team.clone(),
                budgets: k.settings.budgets,
                today_usd: spent(&today_spend, &k.prefix),
                month_usd: spent(&month_spend, &k.prefix),
            })
            .collect(),
        errors: team::recent_errors(conn, since, RECENT_ERRORS)?,
    })
}

/// Spend per day (every one of `days`, spent or not) and team.
fn chart(conn: &Connection, days: &[String]) -> rusqlite::Result<Chart> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Chart::default());
    };
    let rows = team::daily_by_team(conn, first, last)?;
    let mut by_team: HashMap<&str, f64> = HashMap::new();
    for r in &rows {
        *by_team.entry(&r.team).or_default() += r.cost_usd;
    }
    let mut teams: Vec<(&str, f64)> = by_team.into_iter().collect();
    teams.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let teams: Vec<String> = teams.into_iter().map(|(t, _)| t.to_string()).collect();
    let mut cost = vec![vec![0.0; teams.len()]; days.len()];
    for r in &rows {
        let d = days.iter().position(|d| *d == r.day);
        let t = teams.iter().position(|t| *t == r.team);
        if let (Some(d), Some(t)) = (d, t) {
            cost[d][t] += r.cost_usd;
        }
    }
    Ok(Chart {
        days: days.to_vec(),
        teams,
        cost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::store::KeySettings;
    use crate::usage::testing::{all_but_local, ledger_path, open_ledger, price};
    use crate::usage::{Attribution, ErrorClass, Record};

    fn key(prefix: &str, member: &str, daily: Option<f64>, revoked: bool) -> KeyRecord {
        KeyRecord {
            id: 1,
            prefix: prefix.into(),
            member: member.into(),
            team: "core".into(),
            member_id: 1,
            team_id: 1,
            member_budgets: Budgets::default(),
            team_budgets: Budgets::default(),
            settings: KeySettings {
                budgets: Budgets {
                    daily_usd: daily,
                    monthly_usd: None,
                },
                ..KeySettings::default()
            },
            created_at: SystemTime::UNIX_EPOCH,
            expires_at: None,
            revoked_at: revoked.then_some(SystemTime::UNIX_EPOCH),
            rotated_from: None,
        }
    }

    #[test]
    fn a_ledger_is_read_into_the_pages_figures() {
        let (_dir, path) = ledger_path();
        let ledger = open_ledger(&path, all_but_local(price(1.0, 0.0)));
        let sink = ledger.sink().expect("sink");
        let now = SystemTime::now();
        let at = crate::usage::unix_ms(now);
        for (member, team, project, input, status) in [
            ("ann", "core", "web", 1_000_000, 200),
            ("bob", "ops", "api", 3_000_000, 200),
            ("bob", "ops", "api", 0, 529),
        ] {
            sink.send(Record {
                at_ms: at,
                status,
                error: ErrorClass::of(status, false),
                tokens: crate::usage::prices::Tokens {
                    input,
                    ..Default::default()
                },
                who: Attribution {
                    member: Some(member.into()),
                    team: Some(team.into()),
                    key_prefix: Some(format!("ccsk_{member}0000").into()),
                    project: Some(project.into()),
                },
                ..Record::sample()
            });
        }
        ledger.close();
        let keys = [
            key("ccsk_ann0000", "ann", Some(5.0), false),
            key("ccsk_old0000", "ann", None, true),
        ];
        let s = load(Some(&path), now, 7, &keys, &[]).expect("load");
        assert!(s.recorded);
        assert_eq!(s.days, 7);
        assert_eq!(s.today.requests, 3);
        assert_eq!(s.range.errors, 1);
        assert_eq!(s.teams[0].key, "ops", "the biggest spender first");
        assert_eq!(s.members.len(), 2);
        assert_eq!(s.chart.days.len(), 7);
        assert_eq!(s.chart.teams, ["ops", "core"]);
        assert!((s.chart.totals()[6] - 4.0).abs() < 1e-9, "{:?}", s.chart);
        assert_eq!(s.keys.len(), 1, "revoked keys have no budget left to show");
        assert!((s.keys[0].today_usd - 1.0).abs() < 1e-9);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].status, 529);

        let off = load(None, now, 30, &keys, &[]).expect("off");
        assert!(!off.recorded);
        let (_dir, missing) = ledger_path();
        let empty = load(Some(&missing), now, 30, &keys, &[]).expect("empty");
        assert!(empty.recorded && empty.teams.is_empty() && empty.errors.is_empty());
        assert_eq!(empty.chart.days.len(), 30);
    }
}

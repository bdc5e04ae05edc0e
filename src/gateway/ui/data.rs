//! The usage page's figures as plain values, read from the gateway's store
//! into a [`Snapshot`]: its ledger, its spend sums and its lists. The
//! store is shared by every replica of the gateway (one PostgreSQL
//! database), so the page shows them all, not only this process's
//! requests. Days and months are UTC, as the store counts them and as
//! budgets are checked.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::gateway::store::spend::{
    FailedRequest, LedgerGroup, RowSums, ScopeRow, ScopeSpent, civil, month_start, utc_day,
};
use crate::gateway::store::{Budgets, KeyStatus, Store, StoreError};

/// How many failed requests the page lists.
pub const RECENT_ERRORS: u32 = 20;

const DAY_MS: i64 = 86_400_000;

/// Sums per name (team, member, project or model), most spent first.
pub type Groups = Vec<(String, RowSums)>;

/// Everything the page shows.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The range the tables and the chart cover: the last `days` UTC
    /// days, today included.
    pub days: u32,
    /// When it was read, UTC `YYYY-MM-DD HH:MM`.
    pub as_of: String,
    pub today: RowSums,
    pub month: RowSums,
    pub range: RowSums,
    pub teams: Groups,
    pub members: Groups,
    pub projects: Groups,
    pub models: Groups,
    /// Each member's team, from the store.
    pub member_teams: HashMap<String, String>,
    pub chart: Chart,
    /// Every team, member and live key, with what each spent.
    pub budgets: Vec<BudgetRow>,
    pub errors: Vec<FailedRequest>,
}

/// Spend per day and team.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    /// UTC dates, oldest first.
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

/// What a budget applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetScope {
    Team,
    Member,
    Key,
}

/// One team's, member's or live key's budgets and what it spent against
/// them today and this month (UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetRow {
    pub scope: BudgetScope,
    /// The team's or member's name, or the key's display prefix.
    pub name: String,
    /// A key's member (empty for a team or member).
    pub member: String,
    /// The team it counts against (a team's own name).
    pub team: String,
    pub budgets: Budgets,
    pub spent: ScopeSpent,
}

/// The page's figures for the last `days` UTC days up to `now`.
pub async fn load(store: &Store, now: SystemTime, days: u32) -> Result<Snapshot, StoreError> {
    let today = utc_day(now);
    let first = today - i64::from(days.max(1)) + 1;
    let (since, until) = (first * DAY_MS, (today + 1) * DAY_MS);
    let total = async |since_ms| {
        let all = store.usage(since_ms, until, None).await?;
        Ok::<_, StoreError>(all.into_iter().next().map(|(_, s)| s).unwrap_or_default())
    };
    let grouped = |by| store.usage(since, until, Some(by));
    // Independent reads: on PostgreSQL they go out at once, on pooled
    // connections; SQLite takes them in turn.
    let (today_sums, month, range, teams, members, projects, models) = tokio::try_join!(
        total(today * DAY_MS),
        total(month_start(today) * DAY_MS),
        total(since),
        grouped(LedgerGroup::Team),
        grouped(LedgerGroup::Member),
        grouped(LedgerGroup::Project),
        grouped(LedgerGroup::Model),
    )?;
    let (daily, errors, spent, store_teams, store_members, keys) = tokio::try_join!(
        store.usage_by_day_and(since, until, LedgerGroup::Team),
        store.recent_errors(since, RECENT_ERRORS),
        store.spent_all(today),
        store.teams(),
        store.members(),
        store.keys(),
    )?;
    let spent: HashMap<(&str, i64), ScopeSpent> = spent
        .iter()
        .map(|ScopeRow { scope, id, spent }| ((scope.as_str(), *id), *spent))
        .collect();
    let spent_by = |scope, id| spent.get(&(scope, id)).copied().unwrap_or_default();
    let mut budgets: Vec<BudgetRow> = store_teams
        .iter()
        .map(|t| BudgetRow {
            scope: BudgetScope::Team,
            name: t.name.clone(),
            member: String::new(),
            team: t.name.clone(),
            budgets: t.budgets,
            spent: spent_by("team", t.id),
        })
        .collect();
    budgets.extend(store_members.iter().map(|m| BudgetRow {
        scope: BudgetScope::Member,
        name: m.name.clone(),
        member: String::new(),
        team: m.team.clone(),
        budgets: m.budgets,
        spent: spent_by("member", m.id),
    }));
    budgets.extend(
        keys.iter()
            .filter(|k| k.status(now) == KeyStatus::Active)
            .map(|k| BudgetRow {
                scope: BudgetScope::Key,
                name: k.prefix.clone(),
                member: k.member.clone(),
                team: k.team.clone(),
                budgets: k.settings.budgets,
                spent: spent_by("key", k.id),
            }),
    );
    Ok(Snapshot {
        days,
        as_of: utc_time(crate::usage::unix_ms(now))[..16].to_string(),
        today: today_sums,
        month,
        range,
        teams,
        members,
        projects,
        models,
        member_teams: store_members
            .into_iter()
            .map(|m| (m.name, m.team))
            .collect(),
        chart: chart((first..=today).map(date).collect(), &daily),
        budgets,
        errors,
    })
}

/// A UTC day number as `YYYY-MM-DD`.
fn date(day: i64) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Unix milliseconds as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn utc_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (day, s) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    format!(
        "{} {:02}:{:02}:{:02}",
        date(day),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Spend per day (every one of `days`, spent or not) and team, from the
/// store's (day, team, sums) rows.
fn chart(days: Vec<String>, rows: &[(String, String, RowSums)]) -> Chart {
    let mut by_team: HashMap<&str, f64> = HashMap::new();
    for (_, team, s) in rows {
        *by_team.entry(team).or_default() += s.cost_usd;
    }
    let mut teams: Vec<(&str, f64)> = by_team.into_iter().collect();
    teams.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let teams: Vec<String> = teams.into_iter().map(|(t, _)| t.to_string()).collect();
    let mut cost = vec![vec![0.0; teams.len()]; days.len()];
    for (day, team, s) in rows {
        let d = days.iter().position(|d| d == day);
        let t = teams.iter().position(|t| t == team);
        if let (Some(d), Some(t)) = (d, t) {
            cost[d][t] += s.cost_usd;
        }
    }
    Chart { days, teams, cost }
}

#[cfg(test)]
mod tests;

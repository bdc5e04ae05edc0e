//! Budgets: before a request goes upstream, what its profile and provider
//! have spent today and this month, read from the ledger that every session
//! writes to, so concurrent sessions share one budget; and what this
//! session's requests in flight may still spend (see [`Checker`]).

pub mod checker;

use rusqlite::{Connection, params};

use crate::config::{Budget, Config, Profile};
use crate::t;

/// What a budget applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    Profile(String),
    Provider(String),
}

/// Spent so far in one scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spent {
    /// The local day these sums are for (`YYYY-MM-DD`): a new day or
    /// month is a new period to warn about.
    pub today: String,
    pub day_usd: f64,
    pub day_tokens: u64,
    pub month_usd: f64,
    pub month_tokens: u64,
    /// When the local day and month began, Unix milliseconds: what this
    /// session holds in memory is counted by these.
    pub day_start_ms: i64,
    pub month_start_ms: i64,
}

/// One limit and how much of it is used.
#[derive(Clone, Debug, PartialEq)]
pub struct Use {
    pub scope: Scope,
    /// `daily_usd`, `monthly_usd`, `daily_tokens` or `monthly_tokens`.
    pub field: &'static str,
    pub limit: f64,
    /// Spent, requests in flight included.
    pub spent: f64,
    /// Of `spent`, what requests in flight may still cost.
    pub held: f64,
}

impl Use {
    pub fn share(&self) -> f64 {
        self.spent / self.limit
    }

    pub fn is_usd(&self) -> bool {
        self.field.ends_with("usd")
    }

    /// Spent without what is only held.
    pub fn spent_share(&self) -> f64 {
        (self.spent - self.held) / self.limit
    }

    fn amount(&self, v: f64) -> String {
        if self.is_usd() {
            format!("${v:.2}")
        } else {
            format!("{v:.0} tokens")
        }
    }

    fn scope_text(&self) -> String {
        match &self.scope {
            Scope::Profile(n) => t!("budget.profile", name = n),
            Scope::Provider(n) => t!("budget.provider", name = n),
        }
    }

    fn period(&self) -> String {
        if self.field.starts_with("daily") {
            t!("budget.daily")
        } else {
            t!("budget.monthly")
        }
    }

    /// For Claude Code, when the limit is reached.
    pub fn over_message(&self) -> String {
        let spent = if self.held > 0.0 {
            t!(
                "budget.spent_held",
                spent = self.amount(self.spent - self.held),
                held = self.amount(self.held)
            )
        } else {
            t!("budget.spent", amount = self.amount(self.spent))
        };
        t!(
            "budget.over",
            period = self.period(),
            limit = self.amount(self.limit),
            scope = self.scope_text(),
            spent = spent,
            field = self.field
        )
    }

    /// For the log (and the status line) from 80 %.
    pub fn warning(&self) -> String {
        t!(
            "budget.warn",
            scope = self.scope_text(),
            percent = format!("{:.0}", self.spent_share() * 100.0),
            period = self.period(),
            limit = self.amount(self.limit),
            spent = self.amount(self.spent - self.held)
        )
    }
}

/// The limits in `budget`, with what `spent` uses of each.
pub fn uses(scope: &Scope, budget: &Budget, spent: &Spent) -> Vec<Use> {
    let mut out = Vec::new();
    let mut push = |field, limit: Option<f64>, spent: f64| {
        if let Some(limit) = limit {
            out.push(Use {
                scope: scope.clone(),
                field,
                limit,
                spent,
                held: 0.0,
            });
        }
    };
    push("daily_usd", budget.daily_usd, spent.day_usd);
    push("monthly_usd", budget.monthly_usd, spent.month_usd);
    let n = |v: Option<u64>| v.map(|v| v as f64);
    push(
        "daily_tokens",
        n(budget.daily_tokens),
        spent.day_tokens as f64,
    );
    push(
        "monthly_tokens",
        n(budget.monthly_tokens),
        spent.month_tokens as f64,
    );
    out
}

/// The budgets that apply to a profile's requests: its own, and each of
/// its providers'.
pub fn scopes(config: &Config, profile: &Profile) -> Vec<(Scope, Budget)> {
    let mut out = Vec::new();
    if let Some(b) = profile.budget {
        out.push((Scope::Profile(profile.name.clone()), b));
    }
    for name in profile.providers() {
        if let Some(b) = config.providers.get(name).and_then(|p| p.budget) {
            out.push((Scope::Provider(name.to_string()), b));
        }
    }
    out
}

/// What a scope has spent today and this month (local days, from the
/// daily sums).
pub fn spent(conn: &Connection, scope: &Scope, now_ms: i64) -> rusqlite::Result<Spent> {
    let (profile, provider) = match scope {
        Scope::Profile(p) => (Some(p.as_str()), None),
        Scope::Provider(p) => (None, Some(p.as_str())),
    };
    let tokens = "(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens)";
    let sql = format!(
        "WITH t(today, month) AS (SELECT date(?1, 'unixepoch', 'localtime'),
                                         date(?1, 'unixepoch', 'localtime', 'start of month'))
         SELECT total(CASE WHEN day >= t.today THEN cost_usd END),
                total(CASE WHEN day >= t.today THEN {tokens} END),
                total(cost_usd), total({tokens}),
                -- Not bare columns: with no rows to sum those would be NULL.
                (SELECT today FROM t),
                (SELECT CAST(strftime('%s', today, 'utc') AS INTEGER) * 1000 FROM t),
                (SELECT CAST(strftime('%s', month, 'utc') AS INTEGER) * 1000 FROM t)
         FROM daily, t WHERE day >= t.month AND (?2 IS NULL OR profile = ?2)
           AND (?3 IS NULL OR provider = ?3)"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![now_ms.div_euclid(1000), profile, provider], |r| {
            Ok(Spent {
                day_usd: r.get(0)?,
                day_tokens: r.get::<_, f64>(1)? as u64,
                month_usd: r.get(2)?,
                month_tokens: r.get::<_, f64>(3)? as u64,
                today: r.get(4)?,
                day_start_ms: r.get(5)?,
                month_start_ms: r.get(6)?,
            })
        })
}

/// The verdict for one request.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Go,
    /// Go, and say this once (80 % reached).
    Warn(Vec<String>),
    /// Do not send: this limit is used up.
    Stop(String),
}

#[cfg(test)]
mod tests;

//! The usage screen's state: what the chart measures (cost or tokens),
//! whose requests it counts (every profile or the selected one), and the
//! numbers once loaded. The ledger is read by a command in the run loop
//! (`App::update`'s part is in `flow`); nothing here touches it.

use crate::usage::query::{Sums, UsageGroup};

/// What the chart and the model list measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Cost,
    Tokens,
}

/// What to read from the ledger for the usage screen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageQuery {
    /// Only this profile's requests; every profile's when `None`.
    pub profile: Option<String>,
    /// Whose spend today and this month to measure against its budget.
    pub budget_profile: Option<String>,
}

/// Spend today and this calendar month (local time), for budgets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpentSoFar {
    pub today: Sums,
    pub month: Sums,
}

/// The last 30 days (today included) as read from the ledger.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageData {
    /// False when nothing was ever recorded (there is no ledger yet).
    pub recorded: bool,
    /// One entry per local day, oldest first, today last: (`YYYY-MM-DD`,
    /// sums); days without requests are there too, so the chart keeps time.
    pub days: Vec<(String, Sums)>,
    pub total: Sums,
    /// By `provider/model`.
    pub models: Vec<UsageGroup>,
    /// The budget profile's spend.
    pub profile_spent: SpentSoFar,
    /// Every provider's spend (over all profiles), for provider budgets.
    pub provider_spent: Vec<(String, SpentSoFar)>,
}

/// The usage screen.
#[derive(Clone, Debug)]
pub struct UsageView {
    /// The profile selected on the list: its budgets are shown, and the
    /// chart counts only its requests unless `all`.
    pub profile: Option<String>,
    pub all: bool,
    /// Chosen with `c`; until then, cost when anything has a price and
    /// tokens when nothing does.
    pub metric: Option<Metric>,
    /// Which load the data must answer (a scope change makes older answers
    /// wrong).
    pub seq: u64,
    /// `None` while the first load for this scope runs; `Err` when the
    /// ledger cannot be read.
    pub data: Option<Result<UsageData, String>>,
}

impl UsageView {
    /// What the chart shows now.
    pub fn metric(&self) -> Metric {
        if let Some(m) = self.metric {
            return m;
        }
        match &self.data {
            Some(Ok(d)) if d.total.cost_usd == 0.0 && d.total.requests > 0 => Metric::Tokens,
            _ => Metric::Cost,
        }
    }

    /// The requests the chart counts: `None` for every profile's.
    pub fn scope(&self) -> Option<&str> {
        if self.all {
            None
        } else {
            self.profile.as_deref()
        }
    }

    /// What to read for the screen as it is now.
    pub fn query(&self) -> UsageQuery {
        UsageQuery {
            profile: self.scope().map(str::to_string),
            budget_profile: self.profile.clone(),
        }
    }
}

/// Every input and output token, as token budgets count them.
pub fn all_tokens(s: &Sums) -> u64 {
    s.all_input().saturating_add(s.output_tokens)
}

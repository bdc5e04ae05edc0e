//! What the gateway counts spending against: each request's cost is added
//! to its key, its member and its team, per UTC day. Days are UTC, not the
//! server's local time: replicas in different zones must agree on when a
//! day (and a month) starts.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whose spending one request is: its key, the key's member and team.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Owner {
    pub key_id: i64,
    pub member_id: i64,
    pub team_id: i64,
}

/// ScopeSpent by one scope today and this month (today included), in USD.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScopeSpent {
    pub day_usd: f64,
    pub month_usd: f64,
}

/// What a key, its member and its team have spent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OwnerSpent {
    pub key: ScopeSpent,
    pub member: ScopeSpent,
    pub team: ScopeSpent,
}

/// One finished member request, as the store's ledger keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRow {
    pub at_ms: i64,
    pub owner: Owner,
    pub key_prefix: String,
    pub member: String,
    pub team: String,
    pub project: Option<String>,
    pub profile: String,
    pub provider: String,
    pub model: String,
    pub status: u16,
    /// The error class (`usage::ErrorClass`), when it failed.
    pub error: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_usd: f64,
    pub duration_ms: u64,
}

impl RequestRow {
    /// What its spend rows add: every billed token.
    pub fn tokens(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_read_tokens)
            .saturating_add(self.cache_write_tokens)
    }

    pub fn day(&self) -> i64 {
        self.at_ms.div_euclid(86_400_000)
    }
}

/// What the store's ledger is summed by (`ccswitch usage --gateway --by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerGroup {
    /// UTC day, `YYYY-MM-DD`.
    Day,
    Profile,
    Provider,
    Model,
    Member,
    Team,
    Project,
}

/// Sums of the store's ledger rows (one group, or all).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSums {
    pub requests: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_usd: f64,
}

/// A request of the store's ledger that failed: what the usage page lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailedRequest {
    pub at_ms: i64,
    pub member: String,
    pub team: String,
    pub project: Option<String>,
    pub provider: String,
    pub model: String,
    pub status: u16,
    /// The error class (`usage::ErrorClass`).
    pub error: String,
}

/// What one scope's id (a key's, member's or team's) spent, as all the
/// spend rows of a month are read at once.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeRow {
    /// One of [`SCOPES`].
    pub scope: String,
    pub id: i64,
    pub spent: ScopeSpent,
}

/// The scopes a spend row belongs to, as the tables name them.
pub const SCOPES: [&str; 3] = ["key", "member", "team"];

impl Owner {
    /// (scope, id) for each of [`SCOPES`].
    pub fn rows(&self) -> [(&'static str, i64); 3] {
        [
            (SCOPES[0], self.key_id),
            (SCOPES[1], self.member_id),
            (SCOPES[2], self.team_id),
        ]
    }
}

impl OwnerSpent {
    /// The entry for `scope` (one of [`SCOPES`]).
    pub fn of_mut(&mut self, scope: &str) -> Option<&mut ScopeSpent> {
        match scope {
            "key" => Some(&mut self.key),
            "member" => Some(&mut self.member),
            "team" => Some(&mut self.team),
            _ => None,
        }
    }
}

/// Whole seconds since the epoch (0 before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Days since 1970-01-01, UTC.
pub fn utc_day(t: SystemTime) -> i64 {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    secs.div_euclid(86_400)
}

/// The first day of `day`'s month (UTC days since 1970-01-01).
pub fn month_start(day: i64) -> i64 {
    day - (i64::from(civil(day).2) - 1)
}

/// (year, month, day of month) of a day number: Howard Hinnant's
/// `civil_from_days`, exact for the proleptic Gregorian calendar.
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn day_of(secs: u64) -> i64 {
        utc_day(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn days_and_months_are_utc_calendar_ones() {
        assert_eq!(civil(0), (1970, 1, 1));
        // 2024-02-29 (a leap day) is day 19782; 2026-12-07 is 20794.
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(20_794), (2026, 12, 7));
        assert_eq!(month_start(20_794), 20_794 - 6);
        assert_eq!(civil(month_start(19_782)), (2024, 2, 1));
        assert_eq!(month_start(0), 0);
        // 23:59:59 and 00:00:00 UTC are different days.
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert_eq!(civil(-1), (1969, 12, 31));
    }
}

//! How the gateway commands show times, limits and a key's state.

use std::time::SystemTime;

use crate::gateway::store::{Budgets, KeyRecord, KeyStatus, RateLimits};
use crate::t;

/// `2026-11-03T09:12:44Z`, for `--json`.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `2026-11-03` (UTC), for tables.
pub fn date(t: SystemTime) -> String {
    rfc3339(t).chars().take(10).collect()
}

/// A dollar amount without trailing zeros: `5`, `2.5`, `0.25`.
fn usd(amount: f64) -> String {
    let s = format!("{amount:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The key's profiles, or "all".
pub fn profiles(key: &KeyRecord) -> String {
    if key.settings.profiles.is_empty() {
        t!("gateway.every")
    } else {
        key.settings.profiles.join(", ")
    }
}

/// Budgets and rate limits in one cell: `$5/day $100/month 60 rpm`.
pub fn limits(key: &KeyRecord) -> String {
    limit_parts(key.settings.budgets, key.settings.limits)
}

/// A member's or team's budgets in one cell: `$5/day $100/month`.
pub fn budgets(b: Budgets) -> String {
    limit_parts(b, RateLimits::default())
}

fn limit_parts(b: Budgets, l: RateLimits) -> String {
    let parts: Vec<String> = [
        b.daily_usd
            .map(|a| t!("gateway.limit_daily", amount = usd(a))),
        b.monthly_usd
            .map(|a| t!("gateway.limit_monthly", amount = usd(a))),
        l.rpm.map(|n| t!("gateway.limit_rpm", n = n)),
        l.tpm.map(|n| t!("gateway.limit_tpm", n = n)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        t!("gateway.no_limits")
    } else {
        parts.join(" ")
    }
}

/// `active`, `active until 2026-12-03`, `revoked 2026-11-04`, …
pub fn state(key: &KeyRecord, now: SystemTime) -> String {
    match (key.status(now), key.revoked_at, key.expires_at) {
        (KeyStatus::Revoked, Some(at), _) => t!("gateway.state_revoked", date = date(at)),
        (KeyStatus::Expired, _, Some(at)) => t!("gateway.state_expired", date = date(at)),
        (_, _, Some(at)) => t!("gateway.state_active_until", date = date(at)),
        _ => t!("gateway.state_active"),
    }
}

/// The state's fixed name, for `--json`.
pub fn status_name(key: &KeyRecord, now: SystemTime) -> &'static str {
    match key.status(now) {
        KeyStatus::Active => "active",
        KeyStatus::Revoked => "revoked",
        KeyStatus::Expired => "expired",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_lose_trailing_zeros() {
        assert_eq!(usd(5.0), "5");
        assert_eq!(usd(2.5), "2.5");
        assert_eq!(usd(0.25), "0.25");
        assert_eq!(usd(100.004), "100");
    }
}

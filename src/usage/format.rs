//! Usage figures as people read them, shared by `ccswitch usage`, the
//! status line and the TUI.

use super::budget::Scope;
use super::budget::scopes;
use super::query::Sums;
use crate::config::{Budget, Config, Profile};
use crate::t;

/// Token counts the way people read them: 1234 → 1.2k, 5600000 → 5.6M.
pub fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// Dollars with cents, or more digits for amounts under a cent.
pub fn usd(v: f64) -> String {
    if v >= 0.01 || v == 0.0 {
        format!("${v:.2}")
    } else {
        format!("${v:.4}")
    }
}

/// A limit as written in the config: whole dollars without cents.
pub fn usd_limit(v: f64) -> String {
    if v.fract() == 0.0 && v < 1e9 {
        format!("${v:.0}")
    } else {
        usd(v)
    }
}

/// Cost as shown: unknown prices are said, never shown as $0.
pub fn money(s: &Sums) -> String {
    let known = usd(s.cost_usd);
    match s.unpriced_requests {
        0 => known,
        _ if s.cost_usd == 0.0 => t!("usage.price_unknown"),
        _ => format!("{known} + {}", t!("usage.price_unknown")),
    }
}

/// A budget's limits, each day's before each month's, as the usage
/// screen's gauges list them: "$5 a day · 900.0M tokens a month".
pub fn limits(b: &Budget) -> String {
    let tokens = |n: u64| t!("budget.tokens", n = short(n));
    let day = |amount: String| t!("budget.per_day", amount = amount);
    let month = |amount: String| t!("budget.per_month", amount = amount);
    let parts = [
        b.daily_usd.map(|v| day(usd_limit(v))),
        b.daily_tokens.map(|n| day(tokens(n))),
        b.monthly_usd.map(|v| month(usd_limit(v))),
        b.monthly_tokens.map(|n| month(tokens(n))),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

/// The budgets a profile's requests count against, as `profile show` and
/// the TUI's detail pane list them: (label, limits), the profile's own
/// first, then each of its providers' (fallbacks' included), which count
/// every profile's requests to that provider.
pub fn budgets(config: &Config, profile: &Profile) -> Vec<(String, String)> {
    scopes(config, profile)
        .into_iter()
        .filter(|(_, b)| !b.is_empty())
        .map(|(scope, b)| match scope {
            Scope::Profile(_) => (t!("field.budget"), limits(&b)),
            Scope::Provider(p) => (
                t!("field.budget_of", provider = p),
                t!("budget.shared", limits = limits(&b)),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(short(999), "999");
        assert_eq!(short(1_250), "1.2k");
        assert_eq!(short(5_600_000), "5.6M");
        let mut s = Sums {
            cost_usd: 1.234,
            ..Sums::default()
        };
        assert_eq!(money(&s), "$1.23");
        s.cost_usd = 0.0042;
        assert_eq!(money(&s), "$0.0042");
        s.unpriced_requests = 2;
        assert_eq!(money(&s), "$0.0042 + price unknown");
        s.cost_usd = 0.0;
        assert_eq!(money(&s), "price unknown", "never $0 for unknown prices");
        assert_eq!(usd_limit(5.0), "$5");
        assert_eq!(usd_limit(2.5), "$2.50");
    }

    #[test]
    fn budgets_as_set() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let b = |s: &str| toml::from_str::<Budget>(s).expect("parses");
        assert_eq!(
            limits(&b(
                "monthly_usd = 100\ndaily_tokens = 2_000_000\ndaily_usd = 5"
            )),
            "$5 a day · 2.0M tokens a day · $100 a month"
        );
        assert_eq!(limits(&b("")), "");
    }
}

//! Spending limits on a profile or a provider: dollars where prices are
//! known, tokens where they are not (local or unpriced models).

use serde::{Deserialize, Serialize};

/// `budget = { daily_usd = 5, monthly_usd = 100 }`. Days and months are
/// the machine's local ones. Tokens count every input and output token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_tokens: Option<u64>,
}

impl Budget {
    /// The first field that cannot be a limit (negative, not a number, or
    /// zero, which would block everything), by name.
    pub fn bad_field(&self) -> Option<&'static str> {
        let usd = |v: Option<f64>| v.is_some_and(|v| !(v.is_finite() && v > 0.0));
        let tokens = |v: Option<u64>| v == Some(0);
        [
            ("daily_usd", usd(self.daily_usd)),
            ("monthly_usd", usd(self.monthly_usd)),
            ("daily_tokens", tokens(self.daily_tokens)),
            ("monthly_tokens", tokens(self.monthly_tokens)),
        ]
        .into_iter()
        .find_map(|(name, bad)| bad.then_some(name))
    }

    pub fn is_empty(&self) -> bool {
        *self == Budget::default()
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;

    #[test]
    fn limits_must_be_positive() {
        let b = |s: &str| toml::from_str::<Budget>(s).expect("parses");
        assert_eq!(b("daily_usd = 5").bad_field(), None);
        assert_eq!(b("daily_usd = 0.5\nmonthly_tokens = 9").bad_field(), None);
        assert_eq!(b("monthly_usd = -1").bad_field(), Some("monthly_usd"));
        assert_eq!(b("daily_usd = nan").bad_field(), Some("daily_usd"));
        assert_eq!(b("daily_tokens = 0").bad_field(), Some("daily_tokens"));
        assert!(toml::from_str::<Budget>("weekly_usd = 1").is_err());
        assert!(b("").is_empty());
    }
}

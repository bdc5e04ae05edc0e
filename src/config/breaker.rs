//! The circuit breaker's settings: when a fallback target that keeps
//! failing is skipped, and for how long.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[breaker]`: after `failures` failures in a row within `window_s`
/// seconds, a target is skipped for `cooldown_s` seconds; then one trial
/// request decides whether it is back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Breaker {
    pub failures: u32,
    #[serde(with = "secs")]
    pub window: Duration,
    #[serde(with = "secs")]
    pub cooldown: Duration,
}

impl Default for Breaker {
    /// Three failures in a minute: one is a blip and two may be one bad
    /// moment, but three in a row mean the next request would likely wait
    /// out a timeout too. Thirty seconds is long enough for an overload to
    /// pass and short enough to return to the preferred target soon.
    fn default() -> Self {
        Breaker {
            failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
        }
    }
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

/// The table as written; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    failures: Option<u32>,
    window_s: Option<u64>,
    cooldown_s: Option<u64>,
}

impl RawBreaker {
    /// The settings, or the name of the field that cannot be used (zero,
    /// or seconds past a day).
    pub fn resolve(self) -> Result<Breaker, &'static str> {
        let d = Breaker::default();
        let secs = |v: Option<u64>, d: Duration, name| match v {
            Some(0) => Err(name),
            Some(s) if s > 86_400 => Err(name),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(d),
        };
        let failures = match self.failures {
            Some(0) => return Err("failures"),
            f => f.unwrap_or(d.failures),
        };
        Ok(Breaker {
            failures,
            window: secs(self.window_s, d.window, "window_s")?,
            cooldown: secs(self.cooldown_s, d.cooldown, "cooldown_s")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let r = |s: &str| toml::from_str::<RawBreaker>(s).expect("parses").resolve();
        assert_eq!(r(""), Ok(Breaker::default()));
        let b = r("failures = 5\ncooldown_s = 10").expect("valid");
        assert_eq!(
            (b.failures, b.cooldown.as_secs(), b.window.as_secs()),
            (5, 10, 60)
        );
        assert_eq!(r("failures = 0"), Err("failures"));
        assert_eq!(r("window_s = 0"), Err("window_s"));
        assert_eq!(r("cooldown_s = 18446744073709551615"), Err("cooldown_s"));
        assert!(toml::from_str::<RawBreaker>("cooldown = 3").is_err());
    }
}

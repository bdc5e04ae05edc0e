//! The one-line session summary printed after Claude Code exits. Pure.

use std::time::Duration;

use crate::config::Config;
use crate::proxy::stats::ModelUsage;
use crate::usage::prices::{self, Tokens};
use crate::{t, tn};

/// Estimated cost in USD, when every used model has a price.
pub fn cost(config: &Config, usage: &[((String, String), ModelUsage)]) -> Option<f64> {
    let mut total = 0.0;
    let mut priced = false;
    for ((provider, model), u) in usage {
        if u.input_tokens == 0 && u.output_tokens == 0 {
            continue;
        }
        priced = true;
        let price = prices::price_for(config.providers.get(provider)?, model)?;
        total += price.cost(&Tokens {
            input: u.input_tokens,
            output: u.output_tokens,
            cache_read: u.cache_read_tokens,
            cache_write: u.cache_write_tokens,
            cache_write_1h: u.cache_write_1h_tokens,
            reasoning: 0,
        });
    }
    priced.then_some(total)
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// The line after a session. Requests and errors are the ones Claude Code
/// saw: a failed attempt that a fallback target answered for is neither,
/// and is counted apart (`recovered`).
pub fn line(
    profile: &str,
    total: &ModelUsage,
    recovered: u64,
    elapsed: Duration,
    cost: Option<f64>,
) -> String {
    let mut s = t!(
        "launch.summary",
        profile = profile,
        requests = tn!(
            "count.requests",
            n = total.requests.saturating_sub(recovered)
        ),
        input = total.input_tokens + total.cache_read_tokens + total.cache_write_tokens,
        output = total.output_tokens,
        errors = tn!("count.errors", n = total.errors.saturating_sub(recovered)),
        time = duration(elapsed)
    );
    if recovered > 0 {
        s.push_str(&t!("launch.summary_recovered", n = recovered));
    }
    if let Some(c) = cost {
        s.push_str(&t!("launch.summary_cost", cost = format!("{c:.4}")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_a_fallback_answered_for_are_not_the_sessions_errors() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let total = ModelUsage {
            requests: 5,
            errors: 3,
            ..ModelUsage::default()
        };
        let line = line("p", &total, 2, Duration::from_secs(5), None);
        assert!(line.contains("3 requests"), "{line}");
        assert!(line.contains("1 error,"), "{line}");
        assert!(
            line.ends_with("failed attempts answered by a fallback: 2"),
            "{line}"
        );
        let line = super::line("p", &total, 0, Duration::from_secs(5), None);
        assert!(
            line.contains("5 requests") && line.contains("3 errors"),
            "{line}"
        );
        assert!(!line.contains("fallback"), "{line}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::from_secs(5)), "5s");
        assert_eq!(duration(Duration::from_secs(312)), "5m12s");
        assert_eq!(duration(Duration::from_secs(7300)), "2h01m");
    }

    #[test]
    fn cost_needs_a_price_for_every_used_model() {
        let src = "[providers.o]\npreset = \"openai\"\nmodels = { m = { input_price = 1.0, output_price = 10.0, cache_read_price = 0.1 } }\n";
        let cfg = crate::config::testing::mk_config(src);
        let u = ModelUsage {
            requests: 2,
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_read_tokens: 1_000_000,
            ..Default::default()
        };
        let c = cost(&cfg, &[(("o".into(), "m".into()), u.clone())]).unwrap();
        assert!((c - 2.1).abs() < 1e-9, "{c}");
        // gpt-5 is priced by the built-in table: $1.25 in, $10 out, $0.125 cached.
        let g = cost(&cfg, &[(("o".into(), "gpt-5".into()), u.clone())]).unwrap();
        assert!((g - (1.25 + 1.0 + 0.125)).abs() < 1e-9, "{g}");
        let both = [
            (("o".into(), "m".into()), u.clone()),
            (("o".into(), "gpt-5".into()), u.clone()),
        ];
        assert!((cost(&cfg, &both).unwrap() - (c + g)).abs() < 1e-9);
        assert_eq!(
            cost(&cfg, &[(("o".into(), "unpriced".into()), u.clone())]),
            None
        );
        let partly = [
            (("o".into(), "m".into()), u.clone()),
            (("o".into(), "unpriced".into()), u.clone()),
        ];
        assert_eq!(cost(&cfg, &partly), None, "one unpriced model, no total");
        assert_eq!(cost(&cfg, &[]), None, "nothing used, nothing to estimate");
        let text = line("p", &u, 0, Duration::from_secs(65), Some(c));
        assert!(
            text.contains("2 requests") && text.contains("1m05s") && text.contains("$2.1000"),
            "{text}"
        );
    }
}

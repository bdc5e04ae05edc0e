//! `GET /metrics`: the session's stats in Prometheus text format 0.0.4.
//! `render` is pure (counters and prices in, text out); `handle` only copies
//! the counters and looks prices up, at scrape time, so the request path
//! never pays for either.

use std::fmt::Write as _;
use std::sync::Arc;

use http::{HeaderValue, Response};

use super::body::{Body, full};
use super::prom::{Escaped, Float, family, sample};
use super::state::State;
use super::stats::{BUCKETS_MS, ERROR_CLASSES, Histogram, ModelStats};
use crate::usage::prices::{Price, Tokens, price_for};

/// What Prometheus expects for the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics` (the session token is checked before it gets here).
pub fn handle(state: &Arc<State>) -> Response<Body> {
    let models: Vec<(ModelStats, Option<Price>)> = state
        .stats
        .detailed()
        .into_iter()
        .map(|m| {
            let price = state
                .cfg
                .upstreams
                .get(&m.provider)
                .and_then(|u| price_for(&u.provider, &m.model));
            (m, price)
        })
        .collect();
    let mut text = render(&state.profile, &models);
    if state.cfg.gateway.is_some() {
        let price = |provider: &str, model: &str| {
            state
                .cfg
                .upstreams
                .get(provider)
                .and_then(|u| price_for(&u.provider, model))
        };
        state.gate_stats.render(&mut text, &price);
    }
    let mut r = Response::new(full(text));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    r
}

/// The text exposition of `models` (each with its price, `None` when
/// unknown) for `profile`. Each metric family is written as one group, as
/// the format requires.
pub fn render(profile: &str, models: &[(ModelStats, Option<Price>)]) -> String {
    // Labels common to every sample of a model, escaped once.
    let labels: Vec<String> = models
        .iter()
        .map(|(m, _)| {
            format!(
                "profile=\"{}\",provider=\"{}\",model=\"{}\"",
                Escaped(profile),
                Escaped(&m.provider),
                Escaped(&m.model)
            )
        })
        .collect();
    let rows = || models.iter().zip(&labels).map(|((m, p), l)| (m, p, l));
    let mut out = String::with_capacity(1024 + models.len() * 4096);
    let o = &mut out;

    family(o, "build_info", "gauge", "The ccswitch version serving.");
    let _ = writeln!(
        o,
        "ccswitch_build_info{{version=\"{}\"}} 1",
        Escaped(env!("CARGO_PKG_VERSION"))
    );

    family(
        o,
        "requests_total",
        "counter",
        "Requests served, failed ones included, by the upstream provider and model they went to.",
    );
    for (m, _, l) in rows() {
        sample(o, "requests_total", l, "", m.usage.requests);
    }

    family(
        o,
        "errors_total",
        "counter",
        "Failed requests by error class (as in the usage ledger).",
    );
    for (m, _, l) in rows() {
        for (class, n) in ERROR_CLASSES.iter().zip(m.detail.errors) {
            let extra = format!(",class=\"{}\"", class.as_str());
            sample(o, "errors_total", l, &extra, n);
        }
    }

    family(
        o,
        "tokens_total",
        "counter",
        "Tokens as the upstream reported them; input is uncached input, reasoning is part of output.",
    );
    for (m, _, l) in rows() {
        let t = tokens(m);
        let kinds = [
            ("input", t.input),
            ("output", t.output),
            ("cache_read", t.cache_read),
            ("cache_write", t.cache_write),
            ("reasoning", t.reasoning),
        ];
        for (kind, n) in kinds {
            sample(o, "tokens_total", l, &format!(",kind=\"{kind}\""), n);
        }
    }

    family(
        o,
        "cost_usd_total",
        "counter",
        "Cost in USD at known prices; models without a price have no series here.",
    );
    for (m, price, l) in rows() {
        if let Some(price) = price {
            let cost = Float(price.cost(&tokens(m)));
            let _ = writeln!(o, "ccswitch_cost_usd_total{{{l}}} {cost}");
        }
    }

    family(
        o,
        "unpriced_requests_total",
        "counter",
        "Requests to models without a known price: when not 0, cost is a lower bound.",
    );
    for (m, price, l) in rows() {
        let n = if price.is_some() { 0 } else { m.usage.requests };
        sample(o, "unpriced_requests_total", l, "", n);
    }

    let duration = "request_duration_seconds";
    family(
        o,
        duration,
        "histogram",
        "Time from a request's arrival to the end of its answer.",
    );
    for (m, _, l) in rows() {
        histogram(o, duration, l, &m.detail.duration);
    }

    let ttft = "time_to_first_token_seconds";
    family(
        o,
        ttft,
        "histogram",
        "Time from a request's arrival until its first content went out (streams).",
    );
    for (m, _, l) in rows() {
        histogram(o, ttft, l, &m.detail.ttft);
    }
    out
}

/// The summed tokens of a model, in the shape prices are applied to.
fn tokens(m: &ModelStats) -> Tokens {
    Tokens {
        input: m.usage.input_tokens,
        output: m.usage.output_tokens,
        cache_read: m.usage.cache_read_tokens,
        cache_write: m.usage.cache_write_tokens,
        cache_write_1h: m.usage.cache_write_1h_tokens,
        reasoning: m.detail.reasoning_tokens,
    }
}

/// Cumulative `_bucket` lines up to `+Inf`, then `_sum` (seconds) and
/// `_count`.
fn histogram(o: &mut String, name: &str, labels: &str, h: &Histogram) {
    let mut cumulative = 0u64;
    for (i, n) in h.counts.iter().enumerate() {
        cumulative = cumulative.saturating_add(*n);
        let _ = match BUCKETS_MS.get(i) {
            Some(&ms) => writeln!(
                o,
                "ccswitch_{name}_bucket{{{labels},le=\"{}\"}} {cumulative}",
                Float(seconds(ms))
            ),
            None => writeln!(
                o,
                "ccswitch_{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}"
            ),
        };
    }
    let sum = Float(seconds(h.sum_ms));
    let _ = writeln!(o, "ccswitch_{name}_sum{{{labels}}} {sum}");
    let _ = writeln!(o, "ccswitch_{name}_count{{{labels}}} {}", h.count);
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::stats::{Detail, ModelUsage};

    fn mk_model(provider: &str, model: &str) -> ModelStats {
        // 1 under 0.1 s, 2 in (0.5 s, 1 s], 1 above 300 s.
        let duration = Histogram {
            counts: [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1],
            sum_ms: 301_950,
            count: 4,
        };
        ModelStats {
            provider: provider.into(),
            model: model.into(),
            usage: ModelUsage {
                requests: 4,
                errors: 1,
                input_tokens: 1_000_000,
                output_tokens: 2_000,
                cache_read_tokens: 500_000,
                cache_write_tokens: 0,
                cache_write_1h_tokens: 0,
            },
            detail: Detail {
                reasoning_tokens: 300,
                // One rate_limited.
                errors: [0, 0, 1, 0, 0, 0, 0, 0, 0],
                duration,
                ttft: Histogram::default(),
            },
        }
    }

    fn price() -> Price {
        Price {
            input: 1.0,
            output: 10.0,
            cache_read: Some(0.1),
            cache_write: None,
            cache_write_1h: None,
        }
    }

    fn lines_of<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn counters_carry_the_profile_provider_and_model() {
        let text = render("work", &[(mk_model("ds", "v4"), Some(price()))]);
        let l = "profile=\"work\",provider=\"ds\",model=\"v4\"";
        for want in [
            format!("ccswitch_requests_total{{{l}}} 4"),
            format!("ccswitch_errors_total{{{l},class=\"rate_limited\"}} 1"),
            format!("ccswitch_errors_total{{{l},class=\"budget\"}} 0"),
            format!("ccswitch_tokens_total{{{l},kind=\"input\"}} 1000000"),
            format!("ccswitch_tokens_total{{{l},kind=\"cache_read\"}} 500000"),
            format!("ccswitch_tokens_total{{{l},kind=\"reasoning\"}} 300"),
            // $1 input + $0.02 output + $0.05 cache reads.
            format!("ccswitch_cost_usd_total{{{l}}} 1.07"),
            format!("ccswitch_unpriced_requests_total{{{l}}} 0"),
        ] {
            assert!(text.lines().any(|x| x == want), "no {want} in\n{text}");
        }
        assert_eq!(lines_of(&text, "ccswitch_errors_total{").len(), 9);
        assert!(text.starts_with("# HELP ccswitch_build_info "), "{text}");
    }

    #[test]
    fn buckets_are_cumulative_up_to_inf() {
        let text = render("p", &[(mk_model("a", "m"), None)]);
        let buckets: Vec<&str> = lines_of(&text, "ccswitch_request_duration_seconds_bucket")
            .iter()
            .map(|l| l.rsplit_once(",le=").unwrap().1)
            .collect();
        let want = r#""0.1"} 1 "0.25"} 1 "0.5"} 1 "1"} 3 "2.5"} 3 "5"} 3 "10"} 3 "30"} 3 "60"} 3 "120"} 3 "300"} 3 "+Inf"} 4"#;
        assert_eq!(buckets.join(" "), want);
        let l = "profile=\"p\",provider=\"a\",model=\"m\"";
        assert!(text.contains(&format!(
            "ccswitch_request_duration_seconds_sum{{{l}}} 301.95\n"
        )));
        assert!(text.contains(&format!(
            "ccswitch_request_duration_seconds_count{{{l}}} 4\n"
        )));
        // A model with no streams still has an (empty) first-token histogram.
        assert!(text.contains(&format!(
            "ccswitch_time_to_first_token_seconds_bucket{{{l},le=\"+Inf\"}} 0\n"
        )));
    }

    #[test]
    fn an_unpriced_model_has_no_cost_series() {
        let text = render(
            "p",
            &[
                (mk_model("a", "priced"), Some(price())),
                (mk_model("a", "free?"), None),
            ],
        );
        let cost = lines_of(&text, "ccswitch_cost_usd_total{");
        assert_eq!(cost.len(), 1, "{text}");
        assert!(cost[0].contains("model=\"priced\""));
        assert!(text.contains(
            "ccswitch_unpriced_requests_total{profile=\"p\",provider=\"a\",model=\"free?\"} 4\n"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        let text = render("pro\"file", &[(mk_model("a\\b", "m\nx"), None)]);
        assert!(
            text.contains("ccswitch_requests_total{profile=\"pro\\\"file\",provider=\"a\\\\b\",model=\"m\\nx\"} 4\n"),
            "{text}"
        );
        // A raw line feed would end the sample early.
        assert!(
            text.lines()
                .all(|l| l.starts_with('#') || l.starts_with("ccswitch_"))
        );
    }

    #[test]
    fn each_family_is_one_group_with_help_and_type() {
        let text = render(
            "p",
            &[
                (mk_model("a", "m"), Some(price())),
                (mk_model("b", "m"), None),
            ],
        );
        let mut seen: Vec<&str> = Vec::new();
        for line in text.lines() {
            let family = match line.strip_prefix("# TYPE ") {
                Some(rest) => rest.split(' ').next().unwrap(),
                None if line.starts_with('#') => continue,
                None => {
                    let name = line.split(['{', ' ']).next().unwrap();
                    let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| {
                        name.strip_suffix(s)
                            .filter(|b| text.contains(&format!("# TYPE {b} histogram")))
                    });
                    base.unwrap_or(name)
                }
            };
            if seen.last() != Some(&family) {
                assert!(!seen.contains(&family), "{family} split in two:\n{text}");
                seen.push(family);
            }
        }
        assert_eq!(
            lines_of(&text, "# HELP").len(),
            lines_of(&text, "# TYPE").len()
        );
        assert_eq!(lines_of(&text, "# TYPE").len(), seen.len());
    }

    #[test]
    fn no_traffic_yet_is_still_valid_text() {
        let text = render("p", &[]);
        assert_eq!(lines_of(&text, "ccswitch_").len(), 1, "{text}");
        assert_eq!(lines_of(&text, "# TYPE").len(), 8);
    }

    #[test]
    fn special_floats_use_the_formats_spelling() {
        assert_eq!(Float(f64::INFINITY).to_string(), "+Inf");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-Inf");
        assert_eq!(Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Float(0.000_000_1).to_string(), "0.0000001");
    }
}

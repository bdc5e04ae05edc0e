//! A team gateway's own counters for `/metrics`: requests, errors, tokens
//! and cost by team and member, and refused keys by reason. The member
//! label set is bounded by the store: only a key the store knows gets a
//! member, so a flood of made-up keys adds to one refusal counter, never
//! to the label set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::prom::{Escaped, Float, family, sample};
use crate::usage::Record;
use crate::usage::prices::{Price, Tokens};

/// Why a request was refused before it went upstream, as counted.
pub const REFUSALS: [&str; 8] = [
    "malformed",
    "unknown",
    "revoked",
    "expired",
    "unavailable",
    "profile",
    "rate_limited",
    "budget",
];

#[derive(Clone, Debug, Default, PartialEq)]
struct Counts {
    requests: u64,
    errors: u64,
    tokens: Tokens,
}

/// (team, member, provider, model): cost is priced per model at scrape
/// time, as the profile's own metrics are.
type Key = (String, String, String, String);

#[derive(Default)]
pub struct GateStats {
    inner: Mutex<(BTreeMap<Key, Counts>, [u64; REFUSALS.len()])>,
    /// Refusals of requests already sent upstream on speculation.
    late: AtomicU64,
}

impl GateStats {
    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeMap<Key, Counts>, [u64; REFUSALS.len()])> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A finished request; only a member's counts here.
    pub fn record(&self, r: &Record) {
        let (Some(member), Some(team)) = (&r.who.member, &r.who.team) else {
            return;
        };
        let mut inner = self.lock();
        let found = inner.0.iter_mut().find(|((t, m, p, md), _)| {
            **t == **team && **m == **member && *p == r.provider && *md == r.model
        });
        let c = match found {
            Some((_, c)) => c,
            None => inner
                .0
                .entry((
                    team.to_string(),
                    member.to_string(),
                    r.provider.clone(),
                    r.model.clone(),
                ))
                .or_default(),
        };
        c.requests += 1;
        c.errors += u64::from(r.error.is_some());
        add(&mut c.tokens, &r.tokens);
    }

    /// A refusal by one of [`REFUSALS`] (another name is not counted).
    pub fn refused(&self, reason: &str) {
        if let Some(i) = REFUSALS.iter().position(|r| *r == reason) {
            self.lock().1[i] += 1;
        }
    }

    /// A request sent upstream before the shared store admitted it, then
    /// refused by it (also counted by its reason).
    pub fn refused_late(&self) {
        self.late.fetch_add(1, Ordering::Relaxed);
    }

    /// The families, appended to `o`; `price` gives a model's price.
    pub fn render(&self, o: &mut String, price: &dyn Fn(&str, &str) -> Option<Price>) {
        let (rows, refusals) = {
            let inner = self.lock();
            (inner.0.clone(), inner.1)
        };
        // Per member: the sums over their models, and the cost of those
        // with a price.
        let mut members: BTreeMap<(&str, &str), (Counts, f64)> = BTreeMap::new();
        for ((team, member, provider, model), c) in &rows {
            let e = members.entry((team, member)).or_default();
            e.0.requests += c.requests;
            e.0.errors += c.errors;
            add(&mut e.0.tokens, &c.tokens);
            e.1 += price(provider, model).map_or(0.0, |p| p.cost(&c.tokens));
        }
        let labels = |team: &str, member: &str| {
            format!("team=\"{}\",member=\"{}\"", Escaped(team), Escaped(member))
        };
        family(
            o,
            "gateway_requests_total",
            "counter",
            "A team gateway's requests by team and member, failed ones included.",
        );
        for ((team, member), (c, _)) in &members {
            sample(
                o,
                "gateway_requests_total",
                &labels(team, member),
                "",
                c.requests,
            );
        }
        family(
            o,
            "gateway_errors_total",
            "counter",
            "A team gateway's failed requests by team and member.",
        );
        for ((team, member), (c, _)) in &members {
            sample(
                o,
                "gateway_errors_total",
                &labels(team, member),
                "",
                c.errors,
            );
        }
        family(
            o,
            "gateway_tokens_total",
            "counter",
            "A team gateway's tokens by team and member; input is uncached input.",
        );
        for ((team, member), (c, _)) in &members {
            let t = c.tokens;
            for (kind, n) in [
                ("input", t.input),
                ("output", t.output),
                ("cache_read", t.cache_read),
                ("cache_write", t.cache_write),
            ] {
                sample(
                    o,
                    "gateway_tokens_total",
                    &labels(team, member),
                    &format!(",kind=\"{kind}\""),
                    n,
                );
            }
        }
        family(
            o,
            "gateway_cost_usd_total",
            "counter",
            "A team gateway's cost in USD by team and member, at known prices.",
        );
        for ((team, member), (_, usd)) in &members {
            let _ = writeln!(
                o,
                "ccswitch_gateway_cost_usd_total{{{}}} {}",
                labels(team, member),
                Float(*usd)
            );
        }
        family(
            o,
            "gateway_refusals_total",
            "counter",
            "Requests a team gateway refused, by reason.",
        );
        for (reason, n) in REFUSALS.iter().zip(refusals) {
            sample(
                o,
                "gateway_refusals_total",
                &format!("reason=\"{reason}\""),
                "",
                n,
            );
        }
        family(
            o,
            "gateway_late_refusals_total",
            "counter",
            "Requests sent upstream before the shared store admitted them, then refused by it.",
        );
        let late = self.late.load(Ordering::Relaxed);
        let _ = writeln!(o, "ccswitch_gateway_late_refusals_total {late}");
    }
}

/// Saturating: a counter that overflowed stays at the top.
fn add(to: &mut Tokens, t: &Tokens) {
    to.input = to.input.saturating_add(t.input);
    to.output = to.output.saturating_add(t.output);
    to.cache_read = to.cache_read.saturating_add(t.cache_read);
    to.cache_write = to.cache_write.saturating_add(t.cache_write);
    to.cache_write_1h = to.cache_write_1h.saturating_add(t.cache_write_1h);
    to.reasoning = to.reasoning.saturating_add(t.reasoning);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_members_get_series_and_refusals_are_a_fixed_set() {
        let s = GateStats::default();
        let mut r = Record {
            provider: "p".into(),
            model: "m".into(),
            ..Record::sample()
        };
        s.record(&r);
        r.who.member = Some("an\"n".into());
        r.who.team = Some("core".into());
        r.tokens.input = 1_000_000;
        s.record(&r);
        s.refused("budget");
        s.refused("made-up");
        let mut o = String::new();
        s.render(&mut o, &|_, _| {
            Some(Price {
                input: 2.0,
                output: 0.0,
                cache_read: None,
                cache_write: None,
                cache_write_1h: None,
            })
        });
        assert!(
            o.contains("ccswitch_gateway_requests_total{team=\"core\",member=\"an\\\"n\"} 1"),
            "{o}"
        );
        assert!(
            o.contains("ccswitch_gateway_cost_usd_total{team=\"core\",member=\"an\\\"n\"} 2"),
            "{o}"
        );
        assert!(
            o.contains("ccswitch_gateway_refusals_total{reason=\"budget\"} 1"),
            "{o}"
        );
        assert!(!o.contains("made-up"));
        assert_eq!(o.matches("gateway_requests_total{").count(), 1, "{o}");
    }
}

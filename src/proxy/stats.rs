//! What the proxy served: requests, errors, token usage and latency per
//! upstream model, for the session summary, cost estimates and `/metrics`.
//!
//! `record` runs once per finished request: one lock, and no allocation
//! once a (provider, model) pair has been seen, so the request path does not
//! pay for the metrics.

use std::sync::Mutex;

use indexmap::IndexMap;
use serde::Serialize;

use crate::usage::{ErrorClass, Record};

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ModelUsage {
    pub requests: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    /// Of `cache_write_tokens`, those kept for an hour (priced apart).
    #[serde(skip)]
    pub cache_write_1h_tokens: u64,
}

impl ModelUsage {
    /// Counts come from upstreams, which may report anything: a bogus
    /// `u64::MAX` must not overflow (a panic in debug, a wrap in release).
    fn add(&mut self, u: &ModelUsage) {
        self.requests = self.requests.saturating_add(u.requests);
        self.errors = self.errors.saturating_add(u.errors);
        self.input_tokens = self.input_tokens.saturating_add(u.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(u.output_tokens);
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(u.cache_read_tokens);
        self.cache_write_tokens = self.cache_write_tokens.saturating_add(u.cache_write_tokens);
        self.cache_write_1h_tokens = self
            .cache_write_1h_tokens
            .saturating_add(u.cache_write_1h_tokens);
    }
}

/// Upper bounds of the latency histograms, in milliseconds. LLM calls take
/// from a tenth of a second (a short cached answer) to minutes (a long
/// reasoning stream), so the bounds spread over that whole range rather
/// than the millisecond ones web services use.
pub const BUCKETS_MS: [u64; 11] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000,
];

/// A latency histogram with the fixed bounds of [`BUCKETS_MS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Observations per bucket, not cumulative (one increment per request);
    /// the last slot holds those above every bound.
    pub counts: [u64; BUCKETS_MS.len() + 1],
    pub sum_ms: u64,
    pub count: u64,
}

impl Histogram {
    fn observe(&mut self, ms: u64) {
        // The first bound `ms` does not exceed: Prometheus buckets are `le`.
        let i = BUCKETS_MS.partition_point(|&bound| bound < ms);
        self.counts[i] = self.counts[i].saturating_add(1);
        self.sum_ms = self.sum_ms.saturating_add(ms);
        self.count = self.count.saturating_add(1);
    }
}

/// Every error class, in the order [`Detail::errors`] counts them.
pub const ERROR_CLASSES: [ErrorClass; 9] = [
    ErrorClass::Invalid,
    ErrorClass::Auth,
    ErrorClass::RateLimited,
    ErrorClass::Overloaded,
    ErrorClass::Timeout,
    ErrorClass::Upstream,
    ErrorClass::Stream,
    ErrorClass::ClientClosed,
    ErrorClass::Budget,
];

/// A class's slot in [`ERROR_CLASSES`]; a `match`, so that a new class does
/// not compile until it has one.
fn class_index(c: ErrorClass) -> usize {
    match c {
        ErrorClass::Invalid => 0,
        ErrorClass::Auth => 1,
        ErrorClass::RateLimited => 2,
        ErrorClass::Overloaded => 3,
        ErrorClass::Timeout => 4,
        ErrorClass::Upstream => 5,
        ErrorClass::Stream => 6,
        ErrorClass::ClientClosed => 7,
        ErrorClass::Budget => 8,
    }
}

/// What `/metrics` shows beyond [`ModelUsage`] for one (provider, model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Part of the output tokens, as in the ledger.
    pub reasoning_tokens: u64,
    /// Errors per class, in the order of [`ERROR_CLASSES`].
    pub errors: [u64; ERROR_CLASSES.len()],
    /// Every request, from arrival to the end of its answer.
    pub duration: Histogram,
    /// Only requests whose first content went out (streams).
    pub ttft: Histogram,
}

/// One (provider, upstream model) pair's counters, as `/metrics` reads them.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelStats {
    pub provider: String,
    pub model: String,
    pub usage: ModelUsage,
    pub detail: Detail,
}

#[derive(Default)]
struct Entry {
    usage: ModelUsage,
    detail: Detail,
}

#[derive(Default)]
struct Inner {
    /// Keyed by (provider, upstream model).
    by_model: IndexMap<(String, String), Entry>,
    /// Claude Code's session id on the latest request that had one: what
    /// `claude --resume` takes once the session ends.
    last_session: Option<String>,
    /// Failed attempts a later target of the chain answered for: counted
    /// among `errors` per model (each was one), but not failures the
    /// client saw.
    recovered: u64,
}

/// One lock for everything, taken once per finished request.
#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn last_session(&self) -> Option<String> {
        self.lock().last_session.clone()
    }

    /// `n` failed attempts were answered for by a later target.
    pub fn note_recovered(&self, n: u64) {
        let mut inner = self.lock();
        inner.recovered = inner.recovered.saturating_add(n);
    }

    pub fn recovered(&self) -> u64 {
        self.lock().recovered
    }

    pub fn record(&self, r: &Record) {
        let mut inner = self.lock();
        if let Some(id) = &r.cc_session
            && inner.last_session.as_deref() != Some(id.as_str())
        {
            // Allocates only when the session changes (`/clear` starts one).
            inner.last_session = Some(id.clone());
        }
        let (provider, model) = (r.provider.as_str(), r.model.as_str());
        let map = &mut inner.by_model;
        // Look up before allocating: the key exists after the first request.
        let found = map
            .iter_mut()
            .find(|((p, m), _)| p == provider && m == model)
            .map(|(_, v)| v);
        let e = match found {
            Some(e) => e,
            None => map
                .entry((provider.to_string(), model.to_string()))
                .or_default(),
        };
        let t = &r.tokens;
        e.usage.add(&ModelUsage {
            requests: 1,
            errors: u64::from(r.error.is_some()),
            input_tokens: t.input,
            output_tokens: t.output,
            cache_read_tokens: t.cache_read,
            cache_write_tokens: t.cache_write,
            cache_write_1h_tokens: t.cache_write_1h,
        });
        let d = &mut e.detail;
        d.reasoning_tokens = d.reasoning_tokens.saturating_add(t.reasoning);
        if let Some(class) = r.error {
            let n = &mut d.errors[class_index(class)];
            *n = n.saturating_add(1);
        }
        d.duration.observe(r.duration_ms);
        if let Some(ms) = r.ttft_ms {
            d.ttft.observe(ms);
        }
    }

    pub fn snapshot(&self) -> Vec<((String, String), ModelUsage)> {
        self.lock()
            .by_model
            .iter()
            .map(|(k, v)| (k.clone(), v.usage.clone()))
            .collect()
    }

    /// Everything, for `/metrics`: copied out so the lock is held only for
    /// the copy, never while the text is rendered.
    pub fn detailed(&self) -> Vec<ModelStats> {
        self.lock()
            .by_model
            .iter()
            .map(|((provider, model), e)| ModelStats {
                provider: provider.clone(),
                model: model.clone(),
                usage: e.usage.clone(),
                detail: e.detail.clone(),
            })
            .collect()
    }

    pub fn total(&self) -> ModelUsage {
        let mut t = ModelUsage::default();
        for (_, u) in self.snapshot() {
            t.add(&u);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::prices::Tokens;

    fn mk_record(provider: &str, error: Option<ErrorClass>, tokens: Tokens) -> Record {
        Record {
            provider: provider.into(),
            error,
            duration_ms: 0,
            tokens,
            ..Record::sample()
        }
    }

    #[test]
    fn huge_upstream_counts_saturate() {
        let stats = Stats::default();
        let tokens = Tokens {
            input: u64::MAX,
            output: u64::MAX - 1,
            cache_read: 7,
            cache_write: u64::MAX,
            cache_write_1h: 0,
            reasoning: u64::MAX,
        };
        stats.record(&mk_record("p", None, tokens));
        stats.record(&mk_record("p", Some(ErrorClass::Upstream), tokens));
        stats.record(&mk_record("q", None, tokens));
        let t = stats.total();
        assert_eq!(t.input_tokens, u64::MAX);
        assert_eq!(t.output_tokens, u64::MAX);
        assert_eq!(t.cache_write_tokens, u64::MAX);
        assert_eq!(t.cache_read_tokens, 21);
        assert_eq!((t.requests, t.errors), (3, 1));
        assert_eq!(stats.detailed()[0].detail.reasoning_tokens, u64::MAX);
    }

    #[test]
    fn every_error_class_has_its_own_slot() {
        for (i, c) in ERROR_CLASSES.iter().enumerate() {
            assert_eq!(class_index(*c), i, "{c:?}");
        }
    }

    #[test]
    fn latencies_land_in_le_buckets() {
        let mut h = Histogram::default();
        // On a bound counts in that bucket (le), just above in the next.
        for ms in [0, 100, 101, 250, 300_000, 300_001, u64::MAX] {
            h.observe(ms);
        }
        assert_eq!(h.counts[0], 2);
        assert_eq!(h.counts[1], 2);
        assert_eq!(h.counts[10], 1);
        assert_eq!(h.counts[11], 2);
        assert_eq!(h.count, 7);
        assert_eq!(h.sum_ms, u64::MAX);
    }

    #[test]
    fn detail_keeps_classes_latencies_and_reasoning_per_model() {
        let stats = Stats::default();
        let tokens = Tokens {
            input: 10,
            output: 5,
            reasoning: 2,
            ..Tokens::default()
        };
        let mut streamed = mk_record("p", None, tokens);
        streamed.ttft_ms = Some(300);
        streamed.duration_ms = 1_200;
        stats.record(&streamed);
        let mut limited = mk_record("p", Some(ErrorClass::RateLimited), Tokens::default());
        limited.duration_ms = 40;
        stats.record(&limited);
        stats.record(&mk_record("q", Some(ErrorClass::Stream), tokens));

        let all = stats.detailed();
        assert_eq!(all.len(), 2);
        let p = &all[0];
        assert_eq!((p.provider.as_str(), p.model.as_str()), ("p", "m"));
        assert_eq!((p.usage.requests, p.usage.errors), (2, 1));
        assert_eq!(p.detail.reasoning_tokens, 2);
        assert_eq!(p.detail.errors[class_index(ErrorClass::RateLimited)], 1);
        assert_eq!(p.detail.errors.iter().sum::<u64>(), 1);
        assert_eq!(
            (p.detail.duration.count, p.detail.duration.sum_ms),
            (2, 1_240)
        );
        assert_eq!(p.detail.duration.counts[0], 1);
        assert_eq!(p.detail.duration.counts[4], 1);
        assert_eq!((p.detail.ttft.count, p.detail.ttft.counts[2]), (1, 1));
        assert_eq!(all[1].detail.errors[class_index(ErrorClass::Stream)], 1);
        // The summary's view is unchanged by the extra detail.
        assert_eq!(stats.snapshot()[0].1, p.usage);
    }
}

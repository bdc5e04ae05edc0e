//! What the proxy served: requests, errors and token usage per upstream
//! model, for the session summary and cost estimates.

use std::sync::Mutex;

use indexmap::IndexMap;
use serde::Serialize;

use crate::usage::Record;

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ModelUsage {
    pub requests: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
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
    }
}

#[derive(Default)]
pub struct Stats {
    /// Keyed by (provider, upstream model).
    by_model: Mutex<IndexMap<(String, String), ModelUsage>>,
}

impl Stats {
    pub fn record(&self, r: &Record) {
        let (provider, model) = (r.provider.as_str(), r.model.as_str());
        let mut map = self
            .by_model
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        e.add(&ModelUsage {
            requests: 1,
            errors: u64::from(r.error.is_some()),
            input_tokens: t.input,
            output_tokens: t.output,
            cache_read_tokens: t.cache_read,
            cache_write_tokens: t.cache_write,
        });
    }

    pub fn snapshot(&self) -> Vec<((String, String), ModelUsage)> {
        let map = self
            .by_model
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
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

    #[test]
    fn huge_upstream_counts_saturate() {
        let stats = Stats::default();
        let record = |provider: &str, error| Record {
            at_ms: 0,
            session: "s".into(),
            cc_session: None,
            profile: "p".into(),
            slot: "main",
            provider: provider.into(),
            requested: "m".into(),
            model: "m".into(),
            subagent: false,
            status: 200,
            error,
            ttft_ms: None,
            duration_ms: 0,
            tokens: crate::usage::prices::Tokens {
                input: u64::MAX,
                output: u64::MAX - 1,
                cache_read: 7,
                cache_write: u64::MAX,
                reasoning: 0,
            },
            estimated: false,
            attempt: 0,
        };
        stats.record(&record("p", None));
        stats.record(&record("p", Some(crate::usage::ErrorClass::Upstream)));
        stats.record(&record("q", None));
        let t = stats.total();
        assert_eq!(t.input_tokens, u64::MAX);
        assert_eq!(t.output_tokens, u64::MAX);
        assert_eq!(t.cache_write_tokens, u64::MAX);
        assert_eq!(t.cache_read_tokens, 21);
        assert_eq!((t.requests, t.errors), (3, 1));
    }
}

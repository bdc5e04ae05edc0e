//! What the proxy served: requests, errors and token usage per upstream
//! model, for the session summary and cost estimates.

use std::sync::Mutex;

use indexmap::IndexMap;
use serde::Serialize;

use super::translate::anthropic::Usage;

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
    pub fn record(&self, provider: &str, model: &str, usage: Option<&Usage>, error: bool) {
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
        e.add(&ModelUsage {
            requests: 1,
            errors: u64::from(error),
            input_tokens: usage.map_or(0, |u| u.input_tokens),
            output_tokens: usage.map_or(0, |u| u.output_tokens),
            cache_read_tokens: usage.and_then(|u| u.cache_read_input_tokens).unwrap_or(0),
            cache_write_tokens: usage
                .and_then(|u| u.cache_creation_input_tokens)
                .unwrap_or(0),
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
        let huge = Usage {
            input_tokens: u64::MAX,
            output_tokens: u64::MAX - 1,
            cache_creation_input_tokens: Some(u64::MAX),
            cache_read_input_tokens: Some(7),
            ..Usage::default()
        };
        stats.record("p", "m", Some(&huge), false);
        stats.record("p", "m", Some(&huge), true);
        stats.record("q", "m", Some(&huge), false);
        let t = stats.total();
        assert_eq!(t.input_tokens, u64::MAX);
        assert_eq!(t.output_tokens, u64::MAX);
        assert_eq!(t.cache_write_tokens, u64::MAX);
        assert_eq!(t.cache_read_tokens, 21);
        assert_eq!((t.requests, t.errors), (3, 1));
    }
}

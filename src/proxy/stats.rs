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
        e.requests += 1;
        e.errors += u64::from(error);
        if let Some(u) = usage {
            e.input_tokens += u.input_tokens;
            e.output_tokens += u.output_tokens;
            e.cache_read_tokens += u.cache_read_input_tokens.unwrap_or(0);
            e.cache_write_tokens += u.cache_creation_input_tokens.unwrap_or(0);
        }
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
            t.requests += u.requests;
            t.errors += u.errors;
            t.input_tokens += u.input_tokens;
            t.output_tokens += u.output_tokens;
            t.cache_read_tokens += u.cache_read_tokens;
            t.cache_write_tokens += u.cache_write_tokens;
        }
        t
    }
}

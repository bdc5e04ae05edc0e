//! The thinking of tool-call turns, kept for the session so it can be put
//! back after Claude Code drops it on a `/model` switch (see
//! `translate::recall`). Only profiles that span providers keep any.

use std::collections::{HashMap, VecDeque};

use super::translate::anthropic::MessagesRequest;
use super::translate::recall::{Kept, keepable, restore};

/// How many turns are kept: a long session's worth, a few megabytes at
/// most; the oldest go first.
const KEEP: usize = 4096;

/// Each turn's thinking under its first tool-call id, with the provider
/// whose request carried it: Claude Code strips thinking when the model
/// changes, so what a request still carries is the model's own.
#[derive(Default)]
pub struct Recall {
    kept: HashMap<String, (String, Vec<Kept>)>,
    order: VecDeque<String>,
}

impl Recall {
    /// Keep what `req` to `provider` carries that is new, and put back
    /// what it lacks of `provider`'s own thinking (another provider's is
    /// never echoed to it). Returns how many turns got theirs back.
    pub fn apply(&mut self, req: &mut MessagesRequest, provider: &str) -> usize {
        for (id, kept) in keepable(req, &|id| self.kept.contains_key(id)) {
            if self.order.len() == KEEP
                && let Some(old) = self.order.pop_front()
            {
                self.kept.remove(&old);
            }
            self.order.push_back(id.clone());
            self.kept.insert(id, (provider.to_string(), kept));
        }
        let own = |id: &str| {
            self.kept
                .get(id)
                .filter(|(by, _)| by == provider)
                .map(|(_, k)| k.as_slice())
        };
        restore(req, &own)
    }
}

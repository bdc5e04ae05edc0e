//! The thinking of tool-call turns, kept for the session so it can be put
//! back after Claude Code drops it on a `/model` switch (see
//! `translate::recall`). Only profiles that span providers keep any.

use std::collections::{HashMap, VecDeque};

use super::translate::anthropic::MessagesRequest;
use super::translate::recall::{Kept, keepable, restore};

/// How many turns are kept: a long session's worth, a few megabytes at
/// most; the oldest go first.
const KEEP: usize = 4096;

#[derive(Default)]
pub struct Recall {
    kept: HashMap<String, Vec<Kept>>,
    order: VecDeque<String>,
}

impl Recall {
    /// Keep what `req` carries that is new, and put back what it lacks.
    /// Returns how many turns got their thinking back.
    pub fn apply(&mut self, req: &mut MessagesRequest) -> usize {
        for (id, kept) in keepable(req, &|id| self.kept.contains_key(id)) {
            if self.order.len() == KEEP
                && let Some(old) = self.order.pop_front()
            {
                self.kept.remove(&old);
            }
            self.order.push_back(id.clone());
            self.kept.insert(id, kept);
        }
        restore(req, &self.kept)
    }
}

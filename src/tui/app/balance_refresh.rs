//! Balances kept current while the list stays open. Opening it shows what
//! `balances.json` holds, as before (opening must not reach every
//! provider); from a minute on, each clock reading asks again for the
//! providers of the selected and the other visible profiles, each at most
//! once a minute. The clock is the screen's own (`LastUsed` brings it), so
//! tests give the time.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::proxy::upstream::balance::FRESH;

/// When this screen opened and last asked for each provider's balance.
#[derive(Debug, Default)]
pub struct BalanceAsks {
    /// The first clock reading: nothing is asked before a minute after it.
    opened: Option<SystemTime>,
    asked: HashMap<String, SystemTime>,
}

impl BalanceAsks {
    /// Of `providers` (in the order given), those to ask at `now`: not
    /// asked by this screen within a minute (nor opened within one), and
    /// `askable`. They count as asked from now on. Every clock reading
    /// comes here, on the list or not, so the first one marks the opening.
    pub fn due(
        &mut self,
        now: SystemTime,
        mut providers: Vec<String>,
        askable: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let opened = *self.opened.get_or_insert(now);
        // A clock set back (or not a minute on) is not a minute since.
        let minute_since = |then: SystemTime| now.duration_since(then).is_ok_and(|d| d >= FRESH);
        providers
            .retain(|p| minute_since(self.asked.get(p).copied().unwrap_or(opened)) && askable(p));
        for p in &providers {
            self.asked.insert(p.clone(), now);
        }
        providers
    }
}

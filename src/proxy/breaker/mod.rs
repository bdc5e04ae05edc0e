//! Circuit breakers, one per fallback target, shared by every request of
//! the proxy: a target that failed several times in a row is skipped for
//! a cooldown (its requests go straight to the next target instead of
//! waiting out its timeouts), then one trial request decides whether it is
//! back.
//!
//! Only failures another target could help with count (those that move a
//! request on); a user's error or a used-up budget says nothing about the
//! upstream's health. The chain's last target is never skipped: a request
//! must go somewhere, and a one-target slot behaves as without breakers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{Breaker as Settings, Profile};

pub mod notes;

#[derive(Debug, Default)]
struct Circuit {
    /// Failures in a row, counted from `first_at`.
    failures: u32,
    first_at: Option<Instant>,
    /// Open (skipped) until then; `None`: closed.
    open_until: Option<Instant>,
    /// When the trial request after a cooldown was let through.
    trial_at: Option<Instant>,
}

/// Whether a request may use a target now.
#[derive(Debug, PartialEq)]
pub enum Admit {
    Yes,
    /// Yes, as the one trial after a cooldown.
    Trial,
    /// No: skipped for about this much longer.
    No(Duration),
}

/// A change worth a log line.
#[derive(Debug, PartialEq)]
pub enum Change {
    Opened {
        failures: u32,
    },
    /// The trial failed.
    Reopened,
    Closed,
}

impl Circuit {
    fn admit(&mut self, now: Instant, s: &Settings) -> Admit {
        let Some(until) = self.open_until else {
            return Admit::Yes;
        };
        if now < until {
            return Admit::No(until - now);
        }
        // One trial at a time; a trial that never reported back (its
        // client went away) is replaced after another cooldown.
        match self.trial_at {
            Some(t) if now.duration_since(t) < s.cooldown => Admit::No(s.cooldown),
            _ => {
                self.trial_at = Some(now);
                Admit::Trial
            }
        }
    }

    fn success(&mut self) -> Option<Change> {
        let was_open = self.open_until.is_some();
        *self = Circuit::default();
        was_open.then_some(Change::Closed)
    }

    fn failure(&mut self, now: Instant, s: &Settings) -> Option<Change> {
        if self.open_until.is_some() {
            // Only the trial's failure reopens: a request let through
            // before the breaker opened may still be failing now.
            return self.trial_at.take().map(|_| {
                self.open_until = Some(now + s.cooldown);
                Change::Reopened
            });
        }
        match self.first_at {
            Some(f) if now.duration_since(f) <= s.window => self.failures += 1,
            _ => {
                self.first_at = Some(now);
                self.failures = 1;
            }
        }
        (self.failures >= s.failures).then(|| {
            self.open_until = Some(now + s.cooldown);
            Change::Opened {
                failures: self.failures,
            }
        })
    }
}

/// Every target of a profile's fallback chains, by provider and model
/// (a one-target slot has none: it is never skipped).
pub struct Breakers {
    settings: Settings,
    map: HashMap<String, HashMap<String, Mutex<Circuit>>>,
}

impl Breakers {
    pub fn new(profile: &Profile, settings: Settings) -> Breakers {
        let mut map: HashMap<String, HashMap<String, Mutex<Circuit>>> = HashMap::new();
        let slots = profile.slots().into_iter().chain(profile.route_slots());
        let slots = slots.map(|(_, s)| s).chain(profile.menu_slots());
        for slot in slots.filter(|s| !s.fallbacks.is_empty()) {
            for (provider, model) in slot.targets() {
                map.entry(provider.to_string())
                    .or_default()
                    .entry(model.to_string())
                    .or_default();
            }
        }
        Breakers { settings, map }
    }

    pub fn cooldown(&self) -> Duration {
        self.settings.cooldown
    }

    /// Runs `f` on the target's circuit (a target not in the profile has
    /// none: always closed).
    fn with<T>(&self, provider: &str, model: &str, f: impl FnOnce(&mut Circuit) -> T) -> Option<T> {
        let c = self.map.get(provider)?.get(model)?;
        let mut c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(f(&mut c))
    }

    pub fn admit(&self, provider: &str, model: &str, now: Instant) -> Admit {
        self.with(provider, model, |c| c.admit(now, &self.settings))
            .unwrap_or(Admit::Yes)
    }

    pub fn success(&self, provider: &str, model: &str) -> Option<Change> {
        self.with(provider, model, Circuit::success).flatten()
    }

    pub fn failure(&self, provider: &str, model: &str, now: Instant) -> Option<Change> {
        self.with(provider, model, |c| c.failure(now, &self.settings))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(30),
        }
    }

    #[test]
    fn opens_half_opens_and_closes() {
        let s = settings();
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        let mut c = Circuit::default();
        assert_eq!(c.failure(at(0), &s), None);
        assert_eq!(c.failure(at(1), &s), None);
        assert_eq!(c.admit(at(1), &s), Admit::Yes);
        assert_eq!(c.failure(at(2), &s), Some(Change::Opened { failures: 3 }));
        assert_eq!(c.admit(at(3), &s), Admit::No(Duration::from_secs(29)));
        // A late failure of a request let through earlier changes nothing.
        assert_eq!(c.failure(at(4), &s), None);
        // Cooled down: one trial, the others still skip.
        assert_eq!(c.admit(at(32), &s), Admit::Trial);
        assert!(matches!(c.admit(at(32), &s), Admit::No(_)));
        // The trial fails: open for another cooldown.
        assert_eq!(c.failure(at(33), &s), Some(Change::Reopened));
        assert!(matches!(c.admit(at(40), &s), Admit::No(_)));
        assert_eq!(c.admit(at(63), &s), Admit::Trial);
        // The trial succeeds: closed, counting from zero.
        assert_eq!(c.success(), Some(Change::Closed));
        assert_eq!(c.admit(at(64), &s), Admit::Yes);
        assert_eq!(c.failure(at(65), &s), None);
        assert_eq!(c.success(), None);
    }

    #[test]
    fn failures_must_be_in_a_row_and_within_the_window() {
        let s = settings();
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        let mut c = Circuit::default();
        c.failure(at(0), &s);
        c.failure(at(1), &s);
        c.success();
        assert_eq!(c.failure(at(2), &s), None, "a success in between");
        c.failure(at(3), &s);
        // The third comes after the window: counting restarts.
        assert_eq!(c.failure(at(70), &s), None);
        assert_eq!(c.admit(at(70), &s), Admit::Yes);
    }

    #[test]
    fn a_lost_trial_is_replaced_after_a_cooldown() {
        let s = settings();
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        let mut c = Circuit::default();
        for i in 0..3 {
            c.failure(at(i), &s);
        }
        assert_eq!(c.admit(at(40), &s), Admit::Trial);
        // Its client went away; nothing reported.
        assert!(matches!(c.admit(at(50), &s), Admit::No(_)));
        assert_eq!(c.admit(at(71), &s), Admit::Trial);
    }
}

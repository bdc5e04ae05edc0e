//! Each key's rate limits: requests and tokens a minute, over a minute
//! that slides by the second. Pure but for its lock: the caller passes the
//! time.
//!
//! Tokens are counted when a request arrives, by its estimated input:
//! what it will write is not known yet, and a limit that waited for it
//! would let a burst of long requests through. The limits live in this
//! gateway's memory; gateways sharing a store each keep their own (a
//! shared count comes with the Postgres store).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::store::RateLimits;
use super::store::rates::{SLOTS, over};

// The minute is counted in one-second buckets (`rates::SLOTS`): a key's
// memory stays 60 buckets however many requests it sends (a log of every
// request would hold a busy key's whole minute), at the cost of waits
// rounded to the second, which `retry-after` is in anyway.

/// What one key sent in the last minute, by second.
struct Window {
    /// Second 0 of this key's count.
    origin: Instant,
    /// `(second, requests, tokens)`, at `second % SLOTS`.
    slots: [(u64, u64, u64); SLOTS as usize],
}

impl Window {
    fn new(now: Instant) -> Window {
        Window {
            origin: now,
            slots: [(u64::MAX, 0, 0); SLOTS as usize],
        }
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    /// The buckets still in the minute that ends at second `now`, oldest
    /// first.
    fn live(&self, now: u64) -> Vec<(u64, u64, u64)> {
        let mut live: Vec<_> = self
            .slots
            .iter()
            .copied()
            .filter(|(s, _, _)| *s != u64::MAX && now - s < SLOTS)
            .collect();
        live.sort_unstable_by_key(|(s, _, _)| *s);
        live
    }

    /// How long until a request of `tokens` fits `limits`, if it does not
    /// now: until enough of the oldest seconds leave the minute.
    fn wait(&self, limits: &RateLimits, tokens: u64, now: Instant) -> Option<Duration> {
        let second = self.second(now);
        let live = self.live(second);
        let (requests, used) = live
            .iter()
            .fold((0, 0), |(r, t), (_, rs, ts)| (r + rs, t + ts));
        let over = |r: u64, t: u64| over(limits, r, t, tokens);
        if !over(requests, used) {
            return None;
        }
        let (mut r, mut t) = (requests, used);
        for (s, rs, ts) in live {
            r -= rs;
            t -= ts;
            if !over(r, t) {
                let leaves = self.origin + Duration::from_secs(s + SLOTS);
                return Some(leaves.saturating_duration_since(now));
            }
        }
        Some(Duration::from_secs(SLOTS))
    }

    fn count(&mut self, tokens: u64, now: Instant) {
        let second = self.second(now);
        let slot = &mut self.slots[(second % SLOTS) as usize];
        if slot.0 != second {
            *slot = (second, 0, 0);
        }
        slot.1 += 1;
        slot.2 = slot.2.saturating_add(tokens);
    }
}

/// Every key's window; keys without limits keep none.
#[derive(Default)]
pub struct Limiter {
    keys: Mutex<HashMap<i64, Window>>,
}

impl Limiter {
    /// Let a request of about `tokens` input tokens from key `key_id` in,
    /// counting it, or say how long to wait (for `retry-after`).
    pub fn admit(
        &self,
        key_id: i64,
        limits: &RateLimits,
        tokens: u64,
        now: Instant,
    ) -> Result<(), Duration> {
        if limits.is_empty() {
            return Ok(());
        }
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = keys.entry(key_id).or_insert_with(|| Window::new(now));
        if let Some(wait) = w.wait(limits, tokens, now) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        w.count(tokens, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rpm: Option<u32>, tpm: Option<u64>) -> RateLimits {
        RateLimits { rpm, tpm }
    }

    #[test]
    fn requests_a_minute_slide() {
        let l = Limiter::default();
        let t0 = Instant::now();
        let rpm = limits(Some(2), None);
        assert!(l.admit(1, &rpm, 10, t0).is_ok());
        assert!(l.admit(1, &rpm, 10, t0 + Duration::from_secs(10)).is_ok());
        let wait = l
            .admit(1, &rpm, 10, t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        // Another key has its own window.
        assert!(l.admit(2, &rpm, 10, t0 + Duration::from_secs(20)).is_ok());
        // The first request leaves the window a minute after it came.
        assert!(l.admit(1, &rpm, 10, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn tokens_a_minute_wait_for_enough_to_leave() {
        let l = Limiter::default();
        let t0 = Instant::now();
        let tpm = limits(None, Some(1000));
        assert!(l.admit(1, &tpm, 600, t0).is_ok());
        assert!(l.admit(1, &tpm, 300, t0 + Duration::from_secs(30)).is_ok());
        // 900 in the window: 200 more must wait for the first 600 to go.
        let wait = l
            .admit(1, &tpm, 200, t0 + Duration::from_secs(40))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // One request over the whole limit goes when the window is empty.
        let l = Limiter::default();
        assert!(l.admit(1, &tpm, 5000, t0).is_ok());
        assert!(l.admit(1, &tpm, 1, t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn keys_without_limits_are_not_counted() {
        let l = Limiter::default();
        for _ in 0..1000 {
            assert!(
                l.admit(1, &limits(None, None), 1_000_000, Instant::now())
                    .is_ok()
            );
        }
        assert!(l.keys.lock().unwrap().is_empty());
    }
}

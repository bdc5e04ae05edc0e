//! Each key's rate limits: requests and tokens a minute, over a sliding
//! minute. Pure but for its lock: the caller passes the time.
//!
//! Tokens are counted when a request arrives, by its estimated input:
//! what it will write is not known yet, and a limit that waited for it
//! would let a burst of long requests through. The limits live in this
//! gateway's memory; gateways sharing a store each keep their own (a
//! shared count comes with the Postgres store).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::store::RateLimits;

const MINUTE: Duration = Duration::from_secs(60);

/// What one key sent in the last minute.
#[derive(Default)]
struct Window {
    requests: VecDeque<Instant>,
    tokens: VecDeque<(Instant, u64)>,
    token_sum: u64,
}

impl Window {
    fn forget_before(&mut self, cutoff: Instant) {
        while self.requests.front().is_some_and(|t| *t <= cutoff) {
            self.requests.pop_front();
        }
        while let Some((t, n)) = self.tokens.front().copied()
            && t <= cutoff
        {
            self.token_sum -= n;
            self.tokens.pop_front();
        }
    }

    /// How long until a request of `tokens` fits `limits`, if it does not
    /// now.
    fn wait(&self, limits: &RateLimits, tokens: u64, now: Instant) -> Option<Duration> {
        let until = |t: Instant| (t + MINUTE).saturating_duration_since(now);
        let mut wait = None;
        if let Some(rpm) = limits.rpm
            && self.requests.len() >= rpm as usize
        {
            // The oldest that must leave for one more to fit.
            let i = self.requests.len() - rpm as usize;
            wait = Some(until(self.requests[i]));
        }
        // A request larger than the whole limit goes when the window is
        // empty: refusing it forever would be worse than one over-minute.
        if let Some(tpm) = limits.tpm
            && self.token_sum > 0
            && self.token_sum + tokens > tpm
        {
            let mut left = self.token_sum;
            let mut at = now;
            for (t, n) in &self.tokens {
                left -= n;
                at = *t;
                if left + tokens <= tpm || left == 0 {
                    break;
                }
            }
            wait = wait.max(Some(until(at)));
        }
        wait
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
        if limits.rpm.is_none() && limits.tpm.is_none() {
            return Ok(());
        }
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = keys.entry(key_id).or_default();
        if let Some(cutoff) = now.checked_sub(MINUTE) {
            w.forget_before(cutoff);
        }
        if let Some(wait) = w.wait(limits, tokens, now) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        w.requests.push_back(now);
        w.tokens.push_back((now, tokens));
        w.token_sum += tokens;
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

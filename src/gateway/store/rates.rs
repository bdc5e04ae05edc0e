//! Rate-limit arithmetic shared by the in-memory limiter (`gateway::limit`)
//! and the stores that count for several replicas: what a minute of
//! per-second buckets lets in, and when a request that does not fit would.

use super::model::RateLimits;

/// A shared store's answer to a request's rate-limit admission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateAnswer {
    /// `Some(secs)`: the request does not fit (and was not counted); it
    /// would in that many seconds.
    pub wait: Option<u64>,
    /// The key's minute before this request: what a replica keeps to
    /// judge how much room its next requests have.
    pub requests: u64,
    pub tokens: u64,
}

/// A minute, in the one-second buckets limits are counted in.
pub const SLOTS: u64 = 60;

/// Whether a request of `tokens` would break `limits` with `requests`
/// and `used` tokens already in the minute.
pub fn over(limits: &RateLimits, requests: u64, used: u64, tokens: u64) -> bool {
    limits.rpm.is_some_and(|rpm| requests >= u64::from(rpm))
        // A request larger than the whole limit goes when the window is
        // empty: refusing it forever would be worse.
        || limits.tpm.is_some_and(|tpm| used > 0 && used.saturating_add(tokens) > tpm)
}

/// For limits counted in a shared store (replicas on one Postgres): given
/// the minute's buckets `(second, requests, tokens)` ending at second
/// `now`, oldest first, whether a request of `tokens` fits, else how many
/// whole seconds until enough of the oldest leave.
pub fn shared_wait(
    live: &[(u64, u64, u64)],
    limits: &RateLimits,
    tokens: u64,
    now: u64,
) -> Option<u64> {
    let live: Vec<_> = live.iter().filter(|(s, _, _)| now - s < SLOTS).collect();
    let (mut r, mut t) = live.iter().fold((0u64, 0u64), |(r, t), (_, rs, ts)| {
        (r + rs, t.saturating_add(*ts))
    });
    if !over(limits, r, t, tokens) {
        return None;
    }
    for (s, rs, ts) in live {
        r -= rs;
        t -= ts;
        if !over(limits, r, t, tokens) {
            return Some((s + SLOTS - now).max(1));
        }
    }
    Some(SLOTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rpm: Option<u32>, tpm: Option<u64>) -> RateLimits {
        RateLimits { rpm, tpm }
    }

    #[test]
    fn shared_buckets_give_the_same_answers_in_whole_seconds() {
        let rpm = limits(Some(2), None);
        assert_eq!(shared_wait(&[(100, 1, 10)], &rpm, 10, 110), None);
        assert_eq!(
            shared_wait(&[(100, 1, 10), (110, 1, 10)], &rpm, 10, 120),
            Some(40)
        );
        // Buckets older than the minute no longer count.
        assert_eq!(shared_wait(&[(100, 5, 10)], &rpm, 10, 160), None);
        let tpm = limits(None, Some(1000));
        assert_eq!(
            shared_wait(&[(0, 1, 600), (30, 1, 300)], &tpm, 200, 40),
            Some(20)
        );
        assert_eq!(shared_wait(&[], &tpm, 5000, 0), None);
    }
}

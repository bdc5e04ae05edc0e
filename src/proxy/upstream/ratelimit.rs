//! How long an upstream asks clients to wait, from whichever header it
//! uses. Claude Code (2.1.332) waits out a 429 or 529 only by
//! `retry-after` in seconds; without it, it backs off from half a second
//! and soon spends its retries. Providers say it in other ways too:
//! OpenAI's `retry-after-ms` and `x-ratelimit-reset-*` durations (`6m0s`),
//! the IETF draft's `ratelimit-reset`, `x-ratelimit-reset` (seconds, or a
//! Unix time), Anthropic's `anthropic-ratelimit-*-reset` times, and an
//! HTTP date in `retry-after` itself. The proxy reads them all and gives
//! Claude Code a plain `retry-after`.
//!
//! Pure: the time comes in.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

/// A wait longer than this is the upstream's mistake, not a plan.
const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// The wait the upstream asks for, if any header says one.
pub fn wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Some(d) = seconds(v) {
            return Some(d);
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(until(at, now));
        }
    }
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return capped(ms / 1000.0);
    }
    // The rest say when a limit resets; the longest reset is the wait that
    // surely clears the limit that was hit.
    let mut longest: Option<Duration> = None;
    let mut consider = |d: Option<Duration>| {
        if let Some(d) = d {
            longest = Some(longest.map_or(d, |l| l.max(d)));
        }
    };
    for name in ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"] {
        consider(text(name).and_then(go_duration));
    }
    for name in ["ratelimit-reset", "x-ratelimit-reset"] {
        consider(text(name).and_then(|v| reset(v, now)));
    }
    for name in [
        "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-input-tokens-reset",
        "anthropic-ratelimit-output-tokens-reset",
    ] {
        consider(
            text(name)
                .and_then(|v| humantime::parse_rfc3339_weak(v).ok())
                .map(|at| until(at, now)),
        );
    }
    longest
}

/// `retry-after` for Claude Code: whole seconds, rounded up (a wait of
/// 200 ms is still a wait).
pub fn retry_after(wait: Duration) -> HeaderValue {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HeaderValue::from(secs)
}

fn seconds(v: &str) -> Option<Duration> {
    let secs: f64 = v.parse().ok()?;
    capped(secs)
}

/// Seconds as a wait of at most [`MAX_WAIT`]; negative or not a number is
/// no wait the upstream meant.
fn capped(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(MAX_WAIT.as_secs_f64())))
}

fn until(at: SystemTime, now: SystemTime) -> Duration {
    at.duration_since(now).unwrap_or_default().min(MAX_WAIT)
}

/// Seconds to wait, or (large numbers) a Unix time in seconds or
/// milliseconds: providers use all three under the same name.
fn reset(v: &str, now: SystemTime) -> Option<Duration> {
    let n: f64 = v.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n < 1e9 {
        return seconds(v);
    }
    let secs = if n >= 1e12 { n / 1000.0 } else { n };
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?)?;
    Some(until(at, now))
}

/// Go's duration format, as OpenAI sends it: `1s`, `6m0s`, `20ms`,
/// `1h2m3.5s`.
fn go_duration(v: &str) -> Option<Duration> {
    let mut total = 0.0_f64;
    let mut rest = v;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_end..];
    }
    capped(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_794_312_000;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn wait_of(pairs: &[(&'static str, &str)]) -> Option<Duration> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        wait(&h, now())
    }

    #[test]
    fn every_way_providers_say_it() {
        let s = Duration::from_secs;
        assert_eq!(wait_of(&[("retry-after", "3")]), Some(s(3)));
        let date = httpdate::fmt_http_date(now() + s(40));
        assert_eq!(wait_of(&[("retry-after", &date)]), Some(s(40)));
        assert_eq!(
            wait_of(&[("retry-after-ms", "1500")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            wait_of(&[
                ("x-ratelimit-reset-requests", "1s"),
                ("x-ratelimit-reset-tokens", "6m0s")
            ]),
            Some(s(360))
        );
        assert_eq!(
            wait_of(&[("x-ratelimit-reset-tokens", "1h2m3.5s")]),
            Some(Duration::from_millis(3_723_500))
        );
        assert_eq!(wait_of(&[("ratelimit-reset", "12")]), Some(s(12)));
        let epoch = (NOW + 30).to_string();
        assert_eq!(wait_of(&[("x-ratelimit-reset", &epoch)]), Some(s(30)));
        let epoch_ms = ((NOW + 7) * 1000).to_string();
        assert_eq!(wait_of(&[("x-ratelimit-reset", &epoch_ms)]), Some(s(7)));
        let at = humantime::format_rfc3339(now() + s(25)).to_string();
        assert_eq!(
            wait_of(&[("anthropic-ratelimit-tokens-reset", &at)]),
            Some(s(25))
        );
        // retry-after wins over the reset times.
        assert_eq!(
            wait_of(&[("retry-after", "2"), ("x-ratelimit-reset-tokens", "9s")]),
            Some(s(2))
        );
    }

    #[test]
    fn nonsense_is_no_hint_and_nothing_waits_past_a_day() {
        assert_eq!(wait_of(&[]), None);
        assert_eq!(wait_of(&[("x-ratelimit-reset-tokens", "soon")]), None);
        assert_eq!(wait_of(&[("x-ratelimit-reset", "-4")]), None);
        assert_eq!(wait_of(&[("retry-after", "1e30")]), Some(MAX_WAIT));
        // A reset in the past is no wait.
        let past = (NOW - 100).to_string();
        assert_eq!(
            wait_of(&[("x-ratelimit-reset", &past)]),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn claude_code_gets_whole_seconds_rounded_up() {
        assert_eq!(retry_after(Duration::from_millis(200)), "1");
        assert_eq!(retry_after(Duration::from_secs(3)), "3");
        assert_eq!(retry_after(Duration::from_millis(3001)), "4");
    }
}

//! Fallback chains: when a request moves on to its slot's next target, and
//! what Claude Code gets when every target failed.
//!
//! A request moves on only while nothing of the answer has reached Claude
//! Code, and only for failures another target can help with: no connection,
//! a timeout, 408/429/5xx/529, an unreadable or empty reply, a used-up
//! budget of that provider. 400/401/403/404 and a misconfigured connection
//! are the user's to fix, so they end the request at once.

use std::time::Duration;

use super::error::ProxyError;
use super::upstream::send::retry_after as seconds;
use crate::tn;

/// The longest `Retry-After` waited out before the same target is tried
/// once more; a longer one moves on at once (the next target is likely
/// faster than the wait).
pub const SHORT_RETRY: Duration = Duration::from_secs(2);

/// What to do after a target failed.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// Answer Claude Code with this error.
    Stop,
    /// Try the chain's next target.
    MoveOn,
    /// Wait, then try the same target once more.
    Wait(Duration),
}

/// The step after `e`; `waited`: this target already had its short wait.
pub fn next(e: &ProxyError, waited: bool) -> Next {
    match e {
        ProxyError::Timeout(_)
        | ProxyError::Unreachable(_)
        | ProxyError::BadUpstream(_)
        | ProxyError::EmptyReply(_)
        | ProxyError::Budget(_) => Next::MoveOn,
        ProxyError::Upstream {
            status: 429,
            retry_after,
            ..
        } => match retry_after.as_ref().and_then(seconds) {
            Some(d) if !waited && d <= SHORT_RETRY => Next::Wait(d),
            _ => Next::MoveOn,
        },
        ProxyError::Upstream {
            status: 408 | 500 | 502 | 503 | 504 | 529,
            ..
        } => Next::MoveOn,
        _ => Next::Stop,
    }
}

/// Whether `e` says something about the target's health (for its
/// breaker): a failure another target could help with, but not a budget.
pub fn counts(e: &ProxyError) -> bool {
    !matches!(e, ProxyError::Budget(_)) && next(e, true) == Next::MoveOn
}

/// A target as log lines and messages name it.
pub fn name(provider: &str, model: &str) -> String {
    format!("{provider}/{model}")
}

/// Claude Code's answer when every target of a chain failed: every
/// target's reason in one message, with the last failure's status (so
/// Claude Code retries what is worth retrying), or 529 when all were
/// overloaded.
pub fn all_failed(failures: Vec<(String, ProxyError)>) -> ProxyError {
    let overloaded = failures.iter().all(|(_, e)| {
        matches!(
            e,
            ProxyError::Upstream {
                status: 503 | 529,
                ..
            }
        )
    });
    let list: Vec<String> = failures.iter().map(|(t, e)| format!("{t}: {e}")).collect();
    let message = tn!(
        "proxy.all_failed",
        n = failures.len(),
        list = list.join("; ")
    );
    match failures.into_iter().last() {
        Some(_) if overloaded => ProxyError::Upstream {
            status: 529,
            message,
            retry_after: None,
        },
        Some((_, last)) => last.reworded(message),
        None => ProxyError::BadUpstream(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn up(status: u16, retry_after: Option<&'static str>) -> ProxyError {
        ProxyError::Upstream {
            status,
            message: format!("upstream returned HTTP {status}"),
            retry_after: retry_after.map(HeaderValue::from_static),
        }
    }

    #[test]
    fn what_moves_on_and_what_stops() {
        for s in [408, 500, 502, 503, 504, 529] {
            assert_eq!(next(&up(s, None), false), Next::MoveOn, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert_eq!(next(&up(s, None), false), Next::Stop, "{s}");
        }
        for e in [
            ProxyError::Timeout("t".into()),
            ProxyError::Unreachable("u".into()),
            ProxyError::EmptyReply("e".into()),
            ProxyError::Budget("b".into()),
        ] {
            assert_eq!(next(&e, false), Next::MoveOn, "{e}");
        }
        assert_eq!(
            next(&ProxyError::Misconfigured("tls".into()), false),
            Next::Stop
        );
        assert_eq!(next(&ProxyError::BadRequest("b".into()), false), Next::Stop);
    }

    #[test]
    fn a_short_retry_after_is_waited_out_once() {
        assert_eq!(
            next(&up(429, Some("1")), false),
            Next::Wait(Duration::from_secs(1))
        );
        assert_eq!(
            next(&up(429, Some("0.5")), false),
            Next::Wait(Duration::from_millis(500))
        );
        assert_eq!(next(&up(429, Some("1")), true), Next::MoveOn);
        assert_eq!(next(&up(429, Some("30")), false), Next::MoveOn);
        assert_eq!(next(&up(429, None), false), Next::MoveOn);
        // Absurd values are long, never a panic.
        assert_eq!(next(&up(429, Some("1e300")), false), Next::MoveOn);
        assert_eq!(next(&up(429, Some("-1")), false), Next::MoveOn);
        assert_eq!(
            next(&up(429, Some("Wed, 21 Oct 2026 07:28:00 GMT")), false),
            Next::MoveOn
        );
    }

    #[test]
    fn all_failed_names_every_target() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let e = all_failed(vec![
            ("a/m1".into(), up(503, None)),
            ("b/m2".into(), up(529, None)),
        ]);
        assert_eq!(e.status().as_u16(), 529);
        let text = e.to_string();
        assert!(
            text.contains("a/m1: upstream returned HTTP 503") && text.contains("b/m2"),
            "{text}"
        );
        let e = all_failed(vec![
            ("a/m1".into(), up(503, None)),
            ("b/m2".into(), ProxyError::Unreachable("refused".into())),
        ]);
        assert_eq!(e.status().as_u16(), 502);
        let e = all_failed(vec![
            ("a/m1".into(), up(429, Some("30"))),
            ("b/m2".into(), up(429, Some("60"))),
        ]);
        assert_eq!(e.status().as_u16(), 429);
        assert_eq!(
            e.into_response(&crate::secrets::Redactor::default())
                .headers()["retry-after"],
            "60"
        );
    }
}

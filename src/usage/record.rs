//! One ledger row: what one upstream request was, what it cost, how it
//! ended. Built by the proxy when a request ends; priced and written by the
//! ledger's writer thread, never on the request path.

use std::sync::Arc;

use serde::Serialize;

use super::prices::Tokens;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// When the request arrived, Unix milliseconds (UTC).
    pub at_ms: i64,
    /// The `ccswitch run` / `serve` process that served it.
    pub session: Arc<str>,
    /// Claude Code's session id (`X-Claude-Code-Session-Id`), when sent.
    pub cc_session: Option<String>,
    pub profile: Arc<str>,
    /// main, fast, opus, sonnet, haiku or subagent.
    pub slot: &'static str,
    pub provider: String,
    /// The model Claude Code asked for.
    pub requested: String,
    /// The model sent upstream.
    pub model: String,
    /// Claude Code marks subagent calls (`x-claude-code-agent-id`).
    pub subagent: bool,
    /// The status Claude Code saw (499: it went away first). A stream that
    /// failed after it started is 200 with an error class.
    pub status: u16,
    pub error: Option<ErrorClass>,
    /// Until the first content went out, for streams.
    pub ttft_ms: Option<u64>,
    pub duration_ms: u64,
    pub tokens: Tokens,
    /// No upstream usage numbers: the tokens are a byte-count estimate.
    pub estimated: bool,
    /// Which attempt of a fallback chain this was (0: the first target).
    /// Always 0 until chains exist; the column is there for them.
    pub attempt: u32,
    /// Who asked and for which project, where known.
    pub who: Attribution,
}

/// Who a request was for: the member, team and key prefix a team gateway
/// admitted it by, and the project label the client sent
/// (`x-ccswitch-project`). `None` where unknown: a request with the
/// session token has no member.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Attribution {
    pub member: Option<Arc<str>>,
    pub team: Option<Arc<str>>,
    pub key_prefix: Option<Arc<str>>,
    pub project: Option<Arc<str>>,
}

/// Why a request failed, in a few classes that say what to do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// 400/404/413/422: the request (or the model id) is wrong.
    Invalid,
    /// 401/403: the key.
    Auth,
    /// 429: rate or quota limit.
    RateLimited,
    /// 503/529: the provider is overloaded.
    Overloaded,
    /// 408/504: the upstream did not answer in time.
    Timeout,
    /// Any other 5xx, or a reply that was not what the API promises.
    Upstream,
    /// The stream began and then broke (an `error` event went out).
    Stream,
    /// Claude Code closed the connection before the end.
    ClientClosed,
    /// The budget stopped it before it was sent.
    Budget,
}

impl ErrorClass {
    /// From the status Claude Code got, and whether an error was reported
    /// inside a 200 stream.
    pub fn of(status: u16, failed: bool) -> Option<ErrorClass> {
        Some(match status {
            200..=399 if failed => ErrorClass::Stream,
            200..=399 => return None,
            // 402: out of credit with the provider; ccswitch's own budget
            // refusals are classed where they are made.
            401..=403 => ErrorClass::Auth,
            429 => ErrorClass::RateLimited,
            408 | 504 => ErrorClass::Timeout,
            499 => ErrorClass::ClientClosed,
            503 | 529 => ErrorClass::Overloaded,
            400..=499 => ErrorClass::Invalid,
            _ => ErrorClass::Upstream,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Invalid => "invalid",
            ErrorClass::Auth => "auth",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Overloaded => "overloaded",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Upstream => "upstream",
            ErrorClass::Stream => "stream",
            ErrorClass::ClientClosed => "client_closed",
            ErrorClass::Budget => "budget",
        }
    }
}

#[cfg(test)]
impl Record {
    /// A plain finished request (200, no tokens) for tests to fill in.
    pub fn sample() -> Record {
        Record {
            at_ms: 0,
            session: "s".into(),
            cc_session: None,
            profile: "p".into(),
            slot: "main",
            provider: "prov".into(),
            requested: "m".into(),
            model: "m".into(),
            subagent: false,
            status: 200,
            error: None,
            ttft_ms: None,
            duration_ms: 1,
            tokens: Tokens::default(),
            estimated: false,
            attempt: 0,
            who: Attribution::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorClass as E;

    #[test]
    fn classes() {
        assert_eq!(E::of(200, false), None);
        assert_eq!(E::of(200, true), Some(E::Stream));
        assert_eq!(E::of(401, true), Some(E::Auth));
        assert_eq!(E::of(404, true), Some(E::Invalid));
        assert_eq!(E::of(429, true), Some(E::RateLimited));
        assert_eq!(E::of(529, true), Some(E::Overloaded));
        assert_eq!(E::of(504, true), Some(E::Timeout));
        assert_eq!(E::of(499, true), Some(E::ClientClosed));
        assert_eq!(E::of(502, true), Some(E::Upstream));
    }
}

//! Errors the proxy answers with, in Anthropic's shape and with statuses
//! Claude Code retries correctly (see shared/docs/claude-code-wire.md §7):
//! 429/5xx/529 are retried; 401 is retried too, so a known-bad upstream key
//! adds `x-should-retry: false`; 403/404/413 are not retried.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::json;

use super::translate::anthropic::ErrorBody;
use crate::secrets::Redactor;

/// Errors at the proxy's HTTP boundary.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The client's request is malformed (bad JSON, missing fields).
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong session token.
    #[error("{0}")]
    Unauthorized(String),
    /// A gateway key that may not use what it asked for.
    #[error("{0}")]
    Forbidden(String),
    /// Something the proxy itself needs is down (the gateway's store).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    /// The upstream answered with an error status.
    #[error("{message}")]
    Upstream {
        status: u16,
        message: String,
        retry_after: Option<HeaderValue>,
    },
    /// The upstream could not be reached (DNS, refused, TLS, proxy).
    #[error("{0}")]
    Unreachable(String),
    /// Reached, but refused for a reason retrying cannot fix: an untrusted
    /// certificate, or credentials the upstream proxy turned down.
    #[error("{0}")]
    Misconfigured(String),
    /// The upstream did not answer in time.
    #[error("{0}")]
    Timeout(String),
    /// The upstream answered 2xx with something we cannot read.
    #[error("{0}")]
    BadUpstream(String),
    /// The upstream answered 2xx with no content and no tool call, and a
    /// later target of the chain may do better.
    #[error("{0}")]
    EmptyReply(String),
    /// A budget is used up: not sent. Retrying cannot help until the user
    /// acts, so Claude Code must show it at once.
    #[error("{0}")]
    Budget(String),
}

impl ProxyError {
    /// Status, Anthropic error type, and whether retrying cannot help.
    fn classify(&self) -> (StatusCode, &'static str, bool) {
        match self {
            ProxyError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request_error", false),
            ProxyError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "authentication_error", true),
            // A member's ccswitch turns a gateway's 401 and 403 into its own
            // explained status, so Claude Code never tells them to /login.
            ProxyError::Forbidden(_) => (StatusCode::FORBIDDEN, "permission_error", true),
            ProxyError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "api_error", false),
            ProxyError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found_error", false),
            ProxyError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", false),
            ProxyError::Unreachable(_) => (StatusCode::BAD_GATEWAY, "api_error", false),
            ProxyError::Misconfigured(_) => (StatusCode::BAD_GATEWAY, "api_error", true),
            ProxyError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "api_error", false),
            ProxyError::BadUpstream(_) | ProxyError::EmptyReply(_) => {
                (StatusCode::BAD_GATEWAY, "api_error", false)
            }
            // Not 403: Claude Code reads 401 and 403 as its own login
            // failing ("Please run /login"). 402 is Anthropic's status for a
            // billing stop, and Claude Code shows it as it is, at once.
            ProxyError::Budget(_) => (StatusCode::PAYMENT_REQUIRED, "billing_error", true),
            ProxyError::Upstream { status, .. } => upstream_status(*status),
        }
    }

    /// The same error (status, type, retry advice) with another message.
    pub fn reworded(self, message: String) -> ProxyError {
        match self {
            ProxyError::BadRequest(_) => ProxyError::BadRequest(message),
            ProxyError::Unauthorized(_) => ProxyError::Unauthorized(message),
            ProxyError::Forbidden(_) => ProxyError::Forbidden(message),
            ProxyError::Unavailable(_) => ProxyError::Unavailable(message),
            ProxyError::NotFound(_) => ProxyError::NotFound(message),
            ProxyError::TooLarge(_) => ProxyError::TooLarge(message),
            ProxyError::Upstream {
                status,
                retry_after,
                ..
            } => ProxyError::Upstream {
                status,
                message,
                retry_after,
            },
            ProxyError::Unreachable(_) => ProxyError::Unreachable(message),
            ProxyError::Misconfigured(_) => ProxyError::Misconfigured(message),
            ProxyError::Timeout(_) => ProxyError::Timeout(message),
            ProxyError::BadUpstream(_) => ProxyError::BadUpstream(message),
            ProxyError::EmptyReply(_) => ProxyError::EmptyReply(message),
            ProxyError::Budget(_) => ProxyError::Budget(message),
        }
    }

    /// The same error with every secret in its message masked: upstream
    /// text (an error body that echoes the key) goes nowhere without this.
    #[must_use]
    pub fn masked(self, r: &Redactor) -> ProxyError {
        let text = self.to_string();
        match r.redact(&text) {
            std::borrow::Cow::Borrowed(_) => self,
            std::borrow::Cow::Owned(m) => self.reworded(m),
        }
    }

    /// The body for an SSE `error` event after the stream has started,
    /// masked.
    pub fn body(&self, r: &Redactor) -> ErrorBody {
        let (_, kind, _) = self.classify();
        ErrorBody {
            kind: kind.to_string(),
            message: r.redact(&self.to_string()).into_owned(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.classify().0
    }

    /// The status that says what went wrong, for the ledger's error class:
    /// the upstream's own, where the client gets another (a refused key is
    /// `auth` though Claude Code gets a 424).
    pub fn cause_status(&self) -> u16 {
        match self {
            ProxyError::Upstream { status, .. } => *status,
            _ => self.status().as_u16(),
        }
    }

    /// The response Claude Code gets, its message masked.
    pub fn into_response(self, r: &Redactor) -> Response<Bytes> {
        let (status, kind, no_retry) = self.classify();
        let message = r.redact(&self.to_string()).into_owned();
        let body = json!({"type": "error", "error": {"type": kind, "message": message}});
        let mut resp = Response::new(Bytes::from(body.to_string()));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if no_retry {
            h.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        if let ProxyError::Upstream {
            retry_after: Some(v),
            ..
        } = &self
        {
            h.insert(http::header::RETRY_AFTER, v.clone());
        }
        resp
    }
}

/// Map an upstream error status to what we tell Claude Code.
fn upstream_status(status: u16) -> (StatusCode, &'static str, bool) {
    let s = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    match status {
        400 | 422 => (StatusCode::BAD_REQUEST, "invalid_request_error", false),
        // The provider refused ccswitch's key, not Claude Code's login:
        // relayed as 401 or 403, Claude Code would say "Please run /login",
        // which cannot help. 424 (the request depended on one that failed)
        // is shown as it is, and, like a bad key, not retried.
        401 => (StatusCode::FAILED_DEPENDENCY, "authentication_error", true),
        403 => (StatusCode::FAILED_DEPENDENCY, "permission_error", true),
        // Out of credit with the provider (DeepSeek, OpenRouter).
        402 => (s, "billing_error", true),
        404 => (s, "not_found_error", false),
        408 => (StatusCode::GATEWAY_TIMEOUT, "api_error", false),
        413 => (s, "request_too_large", false),
        429 => (s, "rate_limit_error", false),
        503 | 529 => (
            StatusCode::from_u16(529).unwrap_or(s),
            "overloaded_error",
            false,
        ),
        500..=599 => (s, "api_error", false),
        _ if (400..500).contains(&status) => (s, "invalid_request_error", false),
        _ => (StatusCode::BAD_GATEWAY, "api_error", false),
    }
}

/// Pull a readable message out of an upstream error body (OpenAI shape,
/// Anthropic shape, or plain text), shortened.
pub fn upstream_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        let e = v.get("error").unwrap_or(v);
        e.get("message")
            .or_else(|| e.get("msg"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str().map(str::to_string))
            .or_else(|| e.as_str().map(str::to_string))
    });
    let msg = from_json.unwrap_or_else(|| text.trim().to_string());
    let msg: String = msg.chars().take(1000).collect();
    if msg.is_empty() {
        format!("upstream returned HTTP {status}")
    } else {
        format!("upstream returned HTTP {status}: {msg}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(status: u16) -> Response<Bytes> {
        ProxyError::Upstream {
            status,
            message: "m".into(),
            retry_after: Some(HeaderValue::from_static("3")),
        }
        .into_response(&Redactor::default())
    }

    fn kind(r: &Response<Bytes>) -> String {
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["type"], "error");
        v["error"]["type"].as_str().unwrap().to_string()
    }

    #[test]
    fn statuses_claude_code_handles() {
        let r = mk(429);
        assert_eq!(
            (r.status().as_u16(), kind(&r).as_str()),
            (429, "rate_limit_error")
        );
        assert_eq!(r.headers()["retry-after"], "3");
        // Never 401 or 403: Claude Code would send the user to /login.
        let r = mk(401);
        assert_eq!(
            (r.status().as_u16(), kind(&r).as_str()),
            (424, "authentication_error")
        );
        assert_eq!(r.headers()["x-should-retry"], "false");
        let r = mk(403);
        assert_eq!(
            (r.status().as_u16(), kind(&r).as_str()),
            (424, "permission_error")
        );
        assert_eq!(r.headers()["x-should-retry"], "false");
        let r = mk(402);
        assert_eq!(
            (r.status().as_u16(), kind(&r).as_str()),
            (402, "billing_error")
        );
        assert_eq!(r.headers()["x-should-retry"], "false");
        assert_eq!(
            (mk(404).status().as_u16(), kind(&mk(404)).as_str()),
            (404, "not_found_error")
        );
        assert_eq!(
            (mk(503).status().as_u16(), kind(&mk(503)).as_str()),
            (529, "overloaded_error")
        );
        assert_eq!(
            (mk(500).status().as_u16(), kind(&mk(500)).as_str()),
            (500, "api_error")
        );
        assert_eq!(mk(422).status().as_u16(), 400);
        assert!(mk(500).headers().get("x-should-retry").is_none());
    }

    #[test]
    fn messages_from_any_shape() {
        let m = upstream_message(
            401,
            br#"{"error":{"message":"Invalid API key","type":"auth"}}"#,
        );
        assert_eq!(m, "upstream returned HTTP 401: Invalid API key");
        let m = upstream_message(
            429,
            br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        );
        assert_eq!(m, "upstream returned HTTP 429: slow down");
        assert_eq!(
            upstream_message(502, b"Bad Gateway\n"),
            "upstream returned HTTP 502: Bad Gateway"
        );
        assert_eq!(upstream_message(500, b""), "upstream returned HTTP 500");
        assert_eq!(
            upstream_message(404, br#"{"detail":"Not Found"}"#),
            "upstream returned HTTP 404: Not Found"
        );
    }
}

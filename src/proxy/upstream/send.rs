//! One exchange with an upstream: which client headers go along, sending
//! within the first-byte timeout, reading a whole body within the idle
//! timeout, and turning every failure into an Anthropic-shaped error.

use bytes::Bytes;
use http::HeaderMap;
use url::Url;

use super::client::Upstream;
use super::reply::{ReadError, Reply, SendError};
use crate::proxy::body::{MAX_BODY, MAX_ERROR_BODY};
use crate::proxy::error::{ProxyError, upstream_message};
use crate::t;

/// Send to the upstream and wait for its status line, within the
/// first-byte timeout. Error statuses become Anthropic-shaped errors.
pub async fn send(
    up: &Upstream,
    url: &Url,
    query: Option<&str>,
    extra: HeaderMap,
    body: Vec<u8>,
) -> Result<Reply, ProxyError> {
    let t = up.provider.timeouts.first_byte;
    let resp = match tokio::time::timeout(t, up.post_json(url, query, extra, body)).await {
        Err(_) => {
            return Err(ProxyError::Timeout(t!(
                "proxy.first_byte_timeout",
                provider = up.provider.name,
                secs = t.as_secs()
            )));
        }
        Ok(Err(e)) => return Err(request_error(up, &e)),
        Ok(Ok(r)) => r,
    };
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get(http::header::RETRY_AFTER).cloned();
    let body = resp
        .prefix(MAX_ERROR_BODY, std::time::Duration::from_secs(10))
        .await;
    Err(ProxyError::Upstream {
        status,
        message: upstream_message(status, &body),
        retry_after,
    })
}

pub fn request_error(up: &Upstream, e: &SendError) -> ProxyError {
    let cause = &e.cause;
    // Neither client has a typed kind for these; the texts of rustls and of
    // the SOCKS and tunnel connectors are stable enough to tell them apart.
    let hint = if cause.contains("certificate") {
        Some(t!("proxy.hint_tls"))
    } else if cause.contains("credentials not accepted")
        || cause.contains("proxy authorization required")
    {
        Some(t!("proxy.hint_proxy_auth"))
    } else {
        None
    };
    if let Some(hint) = hint {
        ProxyError::Misconfigured(format!(
            "{} {hint}",
            t!(
                "proxy.unreachable",
                provider = up.provider.name,
                cause = cause
            )
        ))
    } else if e.timeout {
        ProxyError::Timeout(t!(
            "proxy.connect_timeout",
            provider = up.provider.name,
            cause = cause
        ))
    } else {
        ProxyError::Unreachable(t!(
            "proxy.unreachable",
            provider = up.provider.name,
            cause = cause
        ))
    }
}

pub fn is_event_stream(resp: &Reply) -> bool {
    resp.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// A whole (non-streamed) upstream body: no pause longer than the idle
/// timeout, no more than the request cap.
pub async fn read_whole(up: &Upstream, resp: Reply) -> Result<Bytes, ProxyError> {
    let idle = up.provider.timeouts.idle;
    resp.read_capped(MAX_BODY, idle).await.map_err(|e| match e {
        ReadError::Failed(e) => request_error(up, &e),
        ReadError::Idle => ProxyError::Timeout(t!("proxy.idle_timeout", secs = idle.as_secs())),
        ReadError::TooLarge => ProxyError::BadUpstream(t!(
            "proxy.reply_too_large",
            provider = up.provider.name,
            mib = MAX_BODY / (1024 * 1024)
        )),
    })
}

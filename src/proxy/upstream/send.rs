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

/// How long a rate-limited key of a pool rests when the upstream does not
/// say (`Retry-After`).
const KEY_REST: std::time::Duration = std::time::Duration::from_secs(60);

/// Send to the upstream and wait for its status line, within the
/// first-byte timeout. Error statuses become Anthropic-shaped errors. With
/// a key pool, a 429 or 402 (quota) rests that key and the request goes
/// again at once with the next one, until every key has been tried.
pub async fn send(
    up: &Upstream,
    url: &Url,
    query: Option<&str>,
    mut extra: HeaderMap,
    body: Vec<u8>,
) -> Result<Reply, ProxyError> {
    let keys = up.pool_size();
    let mut body = Some(body);
    let mut tries = 0;
    // A key fetched again after a 401 gets one more try, once.
    let mut refreshed = false;
    loop {
        if let Some(r) = &up.refresh {
            r.fresh().await;
        }
        let now = std::time::Instant::now();
        let key = up.pick_key(now);
        tries += 1;
        let sent = up
            .refresh
            .as_ref()
            .filter(|_| key == 0)
            .map(|r| r.current().1);
        // Only a pool or a key that can be fetched again ever sends twice;
        // one plain key keeps the one-copy path.
        let last = (keys == 1 || tries >= keys) && (sent.is_none() || refreshed);
        let (b, h) = if last {
            (body.take().unwrap_or_default(), std::mem::take(&mut extra))
        } else {
            (body.clone().unwrap_or_default(), extra.clone())
        };
        let resp = post_bounded(up, url, query, h, b, key).await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        if let (401, false, Some(r), Some(sent)) = (status, refreshed, &up.refresh, sent) {
            refreshed = true;
            if r.refused(sent).await {
                tries -= 1;
                continue;
            }
        }
        let wait = super::ratelimit::wait(resp.headers(), std::time::SystemTime::now());
        // Claude Code reads only `retry-after`, whatever header said it.
        let retry_after = wait.map(super::ratelimit::retry_after);
        if keys > 1 && matches!(status, 402 | 429) {
            // The limited key rests (the last one tried too, so the next
            // request starts from a key that is not limited).
            let rest = wait.unwrap_or(KEY_REST);
            let next = up.cool(key, now + rest, now).filter(|n| *n != key);
            if let (false, Some(next)) = (last, next) {
                if let Some(log) = &up.log {
                    log(&t!(
                        "proxy.key_rotated",
                        provider = up.provider.name,
                        from = key + 1,
                        to = next + 1,
                        status = status,
                        secs = rest.as_secs()
                    ));
                }
                continue;
            }
        }
        let body = resp
            .prefix(MAX_ERROR_BODY, std::time::Duration::from_secs(10))
            .await;
        let mut message = upstream_message(status, &body);
        if matches!(status, 401 | 403) {
            // Claude Code's own login is fine; the provider's key is not.
            message = format!(
                "{message} {}",
                t!("proxy.hint_key", provider = up.provider.name)
            );
        }
        return Err(ProxyError::Upstream {
            status,
            message,
            retry_after,
        });
    }
}

/// `Retry-After` in seconds (an HTTP date counts as long: `None`), at
/// most a day: the value is the upstream's and may be anything, and a
/// time that far ahead must not overflow.
/// One POST to `up` within its first-byte timeout: an upstream that does
/// not start answering in time is a timeout, a failed send its error.
pub async fn post_bounded(
    up: &Upstream,
    url: &Url,
    query: Option<&str>,
    headers: HeaderMap,
    body: Vec<u8>,
    key: usize,
) -> Result<Reply, ProxyError> {
    let t = up.provider.timeouts.first_byte;
    match tokio::time::timeout(t, up.post_json(url, query, headers, body, key)).await {
        Err(_) => Err(ProxyError::Timeout(t!(
            "proxy.first_byte_timeout",
            provider = up.provider.name,
            secs = t.as_secs()
        ))),
        Ok(Err(e)) => Err(request_error(up, &e)),
        Ok(Ok(r)) => Ok(r),
    }
}

pub fn retry_after(v: &http::HeaderValue) -> Option<std::time::Duration> {
    const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);
    let secs: f64 = v.to_str().ok()?.trim().parse().ok()?;
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .map(|d| d.min(DAY))
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

//! Asking a provider's balance API with one key of its pool, through the
//! provider's own client (its proxy and CA), and the failures in one line.

use std::time::Duration;

use super::model::{Balance, BalanceApi, BalanceEndpoint};
use super::parse::{self, Unrecognised};
use crate::proxy::upstream::client::Upstream;
use crate::proxy::upstream::reply::Reply;
use crate::t;

/// The longest any caller waits by default; the status line passes a far
/// tighter one.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A balance answer is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// Why no balance was had. Never holds the key: it travels in a header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BalanceError {
    /// The provider publishes no balance.
    #[error("{}", t!("balance.unsupported"))]
    Unsupported,
    #[error("{}", t!("balance.client", error = .0))]
    Client(String),
    #[error("{}", t!("balance.unreachable", cause = .0))]
    Unreachable(String),
    #[error("{}", t!("balance.timeout", secs = .0))]
    Timeout(u64),
    /// 401 or 403: the key is refused.
    #[error("{}", t!("balance.rejected", status = .0))]
    Rejected(u16),
    #[error("{}", t!("balance.status", status = .0))]
    Status(u16),
    #[error("{}", t!("balance.not_json"))]
    NotJson,
    #[error("{}", t!("balance.unknown_shape"))]
    Shape,
    #[error("{}", t!("balance.no_currency"))]
    NoCurrency,
}

impl BalanceError {
    /// A stable id, for `--json` and the golden fixtures.
    pub fn code(&self) -> &'static str {
        match self {
            BalanceError::Unsupported => "unsupported",
            BalanceError::Client(_) => "client",
            BalanceError::Unreachable(_) => "unreachable",
            BalanceError::Timeout(_) => "timeout",
            BalanceError::Rejected(_) => "rejected",
            BalanceError::Status(_) => "status",
            BalanceError::NotJson => "not_json",
            BalanceError::Shape => "unknown_shape",
            BalanceError::NoCurrency => "no_currency",
        }
    }
}

impl From<Unrecognised> for BalanceError {
    fn from(u: Unrecognised) -> BalanceError {
        match u {
            Unrecognised::NotJson => BalanceError::NotJson,
            Unrecognised::Shape => BalanceError::Shape,
            Unrecognised::NoCurrency => BalanceError::NoCurrency,
        }
    }
}

/// Key `key` of the provider's pool (0: its own key), within `limit`.
pub async fn fetch(up: &Upstream, key: usize, limit: Duration) -> Result<Balance, BalanceError> {
    let ep = BalanceEndpoint::of(&up.provider).ok_or(BalanceError::Unsupported)?;
    fetch_at(up, &ep, key, limit).await
}

/// [`fetch`] at a given endpoint (a test's mock with a vendor's site).
pub async fn fetch_at(
    up: &Upstream,
    ep: &BalanceEndpoint,
    key: usize,
    limit: Duration,
) -> Result<Balance, BalanceError> {
    match tokio::time::timeout(limit, ask(up, ep, key)).await {
        Ok(r) => r,
        Err(_) => Err(BalanceError::Timeout(limit.as_secs().max(1))),
    }
}

/// The same, for callers outside a runtime (the CLI, the TUI's worker).
pub fn fetch_blocking(up: &Upstream, key: usize, limit: Duration) -> Result<Balance, BalanceError> {
    let rt = crate::proxy::setup::runtime().map_err(|e| BalanceError::Client(e.to_string()))?;
    rt.block_on(fetch(up, key, limit))
}

async fn ask(up: &Upstream, ep: &BalanceEndpoint, key: usize) -> Result<Balance, BalanceError> {
    let mut bodies = Vec::new();
    for url in ep.urls() {
        bodies.push(get(up, url, key).await?);
    }
    let ok = |i: usize| match bodies.get(i) {
        Some(Ok(b)) => Some(b.as_slice()),
        _ => None,
    };
    // The first refusal says why, when no answer came.
    let failed = || {
        bodies
            .iter()
            .find_map(|b| b.as_ref().err().cloned())
            .unwrap_or(BalanceError::Shape)
    };
    let parsed = match ep.kind {
        BalanceApi::DeepSeek => parse::deepseek(ok(0).ok_or_else(failed)?),
        BalanceApi::Moonshot => parse::moonshot(ok(0).ok_or_else(failed)?, ep.site),
        BalanceApi::SiliconFlow => parse::siliconflow(ok(0).ok_or_else(failed)?, ep.site),
        BalanceApi::Ccswitch => parse::ccswitch(ok(0).ok_or_else(failed)?),
        BalanceApi::OpenRouter => {
            if ok(0).is_none() && ok(1).is_none() {
                return Err(failed());
            }
            parse::openrouter(ok(0), ok(1))
        }
    };
    Ok(parsed?)
}

/// One GET: `Ok(Ok(body))` on a 2xx, `Ok(Err(..))` on another status (the
/// other request of a pair may still answer), `Err` when nothing came back.
async fn get(
    up: &Upstream,
    url: url::Url,
    key: usize,
) -> Result<Result<Vec<u8>, BalanceError>, BalanceError> {
    let resp = up
        .get_bearer(url, key)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let status = resp.status();
    let body = Reply::from(resp)
        .read_capped(MAX_BODY, up.provider.timeouts.idle)
        .await;
    Ok(match status.as_u16() {
        _ if status.is_success() => body.map(|b| b.to_vec()).map_err(|_| BalanceError::NotJson),
        s @ (401 | 403) => Err(BalanceError::Rejected(s)),
        s => Err(BalanceError::Status(s)),
    })
}

/// The innermost cause (refused, DNS, TLS); the outer layers repeat the
/// URL.
fn unreachable(e: &reqwest::Error) -> BalanceError {
    if e.is_timeout() {
        return BalanceError::Timeout(1);
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(s) = cause.source() {
        cause = s;
    }
    let line = cause.to_string();
    BalanceError::Unreachable(line.lines().next().unwrap_or_default().to_string())
}

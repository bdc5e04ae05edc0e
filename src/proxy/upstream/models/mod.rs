//! A provider's live model list: `GET /v1/models` on Anthropic-kind
//! providers (paginated), `GET /models` on OpenAI-kind ones, with the
//! provider's own auth, proxy and CA. Used by `ccswitch provider models`.
//!
//! Failures are one short line a user can act on ([`ListError`]); the
//! parsing is a pure function ([`parse_models`], [`parse_listing`]).

use std::time::Duration;

use serde_json::Value;

use super::client::Upstream;
use super::reply::{ReadError, Reply};
use secrecy::SecretString;

use crate::config::model::redact_url;
use crate::config::{Api, Provider};
use crate::t;

mod ollama;
mod parse;

pub use parse::{ListedModel, ids, parse_listing, parse_models};
use parse::{raw_listing, tidy};

/// The whole listing (every page) must finish within this.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Anthropic's list is paginated; more pages than this is not a model list
/// anyone reads, so the rest is left off.
const MAX_PAGES: usize = 10;
/// Anthropic's largest page.
const PAGE_LIMIT: &str = "1000";
const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Longest provider message quoted in an error.
const MAX_MESSAGE: usize = 300;

/// Why a provider's model list could not be fetched. Each renders as one
/// line naming the provider and what to check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// Bedrock and Vertex are not reached through a base URL.
    #[error("{}", t!("models.unsupported", provider = provider, api = api))]
    Unsupported { provider: String, api: Api },
    /// DNS, refused connection, TLS or proxy failure.
    #[error("{}", t!("models.unreachable", provider = provider, host = host, cause = cause))]
    Unreachable {
        provider: String,
        host: String,
        cause: String,
    },
    #[error("{}", t!("models.timeout", provider = provider, host = host, secs = secs))]
    Timeout {
        provider: String,
        host: String,
        secs: u64,
    },
    /// A non-2xx answer; `message` is the provider's own, else the status's
    /// reason phrase.
    #[error("{}", status_text(provider, *status, url, message))]
    Status {
        provider: String,
        url: String,
        status: u16,
        message: String,
    },
    /// A 2xx answer whose body is not JSON (often a web page: wrong base_url).
    #[error("{}", t!("models.not_json", provider = provider, url = url))]
    NotJson { provider: String, url: String },
    /// JSON, but no list of models in it.
    #[error("{}", no_list_text(provider, url, message.as_deref()))]
    NoList {
        provider: String,
        url: String,
        message: Option<String>,
    },
}

fn status_text(provider: &str, status: u16, url: &str, message: &str) -> String {
    match status {
        401 | 403 => t!(
            "models.rejected_key",
            provider = provider,
            status = status,
            message = message
        ),
        404 | 405 => t!(
            "models.not_found",
            provider = provider,
            url = url,
            status = status,
            message = message
        ),
        _ => t!(
            "models.status",
            provider = provider,
            url = url,
            status = status,
            message = message
        ),
    }
}

fn no_list_text(provider: &str, url: &str, message: Option<&str>) -> String {
    match message {
        Some(m) => t!(
            "models.no_list_message",
            provider = provider,
            url = url,
            message = m
        ),
        None => t!("models.no_list", provider = provider, url = url),
    }
}

/// Whether a provider's model list can be fetched at all (before resolving
/// its key, which may prompt a keyring).
pub fn check_supported(api: Api, provider: &str) -> Result<(), ListError> {
    match api {
        Api::Anthropic | Api::Openai => Ok(()),
        api @ (Api::Bedrock | Api::Vertex) => Err(ListError::Unsupported {
            provider: provider.to_string(),
            api,
        }),
    }
}

/// The whole fetch for callers outside a runtime (the CLI, the TUI's
/// worker thread): refuse APIs without a list, build the provider's client
/// with its proxy and CA, ask. One line on failure.
pub fn fetch_blocking(
    provider: Provider,
    key: Option<SecretString>,
) -> Result<Vec<String>, String> {
    let (up, rt) = blocking(provider, key)?;
    rt.block_on(list_within(&up, TIMEOUT))
        .map(ids)
        .map_err(|e| e.to_string())
}

/// [`fetch_blocking`] with what is known of each model's size (the TUI's
/// model picker and `--context-window auto` record it): the list's, else
/// where the server has a way to tell, its own answer for the model.
pub fn fetch_listing_blocking(
    provider: Provider,
    key: Option<SecretString>,
) -> Result<Vec<ListedModel>, String> {
    let (up, rt) = blocking(provider, key)?;
    rt.block_on(sized_within(&up, TIMEOUT))
        .map_err(|e| e.to_string())
}

/// The provider's client, and a runtime to ask with, for callers outside
/// one; APIs without a list are refused first.
fn blocking(
    provider: Provider,
    key: Option<SecretString>,
) -> Result<(Upstream, tokio::runtime::Runtime), String> {
    check_supported(provider.api, &provider.name).map_err(|e| e.to_string())?;
    let up = Upstream::new(provider, key).map_err(|e| e.to_string())?;
    let rt = crate::proxy::setup::runtime().map_err(|e| e.to_string())?;
    Ok((up, rt))
}

/// [`list_within`], with each model's window asked separately where the
/// list gives none and the server has a way to tell (Ollama).
async fn sized_within(up: &Upstream, limit: Duration) -> Result<Vec<ListedModel>, ListError> {
    let mut models = list_within(up, limit).await?;
    if ollama::is_ollama(up) {
        ollama::fill(up, &mut models).await;
    }
    Ok(models)
}

/// The provider's model ids, deduplicated and sorted (see [`parse_models`]),
/// within [`TIMEOUT`].
pub async fn list_models(up: &Upstream) -> Result<Vec<String>, ListError> {
    list_models_within(up, TIMEOUT).await
}

/// [`list_models`] with another overall time limit.
pub async fn list_models_within(up: &Upstream, limit: Duration) -> Result<Vec<String>, ListError> {
    list_within(up, limit).await.map(ids)
}

/// The provider's models with their sizes, deduplicated and sorted.
async fn list_within(up: &Upstream, limit: Duration) -> Result<Vec<ListedModel>, ListError> {
    check_supported(up.provider.api, &up.provider.name)?;
    match tokio::time::timeout(limit, fetch(up)).await {
        Ok(r) => r.map(tidy),
        Err(_) => Err(ListError::Timeout {
            provider: up.provider.name.clone(),
            host: host(up),
            secs: limit.as_secs().max(1),
        }),
    }
}

/// A model list is a few hundred KB at most (OpenRouter's, with every
/// model's description); anything far beyond is not one.
const MAX_LIST_BODY: usize = 8 * 1024 * 1024;

/// Every page's models, in the order the provider gave them.
async fn fetch(up: &Upstream) -> Result<Vec<ListedModel>, ListError> {
    let anthropic = up.provider.api == Api::Anthropic;
    let url = up.url(if anthropic { "/v1/models" } else { "/models" });
    let shown = display_url(&url);
    let mut models = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut rb = up.get(&url);
        if anthropic {
            let has_version = up
                .provider
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("anthropic-version"));
            if !has_version {
                rb = rb.header("anthropic-version", ANTHROPIC_VERSION);
            }
            rb = rb.query(&[("limit", PAGE_LIMIT)]);
            if let Some(a) = &after {
                rb = rb.query(&[("after_id", a.as_str())]);
            }
        }
        let resp = rb.send().await.map_err(|e| request_error(up, &e))?;
        let status = resp.status();
        let body = match Reply::from(resp)
            .read_capped(MAX_LIST_BODY, up.provider.timeouts.idle)
            .await
        {
            Ok(b) => b,
            Err(ReadError::Failed(e)) => {
                return Err(ListError::Unreachable {
                    provider: up.provider.name.clone(),
                    host: host(up),
                    cause: one_line(&e.cause),
                });
            }
            // The caller's overall limit comes first in practice; a list
            // bigger than any real one is not a list.
            Err(ReadError::Idle | ReadError::TooLarge) => {
                return Err(ListError::NotJson {
                    provider: up.provider.name.clone(),
                    url: shown,
                });
            }
        };
        if !status.is_success() {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| provider_message(&v))
                .or_else(|| plain_text(&body))
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
            return Err(ListError::Status {
                provider: up.provider.name.clone(),
                url: shown,
                status: status.as_u16(),
                message,
            });
        }
        let Ok(v) = serde_json::from_slice::<Value>(&body) else {
            return Err(ListError::NotJson {
                provider: up.provider.name.clone(),
                url: shown,
            });
        };
        let Some(page) = raw_listing(&v) else {
            return Err(ListError::NoList {
                provider: up.provider.name.clone(),
                url: shown,
                message: provider_message(&v),
            });
        };
        let next = if anthropic {
            next_page(&v, &page)
        } else {
            None
        };
        models.extend(page);
        match next {
            // A server repeating its cursor would loop until the page cap.
            Some(n) if after.as_deref() != Some(n.as_str()) => after = Some(n),
            _ => break,
        }
    }
    Ok(models)
}

/// Anthropic's cursor: `last_id` while `has_more`.
fn next_page(v: &Value, page: &[ListedModel]) -> Option<String> {
    if v.get("has_more").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    v.get("last_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| page.last().map(|m| m.id.clone()))
}

/// The provider's own error text: `error.message`, `error` as a string,
/// `message` or `detail` (FastAPI servers such as vLLM).
fn provider_message(v: &Value) -> Option<String> {
    v.pointer("/error/message")
        .and_then(Value::as_str)
        .or_else(|| v.get("error").and_then(Value::as_str))
        .or_else(|| v.get("message").and_then(Value::as_str))
        .or_else(|| v.get("detail").and_then(Value::as_str))
        .map(one_line)
        .filter(|m| !m.is_empty())
}

/// A short plain-text error body (`404 page not found`), never a web page.
fn plain_text(body: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?.trim();
    if s.is_empty() || s.starts_with('<') || s.starts_with('{') || s.starts_with('[') {
        return None;
    }
    Some(one_line(s))
}

/// Whitespace collapsed to single spaces, cut at [`MAX_MESSAGE`] characters.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

/// The URL for messages: no query, password hidden.
fn display_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            redact_url(&u)
        }
        Err(_) => url.to_string(),
    }
}

/// `host[:port]` of the provider's base URL.
fn host(up: &Upstream) -> String {
    up.provider.base_url.as_ref().map_or_else(
        || "-".to_string(),
        |u| u[url::Position::BeforeHost..url::Position::AfterPort].to_string(),
    )
}

fn request_error(up: &Upstream, e: &reqwest::Error) -> ListError {
    let provider = up.provider.name.clone();
    let host = host(up);
    if e.is_timeout() {
        return ListError::Timeout {
            provider,
            host,
            secs: up.provider.timeouts.connect.as_secs().max(1),
        };
    }
    // The innermost cause says what failed (refused, DNS, TLS); the outer
    // layers repeat the URL. The key is in a header, so never in here.
    let mut cause: &dyn std::error::Error = e;
    while let Some(s) = cause.source() {
        cause = s;
    }
    ListError::Unreachable {
        provider,
        host,
        cause: one_line(&cause.to_string()),
    }
}

#[cfg(test)]
mod tests;

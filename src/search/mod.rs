//! Web search backends: SearXNG, Brave and Tavily, behind one call. The
//! proxy's server-tool loop runs Anthropic's `web_search` tool with them
//! for upstreams that cannot run it; `ccswitch search test` uses them too.
//! Reading a reply is pure ([`parse`]); only [`Backend::search`] does I/O.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::{Search, SearchKind};
use crate::hit::{self, HitRow};

/// The backend's results are plain hits, shared with the translation that
/// turns them into Anthropic's blocks; named here too, as what
/// [`Backend::search`] returns.
pub use crate::hit::Hit;

/// Why a search gave no results. Each maps to one of the error codes
/// Anthropic's result blocks use, so the client sees a familiar failure.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SearchError {
    #[error("cannot reach the search backend: {0}")]
    Unreachable(String),
    #[error("the search backend refused the key (HTTP {0})")]
    Auth(u16),
    #[error("the search backend is rate limiting (HTTP 429)")]
    RateLimited,
    #[error("the search backend answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the search backend's reply is not what {0} sends: {1}")]
    BadReply(&'static str, String),
    /// Longer than [`MAX_REPLY`] (in MiB).
    #[error("the search backend's reply is larger than {0} MiB")]
    TooLarge(usize),
    #[error("cannot set up the search client: {0}")]
    Client(String),
}

impl SearchError {
    /// `web_search_tool_result_error.error_code`.
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::RateLimited => "too_many_requests",
            _ => "unavailable",
        }
    }
}

/// A configured backend with its key, ready to search.
pub struct Backend {
    pub settings: Search,
    key: Option<SecretString>,
    client: reqwest::Client,
}

/// A search should answer well within Claude Code's patience; a stuck
/// backend must not hold the whole turn.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A page of results is tens of kilobytes; a backend that sends more is
/// broken or hostile, and must not grow the proxy's memory.
pub const MAX_REPLY: usize = 4 * 1024 * 1024;

impl Backend {
    /// Fails when the HTTP client cannot be built: a default client would
    /// have no timeout and would follow redirects.
    pub fn new(settings: Search, key: Option<SecretString>) -> Result<Backend, SearchError> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect would carry Brave's key and Tavily's bearer to
            // wherever it points, and the query in `Referer`: an API has no
            // reason to send one.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(concat!("ccswitch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SearchError::Client(describe(&e)))?;
        Ok(Backend {
            settings,
            key,
            client,
        })
    }

    pub async fn search(&self, query: &str) -> Result<Vec<Hit>, SearchError> {
        let s = &self.settings;
        let key = self.key.as_ref().map_or("", ExposeSecret::expose_secret);
        let count = s.max_results.to_string();
        let req = match s.kind {
            SearchKind::Searxng => {
                let url = format!("{}/search", s.url.trim_end_matches('/'));
                self.client
                    .get(url)
                    .query(&[("q", query), ("format", "json")])
            }
            SearchKind::Brave => {
                // Marked sensitive as `bearer_auth` marks Tavily's: kept out
                // of debug output and of HTTP/2 header compression tables.
                let mut token = reqwest::header::HeaderValue::from_str(key).map_err(|_| {
                    SearchError::Unreachable(
                        "the key holds characters an HTTP header cannot carry".into(),
                    )
                })?;
                token.set_sensitive(true);
                self.client
                    .get(&s.url)
                    .query(&[("q", query), ("count", count.as_str())])
                    .header("Accept", "application/json")
                    .header("X-Subscription-Token", token)
            }
            SearchKind::Tavily => self
                .client
                .post(&s.url)
                .bearer_auth(key)
                .json(&serde_json::json!({"query": query, "max_results": s.max_results})),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| SearchError::Unreachable(describe(&e)))?;
        let status = resp.status().as_u16();
        let moved = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| where_to(resp.url(), l));
        let body = read_capped(resp, MAX_REPLY).await?;
        match (status, moved) {
            (200..=299, _) => parse(s.kind, &body, s.max_results as usize),
            (401 | 403, _) => Err(SearchError::Auth(status)),
            (429, _) => Err(SearchError::RateLimited),
            (300..=399, Some(to)) => Err(SearchError::Status {
                status,
                message: format!(
                    "it redirects to {to}, which is not followed: set that address instead"
                ),
            }),
            _ => Err(SearchError::Status {
                status,
                message: first_line(&body),
            }),
        }
    }
}

/// A redirect's target as the user may be told it: no password, query or
/// fragment (the query repeats the search, and may carry a key).
fn where_to(from: &reqwest::Url, location: &str) -> String {
    match from.join(location) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "another address".to_string(),
    }
}

/// The whole body, refused as soon as it passes `limit` bytes (before
/// reading anything, when its length is announced).
async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, SearchError> {
    let too_large = || SearchError::TooLarge(limit / (1024 * 1024));
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| SearchError::Unreachable(describe(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport error without its URL (a SearXNG address may carry a
/// password) but with its cause, which says what actually failed.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        format!("no answer in {} s", TIMEOUT.as_secs())
    } else {
        "request failed".to_string()
    };
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().next().unwrap_or("").trim();
    line.chars().take(200).collect()
}

#[derive(Deserialize)]
struct SearxngReply {
    #[serde(default)]
    results: Vec<SearxngResult>,
}

#[derive(Deserialize)]
struct SearxngResult {
    url: Option<String>,
    title: Option<String>,
    content: Option<String>,
    #[serde(rename = "publishedDate")]
    published: Option<String>,
}

#[derive(Deserialize)]
struct BraveReply {
    web: Option<BraveWeb>,
}

#[derive(Deserialize)]
struct BraveWeb {
    #[serde(default)]
    results: Vec<BraveResult>,
}

#[derive(Deserialize)]
struct BraveResult {
    url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    page_age: Option<String>,
    age: Option<String>,
}

#[derive(Deserialize)]
struct TavilyReply {
    #[serde(default)]
    results: Vec<TavilyResult>,
}

#[derive(Deserialize)]
struct TavilyResult {
    url: Option<String>,
    title: Option<String>,
    content: Option<String>,
    published_date: Option<String>,
}

/// A backend's reply as results (see [`hit::from_rows`]).
pub fn parse(kind: SearchKind, body: &[u8], max: usize) -> Result<Vec<Hit>, SearchError> {
    let bad = |e: serde_json::Error| SearchError::BadReply(kind.name(), e.to_string());
    let rows: Vec<HitRow> = match kind {
        SearchKind::Searxng => serde_json::from_slice::<SearxngReply>(body)
            .map_err(bad)?
            .results
            .into_iter()
            .map(|r| (r.url, r.title, r.content, r.published))
            .collect(),
        SearchKind::Brave => serde_json::from_slice::<BraveReply>(body)
            .map_err(bad)?
            .web
            .map(|w| w.results)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.url, r.title, r.description, r.page_age.or(r.age)))
            .collect(),
        SearchKind::Tavily => serde_json::from_slice::<TavilyReply>(body)
            .map_err(bad)?
            .results
            .into_iter()
            .map(|r| (r.url, r.title, r.content, r.published_date))
            .collect(),
    };
    // Brave marks matches with `<strong>`; the others send plain text, where
    // a `<` is just a character.
    let clean = |t: String| {
        if kind == SearchKind::Brave {
            strip_tags(&t)
        } else {
            t
        }
    };
    let rows = rows
        .into_iter()
        .map(|(url, title, snippet, age)| (url, title.map(clean), snippet.map(clean), age));
    Ok(hit::from_rows(rows, max))
}

/// Text without its HTML tags.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;

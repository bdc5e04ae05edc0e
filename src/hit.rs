//! A web search result as plain data ([`Hit`]) and the one rule for making
//! results from raw rows ([`from_rows`]). It sits below both users: the
//! search backends (`search`) build hits from their replies, and the pure
//! translation (`proxy::translate`) builds them from an upstream's own
//! search sources and turns them into Anthropic's blocks. Neither has to
//! name the other, so translate stays free of the backend's I/O.

/// One result, as Anthropic's `web_search_result` blocks carry it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    /// The source's summary of the page, for the model to read.
    pub snippet: String,
    /// When the page was published or last changed, as the source says.
    pub page_age: Option<String>,
}

/// A result as a reply gives it: address, title, snippet, page age.
pub type HitRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Results from rows: at most `max`, web addresses only, each address
/// once, titles defaulting to the address. Backends' replies and
/// providers' own search sources alike.
pub fn from_rows(rows: impl IntoIterator<Item = HitRow>, max: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    for (url, title, snippet, age) in rows {
        let Some(url) = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        else {
            continue;
        };
        if hits.iter().any(|h| h.url == url) {
            continue;
        }
        hits.push(Hit {
            title: title
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| url.clone()),
            snippet: snippet.unwrap_or_default(),
            page_age: age.filter(|a| !a.trim().is_empty()),
            url,
        });
        if hits.len() >= max {
            break;
        }
    }
    hits
}

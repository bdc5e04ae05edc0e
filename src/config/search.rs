//! `[search]`: the web search backend behind Anthropic's `web_search`
//! server tool, configured once for every profile. Upstreams that cannot
//! run that tool themselves get it from the proxy, which searches here.

use serde::{Deserialize, Serialize};

use super::keyspec::KeySpec;

/// Which search API answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchKind {
    /// A SearXNG instance's JSON API (self-hosted, no key).
    Searxng,
    /// Brave Search's web search API (`X-Subscription-Token`).
    Brave,
    /// Tavily's search API (Bearer key).
    Tavily,
}

impl SearchKind {
    pub const ALL: [SearchKind; 3] = [SearchKind::Searxng, SearchKind::Brave, SearchKind::Tavily];

    pub fn name(self) -> &'static str {
        match self {
            SearchKind::Searxng => "searxng",
            SearchKind::Brave => "brave",
            SearchKind::Tavily => "tavily",
        }
    }

    pub fn parse(text: &str) -> Option<SearchKind> {
        SearchKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(text))
    }

    /// The public endpoint; SearXNG has none (each instance is someone's).
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            SearchKind::Searxng => None,
            SearchKind::Brave => Some("https://api.search.brave.com/res/v1/web/search"),
            SearchKind::Tavily => Some("https://api.tavily.com/search"),
        }
    }

    pub fn needs_key(self) -> bool {
        self != SearchKind::Searxng
    }

    /// The keyring entry of this backend's key. The colon keeps it apart
    /// from provider entries, whose names cannot hold one.
    pub fn keyring_entry(self) -> String {
        format!("search:{}", self.name())
    }

    /// The variable people already keep this key in.
    pub fn conventional_env(self) -> Option<&'static str> {
        match self {
            SearchKind::Searxng => None,
            SearchKind::Brave => Some("BRAVE_API_KEY"),
            SearchKind::Tavily => Some("TAVILY_API_KEY"),
        }
    }
}

/// The resolved `[search]` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Search {
    pub kind: SearchKind,
    /// The endpoint searched (SearXNG: the instance's base URL).
    pub url: String,
    /// Where the key comes from; `KeySpec::default()` for SearXNG.
    pub key: KeySpec,
    /// Results handed to the model per search.
    pub max_results: u32,
}

/// Results per search when the file does not say: Anthropic's own tool
/// returns about this many, and more mostly costs input tokens.
pub const DEFAULT_MAX_RESULTS: u32 = 5;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearchKey {
    pub env: Option<String>,
    pub command: Option<String>,
    pub keyring: Option<bool>,
}

/// `[search]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    pub backend: SearchKind,
    pub url: Option<String>,
    pub key: Option<RawSearchKey>,
    pub max_results: Option<u32>,
}

/// Why a `[search]` table cannot be used: an i18n message key and its hint.
#[derive(Debug, PartialEq, Eq)]
pub struct SearchProblem {
    pub message: &'static str,
    pub hint: &'static str,
}

impl RawSearch {
    pub fn resolve(self) -> Result<Search, SearchProblem> {
        let bad = |message, hint| SearchProblem { message, hint };
        let url = match (self.url, self.backend.default_url()) {
            (Some(u), _) => u,
            (None, Some(d)) => d.to_string(),
            (None, None) => return Err(bad("config.search_no_url", "config.hint_search_url")),
        };
        let key = match (self.backend.needs_key(), self.key) {
            (false, Some(_)) => {
                return Err(bad("config.search_key_unused", "config.hint_search_key"));
            }
            (false, None) => KeySpec::default(),
            (true, None) => KeySpec {
                keyring: true,
                ..KeySpec::default()
            },
            (true, Some(k)) => {
                let spec = KeySpec {
                    env: k.env,
                    command: k.command,
                    // A search backend's key is read once, at start.
                    ttl_secs: None,
                    keyring: k.keyring.unwrap_or(false),
                    file: false,
                };
                if spec.is_none() {
                    return Err(bad("config.search_bad_key", "config.hint_search_key"));
                }
                spec
            }
        };
        let max_results = match self.max_results {
            None => DEFAULT_MAX_RESULTS,
            Some(n @ 1..=20) => n,
            Some(_) => return Err(bad("config.search_bad_max", "config.hint_search_max")),
        };
        Ok(Search {
            kind: self.backend,
            url,
            key,
            max_results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(src: &str) -> RawSearch {
        toml::from_str(src).unwrap()
    }

    #[test]
    fn searxng_needs_its_url_and_no_key() {
        let s = raw("backend = \"searxng\"\nurl = \"http://127.0.0.1:8888\"")
            .resolve()
            .unwrap();
        assert_eq!(s.kind, SearchKind::Searxng);
        assert!(s.key.is_none());
        assert_eq!(s.max_results, DEFAULT_MAX_RESULTS);
        assert_eq!(
            raw("backend = \"searxng\"").resolve().unwrap_err().message,
            "config.search_no_url"
        );
        let keyed = raw("backend = \"searxng\"\nurl = \"http://x\"\nkey = { env = \"K\" }");
        assert_eq!(
            keyed.resolve().unwrap_err().message,
            "config.search_key_unused"
        );
    }

    #[test]
    fn brave_and_tavily_default_to_their_endpoint_and_the_keyring() {
        let s = raw("backend = \"brave\"").resolve().unwrap();
        assert_eq!(s.url, "https://api.search.brave.com/res/v1/web/search");
        assert!(s.key.keyring);
        let t = raw("backend = \"tavily\"\nkey = { env = \"TAVILY_API_KEY\" }\nmax_results = 8")
            .resolve()
            .unwrap();
        assert_eq!(t.key.env.as_deref(), Some("TAVILY_API_KEY"));
        assert!(!t.key.keyring);
        assert_eq!(t.max_results, 8);
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            (
                "backend = \"brave\"\nmax_results = 0",
                "config.search_bad_max",
            ),
            (
                "backend = \"brave\"\nmax_results = 50",
                "config.search_bad_max",
            ),
            ("backend = \"brave\"\nkey = {}", "config.search_bad_key"),
        ];
        for (src, want) in cases {
            assert_eq!(raw(src).resolve().unwrap_err().message, want, "{src}");
        }
        assert!(toml::from_str::<RawSearch>("backend = \"bing\"").is_err());
    }
}

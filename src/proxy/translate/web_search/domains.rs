//! The tool's `allowed_domains` and `blocked_domains`, applied to results
//! as Anthropic's server tool applies them: an entry is a domain without
//! the scheme (one given is ignored), covering its subdomains
//! (`example.com` covers `docs.example.com`, while `docs.example.com`
//! covers only itself and below), optionally with a path
//! (`example.com/blog` covers `/blog` and what is under it). A result is
//! kept when it is under an allowed entry (if any are given) and under no
//! blocked one. Anthropic's API refuses a request that gives both lists;
//! see [`conflict`].

use url::Url;

use super::spec::Spec;
use crate::hit::Hit;

/// One list entry, normalised as addresses are: lower-case host (IDNA
/// applied), no trailing dot; the path without a trailing `/`.
struct Entry {
    host: String,
    path: String,
}

impl Entry {
    fn parse(text: &str) -> Option<Entry> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        let t = ["https://", "http://"]
            .iter()
            .find(|s| lower.starts_with(*s))
            .map_or(t, |s| &t[s.len()..]);
        let u = Url::parse(&format!("https://{t}")).ok()?;
        let host = u.host_str()?.trim_end_matches('.').to_string();
        (!host.is_empty()).then(|| Entry {
            host,
            path: u.path().trim_end_matches('/').to_string(),
        })
    }

    fn covers(&self, host: &str, path: &str) -> bool {
        let host_ok = host == self.host
            || host
                .strip_suffix(self.host.as_str())
                .is_some_and(|sub| sub.ends_with('.'));
        let path_ok = self.path.is_empty()
            || path
                .strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        host_ok && path_ok
    }
}

fn any_covers(list: &[String], host: &str, path: &str) -> bool {
    list.iter()
        .filter_map(|e| Entry::parse(e))
        .any(|e| e.covers(host, path))
}

/// Whether the results may include `url`. With a list set, an address
/// whose host cannot be read is left out: it cannot be shown to be inside.
pub fn keeps(spec: &Spec, url: &str) -> bool {
    if spec.allowed_domains.is_empty() && spec.blocked_domains.is_empty() {
        return true;
    }
    let Some((host, path)) = Url::parse(url).ok().and_then(|u| {
        let host = u.host_str()?.trim_end_matches('.').to_string();
        Some((host, u.path().to_string()))
    }) else {
        return false;
    };
    let allowed =
        spec.allowed_domains.is_empty() || any_covers(&spec.allowed_domains, &host, &path);
    allowed && !any_covers(&spec.blocked_domains, &host, &path)
}

/// The hits the tool's lists let through, in order.
pub fn filter(spec: &Spec, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter().filter(|h| keeps(spec, &h.url)).collect()
}

/// Both lists given: Anthropic's API refuses such a request
/// (`invalid_request_error`), so no search may run for it.
pub fn conflict(spec: &Spec) -> bool {
    !spec.allowed_domains.is_empty() && !spec.blocked_domains.is_empty()
}

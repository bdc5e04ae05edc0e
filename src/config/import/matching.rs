//! Where an imported URL points: a preset's endpoint, a server on this
//! machine, and the name and network settings that follow from that.
//!
//! Every local preset lives on `127.0.0.1`, so on this machine the host
//! says nothing: the port does. A mock on `:18871`, or claude-code-router
//! on `:3456`, is not LiteLLM's proxy because both are local (issue 27).

use super::NewProvider;
use crate::config::preset::Api;
use crate::config::presets::Presets;

/// The preset whose endpoint `url` reaches, and that endpoint's API kind.
/// Elsewhere the host decides; on this machine the port must be the
/// preset's too (any loopback name or address counts as the same host).
/// Of the preset's endpoints there, the one whose path `url` has wins (the
/// longest such path), else the first.
pub fn match_preset(url: &str, presets: &Presets) -> Option<(String, Api)> {
    let want = url::Url::parse(url).ok()?;
    let here = on_this_machine(&want);
    let host = want.host_str()?;
    // (how much of the path matched, preset, API); `None` < any match.
    let mut best: Option<(Option<usize>, &str, Api)> = None;
    for p in presets.iter() {
        for (api, e) in &p.endpoints {
            for u in e.base_url.iter().chain(&e.alternates) {
                let Ok(u) = url::Url::parse(u) else {
                    continue;
                };
                let same_place = if here {
                    on_this_machine(&u) && u.port_or_known_default() == want.port_or_known_default()
                } else {
                    u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
                };
                if !same_place {
                    continue;
                }
                let score = path_within(want.path(), u.path());
                if best.is_none_or(|(s, _, _)| score > s) {
                    best = Some((score, &p.id, *api));
                }
            }
        }
    }
    best.map(|(_, id, api)| (id.to_string(), api))
}

/// How long `base` is when `path` is `base` or below it (whole segments:
/// `/v1x` is not below `/v1`).
fn path_within(path: &str, base: &str) -> Option<usize> {
    let (path, base) = (path.trim_end_matches('/'), base.trim_end_matches('/'));
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(base.len())
}

/// A host on this machine: `localhost` (and `*.localhost`, which resolvers
/// keep local), `127.0.0.0/8`, `::1`.
pub fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
    }
}

pub fn on_this_machine(url: &url::Url) -> bool {
    url.host().is_some_and(|h| is_loopback(&h))
}

/// A name for a server on this machine that no preset claims:
/// `local-18871`. `None` for a URL elsewhere.
pub fn local_name(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok().filter(on_this_machine)?;
    Some(match u.port_or_known_default() {
        Some(port) => format!("local-{port}"),
        None => "local".to_string(),
    })
}

/// Where `p`'s requests go: its own URL, else its preset's for its API.
pub fn url_of(p: &NewProvider, presets: &Presets) -> Option<url::Url> {
    let url = p.base_url.clone().or_else(|| {
        let preset = presets.get(p.preset.as_deref()?)?;
        preset.endpoint(p.api)?.base_url.clone()
    })?;
    url::Url::parse(&url).ok()
}

/// Give `p` the shell's proxy and CA file where they matter. A proxy for
/// this machine is only in the way (claude-code-router #602: one answered
/// 503 for 127.0.0.1), and a CA file is for TLS, which plain HTTP to this
/// machine does not use. TLS to this machine keeps the CA file: a local
/// server may have a certificate from it.
pub fn set_network(
    p: &mut NewProvider,
    proxy: Option<String>,
    ca_file: Option<String>,
    presets: &Presets,
) {
    let to = url_of(p, presets);
    let here = to.as_ref().is_some_and(on_this_machine);
    let plain = to.as_ref().is_some_and(|u| u.scheme() == "http");
    p.proxy = proxy.filter(|_| !here);
    p.ca_file = ca_file.filter(|_| !(here && plain));
}

/// `localhost` as `127.0.0.1`: where `localhost` resolves to `::1` first,
/// a client would miss a server that listens on IPv4 only (Ollama, LM
/// Studio), which is what most local servers do.
pub fn loopback_v4(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.host_str() == Some("localhost") => {
            let _ = u.set_host(Some("127.0.0.1"));
            let s = u.to_string();
            // `Url` adds a `/` to a bare origin; keep the caller's form.
            if url.ends_with('/') {
                s
            } else {
                s.trim_end_matches('/').to_string()
            }
        }
        _ => url.to_string(),
    }
}

/// The preset's own URL for `api` is left out (the preset supplies it);
/// any other is kept.
pub fn own_url(url: String, preset: &str, api: Api, presets: &Presets) -> Option<String> {
    let same = presets
        .get(preset)
        .and_then(|p| p.endpoint(api))
        .and_then(|e| e.base_url.as_deref())
        .is_some_and(|u| u.trim_end_matches('/') == url.trim_end_matches('/'));
    (!same).then_some(url)
}

//! How auto mode's safety check runs for the profiles: Claude Code's own
//! classifier through the proxy, or Anthropic's server-side check (see
//! docs/claude-code-auto-mode.md). Nothing to fix; it says where the
//! checks go and what they cost.

use super::check::{Check, Status, check};
use crate::config::{Api, Config};
use crate::launch::env::auto_mode_vars;
use crate::t;

pub fn auto_mode(cfg: &Config) -> Option<Check> {
    let mut local: Vec<String> = Vec::new();
    let mut server: Vec<String> = Vec::new();
    for p in cfg.profiles.values() {
        let proxied = cfg
            .providers
            .get(&p.main.provider)
            .is_some_and(|pr| pr.proxied() && !(p.direct && pr.api == Api::Anthropic));
        if !proxied {
            continue;
        }
        if auto_mode_vars(cfg, p).is_empty() {
            server.push(p.name.clone());
        } else {
            let c = p.classifier_slot();
            local.push(format!("{} ({}/{})", p.name, c.provider, c.model));
        }
    }
    if local.is_empty() && server.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !local.is_empty() {
        parts.push(t!("doctor.auto_mode_local", profiles = local.join(", ")));
    }
    if !server.is_empty() {
        parts.push(t!("doctor.auto_mode_server", profiles = server.join(", ")));
    }
    Some(check("auto_mode", Status::Ok, parts.join(" "), None))
}

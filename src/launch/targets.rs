//! `ccswitch test` beyond the main slot: every other target of a profile
//! (other slots, fallback chains, routes) asked once, alone, and which
//! target of each chain would serve.

use super::probe::{Step, local_client, narrowed, pong, step, with_proxy};
use crate::t;

/// Every other target of the profile's slots, fallback chains and routes
/// (the main slot's first target has the full probe): one streamed request
/// each, through a proxy that has only that target. Then, for each chain,
/// which target would serve: the first that answered.
pub fn probe_targets(
    cfg: &crate::config::Config,
    profile: &str,
    secrets: &crate::secrets::Secrets,
    env: &dyn Fn(&str) -> Option<String>,
    main_ok: bool,
) -> Result<Vec<Step>, String> {
    use crate::config::Slot;
    let p = cfg.profile(profile).map_err(|e| e.to_string())?;
    let first = (p.main.provider.clone(), p.main.model.clone());
    let mut results: Vec<((String, String), bool)> = vec![(first, main_ok)];
    let mut steps = Vec::new();
    let rt = crate::proxy::runtime().map_err(|e| e.to_string())?;
    let slots: Vec<(&str, &Slot)> = p.slots().into_iter().chain(p.route_slots()).collect();
    for (name, slot) in &slots {
        for (i, (provider, model)) in slot.targets().enumerate() {
            let key = (provider.to_string(), model.to_string());
            if results.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let label = if slot.fallbacks.is_empty() {
                (*name).to_string()
            } else {
                format!("{name} #{}", i + 1)
            };
            let one = narrowed(cfg, p, provider, model);
            let answer = rt
                .block_on(with_proxy(
                    &one,
                    profile,
                    secrets,
                    env,
                    async |base, token| {
                        let http = local_client().map_err(|e| (0, e))?;
                        pong(&http, base, token, model).await
                    },
                ))
                .unwrap_or_else(|e| Err((0, e)));
            let target = format!("{label} {provider}/{model}");
            let (ok, detail, ms) = match answer {
                Ok(a) if !a.text.trim().is_empty() => (
                    true,
                    format!(
                        "{target}: {}",
                        a.text.trim().chars().take(40).collect::<String>()
                    ),
                    a.first_token.map(|d| d.as_millis() as u64),
                ),
                Ok(_) => (false, format!("{target}: {}", t!("probe.empty")), None),
                Err((status, msg)) => {
                    let raw = if msg.is_empty() {
                        format!("HTTP {status}")
                    } else {
                        msg
                    };
                    (false, format!("{target}: {raw}"), None)
                }
            };
            steps.push(step("target", ok, detail, ms));
            results.push((key, ok));
        }
    }
    for (name, slot) in &slots {
        if slot.fallbacks.is_empty() {
            continue;
        }
        let serving = slot.targets().find(|(p, m)| {
            results
                .iter()
                .any(|((rp, rm), ok)| *ok && rp == p && rm == m)
        });
        steps.push(match serving {
            Some((p, m)) => step(
                "serves",
                true,
                t!("probe.serves", slot = name, target = format!("{p}/{m}")),
                None,
            ),
            None => step("serves", false, t!("probe.serves_none", slot = name), None),
        });
    }
    Ok(steps)
}

//! `ccswitch test` beyond the main slot: every other target of a profile
//! (other slots, fallback chains, routes) asked once, alone, and which
//! target of each chain would serve.

use std::time::SystemTime;

use super::probe::{ProbeStep, local_client, narrowed, pong, probe_profile, step, with_proxy};
use crate::circuits::{self, Circuit};
use crate::ctx::Ctx;
use crate::{t, tn};

/// All of `ccswitch test` (and the TUI's `t`): the main slot's first
/// target in full, every other target once, and what running sessions'
/// breakers say of them (`circuits`, read from `circuits.json`).
pub fn test_all(
    ctx: &Ctx,
    cfg: &crate::config::Config,
    profile: &str,
    circuits: &[Circuit],
    now: SystemTime,
) -> Result<Vec<ProbeStep>, String> {
    let mut steps = probe_profile(ctx, cfg, profile)?;
    let main_ok = steps.iter().all(|s| s.ok);
    steps.extend(probe_targets(ctx, cfg, profile, main_ok, circuits, now)?);
    Ok(steps)
}

/// Every other target of the profile's slots, fallback chains and routes
/// (the main slot's first target has the full probe): one streamed request
/// each, through a proxy that has only that target. Then, for each chain,
/// which target would serve: the first that answered.
pub fn probe_targets(
    ctx: &Ctx,
    cfg: &crate::config::Config,
    profile: &str,
    main_ok: bool,
    circuits: &[Circuit],
    now: SystemTime,
) -> Result<Vec<ProbeStep>, String> {
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
                .block_on(with_proxy(ctx, &one, profile, async |base, token| {
                    let http = local_client().map_err(|e| (0, e))?;
                    pong(&http, base, token, model).await
                }))
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
    // A breaker a running session opened: marked as the target's check
    // came out just now.
    for ((provider, model), ok) in &results {
        if let Some(c) = circuits::find(circuits, provider, model) {
            steps.push(step("breaker", *ok, breaker_line(c, *ok, now), None));
        }
    }
    Ok(steps)
}

/// `ds/deepseek-v4-pro: opened 2 min ago in a session of profile p (3
/// failures in a row), skipped for 20 s more; answers now`.
fn breaker_line(c: &Circuit, ok: bool, now: SystemTime) -> String {
    let state = match c.cooling_left(now) {
        Some(left) => t!("probe.breaker_cooling", secs = left.as_secs().max(1)),
        None => t!("probe.breaker_trial"),
    };
    tn!(
        "probe.breaker",
        failures = c.failures,
        target = format!("{}/{}", c.provider, c.model),
        ago = crate::config::state::ago(c.opened(), now),
        profile = c.profile,
        state = state,
        now = if ok {
            t!("probe.breaker_now_ok")
        } else {
            t!("probe.breaker_now_failing")
        }
    )
}

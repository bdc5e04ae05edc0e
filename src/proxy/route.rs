//! Which profile slot serves a requested model name.

use crate::config::{Profile, Slot};

/// A subagent's call goes to the `subagent` slot when the profile sets one,
/// whatever model it asked for (an Agent call may name an alias). Otherwise
/// an exact slot model name wins; then the family in the name picks the
/// alias slot when the profile sets one (`haiku` falls back to `fast`), and
/// everything else goes to `main`.
pub fn route<'a>(
    profile: &'a Profile,
    requested: &str,
    subagent: bool,
) -> (&'static str, &'a Slot) {
    if subagent && let Some(s) = &profile.subagent {
        return ("subagent", s);
    }
    let slots = profile.slots();
    if let Some((name, slot)) = slots.iter().find(|(_, s)| s.model == requested) {
        return (name, slot);
    }
    let lower = requested.to_ascii_lowercase();
    let family = |f: &str| lower.contains(f);
    if family("haiku") {
        return match &profile.haiku {
            Some(s) => ("haiku", s),
            None => ("fast", &profile.fast),
        };
    }
    if family("opus")
        && let Some(s) = &profile.opus
    {
        return ("opus", s);
    }
    if family("sonnet")
        && let Some(s) = &profile.sonnet
    {
        return ("sonnet", s);
    }
    ("main", &profile.main)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk_slot(p: &str, m: &str) -> Slot {
        Slot::single(p, m)
    }

    fn mk_profile() -> Profile {
        Profile {
            name: "p".into(),
            provider: "ds".into(),
            description: None,
            main: mk_slot("ds", "deepseek-v4-pro"),
            fast: mk_slot("local", "qwen3"),
            opus: None,
            sonnet: Some(mk_slot("ds", "deepseek-v4-flash")),
            haiku: None,
            subagent: Some(mk_slot("ds", "sub-model")),
            max_output_tokens: None,
            context_window: None,
            api_timeout_ms: None,
            nonessential_traffic: false,
            direct: false,
            claude_path: None,
            env: Default::default(),
            budget: None,
        }
    }

    #[test]
    fn routing_rules() {
        let p = mk_profile();
        fn route<'a>(p: &'a Profile, r: &str) -> (&'static str, &'a Slot) {
            super::route(p, r, false)
        }
        assert_eq!(route(&p, "qwen3").0, "fast");
        assert_eq!(route(&p, "sub-model").0, "subagent");
        assert_eq!(route(&p, "claude-haiku-5-5").0, "fast");
        assert_eq!(route(&p, "claude-3-5-haiku-20241022").1.model, "qwen3");
        assert_eq!(route(&p, "claude-sonnet-4-5").0, "sonnet");
        // No opus slot: main.
        assert_eq!(route(&p, "claude-opus-5-5").0, "main");
        assert_eq!(route(&p, "anything-else").0, "main");
        assert_eq!(route(&p, "deepseek-v4-pro").0, "main");
    }

    #[test]
    fn subagent_calls_use_the_subagent_slot_whatever_they_ask_for() {
        let mut p = mk_profile();
        for asked in ["claude-haiku-5-5", "deepseek-v4-pro", "claude-opus-5-5"] {
            assert_eq!(route(&p, asked, true).0, "subagent", "{asked}");
        }
        // Without a subagent slot, the usual rules.
        p.subagent = None;
        assert_eq!(route(&p, "claude-haiku-5-5", true).0, "fast");
    }
}

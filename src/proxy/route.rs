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

/// What the content routes need to know of a slot's first target.
pub struct Fits {
    /// Its context window in tokens, when known.
    pub context: Option<u64>,
    /// Whether it takes image input (unknown counts as yes).
    pub images: bool,
}

impl Fits {
    /// A slot's first target as the config knows it: its model's context
    /// window (the profile's override when the model's is unknown) and
    /// whether it takes images (the model's `vision`, and the provider's
    /// `images` quirk; unknown counts as yes).
    pub fn of(provider: Option<&crate::config::Provider>, model: &str, profile: &Profile) -> Fits {
        let info = provider.map(|p| p.model(model));
        Fits {
            context: info
                .as_ref()
                .and_then(|i| i.context)
                .or(profile.context_window),
            images: provider.is_none_or(|p| p.quirks.images)
                && info.is_none_or(|i| i.vision != Some(false)),
        }
    }
}

/// The `long_context` and `vision` routes, each only when the profile sets
/// it: a request whose estimated input exceeds the chosen slot's context
/// window goes to `long_context`; one with images, when the slot takes
/// none, to `vision`. `has_images` is asked only when it matters.
pub fn by_content<'a>(
    profile: &'a Profile,
    chosen: (&'static str, &'a Slot),
    fits: &Fits,
    input_estimate: u64,
    has_images: impl FnOnce() -> bool,
) -> (&'static str, &'a Slot) {
    if let Some(lc) = &profile.long_context
        && fits.context.is_some_and(|c| input_estimate > c)
    {
        return ("long_context", lc);
    }
    if let Some(v) = &profile.vision
        && !fits.images
        && has_images()
    {
        return ("vision", v);
    }
    chosen
}

/// Whether a request's `system` (as JSON text) marks a subagent's call:
/// Claude Code's billing line there says `cc_is_subagent=true` (captured
/// from Claude Code 2.1.332, which also sends an `x-claude-code-agent-id`
/// header).
pub fn system_marks_subagent(system_json: &str) -> bool {
    system_json.contains("cc_is_subagent=true")
}

/// Whether raw JSON holds a content block of type `image`: a string value
/// `"image"` right after a `"type"` key. Unescaped quotes only delimit JSON
/// strings, so text that merely mentions images does not match.
pub fn has_image_block(json: &str) -> bool {
    let mut rest = json;
    while let Some(i) = rest.find("\"image\"") {
        let before = rest[..i].trim_end();
        if let Some(before) = before.strip_suffix(':')
            && before.trim_end().ends_with("\"type\"")
        {
            return true;
        }
        rest = &rest[i + 7..];
    }
    false
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
            vision: None,
            long_context: None,
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
    fn content_routes_fire_only_when_set_and_needed() {
        let mut p = mk_profile();
        let main = ("main", &p.main);
        let small = Fits {
            context: Some(1000),
            images: false,
        };
        let roomy = Fits {
            context: Some(1_000_000),
            images: true,
        };
        // Not set: nothing changes.
        assert_eq!(by_content(&p, main, &small, 5000, || true).0, "main");
        p.vision = Some(mk_slot("vl", "vl-model"));
        p.long_context = Some(mk_slot("lc", "lc-model"));
        let main = ("main", &p.main);
        assert_eq!(
            by_content(&p, main, &small, 5000, || true).0,
            "long_context"
        );
        assert_eq!(by_content(&p, main, &small, 500, || true).0, "vision");
        assert_eq!(by_content(&p, main, &small, 500, || false).0, "main");
        assert_eq!(by_content(&p, main, &roomy, 5000, || true).0, "main");
        let unknown = Fits {
            context: None,
            images: true,
        };
        assert_eq!(by_content(&p, main, &unknown, u64::MAX, || true).0, "main");
    }

    #[test]
    fn image_blocks_are_found_by_their_type() {
        assert!(has_image_block(r#"[{"type":"image","source":{}}]"#));
        assert!(has_image_block(r#"[{"type": "image", "source": {}}]"#));
        assert!(has_image_block(
            r#"[{"type":"tool_result","content":[{"type":"image"}]}]"#
        ));
        assert!(!has_image_block(
            r#"[{"type":"text","text":"an \"image\" here"}]"#
        ));
        assert!(!has_image_block(r#"[{"type":"text","text":"image"}]"#));
        assert!(!has_image_block(r#"{"name":"image"}"#));
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

//! Which profile slot serves a requested model name.

use super::menu::Menu;
use crate::config::{Profile, Slot};

pub use crate::config::menu::DISCOVERY_PREFIX;

/// The id a slot is listed under in `GET /v1/models`.
pub fn discovery_id(slot_name: &str, model: &str) -> String {
    let lower = model.to_ascii_lowercase();
    if lower.contains("claude") || lower.contains("anthropic") {
        model.to_string()
    } else {
        format!("{DISCOVERY_PREFIX}{slot_name}")
    }
}

/// A subagent's call goes to the `subagent` slot when the profile sets one,
/// whatever model it asked for (an Agent call may name an alias). Otherwise
/// an exact slot model name wins; then a model of the menu (a subagent
/// that inherited it from `/model` stays on `main` unless the profile says
/// subagents follow the menu); then the family in the name picks the alias
/// slot when the profile sets one (`haiku` falls back to `fast`), and
/// everything else goes to `main`.
pub fn route<'a>(
    profile: &'a Profile,
    menu: &'a Menu,
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
    if let Some(wanted) = requested.strip_prefix(DISCOVERY_PREFIX)
        && let Some((name, slot)) = slots.iter().find(|(n, _)| *n == wanted)
    {
        return (name, slot);
    }
    if let Some(entry) = menu.get(requested) {
        if subagent && !profile.subagents_follow_menu {
            return ("main", &profile.main);
        }
        return ("menu", &entry.slot);
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
/// none, to `vision`. `input_estimate` and `has_images` are asked only
/// when they matter.
pub fn by_content<'a>(
    profile: &'a Profile,
    chosen: (&'static str, &'a Slot),
    fits: &Fits,
    input_estimate: impl FnOnce() -> u64,
    has_images: impl FnOnce() -> bool,
) -> (&'static str, &'a Slot) {
    if let Some(lc) = &profile.long_context
        && fits.context.is_some_and(|c| input_estimate() > c)
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

/// What one image counts for in [`estimate_input`]: Anthropic bills a
/// picture width × height / 750 tokens, and Claude Code scales pictures to
/// at most about 1.15 megapixels first, so about 1,600 tokens at most.
pub const IMAGE_TOKENS: u64 = 1600;

/// A request's input tokens, roughly, from its `messages` JSON and its
/// body's size: four bytes a token, except base64 image data, which counts
/// [`IMAGE_TOKENS`] per image however many bytes it takes (a screenshot is
/// hundreds of kilobytes: at four bytes a token, a few would seem to fill a
/// context window).
pub fn estimate_input(messages_json: &str, body_len: usize) -> u64 {
    let (bytes, images) = image_data(messages_json);
    crate::proxy::translate::common::estimate_tokens(body_len.saturating_sub(bytes))
        + images * IMAGE_TOKENS
}

/// The bytes of base64 image data in raw JSON, and how many images: each
/// `"data": "…"` string whose object (a base64 `source`, which holds no
/// nested object) has an `"image/…"` media type. Base64 has no quotes, so
/// the string ends at the next one.
fn image_data(json: &str) -> (usize, u64) {
    let b = json.as_bytes();
    let (mut bytes, mut images) = (0, 0);
    let mut at = 0;
    while let Some(i) = json[at..].find("\"data\"") {
        let key = at + i;
        at = key + 6;
        let rest = json[at..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        let start = json.len() - value.len();
        let end = start + value.find('"').unwrap_or(value.len());
        at = end;
        // The enclosing object: back to its `{`, on to its `}`.
        let open = b[..key].iter().rposition(|c| *c == b'{').unwrap_or(0);
        let close = b[end..]
            .iter()
            .position(|c| *c == b'}')
            .map_or(b.len(), |p| end + p);
        let image = |part: &[u8]| part.windows(7).any(|w| w == b"\"image/");
        if image(&b[open..key]) || image(&b[end..close]) {
            bytes += end - start;
            images += 1;
        }
    }
    (bytes, images)
}

/// How auto mode's classifier prompt begins (Claude Code 2.1.197 to
/// 2.1.332 alike; see docs/claude-code-auto-mode.md).
const CLASSIFIER_PROMPT: &str = "You are a security monitor for autonomous AI coding agents";

/// Whether a request's `system` (as JSON text) is auto mode's classifier
/// prompt. It follows a short billing line, so only the head is searched:
/// the prompt is 141 KB and main-loop prompts are several.
pub fn system_is_classifier(system_json: &str) -> bool {
    let mut end = system_json.len().min(1024);
    while !system_json.is_char_boundary(end) {
        end -= 1;
    }
    system_json[..end].contains(CLASSIFIER_PROMPT)
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
            classifier: None,
            max_output_tokens: None,
            context_window: None,
            api_timeout_ms: None,
            nonessential_traffic: false,
            tool_search: None,
            web_fetch_preflight: true,
            direct: false,
            claude_path: None,
            project: None,
            env: Default::default(),
            budget: None,
            menu: Vec::new(),
            subagents_follow_menu: false,
        }
    }

    #[test]
    fn routing_rules() {
        let p = mk_profile();
        fn route<'a>(p: &'a Profile, r: &str) -> (&'static str, &'a Slot) {
            static EMPTY: std::sync::LazyLock<Menu> = std::sync::LazyLock::new(Menu::default);
            super::route(p, &EMPTY, r, false)
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
        // The ids `/v1/models` lists come back to their slot.
        assert_eq!(route(&p, "claude-ccswitch-fast").0, "fast");
        assert_eq!(route(&p, "claude-ccswitch-sonnet").0, "sonnet");
        assert_eq!(route(&p, "claude-ccswitch-nope").0, "main");
        assert_eq!(super::discovery_id("fast", "qwen3"), "claude-ccswitch-fast");
        assert_eq!(
            super::discovery_id("main", "claude-sonnet-5"),
            "claude-sonnet-5"
        );
    }

    #[test]
    fn menu_models_route_to_their_entry_and_subagents_stay_unless_told() {
        let mut p = crate::config::testing::parse_profile(
            "main = \"m\"\nmenu = [{ provider = \"kimi\", model = \"kimi-k3\" }, { provider = \"kimi\", model = \"claude-haiku-x\" }]",
            &["kimi"],
        );
        let menu = Menu::build(&p, &std::collections::HashMap::new());
        let (slot, s) = route(&p, &menu, "claude-ccswitch-kimi/kimi-k3", false);
        assert_eq!((slot, s.model.as_str()), ("menu", "kimi-k3"));
        // A menu id with a family name in it is the menu's, not the alias's.
        assert_eq!(route(&p, &menu, "claude-haiku-x", false).0, "menu");
        assert_eq!(
            route(&p, &menu, "claude-ccswitch-kimi/kimi-k3", true).0,
            "main"
        );
        p.subagents_follow_menu = true;
        assert_eq!(
            route(&p, &menu, "claude-ccswitch-kimi/kimi-k3", true).0,
            "menu"
        );
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
        assert_eq!(by_content(&p, main, &small, || 5000, || true).0, "main");
        p.vision = Some(mk_slot("vl", "vl-model"));
        p.long_context = Some(mk_slot("lc", "lc-model"));
        let main = ("main", &p.main);
        assert_eq!(
            by_content(&p, main, &small, || 5000, || true).0,
            "long_context"
        );
        assert_eq!(by_content(&p, main, &small, || 500, || true).0, "vision");
        assert_eq!(by_content(&p, main, &small, || 500, || false).0, "main");
        assert_eq!(by_content(&p, main, &roomy, || 5000, || true).0, "main");
        let unknown = Fits {
            context: None,
            images: true,
        };
        assert_eq!(
            by_content(&p, main, &unknown, || u64::MAX, || true).0,
            "main"
        );
    }

    #[test]
    fn image_blocks_are_found_by_their_type() {
        assert!(has_image_block(r#"[{"type":"image","source":{}}]"#));
        let data = "A".repeat(400_000);
        let image = format!(
            r#"{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{data}"}}}}"#
        );
        let flipped = format!(
            r#"{{"type":"image","source":{{"data": "{data}", "media_type":"image/jpeg"}}}}"#
        );
        let pdf = format!(
            r#"{{"type":"document","source":{{"type":"base64","media_type":"application/pdf","data":"{data}"}}}}"#
        );
        let json = format!(r#"[{{"role":"user","content":[{image},{flipped},{pdf}]}}]"#);
        let (bytes, images) = image_data(&json);
        assert_eq!((bytes, images), (800_000, 2), "a PDF's pages are text");
        assert_eq!(
            estimate_input(&json, json.len()),
            (json.len() as u64 - 800_000).div_ceil(4) + 2 * IMAGE_TOKENS
        );
        assert_eq!(
            image_data(r#"{"data":{"x":1},"media_type":"image/png"}"#),
            (0, 0)
        );
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
            assert_eq!(
                route(&p, &Menu::default(), asked, true).0,
                "subagent",
                "{asked}"
            );
        }
        // Without a subagent slot, the usual rules.
        p.subagent = None;
        assert_eq!(
            route(&p, &Menu::default(), "claude-haiku-5-5", true).0,
            "fast"
        );
    }
}

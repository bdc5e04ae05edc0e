//! A profile's model menu: models from any of its providers that Claude
//! Code's `/model` lists (through the proxy's gateway discovery), each
//! routed to its own provider with its own translation, price, ledger
//! rows and fallback chain.
//!
//! ```toml
//! menu = [
//!   "deepseek-v4-flash",                                   # the profile's provider
//!   { provider = "kimi", model = "kimi-k3", label = "Kimi K3" },
//!   { provider = "claude", model = "claude-sonnet-4-5", fallbacks = [{ provider = "deepseek", model = "deepseek-v4-pro" }] },
//!   { provider = "openrouter", models = "all" },          # every model it lists
//! ]
//! ```

pub use super::model::{MenuEntry, MenuItem};
pub use super::raw::RawMenuItem;

use crate::t;

/// The prefix of the ids `GET /v1/models` gives targets whose model ids
/// Claude Code would not list: its gateway discovery keeps only ids that
/// contain `claude` or `anthropic` (2.1.332). Picked in `/model`, such an
/// id comes back to the proxy.
pub const DISCOVERY_PREFIX: &str = "claude-ccswitch-";

/// The id discovery lists a menu model under and Claude Code sends back.
/// Claude Code keeps only ids with `claude` or `anthropic` in them, and
/// knows a Claude model's abilities by its id, so a Claude model keeps its
/// own id unless another target of the profile uses the same id (`taken`
/// says so); every other model is named by provider and model.
pub fn menu_id(provider: &str, model: &str, taken: bool) -> String {
    let lower = model.to_ascii_lowercase();
    if !taken && (lower.contains("claude") || lower.contains("anthropic")) {
        model.to_string()
    } else {
        format!("{DISCOVERY_PREFIX}{provider}/{model}")
    }
}

impl MenuItem {
    /// How lists show the item (`profile show`, the TUI): `Kimi K3
    /// (kimi/kimi-k3)`, its chain after it (`→ ds/deepseek-v4-pro`), or
    /// `openrouter/* (all models)`.
    pub fn text(&self) -> String {
        match self {
            MenuItem::One(e) => {
                let target = format!("{}/{}", e.slot.provider, e.slot.model);
                let mut out = match &e.label {
                    Some(l) => format!("{l} ({target})"),
                    None => target,
                };
                if let Some(chain) = e.slot.fallback_text() {
                    out = format!("{out} → {chain}");
                }
                out
            }
            MenuItem::All { provider } => {
                format!("{provider}/* ({})", t!("menu.all_models"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Doc {
        menu: Vec<RawMenuItem>,
    }

    fn parse(src: &str) -> Result<Vec<RawMenuItem>, String> {
        toml::from_str::<Doc>(src)
            .map(|d| d.menu)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn items_are_ids_tables_or_whole_providers() {
        let items = parse(
            r#"menu = ["m1", { provider = "kimi", model = "k3", label = "Kimi", fallbacks = ["m2", { provider = "p", model = "m3" }] }, { provider = "or", models = "all" }]"#,
        )
        .unwrap();
        assert_eq!(items[0].model.as_deref(), Some("m1"));
        assert_eq!(items[1].label.as_deref(), Some("Kimi"));
        assert_eq!(items[1].fallbacks.len(), 2);
        assert!(items[2].all && items[2].model.is_none());
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        let e = parse(r#"menu = [{ provider = "p" }]"#).unwrap_err();
        assert!(e.contains("missing field `model`"), "{e}");
        let e = parse(r#"menu = [{ provider = "p", model = "m", models = "all" }]"#).unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = parse(r#"menu = [{ provider = "p", models = "some" }]"#).unwrap_err();
        assert!(e.contains(r#"expected "all""#), "{e}");
        let e = parse(r#"menu = [{ provider = "p", model = "m", lable = "x" }]"#).unwrap_err();
        assert!(e.contains("unknown field `lable`"), "{e}");
        let e = parse("menu = [3]").unwrap_err();
        assert!(e.contains("a model id, or a table"), "{e}");
    }

    #[test]
    fn ids_keep_claude_models_and_name_the_rest() {
        assert_eq!(
            menu_id("claude", "claude-sonnet-4-5", false),
            "claude-sonnet-4-5"
        );
        assert_eq!(
            menu_id("or", "anthropic/claude-sonnet-4.5", true),
            "claude-ccswitch-or/anthropic/claude-sonnet-4.5"
        );
        assert_eq!(
            menu_id("kimi", "kimi-k3", false),
            "claude-ccswitch-kimi/kimi-k3"
        );
    }
}

//! How `/model` labels the profile's aliases, and what their models can do.

use crate::config::{Config, Profile};
use crate::t;

/// How `/model` labels the aliases (`ANTHROPIC_DEFAULT_*_MODEL_NAME` and
/// `_DESCRIPTION`, shown by 2.1.332 in its picker), and what each alias's
/// model supports (`_SUPPORTED_CAPABILITIES`), from the presets' facts:
/// a model known to think gets thinking and effort (the proxy translates
/// both for any upstream), one known not to gets none, an unknown one no
/// claim.
pub fn label_vars(config: &Config, profile: &Profile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let fast = profile.haiku.as_ref().unwrap_or(&profile.fast);
    let aliases = [
        (
            "OPUS",
            "opus",
            profile.opus.as_ref().unwrap_or(&profile.main),
        ),
        (
            "SONNET",
            "sonnet",
            profile.sonnet.as_ref().unwrap_or(&profile.main),
        ),
        ("HAIKU", "haiku", fast),
    ];
    for (var, alias, slot) in aliases {
        let Some(provider) = config.providers.get(&slot.provider) else {
            continue;
        };
        // Claude on Anthropic, Bedrock or Vertex: Claude Code knows those
        // models better than a preset does.
        if provider.preset.as_deref() == Some("anthropic") || !provider.api.uses_base_url() {
            continue;
        }
        let prefix = format!("ANTHROPIC_DEFAULT_{var}_MODEL");
        out.push((format!("{prefix}_NAME"), slot.model.clone()));
        out.push((
            format!("{prefix}_DESCRIPTION"),
            t!(
                "launch.alias_description",
                provider = provider.display_name,
                profile = profile.name,
                alias = alias
            ),
        ));
        let caps = match provider.model(&slot.model).thinking {
            Some(true) => Some("thinking,adaptive_thinking,interleaved_thinking,effort"),
            Some(false) => Some(""),
            None => None,
        };
        if let Some(caps) = caps {
            out.push((format!("{prefix}_SUPPORTED_CAPABILITIES"), caps.to_string()));
        }
    }
    out
}

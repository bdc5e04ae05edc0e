//! The environment Claude Code gets for a profile. Pure: no I/O.

use crate::config::Profile;

/// Model variables for a profile's slots, so `/model`, subagents and
/// background work all land on the right upstream model.
///
/// Claude Code resolves the small-fast role from `ANTHROPIC_SMALL_FAST_MODEL`
/// first (deprecated but still honoured by 2.1.x), then the haiku alias, so
/// both are set.
pub fn model_vars(profile: &Profile) -> Vec<(&'static str, String)> {
    let main = profile.main.model.clone();
    let fast = profile.fast.model.clone();
    let pick = |s: &Option<crate::config::Slot>, or: &str| {
        s.as_ref().map_or(or.to_string(), |s| s.model.clone())
    };
    let mut vars = vec![
        ("ANTHROPIC_MODEL", main.clone()),
        ("ANTHROPIC_DEFAULT_OPUS_MODEL", pick(&profile.opus, &main)),
        (
            "ANTHROPIC_DEFAULT_SONNET_MODEL",
            pick(&profile.sonnet, &main),
        ),
        ("ANTHROPIC_DEFAULT_HAIKU_MODEL", pick(&profile.haiku, &fast)),
        ("ANTHROPIC_SMALL_FAST_MODEL", fast),
    ];
    if let Some(s) = &profile.subagent {
        vars.push(("CLAUDE_CODE_SUBAGENT_MODEL", s.model.clone()));
    }
    vars
}

/// What a client of `ccswitch serve` needs: endpoint, token, models.
pub fn serve_vars(profile: &Profile, base_url: &str, token: &str) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("ANTHROPIC_BASE_URL", base_url.to_string()),
        ("ANTHROPIC_AUTH_TOKEN", token.to_string()),
        // Both headers go out when both are set; an inherited API key would
        // be sent to the proxy (and asked about) for nothing.
        ("ANTHROPIC_API_KEY", String::new()),
    ];
    vars.extend(model_vars(profile));
    vars
}

use std::path::Path;

use super::*;
use crate::config::preset::Api;
use crate::i18n::{Lang, set_lang};

#[test]
fn every_builtin_preset_parses() {
    let presets = Presets::builtin();
    assert_eq!(presets.iter().count(), BUILTIN.len());
    for p in presets.iter() {
        assert!(!p.name.is_empty(), "{}", p.id);
        assert!(p.endpoint(p.api).is_some(), "{}", p.id);
    }
}

#[test]
fn user_file_overrides_fields_of_a_builtin() {
    set_lang(Lang::En);
    let mut presets = Presets::builtin();
    let before = presets.get("deepseek").unwrap().clone();
    let src = r#"
[presets.deepseek.endpoints.anthropic]
base_url = "https://deepseek.corp.example/anthropic"

[presets.deepseek.models.deepseek-v4-pro]
input_price = 0.5
"#;
    presets.apply_user(Path::new("presets.toml"), src).unwrap();
    let after = presets.get("deepseek").unwrap();
    let ep = after.endpoint(Api::Anthropic).unwrap();
    assert_eq!(
        ep.base_url.as_deref(),
        Some("https://deepseek.corp.example/anthropic")
    );
    // Fields not mentioned keep their built-in values.
    assert_eq!(ep.auth, before.endpoint(Api::Anthropic).unwrap().auth);
    assert_eq!(ep.quirks, before.endpoint(Api::Anthropic).unwrap().quirks);
    assert_eq!(after.endpoint(Api::Openai), before.endpoint(Api::Openai));
    let pro = &after.models["deepseek-v4-pro"];
    assert_eq!(pro.input_price, Some(0.5));
    assert_eq!(pro.context, before.models["deepseek-v4-pro"].context);
}

#[test]
fn user_file_adds_a_preset() {
    let mut presets = Presets::builtin();
    let src = r#"
[presets.acme]
name = "ACME Gateway"
api = "openai"
aliases = ["acme-gw"]
endpoints.openai = { base_url = "https://llm.acme.example/v1", auth = "bearer" }
suggested = { main = "acme-large", fast = "acme-small" }
"#;
    presets.apply_user(Path::new("presets.toml"), src).unwrap();
    let acme = presets.get("acme-gw").unwrap();
    assert_eq!(acme.id, "acme");
    assert_eq!(acme.suggested.main.as_deref(), Some("acme-large"));
}

#[test]
fn bad_user_presets_are_located() {
    set_lang(Lang::En);
    let mut presets = Presets::builtin();
    let src = "\n[presets.acme]\nname = \"ACME\"\napi = \"openai\"\n";
    let err = presets
        .apply_user(Path::new("presets.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("presets.toml:2:1: Preset `acme`: missing field `endpoints`"),
        "{err}"
    );

    let src = "[presets.deepseek]\nnmae = \"x\"\n";
    let err = presets
        .apply_user(Path::new("presets.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `nmae`"), "{err}");

    let src = "[presets.deepseek.endpoints.anthropic]\nbase_url = \"not a url\"\n";
    let err = presets
        .apply_user(Path::new("presets.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad URL `not a url`"), "{err}");

    let src = "[preset.deepseek]\nname = \"x\"\n";
    let err = presets
        .apply_user(Path::new("presets.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("presets.toml:1:2: unknown field `preset`"),
        "{err}"
    );
}

#[test]
fn a_default_api_without_endpoint_is_rejected() {
    let mut presets = Presets::builtin();
    let src = "[presets.x]\nname = \"X\"\napi = \"anthropic\"\nendpoints.openai = { base_url = \"https://x.example/v1\" }\n";
    let err = presets
        .apply_user(Path::new("presets.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[endpoints.anthropic]"), "{err}");
}

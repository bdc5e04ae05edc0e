use super::*;
use crate::config::presets::Presets;
use crate::i18n::{Lang, set_lang};

pub(super) fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_string())
    }
}

#[test]
fn claude_variables_become_a_provider_and_a_profile() {
    set_lang(Lang::En);
    let presets = Presets::builtin();
    let vars = [
        ("ANTHROPIC_BASE_URL", "https://api.deepseek.com/anthropic"),
        ("ANTHROPIC_AUTH_TOKEN", "sk-ds"),
        ("ANTHROPIC_MODEL", "deepseek-v4-pro"),
        ("ANTHROPIC_SMALL_FAST_MODEL", "deepseek-v4-flash"),
    ];
    let f = claude_env::read("the environment", &env(&vars), false, &presets);
    let p = &f.providers[0];
    assert_eq!(
        (p.name.as_str(), p.preset.as_deref()),
        ("deepseek", Some("deepseek"))
    );
    assert_eq!(p.api, Api::Anthropic);
    assert_eq!(p.base_url, None, "the preset's own URL");
    assert!(
        matches!(&p.key, Key::Secret { from, .. } if from == "ANTHROPIC_AUTH_TOKEN in the environment")
    );
    let prof = &f.profiles[0];
    assert_eq!(prof.slots[0], ("main", None, "deepseek-v4-pro".to_string()));
    assert_eq!(
        prof.slots[1],
        ("fast", None, "deepseek-v4-flash".to_string())
    );
    // Kept as a reference when asked.
    let f = claude_env::read("the environment", &env(&vars), true, &presets);
    assert!(matches!(&f.providers[0].key, Key::Env(v) if v == "ANTHROPIC_AUTH_TOKEN"));
    // An unknown gateway: a custom provider named after its host.
    let vars = [
        ("ANTHROPIC_BASE_URL", "https://llm.corp.example:4000"),
        ("ANTHROPIC_API_KEY", "sk-gw"),
    ];
    let f = claude_env::read("x", &env(&vars), false, &presets);
    assert_eq!(f.providers[0].name, "llm");
    assert_eq!(f.providers[0].preset.as_deref(), Some("custom-anthropic"));
    assert!(f.profiles.is_empty(), "no model to run");
    assert_eq!(f.skipped.len(), 1);
    // Bedrock, with its region.
    let vars = [
        ("CLAUDE_CODE_USE_BEDROCK", "1"),
        ("AWS_REGION", "eu-west-1"),
    ];
    let f = claude_env::read("x", &env(&vars), false, &presets);
    assert_eq!(f.providers[0].api, Api::Bedrock);
    assert_eq!(f.providers[0].region.as_deref(), Some("eu-west-1"));
    assert!(claude_env::read("x", &env(&[]), false, &presets).is_empty());
    // Foundry: the resource's Messages API, through the proxy.
    let vars = [
        ("CLAUDE_CODE_USE_FOUNDRY", "1"),
        ("ANTHROPIC_FOUNDRY_RESOURCE", "acme-ai"),
        ("ANTHROPIC_FOUNDRY_API_KEY", "az-key"),
        ("ANTHROPIC_MODEL", "claude-sonnet-5"),
    ];
    let f = claude_env::read("x", &env(&vars), false, &presets);
    let p = &f.providers[0];
    assert_eq!(
        (p.api, p.preset.as_deref()),
        (Api::Anthropic, Some("foundry"))
    );
    assert_eq!(
        p.base_url.as_deref(),
        Some("https://acme-ai.services.ai.azure.com/anthropic")
    );
    assert!(
        matches!(&p.key, Key::Secret { from, .. } if from.contains("ANTHROPIC_FOUNDRY_API_KEY"))
    );
    assert_eq!(f.profiles[0].slots[0].2, "claude-sonnet-5");
    // Its own base URL wins; an Entra token is not copied (it expires).
    let vars = [
        ("CLAUDE_CODE_USE_FOUNDRY", "1"),
        ("ANTHROPIC_FOUNDRY_RESOURCE", "acme-ai"),
        (
            "ANTHROPIC_FOUNDRY_BASE_URL",
            "https://apim.corp.example/claude/",
        ),
        ("ANTHROPIC_FOUNDRY_AUTH_TOKEN", "eyJ-entra"),
    ];
    let f = claude_env::read("x", &env(&vars), false, &presets);
    assert_eq!(
        f.providers[0].base_url.as_deref(),
        Some("https://apim.corp.example/claude")
    );
    assert!(matches!(f.providers[0].key, Key::None));
    assert!(
        f.skipped.iter().any(|s| s.why.contains("bearer")),
        "{:?}",
        f.skipped
    );
    // Without a resource there is nothing to reach.
    let f = claude_env::read(
        "x",
        &env(&[("CLAUDE_CODE_USE_FOUNDRY", "1")]),
        false,
        &presets,
    );
    assert!(f.providers.is_empty());
    assert_eq!(f.skipped.len(), 1);
    // A bare host is still Anthropic's API (that is what the variable is),
    // with its URL kept as given.
    let vars = [
        ("ANTHROPIC_BASE_URL", "https://api.deepseek.com"),
        ("ANTHROPIC_MODEL", "deepseek-v4-pro"),
    ];
    let f = claude_env::read("x", &env(&vars), false, &presets);
    assert_eq!(f.providers[0].api, Api::Anthropic);
    assert_eq!(
        f.providers[0].base_url.as_deref(),
        Some("https://api.deepseek.com")
    );
}

#[test]
fn names_never_clash() {
    let mut f = Found::default();
    for name in ["Deep Seek!", "deep-seek"] {
        f.providers.push(NewProvider::new(name, Api::Openai, None));
    }
    f.profiles.push(NewProfile {
        name: "p".into(),
        provider: "deep-seek".into(),
        slots: vec![
            ("main", None, "m".into()),
            ("fast", Some("Deep Seek!".into()), "f".into()),
        ],
    });
    let f = f.into_names(|n| n == "deep-seek", |n| n == "p");
    let names: Vec<&str> = f.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["deep-seek-2", "deep-seek-3"]);
    assert_eq!(f.profiles[0].name, "p-2");
    assert_eq!(f.profiles[0].provider, "deep-seek-3");
    assert_eq!(f.profiles[0].slots[1].1.as_deref(), Some("deep-seek-2"));
}

/// What a source says reaches the document as values and one-line
/// comments only; a name that is not a config name is refused, not
/// written as a key.
#[test]
fn a_hostile_source_writes_values_and_one_line_comments_only() {
    let hostile = "x\n[search]\nbackend = \"brave\"\nkey = { command = \"touch pwned\" }\n#";
    let mut f = Found::default();
    f.providers.push(NewProvider {
        base_url: Some(hostile.into()),
        key: Key::Secret {
            value: SecretString::from("sk-x".to_string()),
            from: format!("the api_key of {hostile} in {hostile}"),
        },
        ..NewProvider::new(hostile, Api::Openai, Some(hostile))
    });
    f.profiles.push(NewProfile {
        name: hostile.into(),
        provider: hostile.into(),
        slots: vec![("main", None, hostile.into())],
    });
    let mut doc = DocumentMut::new();
    assert!(f.write(&mut doc).is_err(), "names not picked by into_names");
    assert!(doc.to_string().is_empty());
    let f = f.into_names(|_| false, |_| false);
    assert_eq!(
        f.providers[0].name,
        "x-search-backend-brave-key-command-touch-pwned"
    );
    f.write(&mut doc).unwrap();
    let text = doc.to_string();
    let back: toml::Table = toml::from_str(&text).unwrap();
    let keys: Vec<&String> = back.keys().collect();
    assert_eq!(keys, ["providers", "profiles"], "{text}");
    assert_eq!(
        back["providers"][&f.providers[0].name]["base_url"].as_str(),
        Some(hostile)
    );
    assert!(text.lines().all(|l| !l.starts_with("[search]")), "{text}");
}

#[test]
fn names_are_config_names_however_long() {
    let mut f = Found::default();
    for _ in 0..3 {
        f.profiles.push(NewProfile {
            name: "a".repeat(10_000),
            ..NewProfile::default()
        });
    }
    let f = f.into_names(|_| false, |_| false);
    for p in &f.profiles {
        assert!(
            crate::config::resolve::valid_name(&p.name),
            "{} long",
            p.name.len()
        );
    }
}

use secrecy::SecretString;

use super::*;
use crate::config::preset::Api;
use crate::config::testing::mk_config;
use crate::i18n::{Lang, set_lang};

const SAVED: &str = r#"
[providers.deepseek]
preset = "deepseek"
key = { env = "DS_KEY" }

[providers.kimi]
preset = "moonshot"
key = { keyring = true }

[profiles.deepseek]
provider = "deepseek"
main = "deepseek-v4-pro"
fast = "deepseek-v4-flash"
"#;

fn provider(name: &str, preset: &str, key: Key) -> NewProvider {
    NewProvider {
        key,
        ..NewProvider::new(name, Api::Anthropic, Some(preset))
    }
}

fn secret(s: &str) -> Key {
    Key::Secret {
        value: SecretString::from(s.to_string()),
        from: "x".into(),
    }
}

fn profile(name: &str, provider: &str, main: &str) -> NewProfile {
    NewProfile {
        name: name.into(),
        provider: provider.into(),
        slots: vec![("main", None, main.into())],
    }
}

fn names(f: &Found) -> (Vec<&str>, Vec<&str>) {
    (
        f.providers.iter().map(|p| p.name.as_str()).collect(),
        f.profiles.iter().map(|p| p.name.as_str()).collect(),
    )
}

#[test]
fn what_the_config_has_is_not_added_again() {
    set_lang(Lang::En);
    let presets = Presets::builtin();
    let cfg = mk_config(SAVED);
    let holds = |name: &str, key: &SecretString| name == "kimi" && key.expose_secret() == "sk-k";
    let earlier = Found::default();
    let known = Known {
        cfg: &cfg,
        earlier: &earlier,
        presets: &presets,
        keyring_holds: &holds,
    };
    let providers = vec![
        // The same endpoint and key variable: the saved one.
        provider("deepseek-2", "deepseek", Key::Env("DS_KEY".into())),
        // The same key in the keyring: the saved one.
        provider("kimi-2", "moonshot", secret("sk-k")),
        // Another key: a provider of its own.
        provider("kimi-3", "moonshot", secret("sk-other")),
    ];
    let mut fast = profile("deepseek-2", "deepseek-2", "deepseek-v4-pro");
    fast.slots.push(("fast", None, "deepseek-v4-flash".into()));
    let found = Found {
        providers,
        profiles: vec![
            fast,
            // The saved provider with other models: kept, on the saved one.
            profile("kimi-2", "kimi-2", "kimi-k3"),
        ],
        ..Found::default()
    };
    let f = drop_known(found, &known);
    assert_eq!(names(&f), (vec!["kimi-3"], vec!["kimi-2"]));
    assert_eq!(
        f.profiles[0].provider, "kimi",
        "moved to the saved provider"
    );
    let known: Vec<String> = f
        .known
        .iter()
        .map(|k| format!("{}: {}", k.what, k.why))
        .collect();
    assert_eq!(
        known,
        [
            "provider deepseek-2: the same as deepseek",
            "provider kimi-2: the same as kimi",
            "profile deepseek-2: the same as deepseek",
        ]
    );
}

#[test]
fn a_second_source_with_the_same_provider_adds_nothing() {
    set_lang(Lang::En);
    let presets = Presets::builtin();
    let cfg = mk_config("");
    let never = |_: &str, _: &SecretString| false;
    let earlier = Found {
        providers: vec![provider("glm", "zhipu", secret("sk-z"))],
        profiles: vec![profile("glm", "glm", "glm-5")],
        ..Found::default()
    };
    let known = Known {
        cfg: &cfg,
        earlier: &earlier,
        presets: &presets,
        keyring_holds: &never,
    };
    let mut same = provider("GLM", "zhipu", secret("sk-z"));
    // The preset's own URL written out is the same place.
    same.base_url = Some("https://open.bigmodel.cn/api/anthropic/".into());
    let found = Found {
        providers: vec![same, provider("glm-2", "zhipu", Key::None)],
        profiles: vec![profile("GLM", "GLM", "glm-5")],
        ..Found::default()
    };
    let f = drop_known(found, &known);
    assert_eq!(names(&f), (vec!["glm-2"], vec![]));
    assert_eq!(f.known.len(), 2);
}

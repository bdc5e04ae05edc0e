use std::path::Path;

use super::testing::mk_config;
use super::*;
use crate::i18n::{Lang, set_lang};

#[test]
fn preset_fills_defaults_and_the_file_wins() {
    let cfg = mk_config(
        r#"
[providers.ds]
preset = "deepseek"
api = "openai"
auth = "x-api-key"
quirks = { include_usage = false }
models = { "deepseek-v4-pro" = { max_output = 8192 }, "my-model" = { context = 1000 } }
"#,
    );
    let p = cfg.provider("ds").unwrap();
    assert_eq!(p.api, Api::Openai);
    // The openai endpoint of the preset, not the default anthropic one.
    assert_eq!(
        p.base_url.as_ref().unwrap().as_str(),
        "https://api.deepseek.com/v1"
    );
    assert_eq!(p.auth, AuthStyle::XApiKey);
    // Quirks: the file overrides one flag, the rest come from the endpoint.
    assert!(!p.quirks.include_usage);
    assert!(p.quirks.reasoning_echo);
    // Models: merged field by field; new ones added.
    let pro = p.model("deepseek-v4-pro");
    assert_eq!(pro.max_output, Some(8192));
    assert_eq!(pro.context, Some(1_000_000));
    assert_eq!(p.model("my-model").context, Some(1000));
    assert_eq!(p.model("unknown"), ModelInfo::default());
    assert_eq!(p.display_name, "DeepSeek");
}

#[test]
fn base_url_in_the_file_overrides_the_preset() {
    let cfg = mk_config(
        r#"
[providers.ds]
preset = "deepseek"
base_url = "https://gateway.example/anthropic"
"#,
    );
    let p = cfg.provider("ds").unwrap();
    assert_eq!(
        p.base_url.as_ref().unwrap().as_str(),
        "https://gateway.example/anthropic"
    );
    assert_eq!(p.api, Api::Anthropic);
}

#[test]
fn key_defaults_follow_the_preset() {
    let cfg = mk_config(
        r#"
[providers.ds]
preset = "deepseek"

[providers.local]
preset = "ollama"

[providers.custom]
api = "openai"
base_url = "http://127.0.0.1:9/v1"

[providers.both]
preset = "deepseek"
key = { env = "DS_KEY", keyring = true }
"#,
    );
    assert_eq!(
        cfg.provider("ds").unwrap().key,
        KeySpec {
            keyring: true,
            ..KeySpec::default()
        }
    );
    // Local servers need no key, and send no auth header.
    let local = cfg.provider("local").unwrap();
    assert!(local.key.is_none());
    assert!(local.local);
    // Without a preset we cannot know; the keyring is the safe default.
    assert!(cfg.provider("custom").unwrap().key.keyring);
    let both = &cfg.provider("both").unwrap().key;
    assert_eq!(
        (both.env.as_deref(), both.keyring, both.file),
        (Some("DS_KEY"), true, false)
    );
}

#[test]
fn fast_defaults_to_main_and_slots_may_use_other_providers() {
    let cfg = mk_config(
        r#"
default = "p"
[providers.ds]
preset = "deepseek"
[providers.local]
preset = "ollama"

[profiles.p]
provider = "ds"
main = "deepseek-v4-pro"
haiku = { provider = "local", model = "qwen3-coder" }
subagent = { model = "deepseek-v4-flash" }
"#,
    );
    let p = cfg.profile("p").unwrap();
    assert_eq!(p.fast, p.main);
    assert_eq!(p.haiku.as_ref().unwrap().provider, "local");
    assert_eq!(p.subagent.as_ref().unwrap().provider, "ds");
    let names: Vec<_> = p.slots().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["main", "fast", "haiku", "subagent"]);
    assert!(!p.nonessential_traffic && !p.direct);
}

#[test]
fn timeouts_and_paths() {
    let cfg = mk_config(
        r#"
claude_path = "/opt/claude/bin/claude"
[providers.ds]
preset = "deepseek"
timeouts = { connect = 3 }
ca_file = "/etc/ssl/ca.pem"
"#,
    );
    let p = cfg.provider("ds").unwrap();
    assert_eq!(p.timeouts.connect.as_secs(), 3);
    assert_eq!(p.timeouts.idle, Timeouts::default().idle);
    assert_eq!(
        cfg.claude_path.as_deref(),
        Some(Path::new("/opt/claude/bin/claude"))
    );
}

#[test]
fn bedrock_and_vertex_need_no_base_url() {
    let cfg = mk_config(
        r#"
[providers.aws]
api = "bedrock"
region = "eu-west-1"

[providers.gcp]
api = "vertex"
project = "my-project"
region = "global"
"#,
    );
    let aws = cfg.provider("aws").unwrap();
    assert!(aws.base_url.is_none() && aws.key.is_none());
    assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        cfg.provider("gcp").unwrap().project.as_deref(),
        Some("my-project")
    );
}

#[test]
fn bedrock_goes_through_the_proxy_unless_direct_or_the_ledger_is_off() {
    let src = |head: &str, direct: &str| {
        format!(
            "{head}\n[providers.aws]\napi = \"bedrock\"\nregion = \"us-east-1\"\n{direct}\n\
             [providers.gcp]\napi = \"vertex\"\nregion = \"global\"\n\
             [profiles.b]\nprovider = \"aws\"\nmain = \"m\"\n"
        )
    };
    let cfg = mk_config(&src("", ""));
    assert!(cfg.provider("aws").unwrap().proxied());
    assert!(
        cfg.provider("gcp").unwrap().proxied(),
        "Vertex goes through the proxy too"
    );
    assert!(
        !mk_config(&src("", "direct = true"))
            .provider("aws")
            .unwrap()
            .proxied()
    );
    assert!(
        !mk_config(&src("ledger = false", ""))
            .provider("aws")
            .unwrap()
            .proxied()
    );
    let forced = mk_config(&src("ledger = false", "direct = false"));
    assert!(forced.provider("aws").unwrap().proxied());
    // Through the proxy a Bedrock slot may have fallbacks; direct, not.
    let chain = "[profiles.c]\nprovider = \"aws\"\nmain = [\"m\", \"n\"]\n";
    let ok = format!("{}{chain}", src("", ""));
    assert!(mk_config(&ok).profiles.contains_key("c"));
    let direct = format!("{}{chain}", src("", "direct = true"));
    let err = crate::config::parse(Path::new("t.toml"), &direct, &Presets::builtin()).unwrap_err();
    assert!(err.to_string().contains("proxy"), "{err}");
}

#[test]
fn proxy_passwords_are_redacted_for_display() {
    let cfg = mk_config(
        r#"
[providers.ds]
preset = "deepseek"
proxy = "socks5://user:s3cret@127.0.0.1:1080"
"#,
    );
    let p = cfg.provider("ds").unwrap();
    let shown = serde_json::to_string(p).unwrap();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("socks5://user:****@127.0.0.1:1080"),
        "{shown}"
    );
    assert_eq!(p.proxy.as_ref().unwrap().password(), Some("s3cret"));
}

#[test]
fn a_bad_base_url_is_named_without_its_password() {
    set_lang(Lang::En);
    for url in [
        "ftp://ana:pw-s3cret@llm.example/v1",
        "https://ana:pw-s3cret@llm.example/v1?x=1",
        "https://ana:pw-s3cret@[::1/v1",
    ] {
        let src = format!("[providers.p]\napi = \"openai\"\nbase_url = \"{url}\"\n");
        let e = parse(Path::new("c.toml"), &src, &Presets::builtin()).unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains("pw-s3cret"), "{text}");
        assert!(text.contains("ana:****@"), "{text}");
    }
}

const CHAINS: &str = r#"
[providers.ds]
preset = "deepseek"
[providers.kimi]
preset = "moonshot"
[profiles.p]
provider = "ds"
main = ["deepseek-v4-pro", { provider = "kimi", model = "kimi-k2" }, "deepseek-v4-flash"]
fast = "deepseek-v4-flash"
"#;

#[test]
fn a_slot_may_be_a_fallback_chain() {
    let cfg = mk_config(CHAINS);
    let p = &cfg.profiles["p"];
    let chain: Vec<(&str, &str)> = p.main.targets().collect();
    assert_eq!(
        chain,
        [
            ("ds", "deepseek-v4-pro"),
            ("kimi", "kimi-k2"),
            ("ds", "deepseek-v4-flash")
        ]
    );
    assert!(p.fast.fallbacks.is_empty());
    assert_eq!(p.providers(), ["ds", "kimi"]);
    assert!(p.has_fallbacks());
}

#[test]
fn bad_chains_are_refused_with_their_line() {
    set_lang(Lang::En);
    let bad = |main: &str| {
        let src = CHAINS.replace(
            r#"main = ["deepseek-v4-pro", { provider = "kimi", model = "kimi-k2" }, "deepseek-v4-flash"]"#,
            main,
        );
        parse(Path::new("config.toml"), &src, &Presets::builtin())
            .expect_err(main)
            .to_string()
    };
    assert!(bad("main = []").contains(":8:"), "{}", bad("main = []"));
    let nested = bad(r#"main = ["a", ["b"]]"#);
    assert!(nested.contains("a model id, or a table"), "{nested}");
    let missing = bad(r#"main = ["a", { provider = "nope", model = "b" }]"#);
    assert!(missing.contains("nope"), "{missing}");
    assert!(bad(r#"main = ["a", ""]"#).contains(":8:"));
}

#[test]
fn direct_profiles_cannot_fall_back() {
    set_lang(Lang::En);
    let src = r#"
[providers.a]
preset = "anthropic"
[profiles.p]
provider = "a"
direct = true
main = ["claude-opus-4-5", "claude-sonnet-4-5"]
"#;
    let e = parse(Path::new("config.toml"), src, &Presets::builtin())
        .expect_err("direct with a chain")
        .to_string();
    assert!(e.contains("fallback chain"), "{e}");
}

#[test]
fn setting_a_slot_keeps_its_fallback_chain() {
    let cfg = mk_config(CHAINS);
    let mut doc: toml_edit::DocumentMut = CHAINS.parse().expect("toml");
    let change = super::edit::ProfileChange {
        slots: vec![(
            "main",
            super::edit::SlotValue {
                provider: None,
                model: "deepseek-v4-flash".into(),
            },
        )],
        ..Default::default()
    };
    super::edit::edit_profile(&mut doc, &cfg, "p", &change).expect("edit");
    let after = mk_config(&doc.to_string());
    let chain: Vec<(&str, &str)> = after.profiles["p"].main.targets().collect();
    assert_eq!(
        chain,
        [
            ("ds", "deepseek-v4-flash"),
            ("kimi", "kimi-k2"),
            ("ds", "deepseek-v4-flash")
        ]
    );
}

#[test]
fn extra_keys_need_one_source_each() {
    set_lang(Lang::En);
    let src = |keys: &str| format!("[providers.ds]\npreset = \"deepseek\"\nextra_keys = {keys}\n");
    let cfg = mk_config(&src(
        r#"[{ env = "DS_2" }, { command = "pass show ds3" }, { keyring = "4" }]"#,
    ));
    assert_eq!(
        cfg.providers["ds"].extra_keys,
        [
            crate::config::ExtraKey::Env("DS_2".into()),
            crate::config::ExtraKey::Command("pass show ds3".into()),
            crate::config::ExtraKey::Keyring("4".into()),
        ]
    );
    for bad in [
        r#"[{ env = "A", keyring = "2" }]"#,
        r#"[{}]"#,
        r#"[{ env = "not a name" }]"#,
        r#"[{ keyring = "a:b" }]"#,
    ] {
        let e = parse(Path::new("config.toml"), &src(bad), &Presets::builtin())
            .expect_err(bad)
            .to_string();
        assert!(e.contains("exactly one source"), "{bad}: {e}");
    }
}

#[test]
fn auth_none_without_a_preset_needs_no_key() {
    let cfg = mk_config(
        r#"
[providers.gw]
api = "openai"
base_url = "http://127.0.0.1:4000/v1"
auth = "none"
[providers.plain]
api = "openai"
base_url = "http://127.0.0.1:4001/v1"
"#,
    );
    let gw = cfg.provider("gw").unwrap();
    assert!(gw.key.is_none(), "{:?}", gw.key);
    assert_eq!(gw.auth, AuthStyle::None);
    // Without `auth = "none"`, a preset-less provider still has a key.
    assert!(cfg.provider("plain").unwrap().key.keyring);
}

/// `~` in a path means the home the caller knows (`Paths::home`, read from
/// the context's environment), for every config `load` and `store` make;
/// with none known it stays as written.
#[test]
fn a_tilde_in_a_path_is_the_home_the_caller_knows() {
    set_lang(Lang::En);
    let src = "claude_path = \"~/bin/claude\"\n\
               [providers.ds]\npreset = \"deepseek\"\nkey = { env = \"K\" }\nca_file = \"~\\\\ca.pem\"\n\
               [profiles.a]\nprovider = \"ds\"\nmain = \"m\"\nclaude_path = \"~/b/claude\"\n";
    let dir = tempfile::tempdir().unwrap();
    let home = Path::new("/home/u");
    let paths = Paths {
        home: Some(home.to_path_buf()),
        ..Paths::under(dir.path())
    };
    std::fs::write(&paths.config_file, src).unwrap();
    let (cfg, _) = load(&paths).unwrap();
    assert_eq!(
        cfg.claude_path.as_deref(),
        Some(home.join("bin/claude").as_path())
    );
    assert_eq!(
        cfg.profiles["a"].claude_path.as_deref(),
        Some(home.join("b/claude").as_path())
    );
    assert_eq!(
        cfg.providers["ds"].ca_file.as_deref(),
        Some(home.join("ca.pem").as_path())
    );
    assert_eq!(cfg.home.as_deref(), Some(home));
    let previewed = store::preview(&paths, |_, _| Ok::<_, ConfigError>(())).unwrap();
    assert_eq!(previewed.claude_path, cfg.claude_path);

    let unknown = mk_config(src);
    assert_eq!(
        unknown.claude_path.as_deref(),
        Some(Path::new("~/bin/claude"))
    );
    assert_eq!(unknown.home, None);
}

#[test]
fn vertex_goes_through_the_proxy_unless_direct_or_the_ledger_is_off() {
    let src = |head: &str, direct: &str| {
        format!(
            "{head}\n[providers.gcp]\napi = \"vertex\"\nregion = \"global\"\nproject = \"p\"\n{direct}\n\
             [profiles.v]\nprovider = \"gcp\"\nmain = \"claude-haiku-4-5@20251001\"\n"
        )
    };
    let proxied = |src: &str| mk_config(src).provider("gcp").unwrap().proxied();
    assert!(proxied(&src("", "")));
    assert!(!proxied(&src("", "direct = true")));
    assert!(!proxied(&src("ledger = false", "")));
    assert!(proxied(&src("ledger = false", "direct = false")));
}

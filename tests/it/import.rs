//! `ccswitch import` from fixture files of each source (claude-code-router
//! configs full, partial and broken; a Claude Code settings file; the
//! shell's variables; a LiteLLM config; cc-switch's database and its older
//! `config.json`), checked for the TOML written, the keys in a real Secret
//! Service, the skipped-entry list, and a second import adding nothing.

use crate::support::{Home, SecretService, import_env};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The config an import wrote, parsed, once none of `secrets` is in its
/// text.
#[track_caller]
fn parsed_without(text: &str, secrets: &[&str]) -> toml::Value {
    for secret in secrets {
        assert!(!text.contains(secret), "{text}");
    }
    toml::from_str(text).unwrap()
}

/// Its providers' names, in the file's order.
fn provider_names(cfg: &toml::Value) -> Vec<&String> {
    cfg["providers"].as_table().unwrap().keys().collect()
}

/// Each dotted path of the config (`providers.x.key.env`) holds that
/// string.
#[track_caller]
fn has_strings(cfg: &toml::Value, expected: &[(&str, &str)]) {
    for (path, want) in expected {
        let got = path
            .split('.')
            .try_fold(cfg, |v, k| v.get(k))
            .and_then(toml::Value::as_str);
        assert_eq!(got, Some(*want), "{path}");
    }
}

/// `ccswitch key status` finds each of these providers' keys in the
/// keyring.
#[track_caller]
fn keys_in_the_keyring(home: &Home, env: &[(&str, &str)], providers: &[&str]) {
    let status = home.run_env(&["key", "status", "--json"], env).ok().json();
    for name in providers {
        let row = status
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == *name)
            .unwrap();
        assert_eq!(row["source"]["kind"], "keyring", "{name}: {status}");
    }
}

/// Importing again (`ccswitch ARGS`) adds nothing: it says so, and the
/// config is still `config`. What it printed.
#[track_caller]
fn nothing_new(home: &Home, args: &[&str], env: &[(&str, &str)], config: &str) -> String {
    let again = home.run_env(args, env);
    again.ok();
    assert!(
        again.stdout.contains("Nothing new to import"),
        "{}",
        again.stdout
    );
    assert_eq!(home.read_config(), config);
    again.stdout.clone()
}

const EXISTING: &str = "[providers.deepseek]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
                        [profiles.ccr]\nprovider = \"deepseek\"\nmain = \"deepseek-v4-pro\"\n";

#[test]
fn a_claude_code_router_config_with_keys_into_a_real_keyring() {
    let ss = SecretService::start();
    let user = tempfile::tempdir().unwrap();
    let mut env = ss.env();
    env.push(("HOME", user.path().to_str().unwrap()));
    let home = Home::new();
    home.write_config(EXISTING);
    let from = fixture("ccr-config.json");

    // The dry run writes nothing and shows keys only by where they are.
    let r = home.run_env(&["import", "--from", &from, "--dry-run"], &env);
    r.ok();
    assert_eq!(home.read_config(), EXISTING);
    assert!(!r.stdout.contains("sk-or-literal"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("# key: <from the api_key of openrouter in"),
        "{}",
        r.stdout
    );

    let r = home.run_env(&["import", "--from", &from], &env);
    r.ok();
    let text = home.read_config();
    for own in [
        "[providers.deepseek]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n",
        "[profiles.ccr]\nprovider = \"deepseek\"\nmain = \"deepseek-v4-pro\"\n",
    ] {
        assert!(text.contains(own), "the file's own lines stay:\n{text}");
    }
    let cfg = parsed_without(&text, &["sk-or-literal", "ccr-own-secret"]);
    assert_eq!(
        provider_names(&cfg),
        ["deepseek", "openrouter", "deepseek-2", "ollama", "gemini"],
        "a clash gets a suffix"
    );
    let providers = cfg["providers"].as_table().unwrap();
    has_strings(
        &cfg,
        &[
            ("providers.deepseek-2.key.env", "DEEPSEEK_API_KEY"),
            ("providers.deepseek-2.api", "openai"),
            ("providers.gemini.preset", "gemini"),
        ],
    );
    assert!(
        providers["ollama"].get("key").is_none(),
        "a local server needs none"
    );
    assert!(
        providers["ollama"].get("proxy").is_none(),
        "never proxy loopback"
    );
    has_strings(
        &cfg,
        &[
            ("providers.openrouter.proxy", "http://127.0.0.1:7890"),
            ("profiles.ccr-2.provider", "deepseek-2"),
            ("profiles.ccr-2.main", "deepseek-chat"),
            ("profiles.ccr-2.fast.provider", "ollama"),
            ("profiles.ccr-2.long_context.provider", "openrouter"),
        ],
    );
    // Every entry not imported, with why.
    for skipped in [
        "broken: no api_base_url",
        "transformer `customparams`",
        "Router.think",
        "Router.webSearch",
        "Router.longContextThreshold",
    ] {
        assert!(r.stdout.contains(skipped), "{skipped}:\n{}", r.stdout);
    }
    // The key is in the Secret Service, under the provider's name.
    keys_in_the_keyring(&home, &env, &["openrouter"]);
    home.run_env(&["config", "check"], &env).ok();
}

#[test]
fn partial_and_broken_sources_write_nothing_half() {
    let home = Home::new();
    home.write_config(EXISTING);
    // Broken: an error naming the file; nothing written.
    let r = home.run(&["import", "--from", &fixture("ccr-broken.json")]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("ccr-broken.json"), "{}", r.stderr);
    assert_eq!(home.read_config(), EXISTING);
    // Partial: the good provider would go to the keyring, which this test
    // has none of: refused as a whole, nothing written.
    let partial = fixture("ccr-partial.json");
    let r = home.run(&["import", "--from", &partial]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("OS keyring"), "{}", r.stderr);
    assert_eq!(home.read_config(), EXISTING);
    let r = home.run(&["import", "--from", &partial, "--dry-run"]);
    r.ok();
    for skipped in [
        "nourl: no api_base_url",
        "badurl: api_base_url `not a url` is not a URL",
        "Router: routes to provider `missing`",
    ] {
        assert!(r.stdout.contains(skipped), "{skipped}:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("[providers.siliconflow]"), "{}", r.stdout);
    // A settings file with nothing of Claude Code's routing in it.
    let plain = home.path().join("settings.json");
    std::fs::write(&plain, r#"{"env": {"DISABLE_TELEMETRY": "1"}}"#).unwrap();
    let r = home.run(&["import", "--from", plain.to_str().unwrap()]);
    r.ok();
    assert!(r.stdout.contains("Nothing to import in"), "{}", r.stdout);
    assert_eq!(home.read_config(), EXISTING);
}

#[test]
fn claude_settings_and_shell_variables_are_found_without_from() {
    let ss = SecretService::start();
    let mut env = ss.env();
    let user = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(user.path().join(".claude")).unwrap();
    std::fs::copy(
        fixture("claude-settings.json"),
        user.path().join(".claude/settings.json"),
    )
    .unwrap();
    let user_home = user.path().to_str().unwrap().to_string();
    env.extend([
        ("HOME", user_home.as_str()),
        ("ANTHROPIC_BASE_URL", "http://localhost:4000"),
        ("ANTHROPIC_AUTH_TOKEN", "sk-gateway"),
        ("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
        // Whatever the machine running the test has: empty is unset.
        ("NODE_EXTRA_CA_CERTS", ""),
        ("HTTPS_PROXY", ""),
        ("https_proxy", ""),
        ("ANTHROPIC_API_KEY", ""),
        ("CLAUDE_CODE_USE_BEDROCK", ""),
        ("CLAUDE_CODE_USE_VERTEX", ""),
    ]);
    let home = Home::new();
    let r = home.run_env(&["import", "--keep-env"], &env);
    r.ok();
    assert!(r.stdout.contains("From the environment:"), "{}", r.stdout);
    let text = home.read_config();
    let cfg = parsed_without(&text, &["sk-kimi-from-settings", "sk-gateway"]);
    // The shell's gateway on localhost:4000 is LiteLLM's proxy: its preset
    // (whose URL says 127.0.0.1, dodging the IPv6 trap), the key a
    // reference to the variable.
    let gw = &cfg["providers"]["litellm"];
    assert_eq!(gw["preset"].as_str(), Some("litellm"), "{text}");
    assert!(gw.get("base_url").is_none(), "{text}");
    assert!(gw.get("ca_file").is_none(), "{text}");
    // The settings file's Kimi: the preset, its key into the keyring.
    has_strings(
        &cfg,
        &[
            ("providers.litellm.key.env", "ANTHROPIC_AUTH_TOKEN"),
            ("profiles.litellm.main", "claude-sonnet-4-5"),
            ("providers.moonshot.preset", "moonshot"),
            ("profiles.moonshot.fast", "kimi-k3-turbo"),
        ],
    );
    assert_eq!(
        cfg["providers"]["moonshot"]["key"]["keyring"].as_bool(),
        Some(true)
    );
    keys_in_the_keyring(&home, &env, &["moonshot"]);
}

/// The LiteLLM config a gateway article writes: Claude's model names mapped
/// to other providers. ccswitch takes the gateway's place.
#[test]
fn a_litellm_config_becomes_providers_and_a_profile() {
    let ss = SecretService::start();
    let env = ss.env();
    let home = Home::new();
    let r = home.run_env(&["import", "--from", &fixture("litellm-config.yaml")], &env);
    r.ok();
    let text = home.read_config();
    let cfg = parsed_without(&text, &["sk-dashscope-literal", "sk-1234"]);
    assert_eq!(
        provider_names(&cfg),
        ["deepseek", "qwen", "moonshot", "ollama"],
        "two entries on DeepSeek with one key share a provider"
    );
    has_strings(
        &cfg,
        &[
            ("providers.deepseek.key.env", "DEEPSEEK_API_KEY"),
            (
                "providers.qwen.base_url",
                "https://dashscope.aliyuncs.com/compatible-mode/v1",
            ),
            ("profiles.litellm.provider", "deepseek"),
            ("profiles.litellm.main", "deepseek-chat"),
            ("profiles.litellm.fast.model", "qwen-turbo"),
            ("profiles.litellm.opus.provider", "moonshot"),
        ],
    );
    for skipped in [
        "azure-gpt (azure/gpt-4o): no preset for LiteLLM's `azure/`",
        "nothing-here: no litellm_params.model",
        "deepseek-reasoner: not a name Claude Code asks for",
    ] {
        assert!(r.stdout.contains(skipped), "{skipped}:\n{}", r.stdout);
    }
    keys_in_the_keyring(&home, &env, &["qwen"]);
    // A second import of the same file adds nothing: the same providers
    // (keys compared in the keyring) and the same profile are there.
    let before = home.read_config();
    let from = fixture("litellm-config.yaml");
    let again = nothing_new(&home, &["import", "--from", &from], &env, &before);
    assert!(
        again.contains("profile litellm: the same as litellm"),
        "{again}"
    );
    // A dry run then says the same, without an empty "would add" block.
    let dry = nothing_new(
        &home,
        &["import", "--from", &from, "--dry-run"],
        &env,
        &before,
    );
    assert!(!dry.contains("would be added"), "{dry}");
}

/// The first import into an empty config makes its first profile the
/// default, as `profile add` and the TUI do, and says so; an import into a
/// config that has profiles leaves the default alone.
#[test]
fn an_import_into_an_empty_config_sets_the_default() {
    let ss = SecretService::start();
    let env = ss.env();
    let home = Home::new();
    let r = home.run_env(&["import", "--from", &fixture("litellm-config.yaml")], &env);
    r.ok();
    let cfg: toml::Value = toml::from_str(&home.read_config()).unwrap();
    assert_eq!(cfg["default"].as_str(), Some("litellm"));
    assert!(
        r.stdout.contains("`litellm` is now the default profile"),
        "{}",
        r.stdout
    );
    let other = Home::new();
    other.write_config(EXISTING);
    let r = other.run_env(&["import", "--from", &fixture("litellm-config.yaml")], &env);
    r.ok();
    let cfg: toml::Value = toml::from_str(&other.read_config()).unwrap();
    assert!(cfg.get("default").is_none(), "{cfg}");
    assert!(!r.stdout.contains("default profile"), "{}", r.stdout);
}

/// cc-switch's database is found in `~/.cc-switch` without `--from`. Its
/// current provider, which cc-switch also wrote into
/// `~/.claude/settings.json`, is imported once; a second import adds
/// nothing; the database is never changed.
#[test]
fn cc_switch_providers_once_into_a_real_keyring() {
    let ss = SecretService::start();
    let user = tempfile::tempdir().unwrap();
    let env = import_env(&ss.env(), user.path());
    let dir = user.path().join(".cc-switch");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("cc-switch.db");
    let sql = std::fs::read_to_string(fixture("cc-switch.sql")).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(&sql)
        .unwrap();
    let db_bytes = std::fs::read(&db).unwrap();
    // What cc-switch writes into Claude Code's settings on a switch.
    std::fs::create_dir_all(user.path().join(".claude")).unwrap();
    std::fs::write(
        user.path().join(".claude/settings.json"),
        r#"{"env": {"ANTHROPIC_BASE_URL": "https://api.deepseek.com/anthropic",
            "ANTHROPIC_AUTH_TOKEN": "sk-ccs-deepseek-0001",
            "ANTHROPIC_MODEL": "deepseek-v4-pro",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": "deepseek-v4-flash",
            "API_TIMEOUT_MS": "600000"}, "permissions": {"allow": []}}"#,
    )
    .unwrap();
    let home = Home::new();

    let dry = home.run_env(&["import", "--dry-run"], &env);
    dry.ok();
    assert!(!dry.stdout.contains("sk-ccs-"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains(&format!("From {}:", db.display())),
        "{}",
        dry.stdout
    );
    for line in [
        "provider DeepSeek: the same as deepseek",
        "profile DeepSeek: the same as deepseek",
        "Claude Official: no base URL and no key",
        "Half typed: its stored settings are not JSON",
        "a profile for Team gateway: no model set",
        "key <ANTHROPIC_AUTH_TOKEN in Kimi (China) (",
    ] {
        assert!(dry.stdout.contains(line), "{line}:\n{}", dry.stdout);
    }
    assert!(!dry.stdout.contains("OpenAI for Codex"), "{}", dry.stdout);

    home.run_env(&["import"], &env).ok();
    let text = home.read_config();
    let cfg = parsed_without(&text, &["sk-ccs-"]);
    assert_eq!(
        provider_names(&cfg),
        ["deepseek", "team-gateway", "kimi-china"],
        "in cc-switch's order: {text}"
    );
    // The China site is not the preset's own URL.
    has_strings(
        &cfg,
        &[
            ("providers.kimi-china.preset", "moonshot"),
            (
                "providers.kimi-china.base_url",
                "https://api.moonshot.cn/anthropic",
            ),
            ("providers.team-gateway.preset", "custom-anthropic"),
            ("profiles.kimi-china.main", "kimi-k2.6"),
            ("profiles.deepseek.fast", "deepseek-v4-flash"),
        ],
    );
    keys_in_the_keyring(&home, &env, &["deepseek", "kimi-china", "team-gateway"]);

    // Again: everything is there, keys compared in the keyring.
    nothing_new(&home, &["import"], &env, &text);
    assert_eq!(std::fs::read(&db).unwrap(), db_bytes, "cc-switch's file");
}

#[test]
fn an_older_cc_switch_config_json_and_a_file_that_is_not_one() {
    let home = Home::new();
    let from = fixture("cc-switch-config-v2.json");
    let r = home.run(&["import", "--from", &from, "--dry-run"]);
    r.ok();
    assert!(r.stdout.contains("[providers.glm]"), "{}", r.stdout);
    assert!(r.stdout.contains("preset = \"zhipu\""), "{}", r.stdout);
    assert!(r.stdout.contains("main = \"glm-5.1\""), "{}", r.stdout);
    // A SQLite file that is not cc-switch's: an error naming it.
    let other = home.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .unwrap();
    let r = home.run(&["import", "--from", other.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("other.db"), "{}", r.stderr);
    assert!(
        r.stderr.contains("no such table: providers"),
        "{}",
        r.stderr
    );
}

//! `ccswitch import` from fixture files of each source (claude-code-router
//! configs full, partial and broken; a Claude Code settings file; the
//! shell's variables; a LiteLLM config; cc-switch's database and its older
//! `config.json`), checked for the TOML written, the keys in a real Secret
//! Service, the skipped-entry list, and a second import adding nothing.

use crate::support::{Home, SecretService};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

const EXISTING: &str = "[providers.deepseek]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
                        [profiles.ccr]\nprovider = \"deepseek\"\nmain = \"deepseek-v4-pro\"\n";

#[test]
fn a_claude_code_router_config_with_keys_into_a_real_keyring() {
    let ss = SecretService::start();
    let env: Vec<(&str, String)> = ss.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let user = tempfile::tempdir().unwrap();
    let user_home = user.path().to_str().unwrap().to_string();
    env.push(("HOME", &user_home));
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
    assert!(
        !text.contains("sk-or-literal") && !text.contains("ccr-own-secret"),
        "{text}"
    );
    let cfg: toml::Value = toml::from_str(&text).unwrap();
    let providers = cfg["providers"].as_table().unwrap();
    let names: Vec<&String> = providers.keys().collect();
    assert_eq!(
        names,
        ["deepseek", "openrouter", "deepseek-2", "ollama", "gemini"],
        "a clash gets a suffix"
    );
    assert_eq!(
        providers["deepseek-2"]["key"]["env"].as_str(),
        Some("DEEPSEEK_API_KEY")
    );
    assert_eq!(providers["deepseek-2"]["api"].as_str(), Some("openai"));
    assert_eq!(providers["gemini"]["preset"].as_str(), Some("gemini"));
    assert!(
        providers["ollama"].get("key").is_none(),
        "a local server needs none"
    );
    assert!(
        providers["ollama"].get("proxy").is_none(),
        "never proxy loopback"
    );
    assert_eq!(
        providers["openrouter"]["proxy"].as_str(),
        Some("http://127.0.0.1:7890")
    );
    let profile = &cfg["profiles"]["ccr-2"];
    assert_eq!(profile["provider"].as_str(), Some("deepseek-2"));
    assert_eq!(profile["main"].as_str(), Some("deepseek-chat"));
    assert_eq!(profile["fast"]["provider"].as_str(), Some("ollama"));
    assert_eq!(
        profile["long_context"]["provider"].as_str(),
        Some("openrouter")
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
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    let or = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "openrouter")
        .unwrap();
    assert_eq!(or["source"]["kind"], "keyring", "{status}");
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
    let env: Vec<(&str, String)> = ss.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
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
    assert!(!text.contains("sk-kimi-from-settings") && !text.contains("sk-gateway"));
    let cfg: toml::Value = toml::from_str(&text).unwrap();
    // The shell's gateway on localhost:4000 is LiteLLM's proxy: its preset
    // (whose URL says 127.0.0.1, dodging the IPv6 trap), the key a
    // reference to the variable.
    let gw = &cfg["providers"]["litellm"];
    assert_eq!(gw["preset"].as_str(), Some("litellm"), "{text}");
    assert!(gw.get("base_url").is_none(), "{text}");
    assert!(gw.get("ca_file").is_none(), "{text}");
    assert_eq!(gw["key"]["env"].as_str(), Some("ANTHROPIC_AUTH_TOKEN"));
    assert_eq!(
        cfg["profiles"]["litellm"]["main"].as_str(),
        Some("claude-sonnet-4-5")
    );
    // The settings file's Kimi: the preset, its key into the keyring.
    let kimi = &cfg["providers"]["moonshot"];
    assert_eq!(kimi["preset"].as_str(), Some("moonshot"));
    assert_eq!(kimi["key"]["keyring"].as_bool(), Some(true));
    assert_eq!(
        cfg["profiles"]["moonshot"]["fast"].as_str(),
        Some("kimi-k3-turbo")
    );
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    let kimi = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "moonshot")
        .unwrap();
    assert_eq!(kimi["source"]["kind"], "keyring", "{status}");
}

/// The LiteLLM config a gateway article writes: Claude's model names mapped
/// to other providers. ccswitch takes the gateway's place.
#[test]
fn a_litellm_config_becomes_providers_and_a_profile() {
    let ss = SecretService::start();
    let env: Vec<(&str, String)> = ss.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let home = Home::new();
    let r = home.run_env(&["import", "--from", &fixture("litellm-config.yaml")], &env);
    r.ok();
    let text = home.read_config();
    assert!(
        !text.contains("sk-dashscope-literal") && !text.contains("sk-1234"),
        "{text}"
    );
    let cfg: toml::Value = toml::from_str(&text).unwrap();
    let providers = cfg["providers"].as_table().unwrap();
    let names: Vec<&String> = providers.keys().collect();
    assert_eq!(
        names,
        ["deepseek", "qwen", "moonshot", "ollama"],
        "two entries on DeepSeek with one key share a provider"
    );
    assert_eq!(
        providers["deepseek"]["key"]["env"].as_str(),
        Some("DEEPSEEK_API_KEY")
    );
    assert_eq!(
        providers["qwen"]["base_url"].as_str(),
        Some("https://dashscope.aliyuncs.com/compatible-mode/v1")
    );
    let p = &cfg["profiles"]["litellm"];
    assert_eq!(p["provider"].as_str(), Some("deepseek"));
    assert_eq!(p["main"].as_str(), Some("deepseek-chat"));
    assert_eq!(p["fast"]["model"].as_str(), Some("qwen-turbo"));
    assert_eq!(p["opus"]["provider"].as_str(), Some("moonshot"));
    for skipped in [
        "azure-gpt (azure/gpt-4o): no preset for LiteLLM's `azure/`",
        "nothing-here: no litellm_params.model",
        "deepseek-reasoner: not a name Claude Code asks for",
    ] {
        assert!(r.stdout.contains(skipped), "{skipped}:\n{}", r.stdout);
    }
    let status = home.run_env(&["key", "status", "--json"], &env);
    let status = status.ok().json();
    let qwen = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "qwen")
        .unwrap();
    assert_eq!(qwen["source"]["kind"], "keyring", "{status}");
    // A second import of the same file adds nothing: the same providers
    // (keys compared in the keyring) and the same profile are there.
    let before = home.read_config();
    let again = home.run_env(&["import", "--from", &fixture("litellm-config.yaml")], &env);
    again.ok();
    assert!(
        again.stdout.contains("Nothing new to import"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("profile litellm: the same as litellm"),
        "{}",
        again.stdout
    );
    assert_eq!(home.read_config(), before);
}

/// The user's environment without Claude Code variables of the machine
/// running the test, plus the Secret Service and `HOME`.
fn clean_env<'a>(ss: &'a [(&'a str, String)], home: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut env: Vec<(&str, &str)> = ss.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("HOME", home));
    for var in [
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_MODEL",
        "NODE_EXTRA_CA_CERTS",
        "HTTPS_PROXY",
        "https_proxy",
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
        "CLAUDE_CONFIG_DIR",
        "CC_SWITCH_CONFIG_DIR",
    ] {
        env.push((var, ""));
    }
    env
}

/// cc-switch's database is found in `~/.cc-switch` without `--from`. Its
/// current provider, which cc-switch also wrote into
/// `~/.claude/settings.json`, is imported once; a second import adds
/// nothing; the database is never changed.
#[test]
fn cc_switch_providers_once_into_a_real_keyring() {
    let ss = SecretService::start();
    let ss_env = ss.env();
    let user = tempfile::tempdir().unwrap();
    let user_home = user.path().to_str().unwrap().to_string();
    let env = clean_env(&ss_env, &user_home);
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
    assert!(!text.contains("sk-ccs-"), "{text}");
    let cfg: toml::Value = toml::from_str(&text).unwrap();
    let providers = cfg["providers"].as_table().unwrap();
    let names: Vec<&String> = providers.keys().collect();
    assert_eq!(
        names,
        ["deepseek", "team-gateway", "kimi-china"],
        "in cc-switch's order: {text}"
    );
    assert_eq!(providers["kimi-china"]["preset"].as_str(), Some("moonshot"));
    assert_eq!(
        providers["kimi-china"]["base_url"].as_str(),
        Some("https://api.moonshot.cn/anthropic"),
        "the China site is not the preset's own URL"
    );
    assert_eq!(
        providers["team-gateway"]["preset"].as_str(),
        Some("custom-anthropic")
    );
    let kimi = &cfg["profiles"]["kimi-china"];
    assert_eq!(kimi["main"].as_str(), Some("kimi-k2.6"));
    assert_eq!(
        cfg["profiles"]["deepseek"]["fast"].as_str(),
        Some("deepseek-v4-flash")
    );
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    for name in ["deepseek", "kimi-china", "team-gateway"] {
        let row = status
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == name)
            .unwrap();
        assert_eq!(row["source"]["kind"], "keyring", "{name}: {status}");
    }

    // Again: everything is there, keys compared in the keyring.
    let again = home.run_env(&["import"], &env);
    again.ok();
    assert!(
        again.stdout.contains("Nothing new to import"),
        "{}",
        again.stdout
    );
    assert_eq!(home.read_config(), text);
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

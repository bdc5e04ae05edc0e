//! `ccswitch provider edit`: a saved provider's API kind, URL, key source,
//! proxy and CA file change with the checks `provider add` makes, through
//! the same locked, atomic, comment-keeping write with a backup (issue 27,
//! wart 4).

use crate::support::Home;

const DEEPSEEK: &str = "# my providers\n[providers.ds]\npreset = \"deepseek\"   # native\n\
                        key = { env = \"DS_KEY\" }\n\
                        [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n";

fn show(home: &Home, name: &str) -> serde_json::Value {
    home.run(&["provider", "show", name, "--json"]).ok().json()
}

#[test]
fn the_api_kind_changes_and_the_presets_url_follows() {
    let home = Home::new();
    home.write_config(DEEPSEEK);
    let r = home.run(&["provider", "edit", "ds", "--api", "openai"]);
    r.ok();
    assert!(
        r.stdout
            .contains("Updated provider `ds` (DeepSeek, openai)"),
        "{}",
        r.stdout
    );
    let ds = show(&home, "ds");
    assert_eq!(ds["api"], "openai");
    assert_eq!(ds["base_url"], "https://api.deepseek.com/v1");
    let text = home.read_config();
    assert!(text.contains("# my providers"), "{text}");
    assert!(text.contains("preset = \"deepseek\"   # native"), "{text}");
    assert!(text.contains("api = \"openai\""), "{text}");
    let bak = std::fs::read_to_string(home.path().join("config.toml.bak")).unwrap();
    assert_eq!(bak, DEEPSEEK, "the backup is the file before the edit");

    // A URL of the preset's, written out, gives way to the new kind's...
    home.run(&[
        "provider",
        "edit",
        "ds",
        "--base-url",
        "https://api.deepseek.com/v1",
    ])
    .ok();
    home.run(&["provider", "edit", "ds", "--api", "anthropic"])
        .ok();
    let ds = show(&home, "ds");
    assert_eq!(ds["base_url"], "https://api.deepseek.com/anthropic");
    assert!(!home.read_config().contains("base_url"));
    // ... and one of the user's own stays.
    home.run(&[
        "provider",
        "edit",
        "ds",
        "--base-url",
        "https://ds.mirror.example/anthropic",
    ])
    .ok();
    home.run(&["provider", "edit", "ds", "--api", "openai"])
        .ok();
    assert_eq!(
        show(&home, "ds")["base_url"],
        "https://ds.mirror.example/anthropic"
    );
    home.run(&["provider", "edit", "ds", "--unset", "base_url"])
        .ok();
    assert_eq!(show(&home, "ds")["base_url"], "https://api.deepseek.com/v1");
}

#[test]
fn a_replaced_value_keeps_its_comment() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\napi = \"openai\"   # translated, for now\n\
         base_url = \"https://ds.mirror.example/v1\" # the mirror\n",
    );
    home.run(&[
        "provider",
        "edit",
        "ds",
        "--api",
        "anthropic",
        "--base-url",
        "https://ds.mirror.example/anthropic",
    ])
    .ok();
    let text = home.read_config();
    assert!(
        text.contains("api = \"anthropic\"   # translated, for now"),
        "{text}"
    );
    assert!(
        text.contains("base_url = \"https://ds.mirror.example/anthropic\" # the mirror"),
        "{text}"
    );
}

/// What `provider add` refuses, `provider edit` refuses, with the same
/// message, and writes nothing.
#[test]
fn the_checks_of_a_new_provider_apply_and_nothing_is_written() {
    let home = Home::new();
    home.write_config(DEEPSEEK);
    let refused = |args: &[&str], says: &str| {
        let mut all = vec!["provider", "edit"];
        all.extend(args);
        let r = home.run(&all);
        r.fails(2);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert_eq!(home.read_config(), DEEPSEEK, "{args:?} wrote");
    };
    refused(
        &["ds", "--api", "bedrock"],
        "Preset `deepseek` has no `bedrock` endpoint",
    );
    refused(&["ds", "--api", "grpc"], "grpc");
    refused(&["ds", "--base-url", "ftp://x.example"], "ftp://x.example");
    refused(&["ds", "--key-env", "NOT-A-VAR"], "NOT-A-VAR");
    refused(&["ds", "--proxy", "gopher://p.example"], "proxy");
    refused(&["nope", "--api", "openai"], "nope");
    refused(&["ds"], "Nothing to change");
    refused(&["ds", "--unset", "preset"], "--unset preset");
    assert!(!home.path().join("config.toml.bak").exists());

    // A custom provider may take any kind, but an OpenAI or Anthropic one
    // needs a base URL, which Bedrock's gateway field did not keep.
    home.run(&[
        "provider",
        "add",
        "mine",
        "--api",
        "openai",
        "--base-url",
        "http://127.0.0.1:8000/v1",
    ])
    .ok();
    home.run(&["provider", "edit", "mine", "--api", "anthropic"])
        .ok();
    assert_eq!(show(&home, "mine")["base_url"], "http://127.0.0.1:8000/v1");
    home.run(&["provider", "edit", "mine", "--api", "bedrock"])
        .ok();
    assert_eq!(show(&home, "mine")["base_url"], serde_json::Value::Null);
    let before = home.read_config();
    let r = home.run(&["provider", "edit", "mine", "--api", "openai"]);
    r.fails(2);
    assert!(r.stderr.contains("needs a base_url"), "{}", r.stderr);
    assert_eq!(home.read_config(), before);
    home.run(&[
        "provider",
        "edit",
        "mine",
        "--api",
        "openai",
        "--base-url",
        "http://127.0.0.1:8001/v1",
    ])
    .ok();
    assert_eq!(show(&home, "mine")["api"], "openai");
}

#[test]
fn key_source_proxy_and_ca_file_change_and_unset() {
    let home = Home::new();
    home.write_config(DEEPSEEK);
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, "not checked here").unwrap();
    home.run(&[
        "provider",
        "edit",
        "ds",
        "--key-command",
        "pass show ds",
        "--proxy",
        "http://proxy.example:8080",
        "--ca-file",
        ca.to_str().unwrap(),
    ])
    .ok();
    let ds = show(&home, "ds");
    assert_eq!(ds["key"]["command"], "pass show ds");
    assert_eq!(
        ds["key"]["env"],
        serde_json::Value::Null,
        "the key is replaced"
    );
    assert_eq!(ds["proxy"], "http://proxy.example:8080/");
    home.run(&[
        "provider", "edit", "ds", "--unset", "key", "--unset", "proxy", "--unset", "ca_file",
    ])
    .ok();
    let ds = show(&home, "ds");
    assert_eq!(ds["key"]["keyring"], true, "the preset's default source");
    assert_eq!(ds["proxy"], serde_json::Value::Null);
    assert_eq!(ds["ca_file"], serde_json::Value::Null);
    // Given and removed at once is a usage error.
    home.run(&[
        "provider",
        "edit",
        "ds",
        "--proxy",
        "http://p.example",
        "--unset",
        "proxy",
    ])
    .fails(2);
}

#[test]
fn a_file_that_does_not_parse_is_never_written_over() {
    let home = Home::new();
    let broken = "[providers.ds]\npreset = \"deepseek\"\nmian = oops\n";
    home.write_config(broken);
    let r = home.run(&["provider", "edit", "ds", "--api", "openai"]);
    r.fails(2);
    assert!(r.stderr.contains("config.toml:3:"), "{}", r.stderr);
    assert_eq!(home.read_config(), broken);
    assert!(!home.path().join("config.toml.bak").exists());
}

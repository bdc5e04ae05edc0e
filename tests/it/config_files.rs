//! Golden configuration files: every invalid fixture produces its own message
//! at its own line and column; the shipped example parses as documented.

use std::path::Path;

use ccswitch::config::{self, Api, Presets};
use ccswitch::i18n::{Lang, set_lang};

/// `# expect: <message>` and `# at: L:C` lines at the top of each fixture.
fn expectation(src: &str, name: &str) -> (String, String) {
    let get = |prefix: &str| {
        src.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{name}: fixture lacks a `{prefix}` line"))
            .trim()
            .to_string()
    };
    (get("# expect:"), get("# at:"))
}

#[test]
fn every_invalid_fixture_reports_its_message_and_location() {
    set_lang(Lang::En);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/invalid");
    let presets = Presets::builtin();
    let mut count = 0;
    let mut messages = std::collections::HashSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&path).unwrap();
        let (message, at) = expectation(&src, &name);
        let err = config::parse(&path, &src, &presets)
            .err()
            .unwrap_or_else(|| panic!("{name}: parsed without error"));
        let text = err.to_string();
        let first = text.lines().next().unwrap();
        let want = format!("{}:{at}: {message}", path.display());
        assert_eq!(first, want, "{name}");
        let fix = text.lines().nth(1).unwrap_or_default();
        assert!(
            fix.trim_start().starts_with("fix: "),
            "{name}: no fix line in\n{text}"
        );
        messages.insert(message);
        count += 1;
    }
    assert!(count >= 25, "only {count} fixtures");
    assert_eq!(messages.len(), count, "two fixtures test the same message");
}

#[test]
fn the_example_config_parses_as_documented() {
    set_lang(Lang::En);
    let cfg = config::parse(
        Path::new("config.example.toml"),
        config::EXAMPLE,
        &Presets::builtin(),
    )
    .unwrap();
    assert_eq!(cfg.default.as_deref(), Some("deepseek"));
    let ds = cfg.provider("deepseek").unwrap();
    assert_eq!(ds.api, Api::Anthropic);
    assert_eq!(
        ds.base_url.as_ref().unwrap().as_str(),
        "https://api.deepseek.com/anthropic"
    );
    assert!(ds.key.keyring && ds.key.env.is_none());

    let ollama = cfg.provider("ollama").unwrap();
    assert_eq!(ollama.api, Api::Openai);
    assert_eq!(
        ollama.base_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:11434/v1"
    );

    let corp = cfg.provider("corp").unwrap();
    assert_eq!(corp.preset.as_deref(), Some("litellm"));
    assert_eq!(corp.key.env.as_deref(), Some("LITELLM_KEY"));
    assert_eq!(corp.proxy.as_ref().unwrap().scheme(), "http");
    assert_eq!(
        corp.ca_file.as_deref(),
        Some(Path::new("/etc/ssl/corp-ca.pem"))
    );

    let mixed = cfg.profile("mixed").unwrap();
    assert_eq!(mixed.main.provider, "deepseek");
    assert_eq!(mixed.fast.provider, "ollama");
    assert_eq!(mixed.fast.model, "qwen3-coder:30b");
    assert_eq!(mixed.providers(), vec!["deepseek", "ollama"]);
    assert_eq!(cfg.profiles_using("ollama"), vec!["mixed"]);
}

#[test]
fn an_empty_file_is_an_empty_config() {
    let cfg = config::parse(Path::new("c.toml"), "", &Presets::builtin()).unwrap();
    assert!(cfg.profiles.is_empty() && cfg.providers.is_empty() && cfg.default.is_none());
}

/// A broken file stops every command with where and how to fix it; only a
/// command that was about to write says that nothing was written (one
/// that only reads, like `run`, had nothing to write).
#[test]
fn only_writing_commands_say_nothing_was_written() {
    let home = crate::support::Home::new();
    home.write_config("[profiles.p\nprovider = \"x\"\n");
    let read = home.run(&["run", "p"]);
    assert_ne!(read.code, 0);
    assert!(
        read.stderr.contains("Correct the TOML syntax"),
        "{}",
        read.stderr
    );
    assert!(
        !read.stderr.contains("Nothing was written"),
        "{}",
        read.stderr
    );
    let write = home.run(&["profile", "default", "p"]);
    assert_ne!(write.code, 0);
    assert!(
        write.stderr.contains("Correct the TOML syntax")
            && write.stderr.contains("Nothing was written"),
        "{}",
        write.stderr
    );
    assert_eq!(home.read_config(), "[profiles.p\nprovider = \"x\"\n");
}

//! Servers on this machine (issue 27): a preset only on its own port, and
//! no proxy or CA file for plain HTTP to loopback.

use super::matching::match_preset;
use super::*;
use crate::config::presets::Presets;
use crate::i18n::{Lang, set_lang};

use super::tests::env;

/// The provider `ANTHROPIC_BASE_URL=url` (and `more`) becomes.
fn from_shell(url: &str, more: &[(&str, &str)]) -> NewProvider {
    let mut vars = vec![("ANTHROPIC_BASE_URL", url), ("ANTHROPIC_MODEL", "m")];
    vars.extend_from_slice(more);
    let f = claude_env::read("x", &env(&vars), false, &Presets::builtin());
    f.providers.into_iter().next().unwrap()
}

fn preset_of(url: &str) -> Option<(String, Api)> {
    match_preset(url, &Presets::builtin())
}

#[test]
fn a_local_url_is_a_preset_only_on_that_presets_port() {
    set_lang(Lang::En);
    for (url, id) in [
        ("http://127.0.0.1:11434", "ollama"),
        ("http://localhost:1234", "lm-studio"),
        ("http://localhost:4000", "litellm"),
        ("http://127.0.0.1:8080", "llama-cpp"),
        ("http://127.0.0.1:8000", "vllm"),
        ("http://[::1]:11434", "ollama"),
    ] {
        assert_eq!(preset_of(url).map(|(p, _)| p).as_deref(), Some(id), "{url}");
    }
    // A mock on a port of its own, claude-code-router's 3456, a bare
    // `localhost` (port 80): this machine, but no preset's server.
    for url in [
        "http://127.0.0.1:18871",
        "http://127.0.0.1:3456",
        "http://localhost",
        "http://[::1]:18871",
    ] {
        assert_eq!(preset_of(url), None, "{url}");
    }
    // The endpoint whose path the URL has wins, not the first on the port.
    assert_eq!(
        preset_of("http://127.0.0.1:11434/v1").unwrap().1,
        Api::Openai
    );
    assert_eq!(
        preset_of("http://localhost:1234/v1/").unwrap().1,
        Api::Openai
    );
    assert_eq!(
        preset_of("http://127.0.0.1:1234").unwrap().1,
        Api::Anthropic
    );
    // Elsewhere the host alone still decides.
    assert_eq!(
        preset_of("https://api.deepseek.com/anthropic").unwrap(),
        ("deepseek".to_string(), Api::Anthropic)
    );
}

#[test]
fn an_unknown_local_server_gets_a_neutral_name_not_a_preset() {
    set_lang(Lang::En);
    for (url, name, base) in [
        (
            "http://127.0.0.1:18871",
            "local-18871",
            "http://127.0.0.1:18871",
        ),
        (
            "http://localhost:3456",
            "local-3456",
            "http://127.0.0.1:3456",
        ),
        ("http://[::1]:18871/", "local-18871", "http://[::1]:18871/"),
    ] {
        let p = from_shell(url, &[]);
        assert_eq!(p.name, name, "{url}");
        assert_eq!(p.preset.as_deref(), Some("custom-anthropic"), "{url}");
        assert_eq!(p.api, Api::Anthropic);
        assert_eq!(p.base_url.as_deref(), Some(base), "{url}");
    }
    // claude-code-router: its own names; the kind from the path.
    let ccr = r#"{"Providers": [
        {"name": "mock", "api_base_url": "http://127.0.0.1:18871/v1/chat/completions"},
        {"name": "mine", "api_base_url": "http://localhost:3456/v1/messages"},
        {"name": "ollama", "api_base_url": "http://localhost:11434/v1/chat/completions"}
    ]}"#;
    let f = ccr::read(ccr, "config.json", &Presets::builtin()).unwrap();
    let got: Vec<_> = f
        .providers
        .iter()
        .map(|p| (p.preset.as_deref().unwrap(), p.api, p.base_url.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "custom-openai",
                Api::Openai,
                Some("http://127.0.0.1:18871/v1")
            ),
            (
                "custom-anthropic",
                Api::Anthropic,
                Some("http://127.0.0.1:3456")
            ),
            ("ollama", Api::Openai, None),
        ]
    );
    // LiteLLM: an OpenAI-compatible server of the user's own.
    let yaml = "model_list:\n  - model_name: claude-sonnet\n    litellm_params:\n      \
                model: openai/qwen\n      api_base: http://127.0.0.1:18871/v1\n";
    let f = litellm::read(yaml, "config.yaml", &Presets::builtin()).unwrap();
    assert_eq!(f.providers[0].preset.as_deref(), Some("custom-openai"));
    assert_eq!(
        f.providers[0].base_url.as_deref(),
        Some("http://127.0.0.1:18871/v1")
    );
}

#[test]
fn plain_http_to_this_machine_takes_no_proxy_or_ca_file() {
    set_lang(Lang::En);
    let net = [
        ("HTTPS_PROXY", "http://proxy.corp:3128"),
        ("NODE_EXTRA_CA_CERTS", "/etc/corp-ca.pem"),
    ];
    for url in [
        "http://127.0.0.1:18871",
        "http://localhost:11434",
        "http://[::1]:4000",
        "http://127.0.0.2:8080",
    ] {
        let p = from_shell(url, &net);
        assert_eq!((p.proxy, p.ca_file), (None, None), "{url}");
    }
    // Where they matter they are kept: a remote service, and TLS to this
    // machine (a local server may use the corporate CA), without a proxy.
    let p = from_shell("https://api.deepseek.com/anthropic", &net);
    assert_eq!(p.proxy.as_deref(), Some("http://proxy.corp:3128"));
    assert_eq!(p.ca_file.as_deref(), Some("/etc/corp-ca.pem"));
    let p = from_shell("https://localhost:8443", &net);
    assert_eq!(
        (p.proxy, p.ca_file.as_deref()),
        (None, Some("/etc/corp-ca.pem"))
    );
    // cc-switch's stored env is read the same way.
    let entry = |name: &str, url: &str| ccswitch::StoredProvider {
        name: name.into(),
        settings: serde_json::json!({"env": {"ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_MODEL": "m", "HTTPS_PROXY": "http://proxy.corp:3128",
            "NODE_EXTRA_CA_CERTS": "/etc/corp-ca.pem"}})
        .to_string(),
    };
    let entries = [
        entry("Local", "http://127.0.0.1:18871"),
        entry("Kimi", "https://api.moonshot.cn/anthropic"),
    ];
    let f = ccswitch::read(&entries, "cc-switch.db", &Presets::builtin()).unwrap();
    assert_eq!(
        (&f.providers[0].proxy, &f.providers[0].ca_file),
        (&None, &None)
    );
    assert!(f.providers[1].proxy.is_some() && f.providers[1].ca_file.is_some());
    // claude-code-router's PROXY_URL: not for any loopback address.
    let ccr = r#"{"PROXY_URL": "http://proxy.corp:3128", "Providers": [
        {"name": "v6", "api_base_url": "http://[::1]:8000/v1/chat/completions"},
        {"name": "lookalike", "api_base_url": "https://localhost.example.com/v1/chat/completions"}
    ]}"#;
    let f = ccr::read(ccr, "config.json", &Presets::builtin()).unwrap();
    assert_eq!(f.providers[0].proxy, None);
    assert_eq!(
        f.providers[1].proxy.as_deref(),
        Some("http://proxy.corp:3128"),
        "a remote host whose name starts with localhost"
    );
}

//! The official `anthropic` Python SDK (pinned, in the venv scripts/test
//! makes) as a client of the proxy, which points at a scripted OpenAI mock:
//! text, thinking, tool input, stop reasons, usage, and the SDK's error
//! classes for an upstream's 401 (a 424 here), 404, 429, 500 and 529.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::support::mock::{self, Mock};
use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang};
use ccswitch::proxy::{self, ProxyConfig, ProxyHandle};
use ccswitch::secrets::{MemoryStore, SecretString, Secrets};
use serde_json::{Value, json};

const PINNED: &str = "2.14.0";

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-peers/venv/bin/python");
    assert!(
        p.exists(),
        "the Python venv with anthropic=={PINNED} is missing at {}. Run scripts/test, which creates it.",
        p.display()
    );
    p
}

async fn mk_proxy(up: &Mock) -> ProxyHandle {
    set_lang(Lang::En);
    let src = format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\n",
        up.url("/v1")
    );
    let cfg = config::parse(Path::new("t.toml"), &src, &Presets::builtin()).unwrap();
    let secrets = Secrets {
        keyring: Arc::new(MemoryStore::with(&[("up", "k")])),
        file: Arc::new(MemoryStore::default()),
    };
    let pcfg = ProxyConfig::new(
        &cfg,
        cfg.profile("p").unwrap(),
        &secrets,
        &|_| None,
        SecretString::from("tok".to_string()),
        Arc::new(|_: &str| {}),
    )
    .unwrap();
    proxy::start("127.0.0.1:0".parse().unwrap(), pcfg)
        .await
        .unwrap()
}

async fn sdk(handle: &ProxyHandle, scenario: &str) -> Value {
    let py = python();
    let url = format!("http://{}", handle.addr);
    let scenario = scenario.to_string();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/conformance.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(py)
            .arg(script)
            .arg(&scenario)
            .env("PROXY_URL", url)
            .env("PROXY_TOKEN", "tok")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("ANTHROPIC_BASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn c(delta: Value) -> String {
    json!({"choices": [{"index": 0, "delta": delta}]}).to_string()
}

#[tokio::test]
async fn create_gives_text_stop_reason_and_usage() {
    let up = Mock::start().await;
    let h = mk_proxy(&up).await;
    let body = json!({"choices": [{"index": 0, "finish_reason": "length", "message": {"content": "partial answ"}}],
                      "usage": {"prompt_tokens": 11, "completion_tokens": 1000}});
    up.push(mock::json(200, &body.to_string()));
    let v = sdk(&h, "create").await;
    assert_eq!(
        v["content"],
        json!([{"type": "text", "text": "partial answ"}])
    );
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["usage"], json!({"input": 11, "output": 1000}));
    assert_eq!(v["model"], "up-main");
}

#[tokio::test]
async fn stream_gives_thinking_text_and_tool_input() {
    let up = Mock::start().await;
    let h = mk_proxy(&up).await;
    let chunks = [
        c(json!({"reasoning_content": "The user greets; "})),
        c(json!({"reasoning_content": "answer and list files."})),
        c(json!({"content": "Hi! "})),
        c(json!({"content": "Listing files."})),
        c(
            json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": "{\"comm"}}]}),
        ),
        c(json!({"tool_calls": [{"index": 0, "function": {"arguments": "and\": \"ls -la\"}"}}]})),
        c(
            json!({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "Read", "arguments": "{\"file_path\": \"/etc/hostname\"}"}}]}),
        ),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string(),
        json!({"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 25}}).to_string(),
    ];
    let mut payloads: Vec<&str> = chunks.iter().map(String::as_str).collect();
    payloads.push("[DONE]");
    up.push(mock::sse(&payloads));
    let v = sdk(&h, "stream").await;
    assert_eq!(v["streamed_text"], "Hi! Listing files.");
    assert_eq!(
        v["content"],
        json!([
            {"type": "thinking", "thinking": "The user greets; answer and list files."},
            {"type": "text", "text": "Hi! Listing files."},
            {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls -la"}},
            {"type": "tool_use", "id": "call_2", "name": "Read", "input": {"file_path": "/etc/hostname"}},
        ])
    );
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["usage"], json!({"input": 30, "output": 25}));
}

#[tokio::test]
async fn error_classes() {
    let up = Mock::start().await;
    let h = mk_proxy(&up).await;
    let cases = [
        // A key the provider refused: 424, so Claude Code does not send
        // its user to /login; the body's type still says what it was.
        (401, "APIStatusError", 424),
        (404, "NotFoundError", 404),
        (429, "RateLimitError", 429),
        (500, "InternalServerError", 500),
        (529, "OverloadedError", 529),
    ];
    for (status, class, want_status) in cases {
        let body = json!({"error": {"message": format!("scripted {status}")}});
        up.push(mock::json(status, &body.to_string()).with_header("retry-after", "3"));
        let v = sdk(&h, "error").await;
        assert_eq!(v["class"], class, "{status}: {v}");
        assert_eq!(v["status"], want_status, "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains(&format!("scripted {status}")),
            "{v}"
        );
        if status == 429 {
            assert_eq!(v["retry_after"], "3");
        }
    }
    // The same through the streaming helper.
    up.push(mock::json(429, r#"{"error":{"message":"slow down"}}"#));
    let v = sdk(&h, "error-stream").await;
    assert_eq!(v["class"], "RateLimitError", "{v}");
}

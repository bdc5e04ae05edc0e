//! The real Claude Code CLI (pinned) against `ccswitch serve`, with an
//! OpenAI-kind and an Anthropic-kind profile, each pointed at a scripted mock
//! upstream: a text answer and a Bash tool round trip, end to end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::Home;
use crate::support::claude::run_claude;
use crate::support::mock::{self, End, Mock};
use serde_json::json;

struct Served {
    child: Child,
    env: Vec<(String, String)>,
    _home: Home,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ccswitch serve` for a one-provider profile; returns the exported env.
async fn serve(provider_toml: &str) -> Served {
    let home = Home::new();
    home.write_config(&format!(
        "{provider_toml}\n[profiles.p]\nprovider = \"up\"\nmain = \"upstream-main\"\nfast = \"upstream-fast\"\n"
    ));
    let mut child = home
        .cmd(&["serve", "p"])
        .env("UP_KEY", "sk-provider-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let env = tokio::task::spawn_blocking(move || {
        let mut r = BufReader::new(stdout);
        let mut env = Vec::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap() == 0 {
                break;
            }
            let (k, v) = l
                .trim()
                .strip_prefix("export ")
                .unwrap()
                .split_once('=')
                .unwrap();
            env.push((k.to_string(), v.trim_matches('\'').to_string()));
            if k == "ANTHROPIC_SMALL_FAST_MODEL" {
                break;
            }
        }
        // Later lines are not needed, but serve may still be writing them.
        std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        env
    })
    .await
    .unwrap();
    Served {
        child,
        env,
        _home: home,
    }
}

fn openai_provider(up: &Mock) -> String {
    format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n",
        up.url("/v1")
    )
}

fn anthropic_provider(up: &Mock) -> String {
    format!(
        "[providers.up]\napi = \"anthropic\"\nbase_url = \"{}\"\nauth = \"x-api-key\"\nkey = {{ env = \"UP_KEY\" }}\n",
        up.url("/anthropic")
    )
}

fn oa_text(text: &str) -> mock::Reply {
    let c = json!({"choices": [{"index": 0, "delta": {"content": text}}]}).to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 50, "completion_tokens": 5}}).to_string();
    mock::sse(&[&c, &f, "[DONE]"])
}

fn oa_tool_call(command: &str) -> mock::Reply {
    let args = json!({"command": command, "description": "Print a marker"}).to_string();
    let (a, b) = args.split_at(args.len() / 2);
    let start = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_abc123", "type": "function", "function": {"name": "Bash", "arguments": ""}}]}}]}).to_string();
    let p1 = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": a}}]}}]}).to_string();
    let p2 = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": b}}]}}]}).to_string();
    let f =
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string();
    mock::sse(&[&start, &p1, &p2, &f, "[DONE]"])
}

const LIMIT: Duration = Duration::from_secs(90);

async fn claude(prompt: &str, s: &Served) -> crate::support::claude::ClaudeRun {
    let env = s.env.clone();
    let prompt = prompt.to_string();
    tokio::task::spawn_blocking(move || {
        run_claude(&prompt, &env, &["--allowedTools", "Bash"], LIMIT)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn openai_profile_text_answer() {
    let up = Mock::start().await;
    up.push(oa_text("Hello from the OpenAI-kind mock."));
    let s = serve(&openai_provider(&up)).await;
    let run = claude("say hi", &s).await;
    let result = run.result();
    assert_eq!(result["is_error"], false, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(result["result"], "Hello from the OpenAI-kind mock.");
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let body = seen[0].json();
    assert_eq!(body["model"], "upstream-main");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-provider-key")
    );
    assert!(
        !format!("{seen:?}").contains("ccsw-"),
        "the session token reached the upstream"
    );
}

#[tokio::test]
async fn openai_profile_bash_round_trip() {
    let up = Mock::start().await;
    up.push(oa_tool_call("echo ccswitch-marker-42"));
    up.push(oa_text("The command printed the marker."));
    let s = serve(&openai_provider(&up)).await;
    let run = claude("run the marker command", &s).await;
    let result = run.result();
    assert_eq!(result["is_error"], false, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(result["result"], "The command printed the marker.");
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let second = seen[1].json();
    let messages = second["messages"].as_array().unwrap();
    let tool_msg = messages
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("a tool message");
    assert_eq!(tool_msg["tool_call_id"], "call_abc123");
    assert!(
        tool_msg["content"]
            .to_string()
            .contains("ccswitch-marker-42"),
        "{tool_msg}"
    );
    // The assistant turn with the call directly precedes the result.
    let i = messages.iter().position(|m| m["role"] == "tool").unwrap();
    assert_eq!(messages[i - 1]["tool_calls"][0]["id"], "call_abc123");
}

#[tokio::test]
async fn anthropic_profile_text_and_bash_round_trip() {
    let up = Mock::start().await;
    up.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-text.sse"
        )],
        End::Close,
    ));
    let s = serve(&anthropic_provider(&up)).await;
    let run = claude("say hi", &s).await;
    let result = run.result();
    assert_eq!(result["is_error"], false, "{}\n{}", run.stdout, run.stderr);
    let seen = up.last();
    assert_eq!(seen.path, "/anthropic/v1/messages?beta=true");
    assert_eq!(seen.header("x-api-key"), Some("sk-provider-key"));
    assert_eq!(seen.json()["model"], "upstream-main");

    // Tool round trip: the fixture asks for Bash `echo hi`.
    up.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-tool-use.sse"
        )],
        End::Close,
    ));
    up.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-text.sse"
        )],
        End::Close,
    ));
    let run = claude("run echo hi", &s).await;
    assert_eq!(
        run.result()["is_error"],
        false,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let follow = up.last().json();
    let last = follow["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let result_block = &last["content"][0];
    assert_eq!(result_block["type"], "tool_result");
    assert_eq!(result_block["tool_use_id"], "toolu_mock_0001");
    assert!(
        result_block["content"].to_string().contains("hi"),
        "{result_block}"
    );
}

//! Keeping up with Claude Code: what the pinned CLI reads from the proxy
//! beyond the Messages API itself.

use serde_json::Value;

use crate::support::claude::stream_json;
use crate::support::mock::{self, Mock};
use crate::support::{Home, Run};

/// `claude -p hi` through profile `p`, which must succeed.
async fn hi(home: &Home) -> Run {
    let chome = tempfile::tempdir().unwrap();
    let r = stream_json(home, "p", chome.path(), "hi", &["--no-session-persistence"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

/// A provider that says when to come back only in OpenAI's
/// `x-ratelimit-reset-*` headers: Claude Code, which reads only
/// `retry-after`, waits that long (before, it came back after about half a
/// second and spent its retries on the limit).
#[tokio::test]
async fn a_rate_limit_hint_in_any_header_is_the_wait_claude_code_takes() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&mock::oa_config(&up));
    up.push(
        mock::json(
            429,
            r#"{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}"#,
        )
        .with_header("x-ratelimit-reset-requests", "2s")
        .with_header("x-ratelimit-reset-tokens", "120ms"),
    );
    up.push(mock::openai_text("Back."));
    let r = hi(&home).await;
    let retry: Value = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["subtype"] == "api_retry")
        .unwrap_or_else(|| panic!("no api_retry event:\n{}", r.stdout));
    assert_eq!(retry["error_status"], 429);
    let delay = retry["retry_delay_ms"].as_u64().unwrap();
    assert!(delay >= 2000, "waited {delay} ms:\n{retry}");
    assert!(r.stdout.contains("Back."), "{}", r.stdout);
}

/// A reasoning model's thinking reaches Claude Code as a thinking block,
/// and its answer as text, on the translated path.
#[tokio::test]
async fn thinking_reaches_claude_code_as_a_thinking_block() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&mock::deepseek_config(&up));
    let chunk = |delta: serde_json::Value| {
        serde_json::json!({"choices": [{"index": 0, "delta": delta}]}).to_string()
    };
    let a = chunk(serde_json::json!({"reasoning_content": "The user greets; "}));
    let b = chunk(serde_json::json!({"reasoning_content": "greet back."}));
    let c = chunk(serde_json::json!({"content": "Hello!"}));
    let f = serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10}})
    .to_string();
    up.push(mock::sse(&[&a, &b, &c, &f, "[DONE]"]));
    let r = hi(&home).await;
    let blocks: Vec<Value> = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "assistant")
        .flat_map(|v| {
            v["message"]["content"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        blocks
            .iter()
            .any(|b| b["type"] == "thinking" && b["thinking"] == "The user greets; greet back."),
        "{blocks:?}"
    );
    assert_eq!(r.result()["result"], "Hello!", "{}", r.stdout);
}

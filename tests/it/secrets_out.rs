//! Text the proxy passes on never carries a key it holds: an upstream
//! error that echoes the key reaches Claude Code, the log and the audit
//! log masked, whichever way it goes (an error status, an error event in a
//! translated stream or in a passthrough stream).

use serde_json::json;

use crate::support::mock::{self, End, Mock};
use crate::support::proxy::{ANTHROPIC, OPENAI, Proxy, ask, mk_proxy_config};

/// The provider's key, shaped like no known key format: only knowing it
/// masks it.
const OWN: &str = "plain-upstream-secret-0042";

async fn proxy(up: &Mock, provider: &str) -> Proxy {
    let src = format!(
        "{provider}\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\nfast = \"up-fast\"\n"
    )
    .replace("MOCK", &up.url(""));
    mk_proxy_config(&src, &[("up", OWN)], |_| {}).await
}

#[track_caller]
fn masked(what: &str, text: &str) {
    assert!(!text.contains(OWN), "{what} shows the key:\n{text}");
    assert!(text.contains("[redacted]"), "{what}:\n{text}");
}

#[tokio::test]
async fn an_error_status_echoing_the_key_is_masked() {
    let up = Mock::start().await;
    let p = proxy(&up, OPENAI).await;
    let echo = json!({"error": {"message": format!("invalid key: Bearer {OWN}")}});
    up.push(mock::json(401, &echo.to_string()));
    let resp = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(resp.status(), 424);
    masked("the error response", &resp.text().await.unwrap());
    masked("the log", &p.logs.lock().unwrap().join("\n"));
}

#[tokio::test]
async fn an_error_event_in_a_translated_stream_is_masked() {
    let up = Mock::start().await;
    let p = proxy(&up, OPENAI).await;
    let text = json!({"choices": [{"index": 0, "delta": {"content": "hi"}}]}).to_string();
    let error = json!({"error": {"message": format!("quota of key {OWN} exceeded")}}).to_string();
    up.push(mock::sse(&[&text, &error]));
    let resp = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("event: error"), "{body}");
    masked("the stream", &body);
    masked("the log", &p.logs.lock().unwrap().join("\n"));
}

#[tokio::test]
async fn an_error_event_in_a_passthrough_stream_is_masked() {
    let up = Mock::start().await;
    let p = proxy(&up, ANTHROPIC).await;
    let ev = |name: &str, data: serde_json::Value| format!("event: {name}\ndata: {data}\n\n");
    let start = ev(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "model": "m", "content": [], "stop_reason": null,
            "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}}}),
    );
    let block = ev(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "text", "text": ""}}),
    );
    let delta = ev(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "hello"}}),
    );
    let error = ev(
        "error",
        json!({"type": "error", "error": {"type": "api_error",
               "message": format!("key {OWN} revoked")}}),
    );
    up.push(mock::sse_raw(&[&start, &block, &delta, &error], End::Close));
    let resp = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    // The model's text still goes as it came.
    assert!(body.contains("\"text\":\"hello\""), "{body}");
    masked("the stream", &body);
}

/// What else the run knows: a credential in the provider's `headers`, and
/// the session token.
#[tokio::test]
async fn header_values_and_the_session_token_are_masked_too() {
    let up = Mock::start().await;
    let provider = OPENAI.replacen(
        "[providers.up]\n",
        "[providers.up]\nheaders = { \"X-Gateway-Auth\" = \"gw-credential-7777\", \"X-Team\" = \"platform\" }\n",
        1,
    );
    let p = proxy(&up, &provider).await;
    let echo = json!({"error": {"message": format!(
        "team platform: gateway credential gw-credential-7777 and session {} refused",
        crate::support::proxy::TOKEN
    )}});
    up.push(mock::json(403, &echo.to_string()));
    let resp = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(resp.status(), 424);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            "team platform: gateway credential [redacted] and session [redacted] refused"
        ),
        "{text}"
    );
}

//! Key pools: a provider with several keys moves to the next on a 429 or a
//! quota error, rests the limited one for its Retry-After, and never logs a
//! key (only its number).

use serde_json::json;

use crate::support::mock::{self, Mock, Reply};
use crate::support::proxy::mk_proxy_config;

fn ok() -> Reply {
    mock::json(
        200,
        &json!({"id": "m", "type": "message", "role": "assistant", "model": "x",
                "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 1, "output_tokens": 1}})
        .to_string(),
    )
}

fn limited(retry_after: Option<&str>) -> Reply {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
    match retry_after {
        None => mock::json(429, body),
        Some(s) => mock::json(429, body).with_header("retry-after", s),
    }
}

#[tokio::test]
async fn a_pool_rotates_on_429_and_rests_the_limited_key() {
    let up = Mock::start().await;
    let src = format!(
        "[providers.a]\napi = \"anthropic\"\nbase_url = \"{}/anthropic\"\nauth = \"x-api-key\"\n\
         extra_keys = [{{ keyring = \"2\" }}, {{ keyring = \"3\" }}]\n\
         [profiles.p]\nprovider = \"a\"\nmain = \"m\"\n",
        up.url("")
    );
    let p = mk_proxy_config(
        &src,
        &[("a", "sk-one"), ("a:2", "sk-two"), ("a:3", "sk-three")],
        |_| {},
    )
    .await;
    let ask = || async {
        p.post(
            "/v1/messages",
            &json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
    };
    let keys = |from: usize| -> Vec<String> {
        up.seen()[from..]
            .iter()
            .map(|r| r.header("x-api-key").unwrap_or_default().to_string())
            .collect()
    };
    // Key 1 is limited for 30 s: the same request goes again with key 2.
    up.push(limited(Some("30")));
    up.push(ok());
    assert_eq!(ask().await.status(), 200);
    assert_eq!(keys(0), ["sk-one", "sk-two"]);
    // Key 1 rests: the next request starts with key 2.
    up.push(ok());
    assert_eq!(ask().await.status(), 200);
    assert_eq!(keys(2), ["sk-two"]);
    // A quota error (402) without Retry-After rests key 2 too: key 3.
    up.push(mock::json(
        402,
        r#"{"error":{"message":"Insufficient Balance"}}"#,
    ));
    up.push(ok());
    assert_eq!(ask().await.status(), 200);
    assert_eq!(keys(3), ["sk-two", "sk-three"]);
    // Every key limited: Claude Code gets the 429 with its Retry-After.
    up.push(limited(Some("20")));
    let resp = ask().await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "20");
    assert_eq!(keys(5), ["sk-three"]);
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("a: key #1 answered 429; it rests 30 s, trying key #2"),
        "{logs}"
    );
    assert!(
        logs.contains("a: key #2 answered 402; it rests 60 s, trying key #3"),
        "{logs}"
    );
    assert!(!logs.contains("sk-"), "a key reached the log: {logs}");
}

/// A pool whose provider publishes a balance: each key is asked off the
/// request path at the proxy's start, and a key reported empty rests, so
/// requests start with one that has money left. The log names the key by
/// number only.
#[tokio::test]
async fn a_key_reported_empty_rests_before_any_request_needs_it() {
    let up = Mock::start().await;
    let src = format!(
        "[providers.ds]\npreset = \"deepseek\"\nbase_url = \"{}/anthropic\"\n\
         extra_keys = [{{ keyring = \"2\" }}]\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n",
        up.url("")
    );
    let balance = |available: bool, total: &str| {
        mock::json(
            200,
            &json!({"is_available": available, "balance_infos": [
                {"currency": "CNY", "total_balance": total, "granted_balance": "0.00", "topped_up_balance": total}]})
            .to_string(),
        )
    };
    up.push(balance(false, "0.00"));
    up.push(balance(true, "42.00"));
    let p = mk_proxy_config(&src, &[("ds", "sk-one"), ("ds:2", "sk-two")], |_| {}).await;
    // The watch runs beside the server: wait for its two asks.
    for _ in 0..200 {
        let logged = p.logs.lock().unwrap().iter().any(|l| l.contains("key #1"));
        if logged && up.seen().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let asked: Vec<(String, String)> = up
        .seen()
        .iter()
        .map(|r| {
            let auth = r.header("authorization").unwrap_or_default().to_string();
            (r.path.clone(), auth)
        })
        .collect();
    assert_eq!(
        asked,
        [
            ("/user/balance".to_string(), "Bearer sk-one".to_string()),
            ("/user/balance".to_string(), "Bearer sk-two".to_string())
        ]
    );
    up.push(ok());
    let resp = p
        .post(
            "/v1/messages",
            &json!({"model": "deepseek-v4-pro", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(up.seen()[2].header("x-api-key"), Some("sk-two"));
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("ds: key #1 has no balance left; it rests until a check finds some"),
        "{logs}"
    );
    assert!(!logs.contains("key #2"), "{logs}");
    assert!(!logs.contains("sk-"), "a key reached the log: {logs}");
}

//! The proxy in-process against a scripted upstream on 127.0.0.1, called
//! over real HTTP: both upstream kinds, auth, errors and faults.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::mock::{self, End, Mock, Reply};
use crate::support::proxy::*;
use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang};
use ccswitch::proxy::ProxyConfig;
use ccswitch::proxy::translate::anthropic::Event;
use ccswitch::secrets::{MemoryStore, SecretString, Secrets};
use serde_json::{Value, json};

fn chunk(content: &str) -> String {
    json!({"choices": [{"index": 0, "delta": {"content": content}}]}).to_string()
}

#[tokio::test]
async fn openai_stream_is_translated_and_the_key_stays_inside() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let finish =
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string();
    let usage =
        json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}).to_string();
    up.push(mock::sse(&[
        &chunk("Hel"),
        &chunk("lo!"),
        &finish,
        &usage,
        "[DONE]",
    ]));
    let resp = p.post("/v1/messages?beta=true", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let evs = events(resp).await;
    assert_eq!(text_of(&evs), "Hello!");
    assert!(matches!(evs.first(), Some(Event::MessageStart { .. })));
    assert!(matches!(evs.last(), Some(Event::MessageStop)));
    let Some(Event::MessageDelta { usage, .. }) =
        evs.iter().find(|e| matches!(e, Event::MessageDelta { .. }))
    else {
        panic!("no message_delta")
    };
    assert_eq!((usage.input_tokens, usage.output_tokens), (12, 3));

    let seen = up.last();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen.header("user-agent"), Some(CLAUDE_UA));
    let body = seen.json();
    assert_eq!(body["model"], "up-main");
    assert_eq!(body["max_tokens"], 4096, "clamped to the model limit");
    assert_eq!(body["stream_options"]["include_usage"], true);
    let all = format!("{:?}", up.seen());
    assert!(
        !all.contains(TOKEN),
        "the session token reached the upstream"
    );
    assert!(!all.contains("device_id"), "metadata reached the upstream");
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("up/up-main stream 200") && logs.contains("in=12 out=3"),
        "{logs}"
    );
    assert!(!logs.contains("say hi"), "prompt text in the log: {logs}");
    p.handle.shutdown().await;
}

#[tokio::test]
async fn a_localhost_upstream_listening_on_ipv4_only_is_reached() {
    // "localhost" often resolves to ::1 first while local servers (Ollama,
    // LM Studio) listen on 127.0.0.1 only: the classic refused connection.
    // (Where /etc/hosts maps it to 127.0.0.1 alone, this checks the name
    // is resolved at all.)
    let up = Mock::start().await;
    let local = OPENAI.replace("MOCK", &up.url("").replace("127.0.0.1", "localhost"));
    let p = mk_proxy(&up, &local).await;
    up.push(mock::openai_text("hi from v4"));
    let resp = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(text_of(&events(resp).await), "hi from v4");
    assert_eq!(up.last().path, "/v1/chat/completions");
    p.handle.shutdown().await;
}

#[tokio::test]
async fn a_user_agent_set_in_the_providers_headers_wins() {
    let up = Mock::start().await;
    let with_ua = OPENAI.replace(
        "timeouts = { idle = 1 }\n",
        "timeouts = { idle = 1 }\nheaders = { \"User-Agent\" = \"KimiCLI/1.30.0\" }\n",
    );
    let p = mk_proxy(&up, &with_ua).await;
    up.push(mock::openai_text("ok"));
    let resp = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    let _ = resp.bytes().await;
    assert_eq!(up.last().header("user-agent"), Some("KimiCLI/1.30.0"));
    p.handle.shutdown().await;
}

#[tokio::test]
async fn openai_non_streaming_tool_call() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let body = json!({
        "id": "x", "model": "up-main",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"content": null,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": "{\"command\":\"echo hi\"}"}}]}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5}
    });
    up.push(mock::json(200, &body.to_string()));
    let resp = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(resp.status(), 200);
    let msg: Value = resp.json().await.unwrap();
    assert_eq!(msg["type"], "message");
    assert_eq!(msg["model"], "up-main");
    assert_eq!(msg["stop_reason"], "tool_use");
    assert_eq!(msg["content"][0]["type"], "tool_use");
    assert_eq!(msg["content"][0]["input"]["command"], "echo hi");
    assert_eq!(msg["usage"]["input_tokens"], 20);
}

#[tokio::test]
async fn anthropic_passthrough_rewrites_and_streams_untouched() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    let sse = include_str!("../fixtures/claude-code/responses/stream-text.sse");
    up.push(mock::sse_raw(&[sse], End::Close));
    let resp = p.post("/v1/messages?beta=true", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    let got = resp.text().await.unwrap();
    assert_eq!(got, sse, "the stream must pass through byte for byte");
    let seen = up.last();
    assert_eq!(seen.path, "/anthropic/v1/messages?beta=true");
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("anthropic-beta"), None, "dropped by the quirk");
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.header("user-agent"), Some(CLAUDE_UA), "the real agent");
    let body = seen.json();
    assert_eq!(body["model"], "up-main");
    assert!(body.get("metadata").is_none());
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(logs.contains("in=") && logs.contains("200"), "{logs}");
}

/// Forward compatibility: event and block types newer than the proxy pass
/// through the Anthropic-kind path byte for byte, and the stream still ends
/// and is recorded.
#[tokio::test]
async fn future_event_and_block_types_pass_through_untouched() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    let sse = "event: message_start\n\
        data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_f\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n\
        event: memory_update_20270101\n\
        data: {\"type\":\"memory_update_20270101\",\"memory\":{\"id\":\"m1\"}}\n\n\
        event: content_block_start\n\
        data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"citation_bundle_20270101\",\"items\":[]}}\n\n\
        event: content_block_delta\n\
        data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"bundle_delta_20270101\",\"items\":[1]}}\n\n\
        event: content_block_stop\n\
        data: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
        event: message_delta\n\
        data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"future_field\":true},\"usage\":{\"output_tokens\":3}}\n\n\
        event: message_stop\n\
        data: {\"type\":\"message_stop\"}\n\n";
    up.push(mock::sse_raw(&[sse], End::Close));
    let resp = p.post("/v1/messages?beta=true", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), sse);
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(logs.contains("200") && logs.contains("out=3"), "{logs}");
}

#[tokio::test]
async fn anthropic_non_streaming_passes_status_and_body() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    let body = include_str!("../fixtures/claude-code/responses/nonstream-text.json");
    up.push(mock::json(200, body));
    let resp = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), body);
}

#[tokio::test]
async fn auth_probes_and_routes() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let c = &p.http;
    // Preconnect probes need no token.
    for path in ["/", "/api/hello"] {
        let r = c.head(format!("{}{path}", p.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Everything else does.
    let r = c
        .post(format!("{}/v1/messages", p.base))
        .json(&ask(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    let r = c
        .get(format!("{}/v1/models", p.base))
        .header("x-api-key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // x-api-key works as well as Bearer.
    let r = c
        .get(format!("{}/v1/models", p.base))
        .header("x-api-key", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // Claude Code's discovery keeps only ids with `claude` in them: slots
    // are listed under ids it keeps, with the real model as the name.
    assert_eq!(ids, ["claude-ccswitch-main", "claude-ccswitch-fast"]);
    assert!(
        v["data"][0]["display_name"]
            .as_str()
            .unwrap()
            .starts_with("up-main · "),
        "{v}"
    );
    let r = c
        .get(format!("{}/nope", p.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "not_found_error");
    assert!(up.seen().is_empty(), "nothing reached the upstream");
}

#[tokio::test]
async fn bad_client_requests() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let r = p
        .http
        .post(format!("{}/v1/messages", p.base))
        .bearer_auth(TOKEN)
        .body("{\"model\": \"x\", oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{v}"
    );
    let r = p.post("/v1/messages", &json!({"model": "m"})).await;
    assert_eq!(r.status(), 400);
    // Far beyond Claude Code's normal size: refused, not buffered forever.
    let huge = "x".repeat(40 * 1024 * 1024);
    let r = p
        .http
        .post(format!("{}/v1/messages", p.base))
        .bearer_auth(TOKEN)
        .body(huge)
        .send()
        .await;
    match r {
        Ok(r) => {
            assert_eq!(r.status(), 413);
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"]["type"], "request_too_large");
        }
        // The server may close the connection before the client finished
        // sending; that is a refusal too.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    assert!(up.seen().is_empty());
}

#[tokio::test]
async fn upstream_errors_map_to_statuses_claude_code_retries_correctly() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let cases = [
        (429, "rate_limit_error", None),
        // A refused key is not Claude Code's login: 424, not 401 or 403
        // (which would have it say "Please run /login").
        (401, "authentication_error", Some("false")),
        (403, "permission_error", Some("false")),
        (402, "billing_error", Some("false")),
        (404, "not_found_error", None),
        (500, "api_error", None),
        (503, "overloaded_error", None),
    ];
    for (status, kind, no_retry) in cases {
        let body = json!({"error": {"message": format!("upstream says {status}")}});
        up.push(mock::json(status, &body.to_string()).with_header("retry-after", "7"));
        let r = p.post("/v1/messages", &ask(true)).await;
        let want = match status {
            503 => 529,
            401 | 403 => 424,
            s => s,
        };
        assert_eq!(r.status().as_u16(), want, "{status}");
        assert_eq!(
            r.headers()
                .get("x-should-retry")
                .map(|v| v.to_str().unwrap()),
            no_retry,
            "{status}"
        );
        if status == 429 {
            assert_eq!(r.headers()["retry-after"], "7");
        }
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["type"], kind, "{status}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("upstream says {status}")),
            "{v}"
        );
    }
}

#[tokio::test]
async fn unreachable_upstream_is_a_retryable_error() {
    let up = Mock::start().await;
    // Port 9 on loopback: nothing listens there.
    let toml = OPENAI.replace("MOCK/v1", "http://127.0.0.1:9/v1");
    let p = mk_proxy(&up, &toml).await;
    let r = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "api_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot reach provider `up`"),
        "{v}"
    );
}

#[tokio::test]
async fn a_stalled_upstream_gets_pings_then_a_timeout_error() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    up.push(mock::sse_raw(
        &[&format!("data: {}\n\n", chunk("Hi"))],
        End::Hang,
    ));
    let t0 = Instant::now();
    let evs = events(p.post("/v1/messages", &ask(true)).await).await;
    let took = t0.elapsed();
    let pings = evs.iter().filter(|e| matches!(e, Event::Ping)).count();
    assert!(pings >= 2, "{pings} pings: {evs:?}");
    let Some(Event::Error { error }) = evs.last() else {
        panic!("{evs:?}")
    };
    assert_eq!(error.kind, "api_error");
    assert!(
        error.message.contains("sent nothing for 1 s"),
        "{}",
        error.message
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn an_upstream_that_drops_mid_stream_ends_with_an_error_event() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    up.push(mock::sse_raw(
        &[&format!("data: {}\n\n", chunk("Hi"))],
        End::Reset,
    ));
    let evs = events(p.post("/v1/messages", &ask(true)).await).await;
    assert_eq!(text_of(&evs), "Hi");
    assert!(matches!(evs.last(), Some(Event::Error { .. })), "{evs:?}");

    // The same on the passthrough path: a cut stream is never silent.
    let up2 = Mock::start().await;
    let p2 = mk_proxy(&up2, ANTHROPIC).await;
    let sse = include_str!("../fixtures/claude-code/responses/stream-text.sse");
    let cut = &sse[..sse.find("event: content_block_stop").unwrap()];
    up2.push(mock::sse_raw(&[cut], End::Close));
    let evs = events(p2.post("/v1/messages", &ask(true)).await).await;
    let Some(Event::Error { error }) = evs.last() else {
        panic!("{evs:?}")
    };
    assert!(
        error.message.contains("closed the stream"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_client_that_disconnects_closes_the_upstream_promptly() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, &OPENAI.replace("idle = 1", "idle = 30")).await;
    // A slow stream: one chunk every 100 ms, for a long time.
    let chunks: Vec<(Duration, String)> = (0..300)
        .map(|i| {
            (
                Duration::from_millis(100),
                format!("data: {}\n\n", chunk(&format!("w{i} "))),
            )
        })
        .collect();
    up.push(Reply::Sse {
        chunks,
        then: End::Close,
    });
    let mut resp = p.post("/v1/messages", &ask(true)).await;
    let _ = resp.chunk().await.unwrap();
    let _ = resp.chunk().await.unwrap();
    let dropped_at = Instant::now();
    drop(resp);
    let deadline = dropped_at + Duration::from_secs(1);
    loop {
        if let Some(at) = up.client_gone_at() {
            assert!(at.duration_since(dropped_at) < Duration::from_secs(1));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the upstream was still being read a second after the client left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn count_tokens_locally_and_forwarded() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let r = p
        .post(
            "/v1/messages/count_tokens?beta=true",
            &json!({"model": "up-main", "messages": [{"role": "user", "content": "hello world"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["input_tokens"].as_u64().unwrap() > 0);
    assert!(up.seen().is_empty(), "the OpenAI path counts locally");

    let up2 = Mock::start().await;
    let p2 = mk_proxy(&up2, ANTHROPIC).await;
    up2.push(mock::json(200, r#"{"input_tokens": 4242}"#));
    let r = p2
        .post(
            "/v1/messages/count_tokens",
            &json!({"model": "up-main", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["input_tokens"], 4242);
    assert_eq!(up2.last().path, "/anthropic/v1/messages/count_tokens");
    // A provider without the endpoint: counted locally.
    up2.push(mock::json(404, r#"{"error":{"message":"no such route"}}"#));
    let r = p2
        .post(
            "/v1/messages/count_tokens",
            &json!({"model": "up-main", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["input_tokens"].as_u64().unwrap() < 100);
}

#[tokio::test]
async fn the_providers_upstream_proxy_is_used_with_its_credentials() {
    // The mock plays the corporate HTTP proxy: requests for an upstream host
    // that does not even resolve must arrive there, in absolute form, with
    // the proxy credentials.
    let corp_proxy = Mock::start().await;
    let toml = format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"http://llm.corp.invalid/v1\"\nproxy = \"http://alice:s3cret@{}\"\n",
        corp_proxy.addr
    );
    let p = mk_proxy(&corp_proxy, &toml).await;
    let body = json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "via the corporate proxy"}}]});
    corp_proxy.push(mock::json(200, &body.to_string()));
    let r = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["content"][0]["text"], "via the corporate proxy");
    let seen = corp_proxy.last();
    assert_eq!(seen.path, "http://llm.corp.invalid/v1/chat/completions");
    // "alice:s3cret" in Basic auth.
    assert_eq!(
        seen.header("proxy-authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn a_bad_ca_file_stops_the_start_with_a_clear_error() {
    set_lang(Lang::En);
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    for (path, want) in [
        (dir.path().join("missing.pem"), "No such file"),
        (not_pem, "no PEM certificate"),
    ] {
        let src = format!(
            "[providers.up]\napi = \"openai\"\nbase_url = \"https://x.example/v1\"\nca_file = \"{}\"\n[profiles.p]\nprovider = \"up\"\nmain = \"m\"\n",
            path.display()
        );
        let cfg = config::parse(Path::new("t.toml"), &src, &Presets::builtin()).unwrap();
        let secrets = Secrets {
            keyring: Arc::new(MemoryStore::with(&[("up", KEY)])),
            file: Arc::new(MemoryStore::default()),
        };
        let err = ProxyConfig::new(
            &cfg,
            cfg.profile("p").unwrap(),
            &secrets,
            &|_| None,
            SecretString::from(TOKEN.to_string()),
            Arc::new(|_: &str| {}),
        )
        .err()
        .expect("a bad CA file is an error")
        .to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains(want),
            "{err}"
        );
    }
}

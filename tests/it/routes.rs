//! Routes by request: subagent calls go to the subagent slot, whether
//! Claude Code marks them by header or only in the body.

use serde_json::json;

use crate::support::mock::{self, Mock};
use crate::support::proxy::{Proxy, TOKEN, mk_proxy_config};

/// A Messages request with `body` and the session token, nothing more.
fn bare_request(p: &Proxy, body: &serde_json::Value) -> reqwest::RequestBuilder {
    p.http
        .post(format!("{}/v1/messages", p.base))
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(body)
}

#[tokio::test]
async fn subagent_calls_go_to_the_subagent_slot_by_header_or_body_marker() {
    let (main, sub) = (Mock::start().await, Mock::start().await);
    let src = format!(
        "[providers.m]\napi = \"anthropic\"\nbase_url = \"{}/anthropic\"\nauth = \"x-api-key\"\n\
         [providers.s]\napi = \"anthropic\"\nbase_url = \"{}/anthropic\"\nauth = \"x-api-key\"\n\
         [profiles.p]\nprovider = \"m\"\nmain = \"m-main\"\nfast = \"m-fast\"\n\
         subagent = {{ provider = \"s\", model = \"s-sub\" }}\n",
        main.url(""),
        sub.url("")
    );
    let p = mk_proxy_config(&src, &[("m", "k1"), ("s", "k2")], |_| {}).await;
    let reply = || {
        mock::json(
            200,
            r#"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#,
        )
    };
    // The captured subagent request's billing line, as the body marker.
    let system = json!([{"type": "text",
        "text": "x-anthropic-billing-header: cc_version=2.1.332.a21; cc_entrypoint=sdk-cli; cc_is_subagent=true;"}]);
    let cases = [
        (
            "haiku alias, header",
            "claude-haiku-4-5",
            true,
            json!(null),
            "s-sub",
        ),
        (
            "main model, body marker",
            "m-main",
            false,
            system.clone(),
            "s-sub",
        ),
        ("plain main call", "m-main", false, json!(null), "m-main"),
    ];
    for (why, model, header, system, expect) in cases {
        main.push(reply());
        sub.push(reply());
        let mut body = json!({"model": model, "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]});
        if !system.is_null() {
            body["system"] = system;
        }
        let mut rb = bare_request(&p, &body);
        if header {
            rb = rb.header("x-claude-code-agent-id", "a0742420d13ba8711");
        }
        assert_eq!(rb.send().await.unwrap().status(), 200, "{why}");
        let got = if expect == "s-sub" {
            sub.last()
        } else {
            main.last()
        };
        assert_eq!(got.json()["model"], expect, "{why}");
    }
    assert_eq!((main.seen().len(), sub.seen().len()), (1, 2));
}

#[tokio::test]
async fn vision_and_long_context_routes_fire_when_the_slot_cannot_serve() {
    let [main, vl, lc] = Mock::start_n().await;
    // m-main: no images, a 2,000-token window; the routes are OpenAI-kind.
    let src = format!(
        "[providers.m]\napi = \"anthropic\"\nbase_url = \"{}/anthropic\"\nauth = \"x-api-key\"\n\
         [providers.m.models.m-main]\ncontext = 2000\nvision = false\n\
         [providers.v]\napi = \"openai\"\nbase_url = \"{}/v1\"\n\
         [providers.l]\napi = \"openai\"\nbase_url = \"{}/v1\"\n\
         [profiles.p]\nprovider = \"m\"\nmain = \"m-main\"\nfast = \"m-fast\"\n\
         vision = {{ provider = \"v\", model = \"v-model\" }}\n\
         long_context = {{ provider = \"l\", model = \"l-model\" }}\n",
        main.url(""),
        vl.url(""),
        lc.url("")
    );
    let p = mk_proxy_config(&src, &[("m", "k1"), ("v", "k2"), ("l", "k3")], |_| {}).await;
    let anthropic_ok = || {
        mock::json(
            200,
            r#"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#,
        )
    };
    let openai_ok = || {
        mock::json(
            200,
            r#"{"id":"c","object":"chat.completion","model":"x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
        )
    };
    let image = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}});
    let cases = [
        ("plain", json!("hi"), "main"),
        (
            "an image",
            json!([{"type": "text", "text": "what is this"}, image.clone()]),
            "vision",
        ),
        (
            "an image in a tool result",
            json!([{"type": "tool_result", "tool_use_id": "t1", "content": [image]}]),
            "vision",
        ),
        ("too long", json!("word ".repeat(4000)), "long_context"),
        (
            "mentions images only",
            json!(r#"a "type":"image" in text"#),
            "main",
        ),
    ];
    for (why, content, expect) in cases {
        main.push(anthropic_ok());
        vl.push(openai_ok());
        lc.push(openai_ok());
        let mut messages = vec![json!({"role": "user", "content": content})];
        if why == "an image in a tool result" {
            messages.insert(0, json!({"role": "user", "content": "look"}));
            messages.insert(
                1,
                json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]}),
            );
        }
        let body = json!({"model": "m-main", "max_tokens": 10, "messages": messages});
        let before = (main.seen().len(), vl.seen().len(), lc.seen().len());
        let resp = bare_request(&p, &body).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{why}: {}", resp.text().await.unwrap());
        let after = (main.seen().len(), vl.seen().len(), lc.seen().len());
        let went = if after.0 > before.0 {
            "main"
        } else if after.1 > before.1 {
            "vision"
        } else {
            "long_context"
        };
        assert_eq!(went, expect, "{why}");
    }
    assert_eq!(vl.last().json()["model"], "v-model");
    assert_eq!(lc.last().json()["model"], "l-model");
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(logs.contains("m-main -> vision v/v-model"), "{logs}");
    assert!(logs.contains("m-main -> long_context l/l-model"), "{logs}");
}

/// A screenshot is hundreds of kilobytes of base64 but about 1,600 tokens:
/// it must not make a request look longer than the model's window. Both
/// the Anthropic (passed through) and the OpenAI (translated) paths.
#[tokio::test]
async fn an_image_counts_as_an_image_not_as_its_bytes_for_long_context() {
    let (main, lc) = (Mock::start().await, Mock::start().await);
    for api in ["anthropic", "openai"] {
        let (base, auth) = if api == "anthropic" {
            (main.url("/anthropic"), "auth = \"x-api-key\"\n")
        } else {
            (main.url("/v1"), "")
        };
        let src = format!(
            "[providers.m]\napi = \"{api}\"\nbase_url = \"{base}\"\n{auth}\
             [providers.m.models.m-main]\ncontext = 20000\n\
             [providers.l]\napi = \"openai\"\nbase_url = \"{}/v1\"\n\
             [profiles.p]\nprovider = \"m\"\nmain = \"m-main\"\nfast = \"m-fast\"\n\
             long_context = {{ provider = \"l\", model = \"l-model\" }}\n",
            lc.url("")
        );
        let p = mk_proxy_config(&src, &[("m", "k1"), ("l", "k3")], |_| {}).await;
        let screenshot = "A".repeat(300_000);
        let image = json!({"type": "image", "source": {"type": "base64",
            "media_type": "image/png", "data": screenshot}});
        let cases = [
            (
                "two screenshots",
                json!([image.clone(), image, {"type": "text", "text": "diff?"}]),
                "main",
            ),
            (
                "100 KB of text",
                json!("word ".repeat(20_000)),
                "long_context",
            ),
        ];
        for (why, content, expect) in cases {
            let reply = if api == "anthropic" {
                mock::json(
                    200,
                    r#"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#,
                )
            } else {
                mock::json(
                    200,
                    r#"{"id":"c","object":"chat.completion","model":"x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
                )
            };
            main.push(reply);
            lc.push(mock::json(
                200,
                r#"{"id":"c","object":"chat.completion","model":"x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
            ));
            let body = json!({"model": "m-main", "max_tokens": 10,
                "messages": [{"role": "user", "content": content}]});
            let before = main.seen().len();
            let resp = bare_request(&p, &body).send().await.unwrap();
            assert_eq!(
                resp.status(),
                200,
                "{api} {why}: {}",
                resp.text().await.unwrap()
            );
            let went = if main.seen().len() > before {
                "main"
            } else {
                "long_context"
            };
            // Replies left queued on the mock that was not asked are all
            // the same "ok".
            assert_eq!(went, expect, "{api}: {why}");
        }
    }
}

#[test]
fn route_explain_names_slot_targets_and_reason_for_each_kind() {
    let home = crate::support::Home::new();
    home.write_config(
        "[providers.deepseek]\npreset = \"deepseek\"\n[providers.kimi]\npreset = \"moonshot\"\n\
         [providers.qwen]\npreset = \"qwen\"\n\
         [profiles.work]\nprovider = \"deepseek\"\n\
         main = [\"deepseek-v4-pro\", { provider = \"kimi\", model = \"kimi-k3\" }]\n\
         fast = \"deepseek-v4-flash\"\nsubagent = \"deepseek-v4-flash\"\n\
         vision = { provider = \"qwen\", model = \"qwen3-vl-plus\" }\n\
         long_context = { provider = \"kimi\", model = \"kimi-k3\" }\n",
    );
    let r = home.run(&["route", "explain", "work", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = |request: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|d| d["request"] == request)
            .unwrap_or_else(|| panic!("{request}: {v}"))
            .clone()
    };
    let main = row("main turn");
    assert_eq!(main["slot"], "main");
    assert_eq!(
        main["targets"],
        json!(["deepseek/deepseek-v4-pro", "kimi/kimi-k3"])
    );
    assert_eq!(row("/model haiku")["slot"], "fast");
    assert_eq!(row("subagent asking for haiku")["slot"], "subagent");
    let image = row("main turn with an image");
    assert_eq!(image["slot"], "vision");
    assert_eq!(image["why"], "has images; deepseek-v4-pro takes none");
    assert_eq!(row("main turn over 1000000 tokens")["slot"], "long_context");
    // A captured request from a file: the real subagent turn.
    let captured = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/claude-code/subagent-turn.json"
    );
    let r = home.run(&["route", "explain", "work", captured]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("subagent-turn.json"))
        .unwrap();
    assert!(
        line.contains("subagent") && line.contains("a subagent call"),
        "{}",
        r.stdout
    );
}

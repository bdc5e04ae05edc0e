//! Routes by request: subagent calls go to the subagent slot, whether
//! Claude Code marks them by header or only in the body.

use serde_json::json;

use crate::support::mock::{self, Mock};
use crate::support::proxy::{TOKEN, mk_proxy_config};

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
        let mut rb = p
            .http
            .post(format!("{}/v1/messages", p.base))
            .header("authorization", format!("Bearer {TOKEN}"))
            .json(&body);
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

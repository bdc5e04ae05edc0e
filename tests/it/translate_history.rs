//! History repair through a running proxy (issue 25): a profile whose
//! slots span an Anthropic-kind and an OpenAI-kind provider, thinking made
//! by each, and what each gets back on the next turn. The pure repairs
//! have their golden cases (`repair-*`); this shows the proxy wires them.

use serde_json::{Value, json};

use crate::support::mock::{End, Mock, Reply, sse, sse_raw};
use crate::support::proxy::mk_proxy_config;

/// An Anthropic-kind provider's own signature.
const SIG: &str = "EqQBCkgIARABGAIiQL0x+/Ab==";

/// An Anthropic stream of one thinking block (signed with `SIG`) and text.
fn thinking_reply() -> Reply {
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let chunks = [
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_a", "type": "message", "role": "assistant",
                "model": "m", "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "plan"}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": SIG}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "hello"}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 5}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    // Cut mid-event, as a network may: the tag must not care.
    let all = chunks.concat();
    let (a, b) = all.split_at(all.len() / 2);
    sse_raw(&[a, b], End::Close)
}

/// An OpenAI-kind stream with reasoning, then text.
fn reasoning_reply() -> Reply {
    let r = json!({"choices": [{"index": 0, "delta": {"reasoning_content": "think"}}]}).to_string();
    let c = json!({"choices": [{"index": 0, "delta": {"content": "ok"}}]}).to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string();
    sse(&[&r, &c, &f, "[DONE]"])
}

fn config(a: &Mock, o: Option<&Mock>) -> String {
    let an = format!(
        "[providers.an]\napi = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ keyring = true }}\n",
        a.url("/anthropic")
    );
    let (ds, fast) = match o {
        Some(o) => (
            format!(
                "[providers.ds]\npreset = \"deepseek\"\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ keyring = true }}\n",
                o.url("/v1")
            ),
            "{ provider = \"ds\", model = \"deepseek-v4-flash\" }",
        ),
        None => (String::new(), "\"an-fast\""),
    };
    format!("{an}{ds}[profiles.p]\nprovider = \"an\"\nmain = \"an-main\"\nfast = {fast}\n")
}

fn ask(model: &str, messages: Value) -> Value {
    json!({"model": model, "max_tokens": 1000, "stream": true, "messages": messages,
        "thinking": {"type": "adaptive"}})
}

/// The signature of the reply's thinking block, as Claude Code keeps it.
fn signature_in(sse: &str) -> String {
    let at = sse
        .find("\"signature_delta\",\"signature\":\"")
        .expect("a signature")
        + 31;
    let rest = &sse[at..];
    rest[..rest.find('"').expect("end")].to_string()
}

#[tokio::test]
async fn each_provider_gets_back_only_the_thinking_it_made() {
    let (a, o) = (Mock::start().await, Mock::start().await);
    let keys = [("an", "sk-a"), ("ds", "sk-d")];
    let p = mk_proxy_config(&config(&a, Some(&o)), &keys, |_| {}).await;
    // The Anthropic-kind provider's thinking comes back tagged.
    a.push(thinking_reply());
    let hi = json!({"role": "user", "content": "hi"});
    let first = p.post("/v1/messages", &ask("an-main", json!([hi]))).await;
    let first = first.text().await.unwrap();
    let tagged = signature_in(&first);
    assert_eq!(tagged, format!("ccswitch-signature-v2@an:{SIG}"));
    // The OpenAI-kind provider is not echoed it, and its own is tagged.
    let theirs = json!({"role": "assistant", "content": [
        {"type": "thinking", "thinking": "plan", "signature": tagged},
        {"type": "text", "text": "hello"}]});
    let more = json!({"role": "user", "content": "more"});
    o.push(reasoning_reply());
    let second = p
        .post(
            "/v1/messages",
            &ask("deepseek-v4-flash", json!([hi, theirs, more])),
        )
        .await;
    let second = second.text().await.unwrap();
    assert_eq!(signature_in(&second), "ccswitch-reasoning-v2@ds");
    let sent = o.last().json();
    assert_eq!(sent["messages"][1]["reasoning_content"], "", "{sent}");
    // Back on the Anthropic-kind provider: its own unwrapped, the other's
    // dropped.
    let mine = json!({"role": "assistant", "content": [
        {"type": "thinking", "thinking": "think", "signature": "ccswitch-reasoning-v2@ds"},
        {"type": "text", "text": "ok"}]});
    a.push(thinking_reply());
    let again = json!({"role": "user", "content": "again"});
    let _ = p
        .post(
            "/v1/messages",
            &ask("an-main", json!([hi, theirs, more, mine, again])),
        )
        .await
        .text()
        .await;
    let sent = a.last().json();
    assert_eq!(
        sent["messages"][1]["content"][0]["signature"], SIG,
        "{sent}"
    );
    assert_eq!(
        sent["messages"][3]["content"],
        json!([{"type": "text", "text": "ok"}]),
        "{sent}"
    );
}

#[tokio::test]
async fn a_single_provider_profile_passes_signatures_as_they_came() {
    let a = Mock::start().await;
    let p = mk_proxy_config(&config(&a, None), &[("an", "sk-a")], |_| {}).await;
    a.push(thinking_reply());
    let hi = json!([{"role": "user", "content": "hi"}]);
    let reply = p.post("/v1/messages", &ask("an-main", hi)).await;
    assert_eq!(signature_in(&reply.text().await.unwrap()), SIG);
}

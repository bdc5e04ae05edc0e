use serde_json::{Map, Value, json};

use super::domains;
use super::*;
use crate::hit::Hit;
use crate::proxy::translate::anthropic::{OutBlock, StopReason};

fn ids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("srvtoolu_{n}")
    }
}

fn body() -> Map<String, Value> {
    json!({
        "model": "m", "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "Perform a web search for the query: tokio"}],
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn call(query: &str) -> Value {
    json!({"content": [{"type": "tool_use", "id": "call_1", "name": "web_search", "input": {"query": query}}],
           "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5}})
}

fn text(t: &str) -> Value {
    json!({"content": [{"type": "text", "text": t}], "stop_reason": "end_turn",
           "usage": {"input_tokens": 30, "output_tokens": 7}})
}

fn hit() -> Hit {
    Hit {
        title: "Tokio".into(),
        url: "https://tokio.rs/".into(),
        snippet: "An async runtime".into(),
        page_age: None,
    }
}

#[test]
fn the_spec_is_read_from_the_tool() {
    let tools = json!([{"name": "Bash"}, {"type": "web_search_20250305", "name": "web_search", "max_uses": 3, "allowed_domains": ["docs.rs"]}]);
    let spec = find(&tools).unwrap();
    assert_eq!(spec.max_uses, 3);
    assert_eq!(spec.allowed_domains, ["docs.rs"]);
    assert_eq!(
        find(&json!([{"type": "web_search_20250305"}]))
            .unwrap()
            .max_uses,
        DEFAULT_MAX_USES
    );
    assert!(find(&json!([{"name": "Bash"}])).is_none());
}

#[test]
fn the_server_tool_becomes_a_function_and_the_call_is_not_streamed() {
    let mut l = Loop::start(body(), find(&body()["tools"]).unwrap());
    let LoopStep::Call(first) = l.step() else {
        panic!()
    };
    assert_eq!(first["stream"], false);
    assert_eq!(first["tools"][0]["name"], "web_search");
    assert!(first["tools"][0]["input_schema"]["properties"]["query"].is_object());
    assert!(first["tools"][0].get("type").is_none());
}

#[test]
fn one_search_then_the_answer() {
    let mut l = Loop::start(body(), find(&body()["tools"]).unwrap());
    let mut new_id = ids();
    assert!(matches!(l.step(), LoopStep::Call(_)));
    l.reply(&call("tokio"), &mut new_id);
    assert_eq!(l.step(), LoopStep::Search("tokio".into()));
    l.searched(Ok(vec![hit()]));
    let LoopStep::Call(second) = l.step() else {
        panic!()
    };
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["content"][0]["id"], "call_1");
    assert_eq!(msgs[2]["content"][0]["tool_use_id"], "call_1");
    assert!(
        msgs[2]["content"][0]["content"]
            .as_str()
            .unwrap()
            .contains("https://tokio.rs/")
    );
    l.reply(&text("Tokio is at https://tokio.rs/"), &mut new_id);
    assert_eq!(l.step(), LoopStep::Done);
    let m = l.message("msg_1", "m");
    let kinds: Vec<&str> = m
        .content
        .iter()
        .map(|b| match b {
            OutBlock::ServerToolUse { .. } => "server_tool_use",
            OutBlock::WebSearchToolResult { .. } => "web_search_tool_result",
            OutBlock::Text { .. } => "text",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["server_tool_use", "web_search_tool_result", "text"]);
    assert_eq!(m.usage.input_tokens, 40);
    assert_eq!(m.usage.output_tokens, 12);
    assert_eq!(m.usage.server_tool_use.unwrap().web_search_requests, 1);
    assert_eq!(m.stop_reason, Some(StopReason::EndTurn));
}

#[test]
fn the_loop_ends_past_max_uses() {
    let mut l = Loop::start(body(), find(&body()["tools"]).unwrap());
    let mut new_id = ids();
    let mut searches = 0;
    let mut calls = 0;
    loop {
        match l.step() {
            LoopStep::Call(_) => {
                calls += 1;
                // A model that never stops searching.
                l.reply(&call("again"), &mut new_id);
            }
            LoopStep::Search(_) => {
                searches += 1;
                l.searched(Ok(vec![hit()]));
            }
            LoopStep::Done => break,
        }
        assert!(calls < 10, "the loop did not end");
    }
    assert_eq!(searches, 2);
    assert_eq!(calls, 4);
    let m = l.message("msg", "m");
    assert_eq!(m.stop_reason, Some(StopReason::EndTurn));
    let errors = m
        .content
        .iter()
        .filter(|b| matches!(b, OutBlock::WebSearchToolResult { content, .. } if content["error_code"] == "max_uses_exceeded"))
        .count();
    assert_eq!(errors, 1);
}

#[test]
fn earlier_server_blocks_become_a_function_round_trip() {
    let mut messages = vec![
        json!({"role": "user", "content": "q"}),
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "Searching."},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "tokio"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
                {"type": "web_search_result", "title": "Tokio", "url": "https://tokio.rs/", "encrypted_content": "An async runtime"}]},
            {"type": "text", "text": "Found it."}]}),
        json!({"role": "user", "content": "thanks"}),
    ];
    unfold_history(&mut messages);
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
    assert_eq!(messages[1]["content"][1]["type"], "tool_use");
    let result = messages[2]["content"][0]["content"].as_str().unwrap();
    assert!(
        result.contains("https://tokio.rs/") && result.contains("An async runtime"),
        "{result}"
    );

    // Results last in the message: the tool result joins the next user turn.
    let mut tail = vec![
        json!({"role": "assistant", "content": [
            {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"query": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "s", "content": {"type": "web_search_tool_result_error", "error_code": "unavailable"}}]}),
        json!({"role": "user", "content": "go on"}),
    ];
    unfold_history(&mut tail);
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[1]["content"].as_array().unwrap().len(), 2);

    let mut plain = vec![json!({"role": "user", "content": "hi"})];
    unfold_history(&mut plain);
    assert_eq!(plain, vec![json!({"role": "user", "content": "hi"})]);
}

fn lists(allowed: &[&str], blocked: &[&str]) -> Spec {
    let s = |l: &[&str]| l.iter().map(|d| (*d).to_string()).collect();
    Spec {
        max_uses: 5,
        allowed_domains: s(allowed),
        blocked_domains: s(blocked),
    }
}

#[test]
fn allowed_domains_take_subdomains_and_paths_as_anthropic_does() {
    let spec = lists(
        &[
            "docs.rs",
            "example.com/blog",
            "API.Tokio.rs",
            "https://b.example/",
        ],
        &[],
    );
    for url in [
        "https://docs.rs/tokio",
        "https://www.docs.rs/",
        "http://a.b.docs.rs:8080/x",
        "https://DOCS.RS./x",
        "https://example.com/blog",
        "https://example.com/blog/post-1?x=1",
        "https://api.tokio.rs/",
        "https://v2.api.tokio.rs/",
        "https://b.example/any",
    ] {
        assert!(domains::keeps(&spec, url), "{url} should be kept");
    }
    for url in [
        "https://notdocs.rs/",
        "https://docs.rs.evil.example/",
        "https://evil.example/docs.rs",
        "https://example.com/",
        "https://example.com/blogger",
        "https://tokio.rs/",
        "https://user@evil.example/?docs.rs",
        "not a url",
    ] {
        assert!(!domains::keeps(&spec, url), "{url} should be dropped");
    }
}

#[test]
fn blocked_domains_drop_themselves_and_their_subdomains() {
    let spec = lists(&[], &["pinterest.com", "reddit.com/r/spam"]);
    for url in [
        "https://pinterest.com/x",
        "https://de.pinterest.com/",
        "https://reddit.com/r/spam/1",
    ] {
        assert!(!domains::keeps(&spec, url), "{url} should be dropped");
    }
    for url in [
        "https://notpinterest.com/",
        "https://reddit.com/r/rust",
        "https://tokio.rs/",
    ] {
        assert!(domains::keeps(&spec, url), "{url} should be kept");
    }
    // No lists: everything.
    assert!(domains::keeps(&lists(&[], &[]), "https://any.example/"));
}

#[test]
fn results_outside_the_lists_never_reach_the_client_or_the_model() {
    let mut body = body();
    body["tools"][0]["allowed_domains"] = json!(["tokio.rs"]);
    let spec = find(&body["tools"]).unwrap();
    let mut l = Loop::start(body, spec);
    let mut new_id = ids();
    assert!(matches!(l.step(), LoopStep::Call(_)));
    l.reply(&call("tokio"), &mut new_id);
    assert_eq!(l.step(), LoopStep::Search("tokio".into()));
    let other = Hit {
        title: "Elsewhere".into(),
        url: "https://tokio.rs.evil.example/".into(),
        snippet: "planted-elsewhere".into(),
        page_age: None,
    };
    l.searched(Ok(vec![other, hit()]));
    let LoopStep::Call(second) = l.step() else {
        panic!()
    };
    let model_text = second["messages"][2]["content"][0]["content"].to_string();
    assert!(model_text.contains("https://tokio.rs/"), "{model_text}");
    assert!(!model_text.contains("planted-elsewhere"), "{model_text}");
    l.reply(&text("done"), &mut new_id);
    let m = serde_json::to_string(&l.message("msg_1", "m")).unwrap();
    assert!(m.contains("https://tokio.rs/"), "{m}");
    assert!(!m.contains("evil.example"), "{m}");
}

#[test]
fn both_lists_at_once_are_refused_without_searching() {
    let mut body = body();
    body["tools"][0]["allowed_domains"] = json!(["tokio.rs"]);
    body["tools"][0]["blocked_domains"] = json!(["evil.example"]);
    let spec = find(&body["tools"]).unwrap();
    assert!(domains::conflict(&spec));
    let mut l = Loop::start(body, spec);
    let mut new_id = ids();
    assert!(matches!(l.step(), LoopStep::Call(_)));
    l.reply(&call("tokio"), &mut new_id);
    // Answered by the loop itself: no search step.
    let LoopStep::Call(second) = l.step() else {
        panic!("searched although both lists were given")
    };
    let said = second["messages"][2]["content"][0]["content"].to_string();
    assert!(said.contains("invalid_tool_input"), "{said}");
    assert!(said.contains("allowed_domains"), "{said}");
    l.reply(&text("done"), &mut new_id);
    let m = serde_json::to_value(l.message("msg_1", "m")).unwrap();
    assert_eq!(
        m["content"][1]["content"]["error_code"], "invalid_tool_input",
        "{m}"
    );
    assert!(m["usage"].get("server_tool_use").is_none(), "{m}");
}

#[test]
fn the_spec_survives_the_typed_request() {
    // The OpenAI-only proxy reads requests into types; the tool's options
    // must come through them.
    let tool = json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 3,
                      "allowed_domains": ["docs.rs"], "blocked_domains": ["evil.example"]});
    let typed: crate::proxy::translate::anthropic::Tool = serde_json::from_value(tool).unwrap();
    let spec = find(&serde_json::to_value([typed]).unwrap()).unwrap();
    assert_eq!(spec.max_uses, 3);
    assert_eq!(spec.allowed_domains, ["docs.rs"]);
    assert_eq!(spec.blocked_domains, ["evil.example"]);
}

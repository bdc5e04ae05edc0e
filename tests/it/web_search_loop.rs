//! The web search loop's real handler, in-process against mocks: what
//! Claude Code gets when the upstream fails mid-loop, and what the audit
//! log keeps of the loop (each inner call, and each search sent to the
//! third-party backend).

use std::sync::{Arc, Mutex};

use ccswitch::audit::AuditLog;
use ccswitch::config::{Audit, AuditLevel};
use ccswitch::proxy::translate::anthropic::Event;
use ccswitch::proxy::translate::grammar::check_sse;
use serde_json::{Value, json};

use crate::support::mock::{self, Mock, Reply, chat_completion};
use crate::support::proxy::{KEY, OPENAI, Proxy, mk_proxy_config};

const QUERY: &str = "tokio latest version";

fn searches() -> Reply {
    chat_completion(
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_in1",
               "type": "function", "function": {"name": "web_search",
               "arguments": json!({"query": QUERY}).to_string()}}]}),
        "tool_calls",
    )
}

/// Claude Code's WebSearch request.
fn ask(stream: bool) -> Value {
    json!({
        "model": "up-main", "max_tokens": 32000, "stream": stream,
        "messages": [{"role": "user", "content": format!("Perform a web search for the query: {QUERY}")}],
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 8}],
    })
}

/// A proxy on `up` with a SearXNG backend on `searx` that answers once,
/// and (at `level`) an audit log in `dir`.
async fn proxy(
    up: &Mock,
    searx: &Mock,
    level: AuditLevel,
    dir: &std::path::Path,
) -> (Proxy, Option<AuditLog>) {
    searx.push(mock::json(
        200,
        &json!({"query": QUERY, "results": [
            {"url": "https://tokio.rs/blog/1-50", "title": "Tokio 1.50 released",
             "content": "Tokio 1.50 adds io_uring by default."}]})
        .to_string(),
    ));
    let src = format!(
        "{OPENAI}\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\nfast = \"up-fast\"\n\
         [search]\nbackend = \"searxng\"\nurl = \"{}\"\n",
        searx.url("")
    )
    .replace("MOCK", &up.url(""));
    let audit = Arc::new(Mutex::new(None));
    let keep = audit.clone();
    let p = mk_proxy_config(&src, &[("up", KEY)], move |c| {
        let a = Audit {
            level,
            ..Audit::default()
        };
        let log = AuditLog::start(
            dir,
            a,
            c.redactor.clone(),
            Box::new(|_, _| None),
            c.log.clone(),
        );
        c.audit = log.as_ref().and_then(AuditLog::sink);
        *keep.lock().unwrap() = log;
    })
    .await;
    let log = audit.lock().unwrap().take();
    (p, log)
}

/// Before, the harness of `web_search_golden` wrote this case's error
/// event itself, and no test ran the handler's own: here the upstream
/// fails on the loop's second call, after the search's blocks went out.
#[tokio::test]
async fn an_upstream_error_mid_loop_ends_the_stream_with_an_error_event() {
    let (up, searx) = (Mock::start().await, Mock::start().await);
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = proxy(&up, &searx, AuditLevel::Off, dir.path()).await;
    up.push(searches());
    let echo = json!({"error": {"message": format!("overloaded, try later (key {KEY})")}});
    up.push(mock::json(529, &echo.to_string()));
    let resp = p.post("/v1/messages", &ask(true)).await;
    // The stream had started: the failure is an event, not a status.
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    check_sse(&text, false).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let evs = crate::support::proxy::events_of(&text);
    let kinds: Vec<&str> = evs.iter().map(Event::name).collect();
    assert_eq!(
        kinds,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_stop",
            "error",
        ],
        "{text}"
    );
    let Some(Event::Error { error }) = evs.last() else {
        unreachable!()
    };
    // Claude Code retries an overloaded error; it must say what happened,
    // without the key the upstream echoed.
    assert_eq!(error.kind, "overloaded_error", "{text}");
    assert!(
        error.message.contains("529") && error.message.contains("overloaded, try later"),
        "{}",
        error.message
    );
    assert!(!text.contains(KEY), "{text}");
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(logs.contains("web search loop ended early"), "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
}

/// Before, the loop's inner calls carried no body for the audit log and
/// the search itself was not audited: a WebSearch left no line at all,
/// though it sent the user's words to a third party.
#[tokio::test]
async fn the_audit_log_keeps_each_inner_call_and_each_search() {
    for level in [AuditLevel::Metadata, AuditLevel::Full] {
        let (up, searx) = (Mock::start().await, Mock::start().await);
        let dir = tempfile::tempdir().unwrap();
        let (p, log) = proxy(&up, &searx, level, dir.path()).await;
        up.push(searches());
        up.push(chat_completion(
            json!({"role": "assistant", "content": "Tokio 1.50 is the latest."}),
            "stop",
        ));
        let resp = p.post("/v1/messages", &ask(false)).await;
        assert_eq!(resp.status(), 200);
        resp.text().await.unwrap();
        p.handle.shutdown().await;
        drop(log);
        let text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let calls: Vec<&Value> = lines.iter().filter(|l| l.get("kind").is_none()).collect();
        let searches: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "web_search").collect();
        assert_eq!((calls.len(), searches.len()), (2, 1), "{level:?}: {text}");
        let s = searches[0];
        assert_eq!(s["backend"], "searxng");
        assert_eq!(s["results"], 1);
        assert_eq!(s["query_chars"], QUERY.len());
        assert!(s["duration_ms"].is_u64());
        assert!(s["request_id"].as_str().unwrap().starts_with("req_"));
        assert!(calls.iter().all(|c| c["request_bytes"].as_u64() > Some(0)));
        if level == AuditLevel::Full {
            assert_eq!(s["query"], QUERY);
            // The second call carried the search's results.
            let second = calls[1]["request"].to_string();
            assert!(second.contains("Tokio 1.50 adds io_uring"), "{second}");
        } else {
            assert!(s.get("query").is_none(), "{s}");
            assert!(!text.contains(QUERY), "{text}");
        }
    }
}

/// A web search tool with both domain lists is refused as Anthropic's API
/// refuses it (400 `invalid_request_error`), before any search or upstream
/// call: before, every search in it answered `invalid_tool_input` inside a
/// 200 and the model was called anyway.
#[tokio::test]
async fn both_domain_lists_are_a_bad_request() {
    let (up, searx) = (Mock::start().await, Mock::start().await);
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = proxy(&up, &searx, AuditLevel::Off, dir.path()).await;
    let mut req = ask(false);
    req["tools"][0]["allowed_domains"] = json!(["tokio.rs"]);
    req["tools"][0]["blocked_domains"] = json!(["example.com"]);
    let resp = p.post("/v1/messages", &req).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allowed_domains"),
        "{body}"
    );
    assert!(up.seen().is_empty() && searx.seen().is_empty());
}

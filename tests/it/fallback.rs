//! Fallback chains against scripted upstreams of both kinds: every trigger
//! moves a request on to the next target, translated for it; a user's error
//! (400/401/403/404) and a stream that already sent bytes never do; when
//! every target fails, Claude Code gets one error naming them all.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::clock::{Frozen, until, within};
use crate::support::mock::{self, End, Mock, Reply};
use crate::support::proxy::{Proxy, ProxyReply, events, mk_proxy_config, text_of};

/// Target a: Anthropic kind; b: OpenAI kind (its own model id and output
/// cap); c: Anthropic kind. `main` falls back a -> b -> c; `fast` has one
/// target.
async fn chain(
    a: &Mock,
    b: &Mock,
    c: &Mock,
    adjust: impl FnOnce(&mut ccswitch::proxy::ProxyConfig),
) -> Proxy {
    let src = format!(
        r#"
[breaker]
failures = 3
cooldown_s = 1
[providers.a]
api = "anthropic"
base_url = "{a}/anthropic"
auth = "x-api-key"
timeouts = {{ first_byte = 1, idle = 1 }}
[providers.b]
api = "openai"
base_url = "{b}/v1"
timeouts = {{ first_byte = 1, idle = 1 }}
[providers.b.models.b-model]
max_output = 4096
[providers.c]
api = "anthropic"
base_url = "{c}/anthropic"
auth = "x-api-key"
[profiles.p]
provider = "a"
main = ["a-model", {{ provider = "b", model = "b-model" }}, {{ provider = "c", model = "c-model" }}]
fast = "a-fast"
"#,
        a = a.url(""),
        b = b.url(""),
        c = c.url("")
    );
    mk_proxy_config(
        &src,
        &[("a", "sk-a-key"), ("b", "sk-b-key"), ("c", "sk-c-key")],
        adjust,
    )
    .await
}

/// Three scripted upstreams, for targets a, b and c.
async fn three() -> (Mock, Mock, Mock) {
    (
        Mock::start().await,
        Mock::start().await,
        Mock::start().await,
    )
}

fn ask(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 32000, "stream": stream,
           "messages": [{"role": "user", "content": "say hi"}]})
}

fn anthropic_message(text: &str) -> Reply {
    let content = if text.is_empty() {
        json!([])
    } else {
        json!([{"type": "text", "text": text}])
    };
    mock::json(
        200,
        &json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "x",
                "content": content, "stop_reason": "end_turn",
                "usage": {"input_tokens": 10, "output_tokens": 2}})
        .to_string(),
    )
}

fn openai_message(text: &str) -> Reply {
    mock::json(
        200,
        &json!({"id": "c1", "object": "chat.completion", "model": "b-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2}})
        .to_string(),
    )
}

fn error(status: u16) -> Reply {
    mock::json(
        status,
        &json!({"type": "error", "error": {"type": "x", "message": format!("scripted {status}")}})
            .to_string(),
    )
}

/// An Anthropic-kind stream from `model`: `message_start`, then a text
/// block with `text` when given, then the end when `finish`.
fn anthropic_stream(model: &str, text: Option<&str>, finish: bool, end: End) -> Reply {
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": "m", "type": "message",
        "role": "assistant", "model": model, "content": [], "stop_reason": null,
        "usage": {"input_tokens": 1, "output_tokens": 1}}}),
    ];
    if let Some(t) = text {
        events.push(json!({"type": "content_block_start", "index": 0,
                           "content_block": {"type": "text", "text": ""}}));
        events.push(json!({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": t}}));
    }
    if finish {
        if text.is_some() {
            events.push(json!({"type": "content_block_stop", "index": 0}));
        }
        events.push(
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                           "usage": {"input_tokens": 1, "output_tokens": 2}}),
        );
        events.push(json!({"type": "message_stop"}));
    }
    let chunks: Vec<String> = events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect();
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock::sse_raw(&refs, end)
}

/// c's whole answer, "from c": the end of the chains that move on to c.
fn from_c() -> Reply {
    anthropic_stream("c-model", Some("from c"), true, End::Close)
}

/// Whether a log line of the proxy contains `text`.
fn logged(p: &Proxy, text: &str) -> bool {
    p.logs.lock().unwrap().iter().any(|l| l.contains(text))
}

async fn text(resp: ProxyReply) -> String {
    let v: Value = resp.json().await.unwrap();
    v["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn every_trigger_moves_on_to_the_next_target_translated_for_it() {
    let triggers: Vec<(&str, Reply)> = vec![
        ("408", error(408)),
        ("429 without Retry-After", error(429)),
        (
            "429 with a long Retry-After",
            error(429).with_header("retry-after", "30"),
        ),
        ("500", error(500)),
        ("502", error(502)),
        ("503", error(503)),
        ("504", error(504)),
        ("529", error(529)),
        (
            "no first byte in time",
            mock::stall(200, "application/json"),
        ),
        ("an empty completion", anthropic_message("")),
    ];
    for (why, reply) in triggers {
        let (a, b, c) = three().await;
        let p = chain(&a, &b, &c, |_| {}).await;
        a.push(reply);
        b.push(openai_message("from b"));
        let resp = p.post("/v1/messages", &ask("a-model", false)).await;
        assert_eq!(resp.status(), 200, "{why}");
        assert_eq!(text(resp).await, "from b", "{why}");
        assert_eq!(
            (a.seen().len(), b.seen().len(), c.seen().len()),
            (1, 1, 0),
            "{why}"
        );
        // a's failure is an error of its own, but one the client never
        // saw: b answered for it.
        let stats = p.service.stats();
        assert_eq!((stats.total().errors, stats.recovered()), (1, 1), "{why}");
        // Translated for b: its model id, its API, its output cap.
        let sent = b.last().json();
        assert_eq!(sent["model"], "b-model", "{why}");
        assert_eq!(sent["max_tokens"], 4096, "{why}");
        assert_eq!(b.last().header("authorization"), Some("Bearer sk-b-key"));
        let logs = p.logs.lock().unwrap().join("\n");
        assert!(
            logs.contains("main a/a-model failed; trying b/b-model"),
            "{why}: {logs}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_target_and_an_empty_openai_reply_move_on_for_streams_too() {
    // a: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let (b, c) = (Mock::start().await, Mock::start().await);
    let a = Mock::start().await;
    let p = chain(&a, &b, &c, |cfg| {
        let up = cfg.upstreams.get("a").unwrap().clone();
        let mut provider = up.provider.clone();
        provider.base_url = Some(url::Url::parse(&format!("{dead_url}/anthropic")).unwrap());
        cfg.upstreams.insert(
            "a".into(),
            std::sync::Arc::new(ccswitch::proxy::Upstream::new(provider, None).unwrap()),
        );
    })
    .await;
    // b answers with nothing: an OpenAI completion with empty content.
    b.push(openai_message(""));
    c.push(from_c());
    let resp = p.post("/v1/messages", &ask("a-model", true)).await;
    assert_eq!(resp.status(), 200);
    let evs = events(resp).await;
    assert_eq!(text_of(&evs), "from c");
    assert_eq!((b.seen().len(), c.seen().len()), (1, 1));
    assert_eq!(c.last().json()["model"], "c-model");
}

#[tokio::test]
async fn the_users_errors_never_move_on_and_name_the_target() {
    for status in [400, 401, 403, 404] {
        let (a, b, c) = three().await;
        let p = chain(&a, &b, &c, |_| {}).await;
        a.push(error(status));
        let resp = p.post("/v1/messages", &ask("a-model", false)).await;
        let got = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        let want = if matches!(status, 401 | 403) {
            424
        } else {
            status
        };
        assert_eq!(got, want, "{status}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("a/a-model: "), "{status}: {message}");
        assert!(message.contains(&format!("scripted {status}")), "{message}");
        assert_eq!((b.seen().len(), c.seen().len()), (0, 0), "{status}");
    }
}

#[tokio::test]
async fn a_stream_that_already_sent_bytes_is_not_retried() {
    let (a, b, c) = three().await;
    let p = chain(&a, &b, &c, |_| {}).await;
    a.push(anthropic_stream("a-model", Some("half"), false, End::Reset));
    let resp = p.post("/v1/messages", &ask("a-model", true)).await;
    assert_eq!(resp.status(), 200);
    let evs = events(resp).await;
    assert_eq!(text_of(&evs), "half");
    let last = serde_json::to_value(evs.last().unwrap()).unwrap();
    assert_eq!(last["type"], "error", "{last}");
    assert_eq!((b.seen().len(), c.seen().len()), (0, 0));
}

#[tokio::test]
async fn when_every_target_fails_one_error_names_them_all() {
    let (a, b, c) = three().await;
    let p = chain(&a, &b, &c, |_| {}).await;
    a.push(error(503));
    b.push(error(529));
    c.push(error(529));
    let resp = p.post("/v1/messages", &ask("a-model", false)).await;
    assert_eq!(resp.status(), 529);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "overloaded_error");
    let message = body["error"]["message"].as_str().unwrap();
    for t in ["a/a-model", "b/b-model", "c/c-model"] {
        assert!(message.contains(t), "{message}");
    }
    // Not all overloaded: the last failure's status, so Claude Code
    // retries what is worth retrying and stops on what is not.
    a.push(error(503));
    b.push(error(500));
    c.push(error(401));
    let resp = p.post("/v1/messages", &ask("a-model", false)).await;
    assert_eq!(resp.status(), 424);
    assert_eq!(resp.headers()["x-should-retry"], "false");
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_on_the_same_target() {
    let (a, b, c) = three().await;
    let p = chain(&a, &b, &c, |_| {}).await;
    a.push(error(429).with_header("retry-after", "1"));
    a.push(anthropic_message("from a"));
    let t = std::time::Instant::now();
    let resp = p.post("/v1/messages", &ask("a-model", false)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(text(resp).await, "from a");
    // The whole Retry-After: a tokio sleep never ends before its deadline,
    // so no slack is needed (and none would hide a wait cut short).
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!((a.seen().len(), b.seen().len()), (2, 0));
    // Limited again after the wait: on to b.
    a.push(error(429).with_header("retry-after", "1"));
    a.push(error(429).with_header("retry-after", "1"));
    b.push(openai_message("from b"));
    let resp = p.post("/v1/messages", &ask("a-model", false)).await;
    assert_eq!(text(resp).await, "from b");
    assert_eq!((a.seen().len(), b.seen().len()), (4, 1));
}

#[tokio::test]
async fn a_one_target_slot_is_unchanged_and_each_attempt_is_a_ledger_row() {
    let (a, b, c) = three().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    let opened = ccswitch::usage::db::open(&path, 1).unwrap();
    let ledger = ccswitch::usage::Ledger::start(
        opened.conn,
        Box::new(|_, _| None),
        std::sync::Arc::new(|_: &str| {}),
    );
    let sink = ledger.sink().unwrap();
    let p = chain(&a, &b, &c, |cfg| cfg.usage = Some(sink.clone())).await;
    // The fast slot has one target: its 503 goes to Claude Code as it is.
    a.push(error(503));
    let resp = p.post("/v1/messages", &ask("a-fast", false)).await;
    assert_eq!(resp.status(), 529);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "upstream returned HTTP 503: scripted 503"
    );
    assert_eq!((a.seen().len(), b.seen().len()), (1, 0));
    // A fallback: two rows, attempts 0 and 1.
    a.push(error(503));
    b.push(openai_message("from b"));
    let resp = p.post("/v1/messages", &ask("a-model", false)).await;
    assert_eq!(resp.status(), 200);
    // An empty stream moves on, and its row keeps the usage it reported
    // (the provider bills it).
    a.push(anthropic_stream("a-model", None, true, End::Close));
    b.push(openai_message("from b"));
    let resp = p.post("/v1/messages", &ask("a-model", true)).await;
    assert_eq!(text_of(&events(resp).await), "from b");
    p.handle.shutdown().await;
    sink.sync();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(String, String, i64, i64, i64, i64)> = conn
        .prepare(
            "SELECT provider, model, status, attempt, input_tokens, output_tokens \
             FROM requests ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(p, m, s, a, i, o)| (p, m, s, a, (i, o)))
        .collect();
    assert_eq!(
        rows,
        [
            ("a".into(), "a-fast".into(), 529, 0, (0, 0)),
            ("a".into(), "a-model".into(), 529, 0, (0, 0)),
            ("b".into(), "b-model".into(), 200, 1, (10, 2)),
            ("a".into(), "a-model".into(), 200, 0, (1, 2)),
            ("b".into(), "b-model".into(), 200, 1, (10, 2)),
        ]
    );
}

#[tokio::test]
async fn the_breaker_opens_half_opens_and_closes() {
    let (a, b, c) = three().await;
    let dir = tempfile::tempdir().unwrap();
    let circuits = dir.path().join("circuits.json");
    let file = circuits.clone();
    let p = chain(&a, &b, &c, move |cfg| cfg.circuits = Some(file)).await;
    // The breakers go by tokio's clock. Held still, a cooldown ends only
    // when the test steps over it, however slowly the requests run.
    let clock = Frozen::new();
    let cooldown = Duration::from_secs(1);
    let just_before = cooldown - Duration::from_millis(1);
    let ask_once = |expect: &'static str| {
        let p = &p;
        within(ASK, "an answer", async move {
            let resp = p.post("/v1/messages", &ask("a-model", false)).await;
            assert_eq!(resp.status(), 200);
            assert_eq!(text(resp).await, expect);
        })
    };
    for _ in 0..3 {
        a.push(error(503));
        b.push(openai_message("from b"));
        ask_once("from b").await;
    }
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("breaker: a/a-model failed 3 times in a row"),
        "{logs}"
    );
    // Noted for other processes (the TUI's list, `ccswitch test`).
    let open = noted(&circuits, true).await;
    assert_eq!(
        (open[0].provider.as_str(), open[0].model.as_str()),
        ("a", "a-model")
    );
    assert_eq!((open[0].failures, open[0].profile.as_str()), (3, "p"));
    assert_eq!(open[0].until - open[0].since, 1, "the cooldown");
    // Open to the last moment of its cooldown: a is skipped, not even
    // asked.
    clock.advance(just_before).await;
    b.push(openai_message("from b"));
    ask_once("from b").await;
    assert_eq!((a.seen().len(), b.seen().len()), (3, 4));
    // Cooled down: one trial; it fails, so a is skipped again, for a whole
    // cooldown more.
    clock.advance(cooldown - just_before).await;
    a.push(error(503));
    b.push(openai_message("from b"));
    ask_once("from b").await;
    clock.advance(just_before).await;
    b.push(openai_message("from b"));
    ask_once("from b").await;
    assert_eq!((a.seen().len(), b.seen().len()), (4, 6));
    assert!(logged(&p, "a/a-model still fails"));
    // The next trial succeeds: closed, and a serves again.
    clock.advance(cooldown - just_before).await;
    a.push(anthropic_message("from a"));
    ask_once("from a").await;
    a.push(anthropic_message("from a"));
    ask_once("from a").await;
    assert_eq!((a.seen().len(), b.seen().len()), (6, 6));
    assert!(logged(&p, "a/a-model answers again"));
    assert!(
        noted(&circuits, false).await.is_empty(),
        "closed: not noted"
    );
    // A user's error does not count against a target.
    for _ in 0..4 {
        a.push(error(400));
        let resp = within(
            ASK,
            "an answer",
            p.post("/v1/messages", &ask("a-model", false)),
        )
        .await;
        assert_eq!(resp.status(), 400);
    }
    a.push(anthropic_message("from a"));
    ask_once("from a").await;
}

/// A hang guard for one request (real time: a generous bound, not a
/// measurement).
const ASK: Duration = Duration::from_secs(60);

/// `circuits.json` once it says the breaker is open (or no longer), which
/// the proxy writes off the request's path.
async fn noted(path: &std::path::Path, open: bool) -> Vec<ccswitch::circuits::Circuit> {
    let mut all = Vec::new();
    let what = format!("circuits.json to say open = {open}");
    until(Duration::from_secs(30), &what, || {
        all = ccswitch::circuits::read(path, std::time::SystemTime::now());
        all.is_empty() != open
    })
    .await;
    all
}

const START: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"a-model\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n";

/// Before any byte reached Claude Code, a stream that ends empty, reports
/// an error, breaks or goes quiet moves on like any failure.
#[tokio::test]
async fn a_stream_that_fails_before_its_first_content_moves_on() {
    let overloaded = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let cases: Vec<(&str, Reply)> = vec![
        (
            "ends empty",
            anthropic_stream("a-model", None, true, End::Close),
        ),
        (
            "an error event",
            mock::sse_raw(&[START, overloaded], End::Close),
        ),
        (
            "breaks",
            anthropic_stream("a-model", None, false, End::Reset),
        ),
        (
            "goes quiet",
            anthropic_stream("a-model", None, false, End::Hang),
        ),
    ];
    for (why, reply) in cases {
        let (a, b, c) = three().await;
        let p = chain(&a, &b, &c, |_| {}).await;
        a.push(reply);
        b.push(mock::openai_text("from b"));
        let resp = p.post("/v1/messages", &ask("a-model", true)).await;
        assert_eq!(resp.status(), 200, "{why}");
        let evs = events(resp).await;
        assert_eq!(text_of(&evs), "from b", "{why}");
        // One message_start: a's held one never went out.
        let starts = evs
            .iter()
            .filter(|e| serde_json::to_value(e).unwrap()["type"] == "message_start")
            .count();
        assert_eq!(starts, 1, "{why}");
        assert_eq!((a.seen().len(), b.seen().len()), (1, 1), "{why}");
    }
    // An OpenAI-kind stream with a role chunk and a finish, nothing else.
    let (a, b, c) = three().await;
    let p = chain(&a, &b, &c, |_| {}).await;
    a.push(error(503));
    let role = json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        .to_string();
    let fin = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string();
    b.push(mock::sse(&[&role, &fin, "[DONE]"]));
    c.push(from_c());
    let resp = p.post("/v1/messages", &ask("a-model", true)).await;
    assert_eq!(text_of(&events(resp).await), "from c");
    assert_eq!((a.seen().len(), b.seen().len(), c.seen().len()), (1, 1, 1));
}

//! Fallback with real Claude Code through `ccswitch run`: the main slot's
//! first upstream answers 529, or drops every connection before answering,
//! and the session still completes a Bash tool round trip on the second
//! upstream, with no retry storm on either.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::support::Home;
use crate::support::claude::ccswitch_run_in;
use crate::support::mock::{self, Mock, Reply};

fn text(t: &str) -> Reply {
    mock::openai_text_usage(t, 40, 4)
}

fn bash(command: &str) -> Reply {
    let args = json!({"command": command, "description": "Print a marker"}).to_string();
    let call = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
        "id": "call_fb1", "type": "function",
        "function": {"name": "Bash", "arguments": args}}]}}]})
    .to_string();
    let f =
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string();
    mock::sse(&[&call, &f, "[DONE]"])
}

/// A listener that accepts connections and closes them at once, counting.
async fn dropping() -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (url, n)
}

/// Claude Code's arguments: a session that runs the marker command.
const RUN_MARKER: &[&str] = &[
    "-p",
    "run the marker command",
    "--output-format",
    "json",
    "--allowedTools",
    "Bash",
    "--no-session-persistence",
];

#[tokio::test]
async fn a_session_completes_a_bash_round_trip_on_the_second_upstream() {
    for first in ["529", "dropped connections"] {
        let [a, b, fast] = Mock::start_n().await;
        let (dropper, dropped) = dropping().await;
        let a_url = if first == "529" {
            for _ in 0..10 {
                a.push(mock::json(
                    529,
                    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                ));
            }
            a.url("/anthropic")
        } else {
            format!("{dropper}/anthropic")
        };
        b.push(bash("echo ccswitch-fallback-7"));
        b.push(text("The marker was printed."));
        for _ in 0..6 {
            fast.push(text("ok"));
        }
        let home = Home::new();
        home.write_config(&format!(
            "[providers.a]\napi = \"anthropic\"\nbase_url = \"{a_url}\"\nauth = \"x-api-key\"\n\
             key = {{ env = \"UP_KEY\" }}\n\
             [providers.b]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [providers.f]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [profiles.p]\nprovider = \"a\"\n\
             main = [\"a-main\", {{ provider = \"b\", model = \"b-main\" }}]\n\
             fast = {{ provider = \"f\", model = \"f-fast\" }}\n",
            b.url("/v1"),
            fast.url("/v1")
        ));
        let chome = tempfile::tempdir().unwrap();
        let env = [("UP_KEY", "sk-fallback")];
        let r = ccswitch_run_in(&home, "p", RUN_MARKER, chome.path(), &env).await;
        assert_eq!(r.code, 0, "{first}: {}\n{}", r.stdout, r.stderr);
        let result: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        assert_eq!(result["is_error"], false, "{first}: {}", r.stdout);
        assert_eq!(result["result"], "The marker was printed.", "{first}");
        // The tool result went to b with the marker in it.
        let seen = b.seen();
        assert_eq!(seen.len(), 2, "{first}: b saw {seen:?}");
        assert!(seen[1].body.contains("ccswitch-fallback-7"), "{first}");
        assert_eq!(seen[1].json()["model"], "b-main");
        // One try of a per main request: no retry storm.
        let tries = if first == "529" {
            a.seen().len()
        } else {
            dropped.load(Ordering::SeqCst)
        };
        // Two main requests (the call, then its result), each tried on a
        // once; the breaker (three failures) has not opened yet.
        assert_eq!(tries, 2, "{first}: a was tried {tries} times");
    }
}

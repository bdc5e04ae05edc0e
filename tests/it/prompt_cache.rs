//! Prompt-cache fidelity with real Claude Code: providers cache by prefix,
//! so a request whose prefix moves pays full input price again. A seven
//! turn session (Bash, a ToolSearch load of WebFetch, three more Bash
//! calls, an answer, and a `--continue` turn) through ccswitch, on the
//! translated and the passthrough path, against upstreams that report the
//! longest prefix shared with any earlier request as cached
//! (support/prefix_cache.rs). From the second request on, at least 90 %
//! of the input must come from the cache.

use serde_json::json;

use crate::support::Home;
use crate::support::claude::stream_json;
use crate::support::mock::Mock;
use crate::support::prefix_cache::{self, Ledger, Turn, call, text};

fn session() -> Vec<Turn> {
    let bash = |id: &str, cmd: &str| {
        call(
            "Bash",
            id,
            json!({"command": cmd, "description": "Run a command"}),
        )
    };
    vec![
        bash("call_1", "ls"),
        call(
            "ToolSearch",
            "call_2",
            json!({"query": "select:WebFetch", "max_results": 1}),
        ),
        bash("call_3", "echo one"),
        bash("call_4", "echo two"),
        bash("call_5", "echo three"),
        text("All three ran."),
        text("Nothing else is needed."),
        text("A new conversation."),
    ]
}

/// Runs the session on `api` and returns what the cache saw per request.
async fn run_session(api: &str) -> (Ledger, Home) {
    let up = Mock::start().await;
    let ledger = Ledger::default();
    let home = Home::new();
    let base = if api == "openai" {
        up.url("/v1")
    } else {
        up.url("")
    };
    home.write_config(&format!(
        "[providers.up]\napi = \"{api}\"\nbase_url = \"{base}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m-main\"\n"
    ));
    for turn in session() {
        up.push(if api == "openai" {
            prefix_cache::openai(turn, &ledger)
        } else {
            prefix_cache::anthropic(turn, &ledger)
        });
    }
    let chome = tempfile::tempdir().unwrap();
    let run = |prompt: &'static str, more: &'static [&'static str]| {
        let mut args = vec!["--allowedTools", "Bash"];
        args.extend(more);
        let (home, chome) = (&home, chome.path().to_path_buf());
        async move { stream_json(home, "p", &chome, prompt, &args).await }
    };
    let r = run("run ls, load WebFetch, then echo one, two and three", &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = run("anything else?", &["--continue"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // A new conversation in the same folder: it shares the tools and the
    // system prompt with the first one.
    let r = run("something unrelated", &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(ledger.all().len(), 8, "{:?}", ledger.all());
    (ledger, home)
}

/// The ledger's own figure for the same requests: what `ccswitch usage`
/// and the status line show.
fn ledger_share(home: &Home) -> f64 {
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let (input, read): (i64, i64) = db
        .query_row(
            "SELECT total(input_tokens), total(cache_read_tokens) FROM requests WHERE id BETWEEN 2 AND 7",
            [],
            |r| Ok((r.get::<_, f64>(0)? as i64, r.get::<_, f64>(1)? as i64)),
        )
        .unwrap();
    read as f64 / (input + read).max(1) as f64
}

#[tokio::test]
async fn a_session_keeps_its_prefix_cached_on_both_paths() {
    let mut report = Vec::new();
    let mut shares = Vec::new();
    for api in ["openai", "anthropic"] {
        let (ledger, home) = run_session(api).await;
        let session = ledger.share(1..7);
        let fresh = ledger.share(7..8);
        let per: Vec<String> = ledger
            .all()
            .iter()
            .map(|s| format!("{:.0}%", s.cached as f64 * 100.0 / s.total.max(1) as f64))
            .collect();
        report.push(format!(
            "{api}: {:.1}% of input from the cache over requests 2-7 (ledger {:.1}%); \
             a new conversation's first request {:.1}%; per request {}",
            session * 100.0,
            ledger_share(&home) * 100.0,
            fresh * 100.0,
            per.join(" ")
        ));
        shares.push((session, fresh));
        if api == "openai" {
            // The status line shows the last session's hit rate: its one
            // request found everything but its question cached.
            let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
            let session: String = db
                .query_row(
                    "SELECT session FROM requests ORDER BY id DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let env = [
                ("CCSWITCH_PROFILE", "p"),
                ("CCSWITCH_SESSION", session.as_str()),
            ];
            let r = home.run_stdin(&["statusline"], "{}", &env);
            r.ok();
            assert!(r.stdout.contains(" · cache 100% · "), "{}", r.stdout);
        }
    }
    let report = report.join("\n");
    eprintln!("{report}");
    for (session, fresh) in shares {
        assert!(session >= 0.90, "{report}");
        // The tools and the system prompt (about three quarters of a first
        // request) carry over to a new conversation.
        assert!(fresh >= 0.70, "{report}");
    }
}

/// A cache write kept for an hour costs what the provider says (Anthropic:
/// twice the input price), not the 5-minute price (1.25 times): the ledger
/// read only `cache_creation_input_tokens` and priced it all as 5-minute.
#[tokio::test]
async fn hour_long_cache_writes_are_priced_as_such() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "[providers.an]\npreset = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"an\"\nmain = \"claude-sonnet-4-5\"\n",
        up.url("")
    ));
    let ev = |name: &str, data: serde_json::Value| format!("event: {name}\ndata: {data}\n\n");
    let chunks = [
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1h", "type": "message",
                "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
                "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 0, "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 1_000_000,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                       "ephemeral_1h_input_tokens": 1_000_000},
                    "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
                   "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "text_delta", "text": "ok"}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                "stop_sequence": null}, "usage": {"output_tokens": 0}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    up.push(crate::support::mock::sse_raw(
        &refs,
        crate::support::mock::End::Close,
    ));
    let mut s = crate::support::serve::Serve::start(&home, "p", "sk-1h");
    let (status, _) = s.ask("claude-sonnet-4-5", true).await;
    assert_eq!(status, 200);
    s.stop();
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let cost: f64 = db
        .query_row("SELECT cost_usd FROM requests", [], |r| r.get(0))
        .unwrap();
    // A million tokens written for an hour at $6 (Sonnet 4.5: $3 input).
    assert!((cost - 6.0).abs() < 1e-6, "cost ${cost}");
}

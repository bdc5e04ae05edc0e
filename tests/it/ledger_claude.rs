//! The ledger against real Claude Code through `ccswitch run`: every
//! request the upstreams saw is one row, with the main, fast and subagent
//! slots told apart and subagent calls marked. Both subagents go to the
//! subagent slot, the one that asked for the `haiku` alias too.

use serde_json::json;

use crate::support::Home;
use crate::support::claude::ccswitch_run_in;
use crate::support::mock::{self, Mock, Reply};

fn text(t: &str) -> Reply {
    mock::openai_text_usage(t, 40, 4)
}

/// Two Agent calls at once: one on the `haiku` alias (the fast slot), one
/// on the subagent model.
fn two_agents() -> Reply {
    let call = |i: usize, input: serde_json::Value| {
        json!({"index": i, "id": format!("call_agent{i}"), "type": "function",
               "function": {"name": "Agent", "arguments": input.to_string()}})
    };
    let calls = json!({"choices": [{"index": 0, "delta": {"tool_calls": [
        call(0, json!({"description": "Quick check", "prompt": "Say done.", "subagent_type": "general-purpose", "model": "haiku"})),
        call(1, json!({"description": "Other check", "prompt": "Say done.", "subagent_type": "general-purpose"})),
    ]}}]})
    .to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
                   "usage": {"prompt_tokens": 40, "completion_tokens": 9}})
    .to_string();
    mock::sse(&[&calls, &f, "[DONE]"])
}

/// Claude Code's arguments: a session that runs two subagents.
const TWO_CHECKS: &[&str] = &[
    "-p",
    "run two checks",
    "--output-format",
    "stream-json",
    "--verbose",
    "--no-session-persistence",
    // Named: 2.1.300 defaults `-p` to auto mode, whose safety check these
    // scripted upstreams do not answer.
    "--permission-mode",
    "acceptEdits",
];

#[tokio::test]
async fn ledger_rows_match_what_the_upstreams_saw_slot_by_slot() {
    let [main, fast, sub] = Mock::start_n().await;
    let home = Home::new();
    home.write_config(&format!(
        "{}{}{}[profiles.p]\nprovider = \"ma\"\nmain = \"m-main\"\n\
         fast = {{ provider = \"fa\", model = \"m-fast\" }}\n\
         subagent = {{ provider = \"sa\", model = \"m-sub\" }}\n",
        mock::openai_provider("ma", &main),
        mock::openai_provider("fa", &fast),
        mock::openai_provider("sa", &sub)
    ));
    main.push(two_agents());
    for _ in 0..6 {
        main.push(text("Main done."));
        fast.push(text("done"));
        sub.push(text("done"));
    }
    let chome = tempfile::tempdir().unwrap();
    let env = [("UP_KEY", "sk-ledger"), ("CLAUDE_CODE_MAX_RETRIES", "1")];
    let r = ccswitch_run_in(&home, "p", TWO_CHECKS, chome.path(), &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (m, f, s) = (main.seen().len(), fast.seen().len(), sub.seen().len());
    assert!(
        m >= 2 && s >= 2,
        "main {m}, fast {f}, sub {s}\n{}",
        r.stdout
    );

    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let count = |slot: &str, subagent: bool| -> usize {
        db.query_row(
            "SELECT count(*) FROM requests WHERE slot = ?1 AND subagent = ?2",
            rusqlite::params![slot, subagent],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize
    };
    assert_eq!(count("main", false), m, "main rows");
    assert_eq!(count("main", true), 0);
    assert_eq!(count("fast", true), 0, "no subagent call on the fast slot");
    assert_eq!(count("fast", false), f);
    assert_eq!(count("subagent", true), s, "both subagents' rows");
    let models: Vec<String> = sub
        .seen()
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(models.iter().all(|m| m == "m-sub"), "{models:?}");
    let total: i64 = db
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total as usize, m + f + s);
    let cc: i64 = db
        .query_row(
            "SELECT count(DISTINCT cc_session) FROM requests WHERE cc_session IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cc, 1, "one Claude Code session id on every row");
}

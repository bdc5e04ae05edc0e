//! The pinned real Claude Code through `ccswitch run` on a Vertex profile:
//! it sees only the proxy (an inherited CLAUDE_CODE_USE_VERTEX is
//! removed), the proxy gets Google tokens for the Vertex mock from a
//! service-account key, and a Bash round trip completes; the ledger has
//! the Vertex model id and a cost.

use std::time::Duration;

use serde_json::json;

use crate::support::claude::ccswitch_run;
use crate::support::vertex::{
    HAIKU, SA_EMAIL, VertexMock, isolate, provider, service_account_file,
};
use crate::support::{Home, output_within};

#[tokio::test]
async fn claude_code_runs_a_bash_round_trip_on_vertex_through_the_proxy() {
    let mock = VertexMock::start("us-east5", &[]);
    let home = Home::new();
    home.write_config(&format!(
        "{}[profiles.v]\nprovider = \"gcp\"\nmain = \"{HAIKU}\"\n",
        provider("gcp", "us-east5", &mock, "")
    ));
    let sa = service_account_file(&home, &mock);
    mock.script(json!([
        {"kind": "tool", "name": "Bash", "id": "toolu_vrtx_1",
         "input": {"command": "echo vertex-round-trip", "description": "Print a word"}},
        {"kind": "text", "text": "The command printed vertex-round-trip."}
    ]))
    .await;
    let chome = tempfile::tempdir().unwrap();
    let args = [
        "-p",
        "run echo vertex-round-trip",
        "--output-format",
        "stream-json",
        "--verbose",
        "--allowedTools",
        "Bash",
        "--no-session-persistence",
        "--permission-mode",
        "acceptEdits",
    ];
    let mut cmd = ccswitch_run(&home, "v", &args, chome.path());
    isolate(&mut cmd, &home);
    cmd.env("GOOGLE_APPLICATION_CREDENTIALS", &sa)
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        // Claude Code's own Vertex mode would bypass the proxy.
        .env("CLAUDE_CODE_USE_VERTEX", "1");
    let run = output_within(cmd, Duration::from_secs(120)).await;
    assert_eq!(
        run.result()["is_error"],
        false,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.tool_result_with("vertex-round-trip")
            .contains("vertex-round-trip")
    );

    let seen = mock.predicts().await;
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.iter().all(|r| r["auth"] == format!("jwt:{SA_EMAIL}")),
        "all with a verified token: {seen:?}"
    );
    let follow = seen
        .iter()
        .find(|r| {
            r["body"]
                .to_string()
                .contains("\"tool_use_id\":\"toolu_vrtx_1\"")
        })
        .unwrap_or_else(|| panic!("no tool result went back: {seen:?}"));
    assert_eq!(follow["body"]["anthropic_version"], "vertex-2023-10-16");
    assert!(follow["body"].get("model").is_none());
    assert!(
        follow["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/models/{HAIKU}:streamRawPredict"))
    );

    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let rows: Vec<(String, String, Option<f64>)> = db
        .prepare("SELECT provider, model, cost_usd FROM requests WHERE status = 200")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), seen.len(), "{rows:?}");
    for (p, m, cost) in rows {
        assert_eq!((p.as_str(), m.as_str()), ("gcp", HAIKU));
        assert!(cost.is_some_and(|c| c > 0.0), "{cost:?}");
    }
}

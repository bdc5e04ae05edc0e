//! The pinned real Claude Code through `ccswitch run` on a Bedrock
//! profile: it sees only the proxy (an inherited CLAUDE_CODE_USE_BEDROCK is
//! removed), the proxy signs for the Bedrock mock, and a Bash round trip
//! completes; the ledger has the cloud model id and a cost.

use std::time::Duration;

use serde_json::json;

use crate::support::bedrock::{BedrockMock, ENV_CREDS, HAIKU, isolate, provider};
use crate::support::claude::ccswitch_run;
use crate::support::{Home, output_within};

#[tokio::test]
async fn claude_code_runs_a_bash_round_trip_on_bedrock_through_the_proxy() {
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    let home = Home::new();
    home.write_config(&format!(
        "{}[profiles.b]\nprovider = \"aws\"\nmain = \"{HAIKU}\"\n",
        provider("aws", "us-east-1", &mock, "")
    ));
    mock.script(json!([
        {"kind": "tool", "name": "Bash", "id": "toolu_bdrk_1",
         "input": {"command": "echo bedrock-round-trip", "description": "Print a word"}},
        {"kind": "text", "text": "The command printed bedrock-round-trip."}
    ]))
    .await;
    let chome = tempfile::tempdir().unwrap();
    let args = [
        "-p",
        "run echo bedrock-round-trip",
        "--output-format",
        "stream-json",
        "--verbose",
        "--allowedTools",
        "Bash",
        "--no-session-persistence",
        "--permission-mode",
        "acceptEdits",
    ];
    let mut cmd = ccswitch_run(&home, "b", &args, chome.path());
    isolate(&mut cmd, &home);
    cmd.envs(ENV_CREDS)
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        // Claude Code's own Bedrock mode would bypass the proxy.
        .env("CLAUDE_CODE_USE_BEDROCK", "1");
    let run = output_within(cmd, Duration::from_secs(120)).await;
    assert_eq!(
        run.result()["is_error"],
        false,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.tool_result_with("bedrock-round-trip")
            .contains("bedrock-round-trip")
    );

    let seen = mock.requests().await;
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.iter().all(|r| r["auth"] == "AKIDENV"),
        "all signed: {seen:?}"
    );
    let follow = seen
        .iter()
        .find(|r| {
            r["body"]
                .to_string()
                .contains("toolu_bdrk_1\",\"type\":\"tool_result\"")
                || r["body"]
                    .to_string()
                    .contains("\"tool_use_id\":\"toolu_bdrk_1\"")
        })
        .unwrap_or_else(|| panic!("no tool result went back: {seen:?}"));
    assert_eq!(follow["body"]["anthropic_version"], "bedrock-2023-05-31");
    assert!(
        follow["path"]
            .as_str()
            .unwrap()
            .ends_with("/invoke-with-response-stream")
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
        assert_eq!((p.as_str(), m.as_str()), ("aws", HAIKU));
        assert!(cost.is_some_and(|c| c > 0.0), "{cost:?}");
    }
}

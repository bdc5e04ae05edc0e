//! Tool search with real Claude Code on an OpenAI-kind profile (and an
//! Anthropic-kind one the proxy applies it for) and a test MCP server with
//! 60 tools (`tests/fixtures/mcp/inventory.py`): the first upstream request
//! carries none of their schemas, and a deferred tool is found with
//! ToolSearch and called end to end.

use serde_json::{Value, json};

use crate::golden::fixtures;
use crate::support::Home;
use crate::support::claude::ccswitch_run_in;
use crate::support::mock::{self, Mock, Reply};

/// A tool's name, in either API's shape.
fn name_of(t: &Value) -> &str {
    t["function"]["name"]
        .as_str()
        .or_else(|| t["name"].as_str())
        .unwrap_or_default()
}

/// Tool names and the bytes of their definitions in an upstream request.
fn tools_of(body: &Value) -> (Vec<String>, usize, usize) {
    let tools = body["tools"].as_array().cloned().unwrap_or_default();
    let names = tools.iter().map(|t| name_of(t).to_string()).collect();
    let all = serde_json::to_string(&tools).unwrap().len();
    let mcp: usize = tools
        .iter()
        .filter(|t| name_of(t).starts_with("mcp__"))
        .map(|t| t.to_string().len())
        .sum();
    (names, all, mcp)
}

/// The upstream's kind for `session`: OpenAI (translated) or Anthropic
/// (passed through, on a provider without the `tool_search` quirk).
#[derive(Clone, Copy)]
enum Kind {
    Openai,
    Anthropic,
}

async fn session(
    tool_search: Option<bool>,
    script: &[Reply],
    prompt: &str,
) -> (crate::support::Run, Vec<Value>) {
    session_on(Kind::Openai, tool_search, script, prompt).await
}

async fn session_on(
    kind: Kind,
    tool_search: Option<bool>,
    script: &[Reply],
    prompt: &str,
) -> (crate::support::Run, Vec<Value>) {
    let (up, fast) = (Mock::start().await, Mock::start().await);
    for _ in 0..6 {
        fast.push(mock::openai_text("ok"));
    }
    for r in script {
        up.push(r.clone());
    }
    let home = Home::new();
    let setting = tool_search.map_or(String::new(), |on| format!("tool_search = {on}\n"));
    let mut config = mock::two_upstreams_config(&up, &fast, &setting);
    if let Kind::Anthropic = kind {
        let openai = format!("api = \"openai\"\nbase_url = \"{}\"", up.url("/v1"));
        let anthropic = format!(
            "api = \"anthropic\"\nbase_url = \"{}\"",
            up.url("/anthropic")
        );
        config = config.replacen(&openai, &anthropic, 1);
    }
    home.write_config(&config);
    let chome = tempfile::tempdir().unwrap();
    let server = fixtures().join("mcp/inventory.py");
    let mcp = json!({"mcpServers": {"inv": {"type": "stdio", "command": "python3",
        "args": [server.to_str().unwrap()]}}});
    let mcp_file = chome.path().join("mcp.json");
    std::fs::write(&mcp_file, mcp.to_string()).unwrap();
    let r = ccswitch_run_in(
        &home,
        "p",
        &[
            "-p",
            prompt,
            "--mcp-config",
            mcp_file.to_str().unwrap(),
            "--strict-mcp-config",
            "--allowedTools",
            "ToolSearch,mcp__inv__tool_07",
            "--output-format",
            "stream-json",
            "--verbose",
            "--no-session-persistence",
        ],
        chome.path(),
        &[("UP_KEY", "sk-toolsearch")],
    )
    .await;
    let bodies = up.seen().iter().map(mock::Recorded::json).collect();
    (r, bodies)
}

#[tokio::test]
async fn mcp_tools_stay_out_of_requests_until_tool_search_loads_one() {
    // Tool search off: every MCP tool's schema in the first request.
    let (r, off) = session(Some(false), &[mock::openai_text("hi")], "say hi").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (names, off_all, off_mcp) = tools_of(&off[0]);
    assert_eq!(
        names.iter().filter(|n| n.starts_with("mcp__inv__")).count(),
        60,
        "{names:?}"
    );

    // ccswitch's default: the same session sends none of them.
    let script = [
        mock::openai_call(
            "ToolSearch",
            "call_ts",
            &json!({"query": "select:mcp__inv__tool_07", "max_results": 1}),
        ),
        mock::openai_call("mcp__inv__tool_07", "call_inv", &json!({"item": "apples"})),
        mock::openai_text("There are apples in stock."),
    ];
    let (r, on) = session(None, &script, "how many apples are in stock?").await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (names, on_all, on_mcp) = tools_of(&on[0]);
    assert!(!names.iter().any(|n| n.starts_with("mcp__")), "{names:?}");
    // Claude Code's placeholder is deferred and never loaded: held back.
    assert!(
        !names.iter().any(|n| n == "DeferredToolPlaceholder"),
        "{names:?}"
    );
    eprintln!(
        "tool schema bytes in the first request: tool search off {off_all} (MCP {off_mcp}), on {on_all} (MCP {on_mcp})"
    );
    assert_eq!(on_mcp, 0);
    // What is left is Claude Code's own always-loaded tools (about 30 KB).
    assert!(on_all * 100 <= off_all * 30, "on {on_all} vs off {off_all}");

    // ToolSearch loaded one tool: it alone joins the request, is called,
    // and its result reaches the model.
    assert_eq!(on.len(), 3, "{on:#?}");
    let (names, ..) = tools_of(&on[1]);
    let mcp: Vec<&String> = names.iter().filter(|n| n.starts_with("mcp__")).collect();
    assert_eq!(mcp, ["mcp__inv__tool_07"], "{names:?}");
    assert!(
        on[2].to_string().contains("MARKER-tool_07-apples"),
        "{}",
        on[2]
    );
    assert_eq!(r.result()["result"], "There are apples in stock.");
}

/// The same on an Anthropic-compatible upstream whose preset does not say
/// it honours tool search: the passthrough applies it, so the upstream
/// never sees `defer_loading` or a `tool_reference` block.
#[tokio::test]
async fn anthropic_kind_upstreams_get_tool_search_applied_too() {
    let script = [
        mock::anthropic_call(
            "ToolSearch",
            "toolu_ts",
            &json!({"query": "select:mcp__inv__tool_07", "max_results": 1}),
        ),
        mock::anthropic_call("mcp__inv__tool_07", "toolu_inv", &json!({"item": "apples"})),
        mock::anthropic_text("There are apples in stock."),
    ];
    let (r, seen) = session_on(
        Kind::Anthropic,
        None,
        &script,
        "how many apples are in stock?",
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(seen.len(), 3, "{seen:#?}");
    for body in &seen {
        let text = body.to_string();
        assert!(!text.contains("defer_loading"), "{text}");
        assert!(!text.contains("\"tool_reference\""), "{text}");
    }
    let (names, ..) = tools_of(&seen[0]);
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("mcp__") || n == "DeferredToolPlaceholder"),
        "{names:?}"
    );
    let (names, ..) = tools_of(&seen[1]);
    let mcp: Vec<&String> = names.iter().filter(|n| n.starts_with("mcp__")).collect();
    assert_eq!(mcp, ["mcp__inv__tool_07"], "{names:?}");
    assert!(
        seen[1]
            .to_string()
            .contains("Tool mcp__inv__tool_07 loaded"),
        "{}",
        seen[1]
    );
    assert!(seen[2].to_string().contains("MARKER-tool_07-apples"));
    assert_eq!(r.result()["result"], "There are apples in stock.");
}

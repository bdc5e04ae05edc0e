//! WebSearch with real Claude Code on an OpenAI-kind profile: the proxy
//! runs Anthropic's `web_search` server tool against a mock SearXNG, or
//! with the provider's own search (GLM), and Claude Code gets the result
//! blocks it expects. Without a backend the search answers with the fix,
//! at once.

use std::time::Duration;

use serde_json::json;

use crate::support::claude::ccswitch_run_in;
use crate::support::mock::{self, Mock, chat_completion};
use crate::support::{Home, Run, output_within};

const TITLE: &str = "Tokio 1.50 released";
const URL: &str = "https://tokio.rs/blog/2026-11-tokio-1-50";

/// The loop's inner calls: the model searches, then summarises with
/// `summary`.
fn push_inner_calls(up: &Mock, summary: &str) {
    up.push(chat_completion(
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_in1", "type": "function",
               "function": {"name": "web_search", "arguments": "{\"query\":\"tokio latest version\"}"}}]}),
        "tool_calls",
    ));
    up.push(chat_completion(
        json!({"role": "assistant", "content": summary}),
        "stop",
    ));
}

/// A config with `[search]` on the SearXNG at `searx`.
fn searxng(searx: &Mock) -> String {
    format!(
        "[search]\nbackend = \"searxng\"\nurl = \"{}\"\n",
        searx.url("")
    )
}

/// The main model loads WebSearch and searches.
fn push_search_turns(up: &Mock) {
    mock::push_deferred_call(
        up,
        "WebSearch",
        "call_ws",
        &json!({"query": "tokio latest version"}),
    );
}

/// What the upstream received, which must be `n` requests.
#[track_caller]
fn calls(up: &Mock, n: usize) -> Vec<mock::Recorded> {
    let seen = up.seen();
    assert_eq!(
        seen.len(),
        n,
        "{:#?}",
        seen.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    seen
}

/// The main upstream, and a fast slot answering "ok".
async fn with_fast() -> (Mock, Mock) {
    let (up, fast) = (Mock::start().await, Mock::start().await);
    for _ in 0..6 {
        fast.push(mock::openai_text("ok"));
    }
    (up, fast)
}

/// The main upstream, a fast slot answering "ok", and a SearXNG that
/// answers `results` once.
async fn with_searxng(results: &serde_json::Value) -> (Mock, Mock, Mock) {
    let (up, fast) = with_fast().await;
    let searx = Mock::start().await;
    searx.push(mock::json(200, &results.to_string()));
    (up, fast, searx)
}

/// Claude Code's arguments: a question it searches the web for.
const SEARCH: &[&str] = &[
    "-p",
    "search the web: what is the latest tokio version?",
    "--output-format",
    "stream-json",
    "--verbose",
    "--allowedTools",
    "WebSearch,ToolSearch",
    "--no-session-persistence",
];

/// The search through real Claude Code, which must succeed.
async fn run(home: &Home) -> Run {
    let chome = tempfile::tempdir().unwrap();
    let env = [("UP_KEY", "sk-websearch")];
    let r = ccswitch_run_in(home, "p", SEARCH, chome.path(), &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

/// The search on `up`'s profile with SearXNG as the backend: the inner
/// calls summarise, then the main model answers `answer`.
async fn run_with_searxng(up: &Mock, fast: &Mock, searx: &Mock, answer: &str) -> Run {
    push_inner_calls(up, &format!("The latest is Tokio 1.50 ([{TITLE}]({URL}))."));
    up.push(mock::openai_text(answer));
    let home = Home::new();
    home.write_config(&mock::two_upstreams_config(up, fast, &searxng(searx)));
    run(&home).await
}

/// Claude Code's WebSearch result (its transcript) carries the title and
/// the address, and the main model got them in its `next` turn.
#[track_caller]
fn sources_reached_claude_code_and_the_model(r: &Run, next: &mock::Recorded) {
    let tool_result = r.tool_result_with(URL);
    assert!(tool_result.contains(TITLE), "{tool_result}");
    assert!(
        next.body.contains(URL) && next.body.contains(TITLE),
        "{}",
        next.body
    );
}

#[tokio::test]
async fn claude_code_searches_the_web_through_searxng_on_an_openai_profile() {
    let (up, fast, searx) = with_searxng(&json!({"query": "tokio latest version", "results": [
        {"url": URL, "title": TITLE, "content": "Tokio 1.50 adds io_uring by default.",
         "publishedDate": "2026-11-20T00:00:00"},
        {"url": "https://crates.io/crates/tokio", "title": "tokio - crates.io", "content": "An event-driven runtime"}
    ]}))
    .await;
    push_search_turns(&up);
    let answer = format!("Tokio 1.50 is the latest version, per [{TITLE}]({URL}).");
    let r = run_with_searxng(&up, &fast, &searx, &answer).await;

    // The backend got the query, as SearXNG's JSON API wants it.
    let s = searx.seen();
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0].path.starts_with("/search?"), "{}", s[0].path);
    assert!(
        s[0].path.contains("q=tokio+latest+version") && s[0].path.contains("format=json"),
        "{}",
        s[0].path
    );

    let seen = calls(&up, 5);
    // The inner calls: the server tool offered as a function, not streamed,
    // then the results as the function's answer.
    let inner = seen[2].json();
    assert_eq!(inner["stream"], false, "{inner}");
    let tools = inner["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1, "{inner}");
    assert_eq!(tools[0]["function"]["name"], "web_search");
    let second = seen[3].json();
    let results = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(results["role"], "tool", "{second}");
    assert!(
        results["content"].as_str().unwrap().contains(URL),
        "{results}"
    );

    sources_reached_claude_code_and_the_model(&r, &seen[4]);
    let result = r.result();
    assert!(result["result"].as_str().unwrap().contains(URL), "{result}");
}

/// WebSearch with `allowed_domains`: Claude Code hands the list to the
/// server tool, and a result outside it reaches neither the model nor
/// Claude Code.
#[tokio::test]
async fn results_outside_the_allowed_domains_are_dropped() {
    let (up, fast, searx) = with_searxng(&json!({"query": "tokio latest version", "results": [
        {"url": "https://crates.io/crates/tokio", "title": "tokio - crates.io", "content": "planted-outside"},
        {"url": URL, "title": TITLE, "content": "Tokio 1.50 adds io_uring by default."}
    ]}))
    .await;
    mock::push_deferred_call(
        &up,
        "WebSearch",
        "call_ws",
        &json!({"query": "tokio latest version", "allowed_domains": ["tokio.rs"]}),
    );
    let answer = format!("Tokio 1.50, per [{TITLE}]({URL}).");
    let r = run_with_searxng(&up, &fast, &searx, &answer).await;
    assert_eq!(searx.seen().len(), 1);
    let seen = calls(&up, 5);
    let inner = seen[2].json();
    assert!(
        inner["tools"][0]["function"]["description"]
            .as_str()
            .unwrap()
            .contains("Only these sites: tokio.rs"),
        "Claude Code sent the list: {inner}"
    );
    for (what, text) in [
        ("the model's search result", seen[3].body.clone()),
        ("the main model's next turn", seen[4].body.clone()),
        ("Claude Code's transcript", r.stdout.clone()),
    ] {
        assert!(text.contains(URL), "{what}: {text}");
        assert!(
            !text.contains("crates.io") && !text.contains("planted-outside"),
            "{what}: {text}"
        );
    }
}

/// Profile `p` on the zhipu preset's OpenAI endpoint (GLM's own search),
/// its fast slot on `fast`; `extra` follows.
fn glm_config(up: &Mock, fast: &Mock, extra: &str) -> String {
    format!(
        "[providers.glm]\npreset = \"zhipu\"\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         {}[profiles.p]\nprovider = \"glm\"\nmain = \"glm-5.1\"\nfast = {{ provider = \"f\", model = \"f\" }}\n{extra}",
        up.url("/v1"),
        mock::openai_provider("f", fast),
    )
}

/// GLM searches itself (the zhipu preset's `native_search`): no `[search]`
/// backend, one inner call with GLM's `web_search` tool, and its sources
/// reach Claude Code as result blocks.
#[tokio::test]
async fn claude_code_searches_through_glms_own_web_search() {
    let (up, fast) = with_fast().await;
    push_search_turns(&up);
    up.push(mock::json(
        200,
        &json!({"id": "2026113012000012345678", "created": 1_764_504_000, "model": "glm-5.1",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "Tokio 1.50 is the latest [ref_1]."}}],
                "web_search": [{"title": TITLE, "link": URL, "content": "Tokio 1.50 adds io_uring by default.",
                                "media": "tokio.rs", "refer": "ref_1", "publish_date": "2026-11-20"}],
                "usage": {"prompt_tokens": 1904, "completion_tokens": 12, "total_tokens": 1916}})
        .to_string(),
    ));
    up.push(mock::openai_text(&format!(
        "Tokio 1.50 is the latest version, per [{TITLE}]({URL})."
    )));
    let home = Home::new();
    home.write_config(&glm_config(&up, &fast, ""));

    let r = run(&home).await;
    assert!(!r.stdout.contains("not configured"), "{}", r.stdout);
    let seen = calls(&up, 4);
    // One inner call: GLM's own tool with Claude Code's query, whole.
    let inner = seen[2].json();
    assert_eq!(inner["stream"], false, "{inner}");
    assert_eq!(
        inner["tools"],
        json!([{"type": "web_search", "web_search": {"enable": true, "search_engine": "search_std",
                "search_result": true, "search_query": "tokio latest version"}}]),
        "{inner}"
    );
    sources_reached_claude_code_and_the_model(&r, &seen[3]);
}

/// A provider that refuses its own search (a plan without it) while a
/// `[search]` backend is set: the search is done with the backend.
#[tokio::test]
async fn a_refused_provider_search_falls_back_to_the_backend() {
    let (up, fast, searx) = with_searxng(
        &json!({"results": [{"url": URL, "title": TITLE, "content": "Tokio 1.50 adds io_uring."}]}),
    )
    .await;
    push_search_turns(&up);
    up.push(mock::json(
        400,
        r#"{"error": {"code": "1214", "message": "web_search is not available on this plan"}}"#,
    ));
    push_inner_calls(&up, &format!("Tokio 1.50 ([{TITLE}]({URL}))."));
    up.push(mock::openai_text(&format!("Tokio 1.50, per {URL}.")));
    let home = Home::new();
    home.write_config(&glm_config(&up, &fast, &searxng(&searx)));

    let r = run(&home).await;
    let seen = calls(&up, 6);
    assert_eq!(seen[2].json()["tools"][0]["type"], "web_search");
    assert_eq!(
        seen[3].json()["tools"][0]["function"]["name"],
        "web_search",
        "then the backend's loop"
    );
    assert_eq!(searx.seen().len(), 1);
    assert!(r.tool_result_with(URL).contains(TITLE));
}

#[tokio::test]
async fn without_a_backend_the_search_says_how_to_set_one_up_at_once() {
    let (up, fast) = with_fast().await;
    push_search_turns(&up);
    up.push(mock::openai_text("Web search is not set up here."));
    let home = Home::new();
    home.write_config(&mock::two_upstreams_config(&up, &fast, ""));

    let r = run(&home).await;
    // No inner call reached the upstream: ccswitch answered the search.
    let seen = calls(&up, 3);
    assert!(
        seen[2].body.contains("ccswitch search set"),
        "the main model was not told: {}",
        seen[2].body
    );
    assert!(
        r.stdout.contains("web search is not configured"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn search_commands_set_show_test_and_remove_each_backend() {
    let home = Home::new();
    home.write_config("");
    let backend = Mock::start().await;
    let searx = json!({"results": [{"url": URL, "title": TITLE, "content": "c"}]}).to_string();
    let brave = json!({"web": {"results": [{"url": URL, "title": "<strong>Tokio</strong> 1.50", "description": "d"}]}}).to_string();
    let tavily = json!({"results": [{"url": URL, "title": TITLE, "content": "c"}]}).to_string();
    let cases = [
        ("searxng", vec![], searx),
        ("brave", vec!["--key-env", "SEARCH_KEY"], brave),
        ("tavily", vec!["--key-env", "SEARCH_KEY"], tavily),
    ];
    for (i, (kind, key, reply)) in cases.into_iter().enumerate() {
        let url = backend.url(if kind == "searxng" { "" } else { "/api" });
        let mut args = vec![
            "search",
            "set",
            kind,
            "--url",
            url.as_str(),
            "--max-results",
            "3",
        ];
        args.extend(key);
        let r = output_within(home.cmd(&args), Duration::from_secs(20)).await;
        assert_eq!(r.code, 0, "{kind}: {}{}", r.stdout, r.stderr);
        let r = output_within(
            home.cmd(&["search", "show", "--json"]),
            Duration::from_secs(20),
        )
        .await;
        let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(shown["backend"], kind);
        assert_eq!(shown["max_results"], 3);
        backend.push(mock::json(200, &reply));
        let mut cmd = home.cmd(&["search", "test", "tokio"]);
        cmd.env("SEARCH_KEY", "sk-search-secret");
        let r = output_within(cmd, Duration::from_secs(20)).await;
        assert_eq!(r.code, 0, "{kind}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(URL) && r.stdout.contains("Tokio"),
            "{kind}: {}",
            r.stdout
        );
        assert!(!r.stdout.contains("<strong>"), "{}", r.stdout);
        let seen = &backend.seen()[i];
        match kind {
            "searxng" => assert!(
                seen.path.starts_with("/search?q=tokio&format=json"),
                "{}",
                seen.path
            ),
            "brave" => {
                assert_eq!(
                    seen.header("x-subscription-token"),
                    Some("sk-search-secret")
                );
                assert!(seen.path.contains("count=3"), "{}", seen.path);
            }
            _ => {
                assert_eq!(
                    seen.header("authorization"),
                    Some("Bearer sk-search-secret")
                );
                assert_eq!(seen.json()["max_results"], 3);
            }
        }
    }
    // A backend that fails says so, with its status.
    backend.push(mock::json(429, "{}"));
    let mut cmd = home.cmd(&["search", "test"]);
    cmd.env("SEARCH_KEY", "k");
    let r = output_within(cmd, Duration::from_secs(20)).await;
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("429"), "{}", r.stdout);
    // Bad input is refused before anything is written.
    let r = output_within(
        home.cmd(&["search", "set", "searxng"]),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = output_within(
        home.cmd(&["search", "set", "bing"]),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = output_within(home.cmd(&["search", "off"]), Duration::from_secs(20)).await;
    assert_eq!(r.code, 0);
    let r = output_within(
        home.cmd(&["search", "show", "--json"]),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(r.stdout.trim(), "null");
}

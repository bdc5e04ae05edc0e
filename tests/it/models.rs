//! `ccswitch provider models NAME`: the real binary against scripted
//! upstreams on 127.0.0.1.

use crate::support::mock::{self, Mock};
use crate::support::{Home, Run};
use serde_json::json;

const KEY: &str = "sk-models-key";

fn openai(up: &str) -> String {
    format!("[providers.oa]\napi = \"openai\"\nbase_url = \"{up}\"\nkey = {{ env = \"UP_KEY\" }}\n")
}

/// `ccswitch ARGS` with the key in UP_KEY, off the async runtime (the mock
/// answers on it meanwhile).
async fn run(home: Home, args: &'static [&'static str]) -> Run {
    tokio::task::spawn_blocking(move || home.run_env(args, &[("UP_KEY", KEY)]))
        .await
        .unwrap()
}

#[tokio::test]
async fn openai_kind_lists_sorted_ids_with_the_bearer_key() {
    let up = Mock::start().await;
    up.push(mock::json(
        200,
        r#"{"object":"list","data":[{"id":"qwen3-coder"},{"id":"deepseek-v4"},{"id":"models/gemini-2.5-pro"},{"id":"deepseek-v4"}]}"#,
    ));
    let home = Home::new();
    home.write_config(&openai(&up.url("/v1")));
    let r = run(home, &["provider", "models", "oa"]).await;
    r.ok();
    assert_eq!(r.stdout, "deepseek-v4\ngemini-2.5-pro\nqwen3-coder\n");
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/v1/models");
    let bearer = format!("Bearer {KEY}");
    assert_eq!(seen[0].header("authorization"), Some(bearer.as_str()));
    assert_eq!(seen[0].header("anthropic-version"), None);
}

#[tokio::test]
async fn anthropic_kind_follows_pages_with_x_api_key() {
    let up = Mock::start().await;
    up.push(mock::json(
        200,
        &json!({"data": [{"type": "model", "id": "claude-sonnet-5"}, {"type": "model", "id": "claude-opus-5"}],
                "has_more": true, "first_id": "claude-sonnet-5", "last_id": "claude-opus-5"})
        .to_string(),
    ));
    up.push(mock::json(
        200,
        &json!({"data": [{"type": "model", "id": "claude-haiku-4-5"}],
                "has_more": false, "first_id": "claude-haiku-4-5", "last_id": "claude-haiku-4-5"})
        .to_string(),
    ));
    let home = Home::new();
    home.write_config(&format!(
        "[providers.an]\napi = \"anthropic\"\nbase_url = \"{}\"\nauth = \"x-api-key\"\nkey = {{ env = \"UP_KEY\" }}\n",
        up.url("/anthropic")
    ));
    let r = run(home, &["provider", "models", "an"]).await;
    r.ok();
    assert_eq!(
        r.stdout,
        "claude-haiku-4-5\nclaude-opus-5\nclaude-sonnet-5\n"
    );
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].path, "/anthropic/v1/models?limit=1000");
    assert_eq!(
        seen[1].path,
        "/anthropic/v1/models?limit=1000&after_id=claude-opus-5"
    );
    for s in &seen {
        assert_eq!(s.method, "GET");
        assert_eq!(s.header("x-api-key"), Some(KEY));
        assert_eq!(s.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(s.header("authorization"), None);
    }
}

#[tokio::test]
async fn a_rejected_key_exits_1_with_the_provider_message() {
    let up = Mock::start().await;
    up.push(mock::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-mo****key","type":"invalid_request_error"}}"#,
    ));
    let home = Home::new();
    home.write_config(&openai(&up.url("/v1")));
    let r = run(home, &["provider", "models", "oa"]).await;
    r.fails(1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Incorrect API key provided: sk-mo****key"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    assert!(r.stderr.contains("`oa`"), "{}", r.stderr);
    assert!(r.stderr.contains("ccswitch key status"), "{}", r.stderr);
}

#[tokio::test]
async fn other_statuses_and_bodies_that_are_not_lists_fail_in_one_line() {
    let up = Mock::start().await;
    up.push(mock::json(503, r#"{"message":"upstream overloaded"}"#));
    up.push(mock::json(200, r#"{"object":"list"}"#));
    let home = Home::new();
    home.write_config(&openai(&up.url("/v1")));
    let home = std::sync::Arc::new(home);
    let h = home.clone();
    let (busy, odd) = tokio::task::spawn_blocking(move || {
        let env = [("UP_KEY", KEY)];
        (
            h.run_env(&["provider", "models", "oa"], &env),
            h.run_env(&["provider", "models", "oa", "--json"], &env),
        )
    })
    .await
    .unwrap();
    busy.fails(1);
    assert_eq!(busy.stderr.lines().count(), 1, "{}", busy.stderr);
    assert!(busy.stderr.contains("503"), "{}", busy.stderr);
    assert!(
        busy.stderr.contains("upstream overloaded"),
        "{}",
        busy.stderr
    );
    odd.fails(1);
    assert_eq!(odd.stdout, "");
    assert_eq!(odd.stderr.lines().count(), 1, "{}", odd.stderr);
    assert!(odd.stderr.contains("no model list"), "{}", odd.stderr);
}

#[test]
fn an_unreachable_port_names_the_host() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = Home::new();
    home.write_config(&openai(&format!("http://127.0.0.1:{port}/v1")));
    let r = home.run_env(&["provider", "models", "oa"], &[("UP_KEY", KEY)]);
    r.fails(1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`oa`"), "{}", r.stderr);
}

#[tokio::test]
async fn json_output_is_an_array_of_ids() {
    let up = Mock::start().await;
    // Ollama's native shape is read too.
    up.push(mock::json(
        200,
        r#"{"models":[{"name":"qwen3-coder:latest","model":"qwen3-coder:latest"},{"name":"gpt-oss:20b","model":"gpt-oss:20b"}]}"#,
    ));
    let home = Home::new();
    home.write_config(&openai(&up.url("/v1")));
    let r = run(home, &["provider", "models", "oa", "--json"]).await;
    r.ok();
    assert_eq!(r.json(), json!(["gpt-oss:20b", "qwen3-coder:latest"]));
}

#[test]
fn providers_claude_code_reaches_natively_are_refused() {
    let home = Home::new();
    home.write_config("[providers.bed]\napi = \"bedrock\"\nregion = \"us-east-1\"\n");
    let r = home.run(&["provider", "models", "bed"]);
    r.fails(1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("bedrock"), "{}", r.stderr);
}

/// Each listing shape under `fixtures/listings`: the ids with the context
/// window and output cap the list gives (issue 27, wart 7: the picker
/// records them, and the launch passes the window on to Claude Code).
#[test]
fn listings_give_context_windows_where_they_have_them() {
    crate::golden::check_json_cases("listings", "listing", |case| {
        let body = std::fs::read(case.join("body.json")).expect("body.json");
        let listed = ccswitch::proxy::upstream::models::parse_listing(&body)
            .unwrap_or_else(|| panic!("{}: not a list", case.display()));
        serde_json::to_value(listed).expect("serializable")
    });
}

/// `profile add/edit --context-window auto`: the main model's window from
/// the provider's list, recorded under the provider for the launch; a
/// number is the profile's own `context_window` (issue 27, wart 7).
#[tokio::test]
async fn profile_add_and_edit_take_the_context_window_from_the_list() {
    let up = Mock::start().await;
    let list = r#"{"data":[{"id":"kimi-k2","context_length":131072,"top_provider":{"context_length":63000,"max_completion_tokens":16384}},{"id":"bare"}]}"#;
    up.push(mock::json(200, list));
    up.push(mock::json(200, list));
    let home = Home::new();
    home.write_config(&openai(&up.url("/v1")));
    let home = tokio::task::spawn_blocking(move || {
        let env = [("UP_KEY", KEY)];
        let profile = |args: &[&str]| home.run_env(&[&["profile"], args].concat(), &env);
        let r = profile(&["add", "k", "--main", "kimi-k2", "--context-window", "auto"]);
        r.ok();
        assert!(r.stdout.contains("63000 tokens"), "{}", r.stdout);
        let text = home.read_config();
        assert!(
            text.contains("[providers.oa.models.kimi-k2]\ncontext = 63000\nmax_output = 16384\n"),
            "{text}"
        );

        // The list says nothing of this model: nothing changes, and the
        // message says how to give the window.
        let r = profile(&["edit", "k", "--main", "bare", "--context-window", "auto"]);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("--context-window TOKENS"), "{}", r.stderr);
        assert_eq!(home.read_config(), text);

        let r = profile(&["edit", "k", "--context-window", "lots"]);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("a whole number above 0"), "{}", r.stderr);
        profile(&["edit", "k", "--context-window", "200000"]).ok();
        assert!(home.read_config().contains("context_window = 200000"));
        profile(&["edit", "k", "--unset", "context_window"]).ok();
        assert!(!home.read_config().contains("context_window"));
        home
    })
    .await
    .unwrap();
    assert_eq!(up.seen().len(), 2, "one list per `auto`");
    drop(home);
}

/// Ollama's OpenAI-compatible list gives no window: each model's comes
/// from its native `POST /api/show`, `num_ctx` in its parameters (what
/// Ollama runs it with) before `<arch>.context_length` (what it was
/// trained for). A model it cannot show stays without one.
#[tokio::test]
async fn ollama_windows_come_from_api_show() {
    let up = Mock::start().await;
    let show = |req: &mock::Recorded| {
        match req.json()["model"].as_str() {
        Some("qwen3:latest") => mock::json(
            200,
            &json!({"parameters": "stop \"<|im_start|>\"\nstop \"<|im_end|>\"",
                    "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960,
                                   "qwen3.embedding_length": 4096}})
            .to_string(),
        ),
        Some("gpt-oss:20b") => mock::json(
            200,
            &json!({"parameters": "temperature 1\nnum_ctx 16384",
                    "model_info": {"general.architecture": "gptoss", "gptoss.context_length": 131072}})
            .to_string(),
        ),
        _ => mock::json(404, r#"{"error":"model not found"}"#),
    }
    };
    let list = json!({"object": "list", "data": [{"id": "qwen3:latest", "object": "model"},
        {"id": "gpt-oss:20b", "object": "model"}, {"id": "gone:1b", "object": "model"}]})
    .to_string();
    // One list and three shows per `auto`, the shows in any order.
    for _ in 0..3 {
        let list = list.clone();
        for _ in 0..4 {
            let list = list.clone();
            up.push(mock::computed(move |req, _| {
                if req.path.starts_with("/v1/models") {
                    mock::json(200, &list)
                } else {
                    assert_eq!(
                        (req.method.as_str(), req.path.as_str()),
                        ("POST", "/api/show")
                    );
                    show(req)
                }
            }));
        }
    }
    let home = Home::new();
    home.write_config(&format!(
        "[providers.ol]\npreset = \"ollama\"\nbase_url = \"{}\"\n",
        up.url("")
    ));
    let home = tokio::task::spawn_blocking(move || {
        let profile = |args: &[&str]| home.run(&[&["profile"], args].concat());
        let r = profile(&[
            "add",
            "o",
            "--main",
            "qwen3:latest",
            "--context-window",
            "auto",
        ]);
        r.ok();
        assert!(r.stdout.contains("40960 tokens"), "{}", r.stdout);
        profile(&[
            "edit",
            "o",
            "--main",
            "gpt-oss:20b",
            "--context-window",
            "auto",
        ])
        .ok();
        let text = home.read_config();
        assert!(
            text.contains("[providers.ol.models.\"qwen3:latest\"]\ncontext = 40960\n"),
            "{text}"
        );
        assert!(
            text.contains("[providers.ol.models.\"gpt-oss:20b\"]\ncontext = 16384\n"),
            "{text}"
        );
        let r = profile(&["edit", "o", "--main", "gone:1b", "--context-window", "auto"]);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("--context-window TOKENS"), "{}", r.stderr);
        home
    })
    .await
    .unwrap();
    let shows = up.seen().iter().filter(|r| r.path == "/api/show").count();
    assert_eq!(shows, 9, "{:?}", up.seen());
    drop(home);
}

/// An Ollama that lists a model but never answers for it: the listing
/// waits a few seconds for its window, not forever, and the model stays
/// without one. `provider models` prints ids alone and asks no window.
#[tokio::test]
async fn a_silent_api_show_leaves_the_window_unknown_within_seconds() {
    let up = Mock::start().await;
    let list = r#"{"object":"list","data":[{"id":"slow:1b","object":"model"}]}"#;
    up.push(mock::json(200, list));
    up.push(mock::stall(200, "application/json"));
    up.push(mock::json(200, list));
    let home = Home::new();
    home.write_config(&format!(
        "[providers.ol]\npreset = \"ollama\"\nbase_url = \"{}\"\n",
        up.url("")
    ));
    let home = tokio::task::spawn_blocking(move || {
        let t0 = std::time::Instant::now();
        let r = home.run(&[
            "profile",
            "add",
            "o",
            "--main",
            "slow:1b",
            "--context-window",
            "auto",
        ]);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("--context-window TOKENS"), "{}", r.stderr);
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            t0.elapsed()
        );
        assert_eq!(
            home.run(&["provider", "models", "ol"]).ok().stdout,
            "slow:1b\n"
        );
        home
    })
    .await
    .unwrap();
    let paths: Vec<String> = up.seen().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/models?limit=1000",
            "/api/show",
            "/v1/models?limit=1000"
        ]
    );
    drop(home);
}

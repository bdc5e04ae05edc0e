//! `ccswitch test PROFILE`: the real binary, through its in-process proxy,
//! against a scripted OpenAI-kind upstream.

use crate::support::Home;
use crate::support::mock::{self, Mock};

fn config(up: &Mock) -> String {
    format!(
        "default = \"p\"\n[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\n",
        up.url("/v1")
    )
}

#[tokio::test]
async fn a_working_profile_passes_every_step() {
    let up = Mock::start().await;
    up.push_passing_probe();
    let home = Home::new();
    home.write_config(&config(&up));
    let r = tokio::task::spawn_blocking(move || {
        let r = home.run_env(&["test"], &[("UP_KEY", "sk-k")]);
        drop(home);
        r
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for label in [
        "reached the provider",
        "authenticated",
        "model accepted",
        "streamed text",
        "tool call",
        "tool result round trip",
    ] {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.trim_start().starts_with("ok") && l.contains(label)),
            "{label}:\n{}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("\"pong\""), "{}", r.stdout);
    assert!(r.stdout.contains("echo_number {\"n\":42}"), "{}", r.stdout);
    // The tool probe went out as a required function call with its result.
    let seen = up.seen();
    assert_eq!(seen[1].json()["tool_choice"], "required");
    assert_eq!(seen[2].json()["messages"][2]["role"], "tool");
}

/// A corporate proxy in the environment, without loopback in NO_PROXY:
/// the hop to ccswitch's own proxy must not go there (it would get the
/// session token and the prompt, and the test would blame the provider).
#[tokio::test]
async fn the_hop_to_the_local_proxy_never_uses_the_system_proxy() {
    let up = Mock::start().await;
    up.push_passing_probe();
    let corp = Mock::start().await;
    let home = Home::new();
    home.write_config(&config(&up));
    let corp_url = corp.url("");
    let r = tokio::task::spawn_blocking(move || {
        let env = [
            ("UP_KEY", "sk-k"),
            ("HTTP_PROXY", corp_url.as_str()),
            ("http_proxy", corp_url.as_str()),
            ("HTTPS_PROXY", corp_url.as_str()),
            ("ALL_PROXY", corp_url.as_str()),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ];
        home.run_env(&["test"], &env)
    })
    .await
    .unwrap();
    assert!(
        corp.seen().is_empty(),
        "went through the corporate proxy: {:?}",
        corp.seen()
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

/// A 404 from the messages endpoint is told apart by the provider's own
/// model list: a listed model means the URL or API kind is wrong, an
/// unlisted one is the model's fault (with the closest listed id), and a
/// list that fails too points at the base URL.
#[tokio::test]
async fn a_404_is_told_apart_by_the_providers_model_list() {
    let not_found = || mock::json(404, r#"{"error":{"message":"Not Found"}}"#);
    let list = |ids: &[&str]| {
        let data: Vec<_> = ids.iter().map(|id| serde_json::json!({"id": id})).collect();
        mock::json(
            200,
            &serde_json::json!({"object": "list", "data": data}).to_string(),
        )
    };
    let cases = [
        (list(&["up-main", "other"]), "the provider lists this model"),
        (list(&["up-mian", "other"]), "it lists `up-mian`"),
        (not_found(), "the model list failed too"),
    ];
    for (listing, want) in cases {
        let up = Mock::start().await;
        up.push(not_found());
        up.push(listing);
        let home = Home::new();
        home.write_config(&config(&up));
        let r = tokio::task::spawn_blocking(move || {
            home.run_env(&["test", "p", "--json"], &[("UP_KEY", "sk-good")])
        })
        .await
        .unwrap();
        assert_eq!(r.code, 1, "{}", r.stderr);
        let steps = r.json();
        let model = &steps[2];
        assert_eq!(
            (model["id"].as_str(), model["ok"].as_bool()),
            (Some("model"), Some(false))
        );
        let detail = model["detail"].as_str().unwrap();
        assert!(detail.contains(want), "{want}: {detail}");
        let seen = up.seen();
        assert_eq!(seen[1].method, "GET", "{:?}", seen[1].path);
        assert!(seen[1].path.ends_with("/v1/models"), "{}", seen[1].path);
        assert_eq!(
            seen[1]
                .headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.as_str()),
            Some("Bearer sk-good")
        );
    }
}

#[tokio::test]
async fn a_bad_key_is_explained_and_json_is_available() {
    let up = Mock::start().await;
    up.push(mock::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided"}}"#,
    ));
    let home = Home::new();
    home.write_config(&config(&up));
    let r = tokio::task::spawn_blocking(move || {
        home.run_env(&["test", "p", "--json"], &[("UP_KEY", "sk-bad")])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let steps = r.json();
    assert_eq!(steps[0]["id"], "reach");
    assert_eq!(steps[0]["ok"], true);
    assert_eq!(steps[1]["id"], "auth");
    assert_eq!(steps[1]["ok"], false);
    let detail = steps[1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("rejected the key") && detail.contains("Incorrect API key"),
        "{detail}"
    );
    assert_eq!(steps.as_array().unwrap().len(), 2);
}

#[test]
fn an_unreachable_provider_is_explained() {
    let home = Home::new();
    home.write_config(
        "[providers.up]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n[profiles.p]\nprovider = \"up\"\nmain = \"m\"\n",
    );
    let r = home.run_env(&["test", "p"], &[("UP_KEY", "k")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("FAIL") && r.stdout.contains("cannot reach it"),
        "{}",
        r.stdout
    );
}

/// A fallback chain: the main slot's first target is probed alone (its
/// failure is not hidden by the fallback), every other target gets one
/// request, and the report says which target would serve.
#[tokio::test]
async fn every_target_of_a_chain_is_checked_and_the_serving_one_named() {
    let [first, second, vision] = Mock::start_n().await;
    for _ in 0..4 {
        first.push(mock::json(
            503,
            r#"{"error":{"message":"first is overloaded"}}"#,
        ));
    }
    second.push(mock::openai_text("pong"));
    vision.push(mock::openai_text("pong"));
    let home = Home::new();
    home.write_config(&format!(
        "[providers.a]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.b]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.v]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"a\"\nmain = [\"a-main\", {{ provider = \"b\", model = \"b-main\" }}]\n\
         fast = \"a-main\"\nvision = {{ provider = \"v\", model = \"v-model\" }}\n",
        first.url("/v1"),
        second.url("/v1"),
        vision.url("/v1")
    ));
    // A running session's breaker opened on a/a-main two minutes ago; one
    // on v/v-model is an hour old, past what counts.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let circuit = |p: &str, m: &str, since: u64| {
        serde_json::json!({"provider": p, "model": m, "since": since, "until": since + 600,
            "failures": 3, "profile": "p"})
    };
    std::fs::write(
        home.path().join("circuits.json"),
        serde_json::json!({"circuits": [
            circuit("a", "a-main", now - 120),
            circuit("v", "v-model", now - 3600 - 600),
        ]})
        .to_string(),
    )
    .unwrap();
    let r = tokio::task::spawn_blocking(move || {
        let r = home.run_env(&["test", "p"], &[("UP_KEY", "sk-k")]);
        drop(home);
        r
    })
    .await
    .unwrap();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let line = |needle: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}:\n{}", r.stdout))
            .trim_start()
            .to_string()
    };
    for (needle, verdict) in [
        ("first is overloaded", "FAIL"),
        ("main #2 b/b-main: pong", "ok"),
        ("vision v/v-model: pong", "ok"),
    ] {
        assert!(line(needle).starts_with(verdict), "{needle}:\n{}", r.stdout);
    }
    assert!(
        line("would serve").contains("main: b/b-main (the first target that answered)"),
        "{}",
        r.stdout
    );
    assert_eq!((second.seen().len(), vision.seen().len()), (1, 1));
    let breaker = line("breaker (sessions)");
    assert!(breaker.starts_with("FAIL"), "{}", r.stdout);
    for part in [
        "a/a-main: a session of profile p opened its breaker 2 min ago (3 failures in a row)",
        "skipped for",
        "this check: fails too",
    ] {
        assert!(breaker.contains(part), "{part}: {breaker}");
    }
    assert!(!r.stdout.contains("v/v-model: a session"), "{}", r.stdout);
}

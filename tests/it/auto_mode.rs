//! Auto mode (Claude Code's default permission mode) through ccswitch, with
//! the real Claude Code: on upstreams that cannot run its server-side
//! safety check, Claude Code runs the check itself and the proxy sends the
//! classifier's requests to the profile's classifier slot; on Anthropic's
//! own API the server check passes through untouched. Facts behind this:
//! docs/claude-code-auto-mode.md.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::claude::stream_json;
use crate::support::mock::{self, Mock, Reply};
use crate::support::serve::Serve;
use crate::support::{Home, Run};

const MARKER: &str = "You are a security monitor for autonomous AI coding agents";

/// A whole OpenAI-kind reply with `text` (the classifier's requests are not
/// streamed).
fn oa_whole(text: &str) -> Reply {
    mock::json(
        200,
        &json!({"id": "chatcmpl-cl", "object": "chat.completion", "model": "m-classifier",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 35000, "completion_tokens": 9}})
        .to_string(),
    )
}

fn rm_call(target: &Path) -> Reply {
    mock::openai_call(
        "Bash",
        "call_rm",
        &json!({"command": format!("rm -rf {}", target.display()),
                "description": "Delete the folder"}),
    )
}

async fn run_auto(home: &Home, prompt: &str) -> Run {
    let chome = tempfile::tempdir().unwrap();
    let more = ["--permission-mode", "auto", "--no-session-persistence"];
    stream_json(home, "p", chome.path(), prompt, &more).await
}

fn classifier_rows(home: &Home) -> i64 {
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    db.query_row(
        "SELECT count(*) FROM requests WHERE slot = 'classifier'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// `-p --permission-mode auto` on an OpenAI-kind provider: the destructive
/// command is checked by the classifier, on the classifier slot's provider
/// and model, with its stop sequence; "allow" runs it, "block" denies it
/// with the classifier's reason. Before, every such action was refused
/// ("Auto mode can't check actions in this session …").
#[tokio::test]
async fn a_destructive_command_is_checked_by_the_classifier_slot() {
    for allow in [true, false] {
        let (main, cl) = (Mock::start().await, Mock::start().await);
        let home = Home::new();
        home.write_config(&format!(
            "[providers.ma]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [providers.cl]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [profiles.p]\nprovider = \"ma\"\nmain = \"m-main\"\n\
             classifier = {{ provider = \"cl\", model = \"m-classifier\" }}\n",
            main.url("/v1"),
            cl.url("/v1")
        ));
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("keep-or-delete");
        std::fs::create_dir_all(&target).unwrap();
        main.push(rm_call(&target));
        main.push(mock::openai_text("Done."));
        if allow {
            cl.push(oa_whole("<block>no</block>"));
        } else {
            cl.push(oa_whole("<block>yes</block>"));
            cl.push(oa_whole(
                "<thinking>It deletes a folder outside the project.</thinking>\
                 <block>yes</block><reason>Irreversible deletion (mock verdict)</reason>",
            ));
        }
        let r = run_auto(&home, &format!("delete the folder {}", target.display())).await;
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(
            !r.stdout.contains("can't check actions"),
            "the proxy dialog:\n{}",
            r.stdout
        );
        assert_eq!(target.exists(), !allow, "allow = {allow}\n{}", r.stdout);
        let seen = cl.seen();
        assert_eq!(seen.len(), if allow { 1 } else { 2 }, "{}", r.stdout);
        let first = seen[0].json();
        assert_eq!(first["model"], "m-classifier");
        assert!(seen[0].body.contains(MARKER));
        assert_eq!(first["stop"], json!(["</block>"]));
        assert!(
            main.seen().iter().all(|s| !s.body.contains(MARKER)),
            "a classifier request reached the main slot"
        );
        if !allow {
            let denied = r.tool_result_with("auto mode classifier");
            assert!(
                denied.contains("Irreversible deletion (mock verdict)"),
                "{denied}"
            );
        }
        assert_eq!(classifier_rows(&home), seen.len() as i64);
    }
}

/// A reasoning model's thoughts stay out of the verdict: the reasoning
/// mentions both verdicts (which Claude Code would read as no answer), the
/// answer allows, and the command runs.
#[tokio::test]
async fn reasoning_does_not_reach_the_verdict() {
    let main = Mock::start().await;
    let home = Home::new();
    home.write_config(&mock::deepseek_config(&main));
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("scratch");
    std::fs::create_dir_all(&target).unwrap();
    main.push(rm_call(&target));
    main.push(mock::json(
        200,
        &json!({"id": "c", "object": "chat.completion", "model": "deepseek-v4-pro",
                "choices": [{"index": 0, "message": {"role": "assistant",
                    "reasoning_content": "Should this be <block>yes or <block>no? The user asked for it.",
                    "content": "<block>no</block>"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 35000, "completion_tokens": 30}})
        .to_string(),
    ));
    main.push(mock::openai_text("Done."));
    let r = run_auto(&home, &format!("delete the folder {}", target.display())).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!target.exists(), "{}", r.stdout);
    let classifier = &main.seen()[1];
    assert!(classifier.body.contains(MARKER));
    // The profile has no classifier slot: its main model checks, as Claude
    // Code's own choice (the Sonnet alias, here main) would.
    assert_eq!(classifier.json()["model"], "deepseek-v4-pro");
    assert_eq!(classifier_rows(&home), 1);
}

/// An Anthropic-kind stream whose `message_delta` carries the server
/// check's verdict on the Bash call.
fn checked_rm(target: &Path, outcome: &str) -> Reply {
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let input = json!({"command": format!("rm -rf {}", target.display()),
                       "description": "Delete the folder"});
    let mut verdict = json!({"type": "evaluated", "outcome": outcome});
    if outcome == "flagged" {
        verdict["explanation"] = json!("Deletes a folder outside the project (server check)");
    }
    let chunks = [
        ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_a", "type": "message",
                "role": "assistant", "model": "claude-sonnet-5", "content": [],
                "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ),
        ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block":
                {"type": "tool_use", "id": "toolu_rm", "name": "Bash", "input": {}}}),
        ),
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta":
                {"type": "input_json_delta", "partial_json": input.to_string()}}),
        ),
        ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ev(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use",
                "stop_sequence": null, "safeguard_results": [{"type": "dangerous_tool_use",
                "status": {"type": "available", "tool_uses": {"toolu_rm": verdict}}}]},
                "usage": {"output_tokens": 20}}),
        ),
        ev("message_stop", json!({"type": "message_stop"})),
    ];
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock::sse_raw(&refs, mock::End::Close)
}

/// On Anthropic's own API (the `safeguards` quirk), the server check passes
/// through: the request's `safeguards` and beta reach the upstream, and its
/// verdict reaches Claude Code, which follows it without checking itself.
#[tokio::test]
async fn anthropics_own_api_gets_the_server_check_untouched() {
    for outcome in ["not_flagged", "flagged"] {
        let up = Mock::start().await;
        let home = Home::new();
        home.write_config(&format!(
            "[providers.an]\npreset = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [profiles.p]\nprovider = \"an\"\nmain = \"claude-sonnet-5\"\n",
            up.url("")
        ));
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("server-checked");
        std::fs::create_dir_all(&target).unwrap();
        up.push(checked_rm(&target, outcome));
        up.push(mock::anthropic_text("Done."));
        let r = run_auto(&home, &format!("delete the folder {}", target.display())).await;
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        let seen = up.seen();
        assert_eq!(seen.len(), 2, "no classifier request of its own");
        assert!(seen[0].json()["safeguards"][0]["type"] == "dangerous_tool_use");
        let betas = seen[0].header("anthropic-beta").unwrap_or_default();
        assert!(betas.contains("dangerous-tool-use-"), "{betas}");
        assert_eq!(target.exists(), outcome == "flagged", "{}", r.stdout);
        if outcome == "flagged" {
            let denied = r.tool_result_with("auto mode classifier");
            assert!(denied.contains("(server check)"), "{denied}");
        }
    }
}

/// A client that asks a translated upstream for the server check (one not
/// launched by `ccswitch run`) gets the 400 Claude Code's gateway contract
/// names, before anything is sent upstream; `serve` prints the variables
/// that have Claude Code check actions itself.
#[tokio::test]
async fn the_server_check_is_refused_where_it_cannot_run() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&mock::oa_config(&up));
    let s = Serve::start(&home, "p", "sk-auto");
    let ask = json!({"model": "m-main", "max_tokens": 100, "stream": true,
                     "messages": [{"role": "user", "content": "hi"}],
                     "safeguards": [{"type": "dangerous_tool_use", "classifier_context": {"v": 1}}]});
    let resp = s.post(&reqwest::Client::new(), &ask).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("request-id").is_none());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("safeguards: "), "{msg}");
    assert!(up.seen().is_empty());
}

/// What `ccswitch run` tells Claude Code about auto mode, in the session's
/// settings (which outrank the user's own): check actions itself, on the
/// classifier slot's model, unless every upstream runs the server check.
#[cfg(unix)]
#[test]
fn run_has_claude_code_check_actions_itself_unless_the_upstream_can() {
    let home = Home::new();
    home.write_config(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [providers.an]\npreset = \"anthropic\"\nkey = { env = \"UP_KEY\" }\n\
         [profiles.oa]\nprovider = \"oa\"\nmain = \"m-main\"\nsonnet = \"m-sonnet\"\n\
         [profiles.cl]\nprovider = \"oa\"\nmain = \"m-main\"\nclassifier = \"m-check\"\n\
         [profiles.an]\nprovider = \"an\"\nmain = \"claude-sonnet-5\"\n",
    );
    let bin = tempfile::tempdir().unwrap();
    let out = bin.path().join("settings.json");
    let claude = crate::support::fake_claude(bin.path(), &format!("cp \"$2\" '{}'", out.display()));
    let env_of = |profile: &str| -> Value {
        let chome = tempfile::tempdir().unwrap();
        home.run_env(
            &["run", "-q", "--claude", claude.to_str().unwrap(), profile],
            &[("UP_KEY", "k"), ("HOME", chome.path().to_str().unwrap())],
        )
        .ok();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        v["env"].clone()
    };
    // The Sonnet alias is what Claude Code would pick; the slot wins.
    let oa = env_of("oa");
    assert_eq!(oa["CLAUDE_CODE_AUTO_MODE_SERVER"], "0");
    assert_eq!(oa["CLAUDE_CODE_AUTO_MODE_MODEL"], "m-sonnet");
    assert_eq!(env_of("cl")["CLAUDE_CODE_AUTO_MODE_MODEL"], "m-check");
    let an = env_of("an");
    assert!(an.get("CLAUDE_CODE_AUTO_MODE_SERVER").is_none(), "{an}");
    assert!(an.get("CLAUDE_CODE_AUTO_MODE_MODEL").is_none(), "{an}");
}

/// The classifier's 141 KB prompt is the same for every check; on a
/// provider that caches by prefix, a check in a new session must find it
/// cached, so nothing the proxy does may move it. (Claude Code's billing
/// line, which leads the system prompt, follows how the messages begin,
/// and the classifier's always begin alike: it is `cc_version=…972` in
/// every check seen so far.)
#[tokio::test]
async fn the_classifier_prompt_stays_cached_across_sessions() {
    let (main, cl) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&format!(
        "[providers.ma]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.cl]\npreset = \"deepseek\"\napi = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"ma\"\nmain = \"m-main\"\n\
         classifier = {{ provider = \"cl\", model = \"deepseek-v4-flash\" }}\n",
        main.url("/v1"),
        cl.url("")
    ));
    let outside = tempfile::tempdir().unwrap();
    for n in 0..2 {
        let target = outside.path().join(format!("session-{n}"));
        std::fs::create_dir_all(&target).unwrap();
        main.push(rm_call(&target));
        main.push(mock::openai_text("Done."));
        cl.push(mock::json(
            200,
            &json!({"id": format!("msg_cl{n}"), "type": "message", "role": "assistant",
                    "model": "deepseek-v4-flash", "content": [{"type": "text", "text": "<block>no"}],
                    "stop_reason": "stop_sequence", "stop_sequence": "</block>",
                    "usage": {"input_tokens": 35000, "output_tokens": 3}})
            .to_string(),
        ));
        // Two conversations that start differently.
        let ask = ["please delete the folder", "I no longer need the folder"][n];
        let r = run_auto(&home, &format!("{ask} {}", target.display())).await;
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(!target.exists(), "{}", r.stdout);
    }
    let seen = cl.seen();
    assert_eq!(seen.len(), 2);
    let second = crate::support::prefix_cache::seen(&seen[1], &seen[..1]);
    let share = second.cached as f64 / second.total as f64;
    assert!(
        share >= 0.95,
        "the second session's check found {:.1}% cached",
        share * 100.0
    );
}

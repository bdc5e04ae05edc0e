//! A profile's model menu with real Claude Code in a terminal: `/model`
//! lists the models of three providers, and one conversation moves from a
//! DeepSeek-like provider (which wants its own `reasoning_content` back on
//! its tool-call turns) to an Anthropic-kind one (which refuses thinking
//! another provider signed) and back, a tool call on each, every turn
//! answered.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Home;
use crate::support::mock::{self, Mock, Recorded, Reply, computed};
use crate::support::tmux::{Tmux, launch_line};

const DS_REASONING: &str = "DS plans to read the notes";

fn error(status: u16, kind: &str, message: &str) -> Reply {
    mock::json(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}}).to_string(),
    )
}

/// Whether the conversation waits for the answer to this provider's own
/// tool call (its result came after the last prompt asking to read:
/// `Some(true)`), asks it to read (`Some(false)`), or neither.
fn next_step(messages: &[Value], result_of: impl Fn(&Value) -> bool) -> Option<bool> {
    let asked = messages
        .iter()
        .rposition(|m| m["role"] == "user" && m["content"].to_string().contains("read the notes"));
    let answered = messages.iter().rposition(result_of);
    match (asked, answered) {
        (Some(a), Some(r)) if r >= a => Some(true),
        (Some(_), _) => Some(false),
        (None, _) => None,
    }
}

/// DeepSeek's thinking mode: its own tool-call turns must come back with
/// the reasoning it gave; turns another provider made have none of it.
fn deepseek_like(notes: String) -> impl Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync {
    move |req, before| {
        let body = req.json();
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        for (i, m) in messages.iter().enumerate() {
            let Some(calls) = m["tool_calls"].as_array() else {
                continue;
            };
            let ours = calls
                .iter()
                .all(|c| c["id"].as_str().is_some_and(|id| id.starts_with("call_ds")));
            let echoed = m["reasoning_content"].as_str().unwrap_or_default();
            if ours && echoed != DS_REASONING {
                return error(
                    400,
                    "invalid_request_error",
                    &format!(
                        "Missing `reasoning_content` field in the assistant message at message index {i}."
                    ),
                );
            }
            if !ours && !echoed.is_empty() {
                return error(
                    400,
                    "invalid_request_error",
                    &format!("message {i}: reasoning_content that this provider did not write"),
                );
            }
        }
        // `/model ID` checks the model with one small request, not streamed.
        if body["stream"] != true {
            return mock::chat_completion(
                json!({"role": "assistant", "content": "DS here."}),
                "stop",
            );
        }
        let step = next_step(&messages, |m| {
            m["role"] == "tool"
                && m["tool_call_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("call_ds"))
        });
        if step == Some(true) {
            let again = messages.iter().any(|m| {
                m["tool_calls"].as_array().is_some_and(|c| {
                    c.iter().any(|c| {
                        c["id"]
                            .as_str()
                            .is_some_and(|id| !id.starts_with("call_ds"))
                    })
                })
            });
            return mock::openai_text(if again {
                "DS read it again."
            } else {
                "DS read it."
            });
        }
        if step == Some(false) {
            let think =
                json!({"choices": [{"index": 0, "delta": {"reasoning_content": DS_REASONING}}]});
            let call = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
                "id": format!("call_ds_{}", before.len()), "type": "function",
                "function": {"name": "Read", "arguments": json!({"file_path": notes}).to_string()}}]}}]});
            let end =
                json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]});
            return mock::sse(&[
                &think.to_string(),
                &call.to_string(),
                &end.to_string(),
                "[DONE]",
            ]);
        }
        mock::openai_text("DS here.")
    }
}

/// Anthropic's API: a thinking block must carry a signature it made.
fn anthropic_like(notes: String) -> impl Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync {
    move |req, before| {
        let body = req.json();
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        for (i, m) in messages.iter().enumerate() {
            for (j, b) in m["content"].as_array().into_iter().flatten().enumerate() {
                let foreign = match b["type"].as_str() {
                    Some("thinking") => !b["signature"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("sig-an-")),
                    Some("redacted_thinking") => true,
                    _ => false,
                };
                if foreign {
                    return error(
                        400,
                        "invalid_request_error",
                        &format!(
                            "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                        ),
                    );
                }
                let id_ok = |id: &str| {
                    id.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                };
                for key in ["id", "tool_use_id"] {
                    if let Some(id) = b[key].as_str()
                        && !id_ok(id)
                    {
                        return error(
                            400,
                            "invalid_request_error",
                            &format!("messages.{i}.content.{j}.{key}: String should match pattern"),
                        );
                    }
                }
            }
        }
        // `/model ID` checks the model with one small request, not streamed.
        if body["stream"] != true {
            return mock::json(
                200,
                &json!({"id": "msg_an", "type": "message", "role": "assistant", "model": body["model"],
                    "content": [{"type": "text", "text": "AN here."}], "stop_reason": "end_turn",
                    "stop_sequence": null, "usage": {"input_tokens": 3, "output_tokens": 2}})
                .to_string(),
            );
        }
        let step = next_step(&messages, |m| {
            m["role"] == "user"
                && m["content"]
                    .to_string()
                    .contains("\"tool_use_id\":\"toolu_an_")
        });
        if step == Some(true) {
            return mock::anthropic_text("AN read it.");
        }
        if step == Some(false) {
            let n = before.len();
            return mock::anthropic_stream(
                &[
                    json!({"type": "thinking", "thinking": "AN plans a read", "signature": format!("sig-an-{n}")}),
                    json!({"type": "tool_use", "id": format!("toolu_an_{n}"), "name": "Read", "input": {"file_path": notes}}),
                ],
                "tool_use",
            );
        }
        mock::anthropic_text("AN here.")
    }
}

/// Wait until `what` is on screen `n` times.
fn wait_count(tmux: &Tmux, what: &str, n: usize, limit: Duration) -> String {
    let t0 = Instant::now();
    loop {
        let screen = tmux.capture();
        if screen.matches(what).count() >= n {
            return screen;
        }
        assert!(
            t0.elapsed() < limit,
            "`{what}` not {n} times on screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn say(tmux: &Tmux, text: &str) {
    tmux.type_text(text);
    std::thread::sleep(Duration::from_millis(300));
    tmux.send(&["Enter"]);
}

/// `/model ID`, confirmed: mid-conversation Claude Code asks first, as
/// the switch costs the prompt cache. `n`: the how-manyth switch.
fn switch(tmux: &Tmux, id: &str, n: usize) {
    say(tmux, &format!("/model {id}"));
    let t0 = Instant::now();
    loop {
        let screen = tmux.capture();
        if screen.matches("Set model to").count() >= n {
            return;
        }
        if screen.contains("Switch model?") {
            tmux.send(&["Enter"]);
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "{screen}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_moves_between_providers_with_model_and_every_turn_is_answered() {
    let [ds, an, km] = Mock::start_n::<3>().await;
    let home = Home::new();
    home.write_config(&format!(
        "[providers.ds]\npreset = \"deepseek\"\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.gateway]\napi = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.kimi]\npreset = \"moonshot\"\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\nfast = {{ provider = \"kimi\", model = \"kimi-k3\" }}\n\
         menu = [{{ provider = \"gateway\", model = \"claude-sonnet-4-5\", label = \"Sonnet via gateway\" }},\n\
                 {{ provider = \"kimi\", model = \"kimi-k3-turbo\", label = \"Kimi Turbo\" }}]\n",
        ds.url("/v1"),
        an.url(""),
        km.url("/v1"),
    ));
    let (chome, script) = launch_line(&home, "p", "");
    let notes = chome.path().join("work/notes.txt");
    std::fs::write(&notes, "the notes\n").unwrap();
    let notes = notes.display().to_string();
    for _ in 0..40 {
        ds.push(computed(deepseek_like(notes.clone())));
        an.push(computed(anthropic_like(notes.clone())));
        km.push(mock::openai_text("Kimi here."));
    }
    let tmux = Tmux::run("model-switch", 150, 50, &script);
    tmux.wait_for("\u{276f}", Duration::from_secs(60));

    // The menu: each provider's models, by label and provider.
    say(&tmux, "/model");
    let screen = tmux.wait_for("Sonnet via gateway", Duration::from_secs(30));
    println!("/model as Claude Code shows it:\n{screen}");
    for shown in [
        "deepseek-v4-pro · DeepSeek",
        "Sonnet via gateway · gateway",
        "Kimi Turbo · Moonshot",
    ] {
        assert!(screen.contains(shown), "{shown}:\n{screen}");
    }
    tmux.send(&["Escape"]);
    std::thread::sleep(Duration::from_millis(500));

    say(&tmux, "please read the notes");
    wait_count(&tmux, "DS read it.", 1, Duration::from_secs(90));
    switch(&tmux, "claude-sonnet-4-5", 1);
    say(&tmux, "now read the notes with Sonnet");
    wait_count(&tmux, "AN read it.", 1, Duration::from_secs(90));
    switch(&tmux, "claude-ccswitch-main", 2);
    say(&tmux, "back on DeepSeek, read the notes");
    let screen = wait_count(&tmux, "DS read it again.", 1, Duration::from_secs(90));
    assert!(!screen.contains("API Error"), "{screen}");
    tmux.ctrl_c_twice();
    tmux.exited(0, Duration::from_secs(30));

    // Each provider's log shows the history repaired for it: its request
    // with the longest history (Claude Code's last request may be a
    // short side request).
    let longest = |m: &Mock| {
        m.seen()
            .iter()
            .map(Recorded::json)
            .max_by_key(|v| v["messages"].as_array().map_or(0, Vec::len))
            .unwrap()
    };
    let last_an = longest(&an);
    let an_thinking: Vec<&Value> = last_an["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["content"].as_array().into_iter().flatten())
        .filter(|b| b["type"] == "thinking")
        .collect();
    assert!(
        !an_thinking.is_empty()
            && an_thinking
                .iter()
                .all(|b| b["signature"].as_str().unwrap().starts_with("sig-an-")),
        "the gateway gets its own thinking back, and only that: {last_an}"
    );
    let last_ds = longest(&ds);
    let turns: Vec<&Value> = last_ds["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["tool_calls"].is_array())
        .collect();
    let ids: Vec<&Value> = turns.iter().map(|t| &t["tool_calls"][0]["id"]).collect();
    assert!(turns.len() >= 3, "{ids:?}");
    for t in turns {
        let id = t["tool_calls"][0]["id"].as_str().unwrap();
        let echoed = t["reasoning_content"].as_str().unwrap_or_default();
        if id.starts_with("call_ds") {
            assert_eq!(echoed, DS_REASONING, "{t}");
        } else {
            assert!(id.starts_with("toolu_an_") && echoed.is_empty(), "{t}");
        }
    }
}

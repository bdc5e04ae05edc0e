//! `ccswitch run` launching the real Claude Code CLI (pinned) through the
//! embedded proxy against scripted mock upstreams on 127.0.0.1.

use std::path::Path;
use std::time::Duration;

use crate::support::claude::claude_bin;
use crate::support::mock::{self, End, Mock, Reply};
use crate::support::{Home, Run, fake_claude, output_within};
use serde_json::{Value, json};

const KEY: &str = "sk-provider-key-run";

fn providers(oa: &Mock, an: &Mock) -> String {
    format!(
        "default = \"oa\"\n\
         [providers.oa]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.an]\napi = \"anthropic\"\nbase_url = \"{}\"\nauth = \"x-api-key\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.oa]\nprovider = \"oa\"\nmain = \"oa-main\"\nfast = \"oa-fast\"\n\
         [profiles.an]\nprovider = \"an\"\nmain = \"an-main\"\n",
        oa.url("/v1"),
        an.url("/anthropic")
    )
}

fn oa_text(text: &str) -> Reply {
    let c = json!({"choices": [{"index": 0, "delta": {"content": text}}]}).to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 50, "completion_tokens": 5}}).to_string();
    mock::sse(&[&c, &f, "[DONE]"])
}

fn oa_tool(command: &str) -> Reply {
    let args = json!({"command": command, "description": "Show the environment"}).to_string();
    let start = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_env", "type": "function", "function": {"name": "Bash", "arguments": args}}]}}]}).to_string();
    let f =
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}).to_string();
    mock::sse(&[&start, &f, "[DONE]"])
}

/// A temp HOME for claude, with optional `~/.claude/settings.json`.
fn claude_home(settings: Option<&Value>) -> tempfile::TempDir {
    let h = tempfile::tempdir().unwrap();
    if let Some(s) = settings {
        std::fs::create_dir_all(h.path().join(".claude")).unwrap();
        std::fs::write(h.path().join(".claude/settings.json"), s.to_string()).unwrap();
    }
    h
}

/// `ccswitch run ARGS` with the real claude, in a fresh working directory.
async fn ccswitch_run(home: &Home, chome: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
    let mut cmd = home.cmd(&["run", "--claude", claude_bin().to_str().unwrap()]);
    cmd.args(args)
        .current_dir(chome)
        .env("HOME", chome)
        .env("UP_KEY", KEY)
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        .envs(extra_env.iter().copied());
    output_within(cmd, Duration::from_secs(90)).await
}

/// The permission mode is named: some Claude Code versions (2.1.300)
/// default `-p` to auto mode, whose safety check these scripted
/// upstreams do not answer (tests/it/auto_mode.rs covers it).
const P: &[&str] = &[
    "--output-format",
    "stream-json",
    "--verbose",
    "--no-session-persistence",
    "--allowedTools",
    "Bash",
    "--permission-mode",
    "acceptEdits",
];

#[tokio::test]
async fn text_through_an_openai_provider_then_a_tool_round_trip_keeps_the_key_out() {
    let (oa, an) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&providers(&oa, &an));
    let chome = claude_home(None);
    oa.push(oa_text("Hello through ccswitch run."));
    let mut args = vec!["oa", "-p", "say hi"];
    args.extend(P);
    let r = ccswitch_run(&home, chome.path(), &args, &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.result()["result"], "Hello through ccswitch run.");
    let seen = oa.last();
    assert_eq!(seen.json()["model"], "oa-main");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        !format!("{:?}", oa.seen()).contains("ccsw-"),
        "session token reached the upstream"
    );
    // The summary line, on stderr, after claude exits.
    assert!(
        r.stderr
            .contains("ccswitch: oa: 1 request, 50 input / 5 output tokens, 0 errors"),
        "{}",
        r.stderr
    );
    // `--no-session-persistence` keeps no transcript: nothing to resume.
    assert!(!r.stderr.contains("resume this session"), "{}", r.stderr);

    // Persisted (the default): the command that resumes it through
    // ccswitch, with the session id Claude Code sent and filed it under.
    oa.push(oa_text("Again."));
    let args = ["oa", "-p", "say hi", "--output-format", "json"];
    let r = ccswitch_run(&home, chome.path(), &args, &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The id is the `X-Claude-Code-Session-Id` the proxy saw (the OpenAI
    // upstream never gets Claude Code's headers).
    let id = r
        .stderr
        .split("ccswitch: resume this session with: ccswitch run oa -- --resume ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no resume hint: {}", r.stderr))
        .to_string();
    // And the hint works: the conversation goes on where it was.
    oa.push(oa_text("Resumed."));
    let args = [
        "oa",
        "--resume",
        &id,
        "-p",
        "and now?",
        "--output-format",
        "json",
    ];
    let r = ccswitch_run(&home, chome.path(), &args, &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let body = oa.last().body;
    assert!(
        body.contains("Again.") && body.contains("and now?"),
        "the earlier turn was not sent: {body}"
    );
    // What Claude Code's own resume line now names, `ccswitch --resume ID`,
    // goes back to the session's profile, not the (changed) default one.
    home.write_config(&providers(&oa, &an).replace("default = \"oa\"", "default = \"an\""));
    oa.push(oa_text("Resumed again."));
    let claude_dir = claude_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        claude_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = home.cmd(&[
        "--resume",
        &id,
        "--",
        "-p",
        "and then?",
        "--output-format",
        "json",
    ]);
    cmd.current_dir(chome.path())
        .env("HOME", chome.path())
        .env("UP_KEY", KEY)
        .env("PATH", path)
        .env("CLAUDE_CODE_MAX_RETRIES", "1");
    let r = output_within(cmd, Duration::from_secs(90)).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let body = oa.last().body;
    assert!(
        body.contains("and now?") && body.contains("and then?"),
        "not resumed on profile oa: {body}"
    );
    let cwd = std::fs::canonicalize(chome.path()).unwrap();
    let project = ccswitch::claude::resume::project_dir(&chome.path().join(".claude"), &cwd);
    assert!(
        project.join(format!("{id}.jsonl")).is_file(),
        "claude files the session as {id} under {}: {:?}",
        project.display(),
        std::fs::read_dir(chome.path().join(".claude/projects")).map(|d| d
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect::<Vec<_>>())
    );

    // Claude's Bash tool sees claude's environment: the proxy and token are
    // there, the provider key is not.
    oa.push(oa_tool("env"));
    oa.push(oa_text("Seen."));
    let mut args = vec!["-q", "oa", "-p", "show the environment"];
    args.extend(P);
    let r = ccswitch_run(&home, chome.path(), &args, &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("ccswitch:"), "--quiet: {}", r.stderr);
    let second = oa.last().json();
    let tool = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("tool message");
    let out = tool["content"].to_string();
    assert!(
        out.contains("ANTHROPIC_BASE_URL=http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("ANTHROPIC_AUTH_TOKEN=ccsw-"), "{out}");
    assert!(
        !out.contains(KEY),
        "the provider key reached claude's environment: {out}"
    );
    assert!(!out.contains("UP_KEY="), "{out}");
}

#[tokio::test]
async fn anthropic_provider_and_a_stale_settings_file_that_must_not_divert() {
    let (oa, an) = (Mock::start().await, Mock::start().await);
    let stale = Mock::start().await;
    let home = Home::new();
    home.write_config(&providers(&oa, &an));
    // An old setup in the user's own Claude settings: it outranks the
    // process environment inside Claude Code.
    let chome = claude_home(Some(&json!({"env": {
        "ANTHROPIC_BASE_URL": stale.url(""),
        "ANTHROPIC_AUTH_TOKEN": "stale-token",
        "ANTHROPIC_MODEL": "stale-model",
    }})));
    an.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-text.sse"
        )],
        End::Close,
    ));
    let mut args = vec!["an", "-p", "say hi"];
    args.extend(P);
    let r = ccswitch_run(
        &home,
        chome.path(),
        &args,
        &[
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9"),
            ("ANTHROPIC_API_KEY", "sk-inherited"),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.result()["is_error"], false);
    assert!(
        stale.seen().is_empty(),
        "the stale settings diverted the session: {:?}",
        stale.seen()
    );
    let seen = an.last();
    assert_eq!(seen.json()["model"], "an-main");
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    // The user's settings file is untouched.
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(chome.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["env"]["ANTHROPIC_AUTH_TOKEN"], "stale-token");
}

#[tokio::test]
async fn exit_codes_propagate_and_a_missing_claude_is_127() {
    let (oa, an) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&providers(&oa, &an));
    let chome = claude_home(None);
    oa.push(mock::json(403, r#"{"error":{"message":"key disabled"}}"#));
    let mut args = vec!["oa", "-p", "say hi"];
    args.extend(P);
    let r = ccswitch_run(&home, chome.path(), &args, &[]).await;
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("key disabled"), "{}", r.stdout);
    // Claude Code exits 1 on a final API error; ccswitch passes it on.
    assert_eq!(r.code, 1);

    let r = home.run_env(
        &["run", "oa", "--", "-p", "x"],
        &[("PATH", "/nonexistent"), ("HOME", "/nonexistent")],
    );
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("npm install -g @anthropic-ai/claude-code"),
        "{}",
        r.stderr
    );
    let r = home.run(&["run", "--claude", "/no/such/claude", "oa"]);
    assert_eq!(r.code, 127);
    assert!(r.stderr.contains("/no/such/claude"), "{}", r.stderr);
}

#[tokio::test]
async fn two_concurrent_sessions_reach_their_own_upstreams() {
    let (oa, an) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&providers(&oa, &an));
    let (h1, h2) = (claude_home(None), claude_home(None));
    oa.push(oa_text("from the openai side"));
    an.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-text.sse"
        )],
        End::Close,
    ));
    let mut a1 = vec!["oa", "-p", "one"];
    a1.extend(P);
    let mut a2 = vec!["an", "-p", "two"];
    a2.extend(P);
    let (r1, r2) = tokio::join!(
        ccswitch_run(&home, h1.path(), &a1, &[]),
        ccswitch_run(&home, h2.path(), &a2, &[])
    );
    assert_eq!(r1.result()["result"], "from the openai side");
    assert_eq!(r2.result()["is_error"], false, "{}", r2.stdout);
    assert_eq!(oa.seen().len(), 1);
    assert_eq!(an.seen().len(), 1);
    assert_eq!(an.last().json()["model"], "an-main");
}

#[test]
fn run_needs_a_profile_and_env_explains_proxy_profiles() {
    let home = Home::new();
    let r = home.run(&["run"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("Say which profile to run"),
        "{}",
        r.stderr
    );
    home.write_config("[providers.d]\npreset = \"deepseek\"\nkey = { env = \"DK\" }\n[profiles.ds]\nprovider = \"d\"\nmain = \"deepseek-v4-pro\"\n\
        [providers.aws]\npreset = \"bedrock\"\nregion = \"us-west-2\"\ndirect = true\n[profiles.b]\nprovider = \"aws\"\nmain = \"global.anthropic.claude-opus-5\"\n");
    let r = home.run(&["env", "ds"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ccswitch serve ds"), "{}", r.stderr);
    let r = home.run_env(&["env", "b", "--shell", "fish"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("set -gx CLAUDE_CODE_USE_BEDROCK 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("set -gx AWS_REGION us-west-2"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("set -e ANTHROPIC_BASE_URL"),
        "{}",
        r.stdout
    );
}

/// A mistyped profile name gets the one meant, when one is that close;
/// a name like none of them gets only the list.
#[test]
fn a_mistyped_profile_is_answered_with_the_one_meant() {
    let home = Home::new();
    home.write_config(
        "[providers.d]\npreset = \"deepseek\"\nkey = { env = \"DK\" }\n\
        [profiles.deepseek]\nprovider = \"d\"\nmain = \"deepseek-v4-pro\"\n\
        [profiles.kimi]\nprovider = \"d\"\nmain = \"deepseek-v4-pro\"\n",
    );
    for args in [
        &["run", "deepsek"][..],
        &["env", "deepsek"],
        &["serve", "deepsek"],
    ] {
        let r = home.run(args);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(
            r.stderr
                .contains("There is no profile named `deepsek`. Known: deepseek, kimi.")
                && r.stderr.contains("Did you mean `deepseek`?"),
            "{args:?}: {}",
            r.stderr
        );
    }
    let r = home.run(&["run", "zzzzzz"]);
    assert!(!r.stderr.contains("Did you mean"), "{}", r.stderr);
}

#[test]
fn run_records_the_last_use_and_profile_list_shows_it() {
    let home = Home::new();
    // Port 9 (discard): nothing answers, and a launch must not need it to.
    home.write_config(
        "default = \"oa\"\n\
         [providers.oa]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [profiles.oa]\nprovider = \"oa\"\nmain = \"oa-main\"\n\
         [profiles.idle]\nprovider = \"oa\"\nmain = \"oa-main\"\n",
    );
    let config_before = home.read_config();
    let last_used = |home: &Home| -> Vec<(String, Value)> {
        let list = home.run(&["profile", "list", "--json"]).ok().json();
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["last_used"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        last_used(&home),
        [("oa".into(), Value::Null), ("idle".into(), Value::Null)]
    );
    let table = home.run(&["profile", "list"]).ok().stdout.clone();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].ends_with("FAST     LAST USED"), "{table}");
    assert!(
        lines[1].starts_with("*  oa ") && lines[1].ends_with(" -"),
        "{table}"
    );

    // `ccswitch test` goes through the proxy too, but is not a launch.
    let r = home.run_env(&["test", "idle"], &[("UP_KEY", "k")]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);

    let bin = tempfile::tempdir().unwrap();
    let claude = fake_claude(bin.path(), "exit 3");
    let before = std::time::SystemTime::now();
    let r = home.run_claude(&claude, &["oa", "-p", "hi"], &[("UP_KEY", "k")]);
    // Claude's own exit code still comes back; the launch was noted anyway.
    assert_eq!(r.code, 3, "{}", r.stderr);
    let after = std::time::SystemTime::now();

    let got = last_used(&home);
    assert_eq!(
        got[1],
        ("idle".into(), Value::Null),
        "ccswitch test recorded"
    );
    let stamp = got[0].1.as_str().expect("oa was recorded").to_string();
    assert!(stamp.ends_with('Z'), "{stamp}");
    let when = humantime::parse_rfc3339(&stamp).unwrap();
    // Whole seconds: `before` rounded down to its second.
    let floor = before
        - Duration::from_nanos(
            before
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                .into(),
        );
    assert!(floor <= when && when <= after, "{stamp}");
    let table = home.run(&["profile", "list"]).ok().stdout.clone();
    let oa_line = table.lines().find(|l| l.starts_with("*  oa ")).unwrap();
    assert!(oa_line.ends_with("  just now"), "{table}");

    // The launch wrote the state file in the data folder, not the config.
    assert_eq!(home.read_config(), config_before);
    let state = std::fs::read_to_string(home.path().join("state.toml")).unwrap();
    assert!(state.contains("[last_used]"), "{state}");
    assert!(state.contains(&format!("oa = \"{stamp}\"")), "{state}");

    // A state file that cannot be written is a note in the log, not an error.
    std::fs::remove_file(home.path().join("state.toml")).unwrap();
    std::fs::create_dir(home.path().join("state.toml")).unwrap();
    let r = home.run_claude(&claude, &["oa"], &[("UP_KEY", "k")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stderr.contains("record"), "{}", r.stderr);
    let log = std::fs::read_to_string(home.path().join("logs/ccswitch.log")).unwrap();
    assert!(
        log.contains("warning: could not record when this profile was last used"),
        "{log}"
    );
    assert_eq!(last_used(&home)[0].1, Value::Null);
}

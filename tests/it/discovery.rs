//! Model discovery with real Claude Code: `ccswitch run` turns on its
//! gateway discovery, Claude Code lists the profile's slots from the
//! proxy's `GET /v1/models` under their real names (it keeps only ids with
//! `claude` in them, so slots get such ids), and a listed id picked with
//! `--model` reaches that slot's upstream.

use std::time::Duration;

use serde_json::Value;

use crate::support::claude::ccswitch_run;
use crate::support::mock::{self, Mock};
use crate::support::{Home, output_within};

#[tokio::test]
async fn claude_code_lists_the_slots_and_a_listed_id_reaches_its_slot() {
    let (up, fast) = (Mock::start().await, Mock::start().await);
    for _ in 0..4 {
        up.push(mock::openai_text("from main"));
        fast.push(mock::openai_text("from fast"));
    }
    let home = Home::new();
    home.write_config(&format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.f]\npreset = \"ollama\"\napi = \"openai\"\nbase_url = \"{}\"\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"deepseek-v4-pro\"\nfast = {{ provider = \"f\", model = \"qwen3-coder\" }}\n",
        up.url("/v1"),
        fast.url("/v1"),
    ));
    let chome = tempfile::tempdir().unwrap();
    let run = |extra: &'static [&'static str]| {
        let mut args = vec![
            "-p",
            "say hi",
            "--output-format",
            "json",
            "--no-session-persistence",
        ];
        args.extend_from_slice(extra);
        let mut cmd = ccswitch_run(&home, "p", &args, chome.path());
        cmd.env("UP_KEY", "sk-discovery");
        output_within(cmd, Duration::from_secs(60))
    };
    let r = run(&[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let cache = chome.path().join(".claude/cache/gateway-models.json");
    let listed: Value = serde_json::from_str(
        &std::fs::read_to_string(&cache).unwrap_or_else(|e| panic!("{}: {e}", cache.display())),
    )
    .unwrap();
    let models = listed["models"].as_array().unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["claude-ccswitch-main", "claude-ccswitch-fast"],
        "{listed}"
    );
    assert_eq!(
        models[1]["display_name"], "qwen3-coder · Ollama (local)",
        "{listed}"
    );

    let before = fast.seen().len();
    let r = run(&["--model", "claude-ccswitch-fast"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["result"], "from fast", "{}", r.stdout);
    let seen = fast.seen();
    assert!(seen.len() > before);
    assert_eq!(seen.last().unwrap().json()["model"], "qwen3-coder");
}

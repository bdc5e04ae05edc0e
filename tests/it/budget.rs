//! Budgets through the real binary: sessions sharing one budget through the
//! ledger stop together, overspending by at most their in-flight requests;
//! real Claude Code shows the message and does not retry.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::claude::claude_bin;
use crate::support::mock::{self, Mock, Reply};
use crate::support::serve::Serve;
use crate::support::{Home, Run, output_within};

const PRICED: &str = "models = { m-main = { input_price = 1.0, output_price = 1.0 } }";

fn oa_text(text: &str, prompt_tokens: u64) -> Reply {
    let c = json!({"choices": [{"index": 0, "delta": {"content": text}}]}).to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 0}})
    .to_string();
    mock::sse(&[&c, &f, "[DONE]"])
}

fn config(up: &Mock, budget: &str) -> String {
    format!(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n{PRICED}\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\nbudget = {budget}\n",
        up.url("/v1")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn concurrent_sessions_share_a_budget_and_stop_together() {
    let up = Mock::start().await;
    let home = Home::new();
    // Every answer costs $0.10; the day's budget is $1.
    home.write_config(&config(&up, "{ daily_usd = 1.0 }"));
    for _ in 0..40 {
        up.push(oa_text("ok", 100_000));
    }
    let sessions: Vec<Serve> = (0..3)
        .map(|_| Serve::start(&home, "p", "sk-budget"))
        .collect();
    let mut tasks = Vec::new();
    for s in &sessions {
        let (base, token) = (s.base.clone(), s.token.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..20 {
                let resp = client
                    .post(format!("{base}/v1/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"model": "m-main", "max_tokens": 10, "stream": true,
                                  "messages": [{"role": "user", "content": "hi"}]}))
                    .send()
                    .await
                    .unwrap();
                if resp.status() == 403 {
                    let retry = resp.headers().get("x-should-retry").cloned();
                    let body: Value = resp.json().await.unwrap();
                    return (n, retry, body);
                }
                assert_eq!(resp.status(), 200);
                resp.text().await.unwrap();
            }
            panic!("never stopped");
        }));
    }
    let mut served = 0;
    for t in tasks {
        let (n, retry, body) = t.await.unwrap();
        served += n;
        assert_eq!(retry.unwrap(), "false");
        assert_eq!(body["error"]["type"], "permission_error");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("daily budget of $1.00"), "{msg}");
        assert!(msg.contains("--ignore-budget"), "{msg}");
    }
    drop(sessions);
    // Ten answers reach the budget; each of the three sessions may have had
    // one more in flight when it was reached, never more.
    assert_eq!(up.seen().len(), served);
    assert!((10..=13).contains(&served), "{served} answers served");
    let v = home.run(&["usage", "--json", "--since", "1h"]).ok().json();
    assert_eq!(v["total"]["requests"], served as u64);
}

/// `ccswitch run` with the real claude.
async fn run_claude(home: &Home, args: &[&str]) -> Run {
    let chome = tempfile::tempdir().unwrap();
    let mut cmd = home.cmd(&["run", "--claude", claude_bin().to_str().unwrap()]);
    cmd.args(args)
        .current_dir(chome.path())
        .env("HOME", chome.path())
        .env("UP_KEY", "sk-budget");
    output_within(cmd, Duration::from_secs(90)).await
}

#[tokio::test]
async fn real_claude_code_shows_the_budget_message_and_does_not_retry() {
    let up = Mock::start().await;
    let home = Home::new();
    // The first turn ($0.50) uses the whole $0.40 budget.
    home.write_config(&config(&up, "{ daily_usd = 0.4 }"));
    up.push(oa_text("First answer.", 500_000));
    let p = [
        "p",
        "-p",
        "say hi",
        "--output-format",
        "stream-json",
        "--verbose",
    ];
    let r = run_claude(&home, &p).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(up.seen().len(), 1);

    // The next session is refused before anything is sent: Claude Code
    // shows why, at once (default retries, not lowered here).
    up.push(oa_text("Never sent.", 10));
    let t0 = Instant::now();
    let r = run_claude(&home, &p).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "retried: {:?}",
        t0.elapsed()
    );
    assert!(
        r.stdout.contains("daily budget of $0.40") && r.stdout.contains("--ignore-budget"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("api_retry"), "{}", r.stdout);
    assert_eq!(up.seen().len(), 1, "nothing reached the upstream");

    // --ignore-budget lets one session through.
    let mut ignore = vec!["--ignore-budget"];
    ignore.extend(p);
    let r = run_claude(&home, &ignore).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(up.seen().len(), 2);
}

#[tokio::test]
async fn the_status_line_shows_the_session_its_spend_and_the_budget() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&config(&up, "{ daily_usd = 1.0 }"));
    for _ in 0..9 {
        up.push(oa_text("ok", 100_000));
    }
    let mut s = Serve::start(&home, "p", "sk-budget");
    let client = reqwest::Client::new();
    for _ in 0..9 {
        let resp = client
            .post(format!("{}/v1/messages", s.base))
            .bearer_auth(&s.token)
            .json(&json!({"model": "m-main", "max_tokens": 10, "stream": true,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.text().await.unwrap();
    }
    // Stopped as a user stops it: what it recorded is written.
    s.stop();
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let session: String = db
        .query_row("SELECT session FROM requests LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let status = r#"{"session_id": "abc", "model": {"id": "m-main", "display_name": "m-main"}}"#;
    let env = [
        ("CCSWITCH_PROFILE", "p"),
        ("CCSWITCH_SESSION", session.as_str()),
    ];
    let r = home.run_stdin(&["statusline"], status, &env);
    r.ok();
    assert_eq!(
        r.stdout.trim(),
        "ccswitch p · m-main · 900.0k tokens · $0.90 · ⚠ budget 90% used, $0.10 left today"
    );
    // Outside a session, or with no ledger: still one line, never an error.
    let r = Home::new().run_stdin(&["statusline"], "not json", &[]);
    r.ok();
    assert_eq!(r.stdout.trim(), "ccswitch -");
}

/// `ccswitch run` offers the status line in its settings, unless the user
/// has their own (which a `--settings` file would otherwise override).
#[cfg(unix)]
#[test]
fn run_offers_the_status_line_only_without_the_users_own() {
    let home = Home::new();
    home.write_config(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m\"\n",
    );
    let bin = tempfile::tempdir().unwrap();
    let out = bin.path().join("settings.json");
    let claude = crate::support::fake_claude(
        bin.path(),
        &format!(
            "cp \"$2\" '{}'; echo \"$CCSWITCH_PROFILE $CCSWITCH_SESSION\" > '{}.env'",
            out.display(),
            out.display()
        ),
    );
    let chome = tempfile::tempdir().unwrap();
    let run = |chome: &std::path::Path| {
        home.run_env(
            &["run", "-q", "--claude", claude.to_str().unwrap(), "p"],
            &[("UP_KEY", "k"), ("HOME", chome.to_str().unwrap())],
        )
        .ok();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        v
    };
    let v = run(chome.path());
    let command = v["statusLine"]["command"].as_str().unwrap();
    assert!(command.ends_with(" statusline"), "{command}");
    assert_eq!(v["statusLine"]["type"], "command");
    let env = std::fs::read_to_string(format!("{}.env", out.display())).unwrap();
    assert!(env.starts_with("p ") && env.trim().len() > 4, "{env}");

    std::fs::create_dir_all(chome.path().join(".claude")).unwrap();
    std::fs::write(
        chome.path().join(".claude/settings.json"),
        r#"{"statusLine": {"type": "command", "command": "my-own-line"}}"#,
    )
    .unwrap();
    let v = run(chome.path());
    assert!(v.get("statusLine").is_none(), "{v}");
}

//! Budgets through the real binary: sessions sharing one budget through the
//! ledger stop together, overspending by at most their in-flight requests;
//! real Claude Code shows the message and does not retry.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::claude::claude_bin;
use crate::support::mock::{self, Mock, Reply};
use crate::support::serve::{Serve, post_messages};
use crate::support::{Home, Run, output_within};

const PRICED: &str = "models = { m-main = { input_price = 1.0, output_price = 1.0 } }";

fn oa_text(text: &str, prompt_tokens: u64) -> Reply {
    mock::openai_text_usage(text, prompt_tokens, 0)
}

fn config(up: &Mock, budget: &str) -> String {
    format!(
        "{}{PRICED}\n[profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\nbudget = {budget}\n",
        mock::openai_provider("oa", up)
    )
}

/// An upstream with `answers` answers of "ok", each of `prompt_tokens`
/// input tokens, and a home whose profile `p` on it has this budget.
async fn budgeted(budget: &str, answers: usize, prompt_tokens: u64) -> (Mock, Home) {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&config(&up, budget));
    for _ in 0..answers {
        up.push(oa_text("ok", prompt_tokens));
    }
    (up, home)
}

/// A streamed request for `max_tokens` from m-main.
fn hi(max_tokens: u64) -> Value {
    json!({"model": "m-main", "max_tokens": max_tokens, "stream": true,
           "messages": [{"role": "user", "content": "hi"}]})
}

/// A request `s` serves: its whole stream is read.
async fn served(client: &reqwest::Client, s: &Serve) {
    let resp = s.post(client, &hi(10)).await;
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn concurrent_sessions_share_a_budget_and_stop_together() {
    // Every answer costs $0.10; the day's budget is $1.
    let (up, home) = budgeted("{ daily_usd = 1.0 }", 40, 100_000).await;
    let sessions: Vec<Serve> = (0..3)
        .map(|_| Serve::start(&home, "p", "sk-budget"))
        .collect();
    let mut tasks = Vec::new();
    for s in &sessions {
        let (base, token) = (s.base.clone(), s.token.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..20 {
                let resp = post_messages(&client, &base, &token, &hi(10)).await;
                if resp.status() == 402 {
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
        assert_eq!(body["error"]["type"], "billing_error");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("daily budget of $1.00"), "{msg}");
        assert!(msg.contains("--ignore-budget"), "{msg}");
    }
    // Stopped as a user stops them: what they recorded is written.
    for mut s in sessions {
        s.stop();
    }
    // Ten answers reach the budget; each of the three sessions may have had
    // one more in flight when it was reached, never more.
    assert_eq!(up.seen().len(), served);
    assert!((10..=13).contains(&served), "{served} answers served");
    // Each session's one refusal is recorded too, as an error.
    let v = home.run(&["usage", "--json", "--since", "1h"]).ok().json();
    assert_eq!(v["total"]["requests"], served as u64 + 3);
    assert_eq!(v["total"]["errors"], 3);
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
    // A used-up budget is not a login problem (a 403 made Claude Code say
    // "Failed to authenticate" here, and "Please run /login" in its UI).
    assert!(
        r.stdout
            .contains("API Error: 402 ccswitch: the daily budget"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.to_lowercase().contains("authenticate"),
        "{}",
        r.stdout
    );
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
    let (_up, home) = budgeted("{ daily_usd = 1.0 }", 9, 100_000).await;
    let mut s = Serve::start(&home, "p", "sk-budget");
    let client = reqwest::Client::new();
    for _ in 0..9 {
        served(&client, &s).await;
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
    // In a session run with `--ignore-budget`, the budget stops nothing.
    let mut ignoring = env.to_vec();
    ignoring.push(("CCSWITCH_BUDGET", "ignored"));
    let r = home.run_stdin(&["statusline"], status, &ignoring);
    r.ok();
    assert!(
        r.stdout
            .trim()
            .ends_with("⚠ budget 90% used, $0.10 left today (ignored this session)"),
        "{}",
        r.stdout
    );
    // A session that has sent nothing yet claims no cost: "$0.00" would
    // read as a price for a model that may have none.
    let fresh = [("CCSWITCH_PROFILE", "p"), ("CCSWITCH_SESSION", "not-yet")];
    let r = home.run_stdin(&["statusline"], status, &fresh);
    r.ok();
    assert_eq!(
        r.stdout.trim(),
        "ccswitch p · m-main · ⚠ budget 90% used, $0.10 left today"
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

/// An OpenAI-kind answer that arrives after `delay` and reports
/// `completion_tokens` output tokens.
fn oa_slow(delay: Duration, completion_tokens: u64) -> Reply {
    let c = json!({"choices": [{"index": 0, "delta": {"content": "ok"}}]}).to_string();
    let f = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": completion_tokens}})
    .to_string();
    Reply::Sse {
        chunks: vec![
            (delay, format!("data: {c}\n\n")),
            (Duration::ZERO, format!("data: {f}\n\n")),
            (Duration::ZERO, "data: [DONE]\n\n".to_string()),
        ],
        then: mock::End::Close,
    }
}

/// Requests in flight hold what they may cost: twenty at once against a $3
/// budget, each able to cost $1 (1000 output tokens at $1000 a million),
/// are not all let through. Before reservations all twenty went and $20
/// was spent. The refused ones are in the ledger, the audit log and
/// `/metrics` as budget errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn concurrent_requests_reserve_their_cost_and_refusals_are_recorded() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "audit = \"metadata\"\n[providers.oa]\napi = \"openai\"\nbase_url = \"{}\"\n\
         key = {{ env = \"UP_KEY\" }}\n\
         models = {{ m-main = {{ input_price = 1.0, output_price = 1000.0 }} }}\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\nbudget = {{ daily_usd = 3.0 }}\n",
        up.url("/v1")
    ));
    for _ in 0..20 {
        up.push(oa_slow(Duration::from_millis(400), 1000));
    }
    let mut s = Serve::start(&home, "p", "sk-budget");
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (client, base, token) = (client.clone(), s.base.clone(), s.token.clone());
            tokio::spawn(async move {
                let resp = post_messages(&client, &base, &token, &hi(1000)).await;
                let status = resp.status().as_u16();
                resp.text().await.unwrap();
                status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let served = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s != 200).count();
    // $3 of room: three requests may hold $1 each; never more than one
    // request beyond the limit.
    assert!((1..=4).contains(&served), "{served} served: {statuses:?}");
    assert_eq!(up.seen().len(), served);

    let metrics = s.metrics(&client).await;
    let budget_errors: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("ccswitch_errors_total{") && l.contains("class=\"budget\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(budget_errors, refused as u64, "{metrics}");
    s.stop();

    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let (rows, budget_rows, cost): (i64, i64, f64) = db
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE error = 'budget'), total(cost_usd) FROM requests",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((rows, budget_rows), (20, refused as i64));
    assert!(cost <= 4.0 + 1e-9, "spent ${cost} against a $3 budget");
    let audit = std::fs::read_to_string(home.path().join("audit/audit.jsonl")).unwrap();
    let audited = audit
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["error"] == "budget")
        .count();
    assert_eq!(audited, refused);
}

/// 40 text deltas of 40 ASCII characters (10 tokens each), then nothing
/// more: the upstream keeps the connection open.
fn long_answer(anthropic: bool) -> Reply {
    let piece = "0123456789 abcdefghij 0123456789 klmnopq";
    let mut chunks = Vec::new();
    if anthropic {
        let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        chunks.push(ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_mock", "type": "message",
                "role": "assistant", "model": "m", "content": [], "stop_reason": null,
                "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ));
        chunks.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
                   "content_block": {"type": "text", "text": ""}}),
        ));
        for _ in 0..40 {
            chunks.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
    } else {
        for _ in 0..40 {
            let c = json!({"choices": [{"index": 0, "delta": {"content": piece}}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 1}});
            chunks.push(format!("data: {c}\n\n"));
        }
    }
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock::sse_raw(&refs, mock::End::Hang)
}

/// A stream Claude Code abandons still cost what was streamed: the ledger
/// counts the output that went out, not the first usage report (the
/// passthrough recorded message_start's 1 token, the translation an
/// upstream's early usage chunk).
#[tokio::test]
async fn streams_cut_by_the_client_record_what_was_streamed() {
    for anthropic in [true, false] {
        let up = Mock::start().await;
        let home = Home::new();
        let api = if anthropic { "anthropic" } else { "openai" };
        let base = if anthropic { up.url("") } else { up.url("/v1") };
        home.write_config(&format!(
            "[providers.up]\napi = \"{api}\"\nbase_url = \"{base}\"\nkey = {{ env = \"UP_KEY\" }}\n\
             [profiles.p]\nprovider = \"up\"\nmain = \"m\"\n"
        ));
        up.push(long_answer(anthropic));
        let mut s = Serve::start(&home, "p", "sk-cut");
        let ask = json!({"model": "m", "max_tokens": 1000, "stream": true,
                         "messages": [{"role": "user", "content": "hi"}]});
        let mut resp = s.post(&reqwest::Client::new(), &ask).await;
        // Read until the whole answer's text went out, then hang up.
        let mut seen = String::new();
        while seen.matches("klmnopq").count() < 40 {
            let chunk = resp.chunk().await.unwrap().expect("more");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        drop(resp);
        // The proxy notices the client is gone and writes the row.
        let db_path = home.path().join("usage.db");
        let row = || -> Option<(u16, i64)> {
            let db = rusqlite::Connection::open(&db_path).ok()?;
            db.query_row("SELECT status, output_tokens FROM requests", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ok()
        };
        let t0 = Instant::now();
        while row().is_none() && t0.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s.stop();
        let (status, output) = row().expect("a ledger row");
        assert_eq!(status, 499, "{api}");
        // 40 × 40 characters: about 400 tokens went out.
        assert!(
            (350..=500).contains(&output),
            "{api}: {output} output tokens"
        );
    }
}

/// Another process holding the ledger's write lock neither stalls budgeted
/// requests (each waited out the busy timeout, about 10 s, behind the
/// budget's barrier) nor loses their rows (the batch was dropped): the rows
/// are written once the lock is free.
#[tokio::test]
async fn a_locked_ledger_neither_stalls_budgeted_requests_nor_loses_rows() {
    let (_up, home) = budgeted("{ daily_usd = 100.0 }", 3, 1000).await;
    let mut s = Serve::start(&home, "p", "sk-budget");
    // The ledger exists once serve started; another process takes its
    // write lock and keeps it.
    let db_path = home.path().join("usage.db");
    let mut holder = rusqlite::Connection::open(&db_path).unwrap();
    let tx = holder
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let client = reqwest::Client::new();
    let t0 = Instant::now();
    for _ in 0..3 {
        served(&client, &s).await;
        // Let the writer try (and fail) between requests.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "requests waited on the locked ledger: {:?}",
        t0.elapsed()
    );
    tx.rollback().unwrap();
    s.stop();
    let n: i64 = rusqlite::Connection::open(&db_path)
        .unwrap()
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3, "rows kept while the ledger was locked");
}

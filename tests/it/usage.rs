//! The usage ledger through the real binary: eight `serve` sessions at once
//! against scripted upstreams that report known usage (cached and reasoning
//! tokens, usage in a chunk of its own, DeepSeek's fields, errors), one more
//! session killed with SIGKILL mid-stream; the ledger's totals must equal
//! what the upstreams reported, to the token and the cent.

use serde_json::{Value, json};

use crate::support::Home;
use crate::support::ledger_on;
use crate::support::mock::{self, End, Mock, Reply};
use crate::support::serve::Serve;

/// Expected sums: input (uncached), output, cache read, cache write,
/// reasoning, cost.
#[derive(Default, Debug)]
struct Expect {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    reasoning: u64,
    cost: f64,
}

fn openai_stream(prompt: u64, cached: u64, out: u64, reasoning: u64, deepseek: bool) -> Reply {
    let usage = if deepseek {
        json!({"prompt_tokens": prompt, "completion_tokens": out,
               "prompt_cache_hit_tokens": cached, "prompt_cache_miss_tokens": prompt - cached})
    } else {
        json!({"prompt_tokens": prompt, "completion_tokens": out,
               "prompt_tokens_details": {"cached_tokens": cached},
               "completion_tokens_details": {"reasoning_tokens": reasoning}})
    };
    let text = json!({"choices": [{"index": 0, "delta": {"content": "hello"}}]}).to_string();
    let stop = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string();
    // Usage in a chunk of its own, after the finish reason.
    let usage = json!({"choices": [], "usage": usage}).to_string();
    mock::sse(&[&text, &stop, &usage, "[DONE]"])
}

fn anthropic_stream(input: u64, read: u64, write: u64, out: u64) -> Reply {
    let start = json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "model": "m-fast", "content": [], "stop_reason": null,
        "usage": {"input_tokens": input, "cache_read_input_tokens": read,
                  "cache_creation_input_tokens": write, "output_tokens": 1}}});
    let events = [
        ("message_start", start),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": out}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let chunks: Vec<String> = events
        .iter()
        .map(|(e, d)| format!("event: {e}\ndata: {d}\n\n"))
        .collect();
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    mock::sse_raw(&refs, End::Close)
}

fn config(oa: &Mock, an: &Mock, aj: &Mock, killed: &Mock) -> String {
    format!(
        r#"
[providers.oa]
api = "openai"
base_url = "{oa}"
key = {{ env = "UP_KEY" }}
models = {{ m-main = {{ input_price = 3.0, output_price = 15.0, cache_read_price = 0.3 }} }}

[providers.an]
api = "anthropic"
base_url = "{an}"
key = {{ env = "UP_KEY" }}
models = {{ m-fast = {{ input_price = 1.0, output_price = 5.0, cache_read_price = 0.1, cache_write_price = 1.25 }} }}

[providers.aj]
api = "anthropic"
base_url = "{aj}"
key = {{ env = "UP_KEY" }}

[providers.ko]
api = "openai"
base_url = "{killed}"
key = {{ env = "UP_KEY" }}

[profiles.p]
provider = "oa"
main = "m-main"
fast = {{ provider = "an", model = "m-fast" }}
opus = {{ provider = "aj", model = "m-opus-unpriced" }}

[profiles.k]
provider = "ko"
main = "m-k"
"#,
        oa = oa.url("/v1"),
        an = an.url(""),
        aj = aj.url(""),
        killed = killed.url("/v1"),
    )
}

const SESSIONS: u64 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_sessions_and_a_killed_one_add_up_to_the_token_and_cent() {
    let [oa, an, aj, ko] = Mock::start_n().await;
    let home = Home::new();
    home.write_config(&config(&oa, &an, &aj, &ko));
    let mut want = Expect::default();
    for i in 0..SESSIONS {
        // Per session: two OpenAI streams (OpenAI's and DeepSeek's usage
        // fields), one upstream error, two Anthropic streams, one
        // Anthropic JSON answer at no known price.
        let (p, c, o, r) = (1000 + i * 7, 600 + i, 50 + i, 20 + i);
        oa.push(openai_stream(p, c, o, r, false));
        want.input += p - c;
        want.cache_read += c;
        want.output += o;
        want.reasoning += r;
        want.cost += ((p - c) as f64 * 3.0 + o as f64 * 15.0 + c as f64 * 0.3) / 1e6;
        let (p, c, o) = (2000 + i * 3, 1500, 80 + i);
        oa.push(openai_stream(p, c, o, 0, true));
        want.input += p - c;
        want.cache_read += c;
        want.output += o;
        want.cost += ((p - c) as f64 * 3.0 + o as f64 * 15.0 + c as f64 * 0.3) / 1e6;
        oa.push(mock::json(500, r#"{"error": {"message": "boom"}}"#));
        for j in 0..2 {
            let (inp, read, write, out) = (10 + i + j, 4000 + i * 11, 300 + j, 90 + i);
            an.push(anthropic_stream(inp, read, write, out));
            want.input += inp;
            want.cache_read += read;
            want.cache_write += write;
            want.output += out;
            want.cost +=
                (inp as f64 * 1.0 + out as f64 * 5.0 + read as f64 * 0.1 + write as f64 * 1.25)
                    / 1e6;
        }
        let answer = json!({"id": "msg_x", "type": "message", "role": "assistant",
            "model": "m-opus-unpriced", "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 7, "output_tokens": 3}});
        aj.push(mock::json(200, &answer.to_string()));
        want.input += 7;
        want.output += 3;
    }
    // The killed session: two whole answers, then a stream that stops
    // after its first chunk and hangs until the kill.
    ko.push(openai_stream(10, 0, 1, 0, false));
    ko.push(openai_stream(10, 0, 1, 0, false));
    let first = json!({"choices": [{"index": 0, "delta": {"content": "par"}}]}).to_string();
    ko.push(mock::sse_raw(&[&format!("data: {first}\n\n")], End::Hang));

    let serves: Vec<Serve> = (0..SESSIONS)
        .map(|_| Serve::start(&home, "p", "sk-usage-test"))
        .collect();
    let killed = Serve::start(&home, "k", "sk-usage-test");
    let serves = std::sync::Arc::new(serves);
    let mut tasks = Vec::new();
    for n in 0..serves.len() {
        let serves = serves.clone();
        tasks.push(tokio::spawn(async move {
            let s = &serves[n];
            let mut statuses = Vec::new();
            for _ in 0..3 {
                statuses.push(s.ask("m-main", true).await.0);
            }
            for _ in 0..2 {
                statuses.push(s.ask("m-fast", true).await.0);
            }
            statuses.push(s.ask("claude-opus-9", false).await.0);
            statuses
        }));
    }
    let victim = tokio::spawn(async move {
        for _ in 0..2 {
            assert_eq!(killed.ask("m-k", true).await.0, 200);
        }
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/messages", killed.base))
            .bearer_auth(&killed.token)
            .json(&json!({"model": "m-k", "max_tokens": 9, "stream": true,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        let mut body = resp.bytes_stream();
        use futures_util::StreamExt;
        // Mid-stream: the first content has arrived.
        let mut seen = String::new();
        while !seen.contains("par") {
            let chunk = body.next().await.unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        killed.signal("-KILL");
        let mut killed = killed;
        killed.child.wait().unwrap();
    });
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.extend(t.await.unwrap());
    }
    // Each upstream 500 lands on some session's main-slot request.
    let ok = statuses.iter().filter(|s| **s == 200).count() as u64;
    assert_eq!(ok, SESSIONS * 5, "{statuses:?}");
    victim.await.unwrap();
    for s in serves.iter() {
        s.signal("-TERM");
    }
    let mut serves = std::sync::Arc::into_inner(serves).unwrap();
    for s in &mut serves {
        assert!(s.child.wait().unwrap().success());
    }

    let run = home.run(&[
        "usage",
        "--json",
        "--since",
        "1h",
        "--profile",
        "p",
        "--by",
        "session",
    ]);
    let v: Value = run.ok().json();
    let total = &v["total"];
    let n = |k: &str| total[k].as_u64().unwrap();
    assert_eq!(n("requests"), SESSIONS * 6, "{total}");
    assert_eq!(n("errors"), SESSIONS, "{total}");
    assert_eq!(n("input_tokens"), want.input, "{total}");
    assert_eq!(n("output_tokens"), want.output, "{total}");
    assert_eq!(n("cache_read_tokens"), want.cache_read, "{total}");
    assert_eq!(n("cache_write_tokens"), want.cache_write, "{total}");
    assert_eq!(n("reasoning_tokens"), want.reasoning, "{total}");
    assert_eq!(
        n("unpriced_requests"),
        SESSIONS,
        "the opus model has no price"
    );
    let cost = total["cost_usd"].as_f64().unwrap();
    assert!((cost - want.cost).abs() < 1e-9, "{cost} vs {}", want.cost);
    assert_eq!(v["groups"].as_array().unwrap().len(), SESSIONS as usize);

    // The killed session lost at most its unflushed rows, and the file is
    // whole.
    let db = home.path().join("usage.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let killed_rows: i64 = conn
        .query_row(
            "SELECT count(*) FROM requests WHERE profile = 'k'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(killed_rows <= 2, "{killed_rows}");
    // Slots, subagent flag and Claude Code's session id are recorded.
    let slots: Vec<String> = conn
        .prepare("SELECT DISTINCT slot FROM requests WHERE profile = 'p' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(slots, ["fast", "main", "opus"]);
    let cc: i64 = conn
        .query_row(
            "SELECT count(*) FROM requests WHERE cc_session = 'cc-session-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(cc >= (SESSIONS * 6) as i64);
}

/// `serve` of profile `p` on an upstream with one answer of known usage,
/// `top` (keys of the config's top level) first in its config.
async fn serving_one_answer(top: &str) -> (Mock, Home, Serve) {
    let oa = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!("{top}\n{}", mock::oa_config(&oa)));
    oa.push(openai_stream(100, 10, 5, 0, false));
    let s = Serve::start(&home, "p", "sk-usage-test");
    (oa, home, s)
}

#[tokio::test]
async fn the_audit_log_keeps_what_its_level_says_with_secrets_redacted() {
    for level in ["metadata", "full"] {
        let (_oa, home, mut s) = serving_one_answer(&format!("audit = \"{level}\"")).await;
        let ask = json!({"model": "m-main", "max_tokens": 100, "stream": true,
            "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user",
                "content": format!("keys: sk-usage-test and {} and sk-proj-0123456789abcdefXYZ", s.token)}]});
        let resp = s.post(&reqwest::Client::new(), &ask).await;
        assert_eq!(resp.status(), 200);
        resp.text().await.unwrap();
        s.signal("-TERM");
        assert!(s.child.wait().unwrap().success());
        let text = std::fs::read_to_string(home.path().join("audit/audit.jsonl")).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{text}");
        let l = &lines[0];
        assert_eq!(l["tools"], json!(["Bash"]));
        assert_eq!(l["input_tokens"], 90);
        assert_eq!(l["cache_read_tokens"], 10);
        assert!(l["request_id"].as_str().unwrap().starts_with("req_"));
        assert!(l["response_bytes"].as_u64().unwrap() > 100);
        assert!(!text.contains("sk-usage-test"), "provider key: {text}");
        assert!(!text.contains(&s.token), "session token: {text}");
        if level == "metadata" {
            assert!(
                l.get("request").is_none() && !text.contains("keys:"),
                "{text}"
            );
        } else {
            let content = l["request"]["messages"][0]["content"].as_str().unwrap();
            assert_eq!(content, "keys: [redacted] and [redacted] and sk-[redacted]");
            let response = l["response"].as_str().unwrap();
            assert!(response.starts_with("event: message_start"), "{response}");
            assert!(response.contains("event: message_stop"), "{response}");
            assert!(response.contains("hello"), "{response}");
        }
    }
}

#[tokio::test]
async fn ledger_false_keeps_no_history() {
    let (_oa, home, mut s) = serving_one_answer("ledger = false").await;
    let (status, body) = s.ask("m-main", true).await;
    assert_eq!(status, 200, "{body}");
    s.stop();
    assert!(
        !home.path().join("usage.db").exists(),
        "the ledger was written with ledger = false"
    );
}

/// A ledger at `dir/usage.db` with `n` sessions' sums on 2026-01-01 (one
/// request each), written as ccswitch writes it, and closed.
fn ledger_with(dir: &std::path::Path, n: usize) {
    ledger_on(dir, n, "'2026-01-01'");
}

const ALL: [&str; 6] = [
    "usage",
    "--json",
    "--since",
    "2000-01-01",
    "--until",
    "2100-01-01",
];

#[test]
fn bad_ranges_are_usage_errors_in_one_line() {
    let home = Home::new();
    ledger_with(home.path(), 1);
    for (args, says) in [
        (&["usage", "--since", "5000000d"][..], "5000000d"),
        (&["usage", "--since", "2026-02-30"], "2026-02-30"),
        (&["usage", "--until", "2026-13-01"], "2026-13-01"),
        (
            &["usage", "--since", "2026-02-28 24:30"],
            "2026-02-28 24:30",
        ),
        (
            &["usage", "--since", "2026-03-05", "--until", "2026-03-01"],
            "2026-03-05",
        ),
        (&["usage", "--since", "1h", "--until", "2h"], "--since"),
    ] {
        let r = home.run(args);
        r.fails(2);
        let err = r.stderr.trim();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("ccswitch: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        for sql in ["column", "strftime", "CAST", "Null"] {
            assert!(!err.contains(sql), "{args:?}: SQL in {err}");
        }
    }
    // Still fine: a range of one day, and a date with a time.
    home.run(&["usage", "--since", "2026-03-01", "--until", "2026-03-01"])
        .ok();
    home.run(&["usage", "--since", "2026-02-28 23:30"]).ok();
}

#[test]
fn a_damaged_ledger_is_named_with_what_to_do() {
    let home = Home::new();
    ledger_with(home.path(), 4000);
    home.run(&ALL).ok();
    // Everything past the first pages (the schema) overwritten.
    let path = home.path().join("usage.db");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
    let from = bytes.len() / 2;
    for b in &mut bytes[from..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let r = home.run(&ALL);
    r.fails(1);
    let err = r.stderr.trim();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("mv "), "the fix is given: {err}");
}

/// A ledger in a folder the reader cannot write (a read-only mount, a
/// shared machine): SQLite cannot make the WAL index there, and ccswitch
/// opens the file as immutable instead. As root, chmod stops nothing, so
/// the reader then runs as `nobody`.
#[cfg(unix)]
#[test]
fn a_ledger_in_a_read_only_folder_is_read() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let home = Home::new();
    // The folder was made by this process: its owner is who we are.
    let root = std::fs::metadata(home.path()).unwrap().uid() == 0;
    ledger_with(home.path(), 3);
    std::fs::set_permissions(
        home.path().join("usage.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = home.cmd(&ALL);
    if root {
        cmd.uid(65534).gid(65534);
    }
    let r = crate::support::Run::from(cmd.output().unwrap());
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let v = r.ok().json();
    assert_eq!(v["total"]["requests"], 3, "{v}");
    assert!(!home.path().join("usage.db-shm").exists());
}

/// With nothing recorded, `usage` says so instead of a table of `$0.00`
/// rows that reads like a bill (issue 27, wart 13): no ledger file, an
/// empty one, and a profile with no requests in a ledger that has some.
/// A range with no requests says that too; JSON and CSV keep their zeros.
#[test]
fn an_empty_ledger_says_there_are_no_requests_yet() {
    let home = Home::new();
    for args in [&["usage"][..], &["usage", "--by", "day"]] {
        let r = home.run(args);
        r.ok();
        assert!(!r.stdout.contains("$0.00"), "{args:?}: {}", r.stdout);
        assert!(
            r.stdout.contains("No usage recorded yet"),
            "{args:?}: {}",
            r.stdout
        );
    }
    // A ledger that exists but holds no request (a session that made none).
    drop(ccswitch::usage::db::open(&home.path().join("usage.db"), 1).unwrap());
    let r = home.run(&["usage"]);
    r.ok();
    assert!(!r.stdout.contains("$0.00"), "{}", r.stdout);
    assert!(r.stdout.contains("No usage recorded yet"), "{}", r.stdout);
    let v = home.run(&["usage", "--json"]).ok().json();
    assert_eq!(v["periods"][0]["requests"], 0, "{v}");

    let home = Home::new();
    ledger_with(home.path(), 2);
    let r = home.run(&["usage", "--profile", "other"]);
    r.ok();
    assert!(!r.stdout.contains("$0.00"), "{}", r.stdout);
    assert!(r.stdout.contains("`other`"), "{}", r.stdout);
    let r = home.run(&["usage", "--since", "2026-02-01", "--until", "2026-02-02"]);
    r.ok();
    assert!(!r.stdout.contains("$0.00"), "{}", r.stdout);
    assert!(r.stdout.contains("No requests"), "{}", r.stdout);
    // The range that has them still shows the table.
    let r = home.run(&["usage", "--since", "2026-01-01", "--until", "2026-01-02"]);
    assert!(r.ok().stdout.contains("$1.00"), "{}", r.stdout);
}

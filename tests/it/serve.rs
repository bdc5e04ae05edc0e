//! `ccswitch serve` as a real process: prints the environment, serves with
//! the printed token, logs one line per request, stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::support::Home;
use crate::support::mock::{self, Mock};
use crate::support::serve::{post_messages, signal};
use serde_json::{Value, json};

/// A mock upstream, and a home whose default profile `p` is on it.
async fn upstream_and_home() -> (Mock, Home) {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "default = \"p\"\n{}[profiles.p]\nprovider = \"up\"\nmain = \"m-main\"\nfast = \"m-fast\"\nopus = \"m-opus\"\n",
        mock::openai_provider("up", &up)
    ));
    (up, home)
}

/// `ccswitch ARGS` with `env`, its stdout piped and its stderr to `stderr`.
fn spawn(home: &Home, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Child {
    home.cmd(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// `ccswitch serve` of the default profile, its key in `UP_KEY`.
fn serve(home: &Home, stderr: Stdio) -> Child {
    spawn(home, &["serve"], &[("UP_KEY", "sk-serve-key")], stderr)
}

/// The upstream's next answer is "pong"; a request for it, through the
/// proxy at `base`.
async fn ping(up: &Mock, base: &str, token: &str) -> reqwest::Response {
    let reply = json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "pong"}}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 1}});
    up.push(mock::json(200, &reply.to_string()));
    let body = json!({"model": "m-main", "max_tokens": 100, "messages": [{"role": "user", "content": "ping"}]});
    post_messages(&reqwest::Client::new(), base, token, &body).await
}

/// The first `n` lines serve prints, read as they come; the rest is read
/// in the background, since serve may still be writing it.
async fn first_lines(stdout: std::process::ChildStdout, n: usize) -> Vec<String> {
    tokio::task::spawn_blocking(move || {
        let mut r = BufReader::new(stdout);
        let mut lines = Vec::new();
        for _ in 0..n {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap() == 0 {
                break;
            }
            lines.push(l.trim().to_string());
        }
        std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        lines
    })
    .await
    .unwrap()
}

/// The value of `export NAME='…'` among `lines`.
fn export(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("export {name}=")))
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
        .trim_matches('\'')
        .to_string()
}

#[tokio::test]
async fn serve_prints_exports_serves_and_stops_on_sigterm() {
    let (up, home) = upstream_and_home().await;
    let mut child = serve(&home, Stdio::piped());
    // The export lines (the process keeps running).
    let lines = first_lines(child.stdout.take().unwrap(), 8).await;
    let get = |k: &str| export(&lines, k);
    let base = get("ANTHROPIC_BASE_URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let token = get("ANTHROPIC_AUTH_TOKEN");
    assert!(token.starts_with("ccsw-") && token.len() > 40);
    assert_eq!(get("ANTHROPIC_API_KEY"), "");
    assert_eq!(get("ANTHROPIC_MODEL"), "m-main");
    assert_eq!(get("ANTHROPIC_SMALL_FAST_MODEL"), "m-fast");
    assert_eq!(get("ANTHROPIC_DEFAULT_HAIKU_MODEL"), "m-fast");
    assert_eq!(get("ANTHROPIC_DEFAULT_OPUS_MODEL"), "m-opus");
    assert_eq!(get("ANTHROPIC_DEFAULT_SONNET_MODEL"), "m-main");

    let resp = ping(&up, &base, &token).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["content"][0]["text"], "pong");
    assert_eq!(
        up.last().header("authorization"),
        Some("Bearer sk-serve-key")
    );

    signal(&child, "-TERM");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stderr}", out.status);
    assert!(
        stderr.contains("m-main -> main up/m-main json 200"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped: 1 request, 0 errors, 3 input / 1 output tokens"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-serve-key"), "{stderr}");
}

#[test]
fn serve_refuses_remote_hosts_and_missing_profiles() {
    let home = Home::new();
    let r = home.run(&["serve"]);
    r.fails(2);
    assert!(r.stderr.contains("Say which profile"), "{}", r.stderr);
    let r = home.run(&["serve", "p", "--host", "0.0.0.0"]);
    r.fails(2);
    assert!(r.stderr.contains("--allow-remote"), "{}", r.stderr);
    let r = home.run(&["serve", "p", "--token-env", "NOPE_UNSET"]);
    r.fails(2);
}

/// A serve that is expected to end by itself, killed if it does not.
async fn within(mut cmd: std::process::Command) -> crate::support::Run {
    cmd.env_remove("UP_KEY");
    crate::support::output_within(cmd, std::time::Duration::from_secs(20)).await
}

const STRONG: &str = "4f9c2a7be1d04c3f8a6b5e2d9c1f0a7b3e8d";

#[tokio::test]
async fn serve_uses_the_token_from_token_env_and_fails_clearly_without_a_key() {
    let (_up, home) = upstream_and_home().await;
    // No UP_KEY: the key cannot be found, and serve says so before listening.
    // (Were it found, serve would run until killed: the time limit makes
    // that a failure instead of a hang.)
    let r = within(home.cmd(&["serve", "p"])).await;
    r.fails(1);
    assert!(r.stderr.contains("UP_KEY"), "{}", r.stderr);
    // A chosen token must be as hard to guess as a generated one.
    for weak in ["x", "my-fixed-token", &"ab".repeat(20)] {
        let r = home.run_env(
            &["serve", "p", "--token-env", "MY_TOKEN"],
            &[("MY_TOKEN", weak), ("UP_KEY", "k")],
        );
        r.fails(2);
        assert!(r.stderr.contains("at least 32"), "{}", r.stderr);
    }
    // Off loopback, serve says plainly that nothing is encrypted.
    let r = within(home.cmd(&["serve", "p", "--host", "0.0.0.0", "--allow-remote"])).await;
    assert!(r.stderr.contains("without TLS"), "{}", r.stderr);
    let mut child = spawn(
        &home,
        &["serve", "p", "--token-env", "MY_TOKEN", "--shell", "fish"],
        &[("UP_KEY", "k"), ("MY_TOKEN", STRONG)],
        Stdio::null(),
    );
    let stdout = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut r = BufReader::new(stdout);
        let mut a = String::new();
        let mut b = String::new();
        r.read_line(&mut a).unwrap();
        r.read_line(&mut b).unwrap();
        (a, b)
    })
    .await
    .unwrap();
    assert!(
        first
            .0
            .starts_with("set -gx ANTHROPIC_BASE_URL http://127.0.0.1:"),
        "{first:?}"
    );
    assert_eq!(
        first.1.trim(),
        format!("set -gx ANTHROPIC_AUTH_TOKEN {STRONG}")
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Before, each log line was a blocking write to stderr on the proxy's one
/// thread: with nobody reading the pipe, serve froze once the pipe was
/// full (64 KiB on Linux, about 60 of these lines).
#[tokio::test]
async fn serve_keeps_serving_when_nobody_reads_its_stderr() {
    let (up, home) = upstream_and_home().await;
    let mut child = serve(&home, Stdio::piped());
    // Kept open, never read.
    let _stderr = child.stderr.take().unwrap();
    let lines = first_lines(child.stdout.take().unwrap(), 8).await;
    let get = |k: &str| export(&lines, k);
    let (base, token) = (get("ANTHROPIC_BASE_URL"), get("ANTHROPIC_AUTH_TOKEN"));
    // Each request logs its upstream's long error message.
    let n = 200;
    let long = json!({"error": {"message": "x".repeat(900)}}).to_string();
    for _ in 0..n {
        up.push(mock::json(400, &long));
    }
    let client = reqwest::Client::new();
    let body = json!({"model": "m-main", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    for i in 0..n {
        let send = post_messages(&client, &base, &token, &body);
        let resp = tokio::time::timeout(std::time::Duration::from_secs(10), send)
            .await
            .unwrap_or_else(|_| panic!("serve froze at request {i}"));
        assert_eq!(resp.status(), 400);
    }
    signal(&child, "-TERM");
    // It still stops: what cannot be written in a moment is left.
    let waited = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::task::spawn_blocking(move || child.wait().unwrap()),
    )
    .await
    .expect("serve did not stop")
    .unwrap();
    assert!(waited.success(), "{waited:?}");
}

/// A reader that takes the lines it wants and leaves (`ccswitch serve p |
/// head -2`) does not end the server: it keeps serving. Before, its next
/// export line met the closed pipe and serve exited.
#[tokio::test]
async fn serve_keeps_serving_when_its_stdout_reader_leaves() {
    let (up, home) = upstream_and_home().await;
    let mut child = serve(&home, Stdio::null());
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        // One byte at a time: nothing past the second line is read before
        // the pipe closes.
        let mut r = BufReader::with_capacity(1, stdout);
        let mut lines = Vec::new();
        for _ in 0..2 {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            lines.push(l.trim().to_string());
        }
        lines
    })
    .await
    .unwrap();
    let value = |i: usize| {
        lines[i]
            .split_once('=')
            .unwrap()
            .1
            .trim_matches('\'')
            .to_string()
    };
    let (base, token) = (value(0), value(1));
    // The rest of its exports meet a closed pipe; give them the time.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(child.try_wait().unwrap().is_none(), "serve ended");
    let resp = ping(&up, &base, &token).await;
    assert_eq!(resp.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
}

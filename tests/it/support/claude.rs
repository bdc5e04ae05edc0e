//! Running the pinned real Claude Code CLI (installed by scripts/test).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const PINNED: &str = "2.1.332";

/// The claude binary, or a failure naming how to install it.
pub fn claude_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CCSWITCH_TEST_CLAUDE") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-peers/claude/node_modules/.bin/claude");
    assert!(
        p.exists(),
        "the pinned Claude Code CLI is not installed at {}. Run scripts/test (it runs \
         `npm install --prefix target/test-peers/claude @anthropic-ai/claude-code@{PINNED}`).",
        p.display()
    );
    p
}

/// `ccswitch run -q --claude <the pinned CLI> PROFILE CLAUDE_ARGS…` for
/// `home`'s config, with Claude Code's own home (its `HOME`, and the folder
/// it works in) in `claude_home`.
pub fn ccswitch_run(
    home: &super::Home,
    profile: &str,
    claude_args: &[&str],
    claude_home: &std::path::Path,
) -> Command {
    let bin = claude_bin();
    let mut cmd = home.cmd(&["run", "-q", "--claude", bin.to_str().unwrap(), profile]);
    cmd.args(claude_args)
        .current_dir(claude_home)
        .env("HOME", claude_home);
    cmd
}

/// `ccswitch_run` with `env` besides, killed (and failed) after 90
/// seconds.
pub async fn ccswitch_run_in(
    home: &super::Home,
    profile: &str,
    claude_args: &[&str],
    claude_home: &std::path::Path,
    env: &[(&str, &str)],
) -> super::Run {
    let mut cmd = ccswitch_run(home, profile, claude_args, claude_home);
    cmd.envs(env.iter().copied());
    super::output_within(cmd, Duration::from_secs(90)).await
}

/// `ccswitch run` on `profile` with `claude -p PROMPT --output-format
/// stream-json --verbose MORE…`, the provider key in `UP_KEY`, one retry,
/// killed (and failed) after two minutes.
pub async fn stream_json(
    home: &super::Home,
    profile: &str,
    claude_home: &std::path::Path,
    prompt: &str,
    more: &[&str],
) -> super::Run {
    let mut args = vec!["-p", prompt, "--output-format", "stream-json", "--verbose"];
    args.extend(more);
    let mut cmd = ccswitch_run(home, profile, &args, claude_home);
    cmd.env("UP_KEY", "sk-claude-run")
        .env("CLAUDE_CODE_MAX_RETRIES", "1");
    super::output_within(cmd, Duration::from_secs(120)).await
}

pub struct ClaudeRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl ClaudeRun {
    /// The final `result` line of `--output-format stream-json`.
    pub fn result(&self) -> serde_json::Value {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["type"] == "result")
            .unwrap_or_else(|| {
                panic!(
                    "no result line\nstdout:\n{}\nstderr:\n{}",
                    self.stdout, self.stderr
                )
            })
    }
}

/// `claude -p PROMPT` in a fresh HOME and working directory, with the given
/// environment (nothing inherited but PATH), killed after `limit`.
pub fn run_claude(
    prompt: &str,
    env: &[(String, String)],
    extra_args: &[&str],
    limit: Duration,
) -> ClaudeRun {
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(claude_bin());
    cmd.args([
        "-p",
        prompt,
        "--output-format",
        "stream-json",
        "--verbose",
        "--no-session-persistence",
    ])
    .args(extra_args)
    .current_dir(cwd.path())
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("HOME", home.path())
    .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    .env("CLAUDE_CODE_MAX_RETRIES", "1")
    .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start claude");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    ClaudeRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every run of the real Claude Code in the suite has a time limit: a
/// function that starts it (names `claude_bin()` or `ccswitch_run(`) never
/// waits on a process without one (`output_within`, `run_claude` and the
/// tmux waits have theirs). A claude that hangs, on a prompt it was not
/// meant to show say, must fail the test, not hang CI.
#[test]
fn every_real_claude_run_has_a_time_limit() {
    const STARTS: &[&str] = &["claude_bin()", "ccswitch_run("];
    const UNBOUNDED: &[&str] = &[".output()", ".wait_with_output()", ".wait()", ".status()"];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Each function's text, from its `fn` line to the next one.
        let mut functions: Vec<(usize, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("async ").unwrap_or(l);
            if l.starts_with("fn ") || functions.is_empty() {
                functions.push((n + 1, String::new()));
            }
            if let Some((_, body)) = functions.last_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        for (line, body) in functions {
            let starts = STARTS.iter().any(|s| body.contains(s));
            if let Some(wait) = UNBOUNDED.iter().find(|w| body.contains(*w))
                && starts
            {
                let file = path.file_name().unwrap().to_string_lossy();
                bad.push(format!("{file}:{line}: {wait}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "real Claude Code runs waited on without a limit (use output_within):\n{}",
        bad.join("\n")
    );
}

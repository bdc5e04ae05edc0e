//! `ccswitch serve` as a real process for tests: started with a provider
//! key in `UP_KEY`, its printed base URL and token read, and killed when
//! the test ends, passed or not.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use super::Home;

/// POST `body` to the Messages API of the proxy at `base`, with `token`
/// as the bearer.
pub async fn post_messages(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .post(format!("{base}/v1/messages"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Send `child` a signal (`-TERM`, `-KILL`) with kill(1).
pub fn signal(child: &Child, sig: &str) {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success()
    );
}

pub struct Serve {
    pub child: Child,
    pub base: String,
    pub token: String,
}

impl Drop for Serve {
    /// A failing test must not leave its servers running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    pub fn start(home: &Home, profile: &str, key: &str) -> Serve {
        Serve::start_env(home, profile, &[("UP_KEY", key)])
    }

    /// The same with this environment (a Secret Service's, say).
    pub fn start_env(home: &Home, profile: &str, env: &[(&str, &str)]) -> Serve {
        Serve::start_with(home, &["serve", profile], env)
    }

    /// `ccswitch ARGS` (a `serve` with options) with this environment.
    pub fn start_with(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Serve {
        Serve::start_logged(home, args, env, Stdio::null())
    }

    /// [`Serve::start_with`], its stderr (its log) going to `stderr`.
    pub fn start_logged(
        home: &Home,
        args: &[&str],
        env: &[(&str, &str)],
        stderr: impl Into<Stdio>,
    ) -> Serve {
        let mut cmd = home.cmd(args);
        cmd.envs(env.iter().copied()).stderr(stderr);
        Serve::spawn(cmd)
    }

    /// `cmd` (a `ccswitch serve`) started, its base URL and token read.
    pub fn spawn(mut cmd: std::process::Command) -> Serve {
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut r = BufReader::new(child.stdout.take().unwrap());
        let (mut base, mut token) = (String::new(), String::new());
        while base.is_empty() || token.is_empty() {
            let mut l = String::new();
            assert!(r.read_line(&mut l).unwrap() > 0, "serve ended early");
            let value = |k: &str| {
                l.trim()
                    .strip_prefix(&format!("export {k}="))
                    .map(|v| v.trim_matches('\'').to_string())
            };
            if let Some(v) = value("ANTHROPIC_BASE_URL") {
                base = v;
            }
            if let Some(v) = value("ANTHROPIC_AUTH_TOKEN") {
                token = v;
            }
        }
        // Keep reading: serve must not meet a closed pipe while it prints.
        std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        Serve { child, base, token }
    }

    /// A small Messages request from Claude Code's session `cc-session-1`:
    /// the status and the body.
    pub async fn ask(&self, model: &str, stream: bool) -> (u16, String) {
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/messages", self.base))
            .bearer_auth(&self.token)
            .header("x-claude-code-session-id", "cc-session-1")
            .json(&json!({"model": model, "max_tokens": 100, "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// POST `body` to its Messages API with its token.
    pub async fn post(&self, client: &reqwest::Client, body: &Value) -> reqwest::Response {
        post_messages(client, &self.base, &self.token, body).await
    }

    /// The text of its `/metrics`, asked for with its token.
    pub async fn metrics(&self, client: &reqwest::Client) -> String {
        client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Send a signal (`-TERM`, `-KILL`) with kill(1).
    pub fn signal(&self, sig: &str) {
        signal(&self.child, sig);
    }

    /// Stop it as a user does (SIGTERM), so what it recorded is written,
    /// and check it exited cleanly.
    pub fn stop(&mut self) {
        self.signal("-TERM");
        assert!(self.child.wait().unwrap().success());
    }
}

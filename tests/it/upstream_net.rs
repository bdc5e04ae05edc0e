//! The provider's network settings end to end through `ccswitch serve` as a
//! real process: a SOCKS5 upstream proxy (`proxy = "socks5://…"` and
//! `socks5h://`, with and without credentials) and a TLS upstream signed by
//! a private CA (`ca_file`). Everything stays on 127.0.0.1.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::Home;
use crate::support::mock::{self, Mock, Recorded};
use crate::support::socks::{Socks, Target};
use crate::support::tls::{Handshake, TestCa, TlsFront};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const KEY: &str = "sk-upstream-net-key";

/// `ccswitch serve` running in the background with what it printed.
struct Serve {
    child: tokio::process::Child,
    base: String,
    token: String,
    stderr: Arc<Mutex<String>>,
    stderr_task: tokio::task::JoinHandle<()>,
}

/// A config whose profile `p` uses provider `up` with the given extra
/// provider lines.
fn config(base_url: &str, extra: &str) -> String {
    format!(
        "default = \"p\"\n[providers.up]\napi = \"openai\"\nbase_url = {}\nkey = {{ env = \"UP_KEY\" }}\n{extra}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m-main\"\nfast = \"m-fast\"\n",
        toml_str(base_url)
    )
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Serve {
    /// Start `ccswitch serve` with this home's config and wait for its
    /// exports. Panics with its stderr if it does not start.
    async fn start(home: &Home) -> Serve {
        let mut cmd = tokio::process::Command::from(home.cmd(&["serve"]));
        for var in [
            "ALL_PROXY",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "all_proxy",
            "http_proxy",
            "https_proxy",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .env("UP_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn ccswitch serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = child.stderr.take().unwrap();
        let stderr_task = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let read = async {
            let (mut base, mut token) = (None, None);
            while base.is_none() || token.is_none() {
                let Some(l) = lines.next_line().await.unwrap() else {
                    break;
                };
                let value = |k: &str| {
                    l.strip_prefix(&format!("export {k}="))
                        .map(|v| v.trim().trim_matches('\'').to_string())
                };
                base = base.or_else(|| value("ANTHROPIC_BASE_URL"));
                token = token.or_else(|| value("ANTHROPIC_AUTH_TOKEN"));
            }
            (base, token)
        };
        let (base, token) = tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("serve printed its exports within 5 s");
        // Keep reading: serve stops if its stdout closes while it still
        // prints.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        match (base, token) {
            (Some(base), Some(token)) => Serve {
                child,
                base,
                token,
                stderr,
                stderr_task,
            },
            _ => {
                let status = child.wait().await;
                let _ = stderr_task.await;
                panic!(
                    "serve did not start ({status:?}):\n{}",
                    stderr.lock().unwrap()
                );
            }
        }
    }

    /// A non-streaming Messages request.
    async fn ask(&self) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/v1/messages", self.base))
            .bearer_auth(&self.token)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({
                "model": "m-main",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "ping"}],
            }))
            .timeout(Duration::from_secs(8))
            .send()
            .await
            .unwrap()
    }

    /// SIGTERM, wait for the exit, and return everything it wrote to stderr.
    async fn stop(mut self) -> String {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .expect("serve stopped within 5 s after SIGTERM")
            .unwrap();
        let _ = self.stderr_task.await;
        let stderr = self.stderr.lock().unwrap().clone();
        assert!(status.success(), "exit {status:?}\n{stderr}");
        stderr
    }

    /// The upstream's next answer says `text`; a request through serve
    /// gets it.
    async fn answers(&self, up: &Mock, text: &str) {
        up.push(completion(text));
        let resp = self.ask().await;
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["content"][0]["text"], text);
    }

    /// A request through serve that cannot reach provider `up`: a 502
    /// `api_error` that Claude Code is told not to retry (retrying cannot
    /// fix credentials or trust). Its message, and the raw body.
    async fn cannot_reach_up(&self) -> (String, String) {
        let resp = self.ask().await;
        let (status, kind, message, retry, body) = anthropic_error(resp).await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(kind, "api_error", "{body}");
        assert_eq!(retry.as_deref(), Some("false"), "{body}");
        assert!(
            message.starts_with("Cannot reach provider `up`"),
            "{message}"
        );
        (message, body)
    }
}

/// The config of an upstream at `base_url` reached through the proxy at
/// `proxy_url`.
fn via_proxy(base_url: &str, proxy_url: &str) -> String {
    config(base_url, &format!("proxy = {}", toml_str(proxy_url)))
}

/// An OpenAI chat completion saying `text`.
fn completion(text: &str) -> mock::Reply {
    let body = json!({
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    });
    mock::json(200, &body.to_string())
}

/// A failed request's status, Anthropic error type and message, its
/// `x-should-retry` header, and the raw body.
async fn anthropic_error(resp: reqwest::Response) -> (u16, String, String, Option<String>, String) {
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("x-should-retry")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert_eq!(v["type"], "error", "{text}");
    (
        status,
        v["error"]["type"].as_str().unwrap_or_default().to_string(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        retry,
        text,
    )
}

// ---- SOCKS5 ----

#[tokio::test]
async fn socks5_proxy_with_credentials_carries_the_request() {
    let up = Mock::start().await;
    let socks = Socks::start(Some(("u", "p"))).await;
    let home = Home::new();
    home.write_config(&via_proxy(
        &up.url("/v1"),
        &socks.url("socks5", Some(("u", "p"))),
    ));
    let serve = Serve::start(&home).await;
    serve.answers(&up, "via socks").await;

    assert!(
        socks.methods().iter().all(|m| m.contains(&2)),
        "username/password was offered: {:?}",
        socks.methods()
    );
    assert_eq!(socks.auths(), [("u".to_string(), "p".to_string())]);
    // socks5:// resolves locally: the CONNECT names the mock's address.
    assert_eq!(
        socks.connects(),
        [Target::Ipv4([127, 0, 0, 1].into(), up.addr.port())]
    );
    let seen = up.last();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let log = serve.stop().await;
    assert!(log.contains("up/m-main json 200"), "{log}");
}

#[tokio::test]
async fn socks5h_leaves_the_hostname_to_the_proxy() {
    let up = Mock::start().await;
    let socks = Socks::start(None).await;
    let home = Home::new();
    let base = format!("http://localhost:{}/v1", up.addr.port());
    home.write_config(&via_proxy(&base, &socks.url("socks5h", None)));
    let serve = Serve::start(&home).await;
    serve.answers(&up, "resolved by the proxy").await;
    assert_eq!(
        socks.connects(),
        [Target::Domain("localhost".into(), up.addr.port())],
        "the CONNECT must carry the name (ATYP 3), not an address"
    );
    assert!(socks.auths().is_empty(), "{:?}", socks.auths());
    assert_eq!(
        up.last().header("host"),
        Some(format!("localhost:{}", up.addr.port()).as_str())
    );
    serve.stop().await;
}

#[tokio::test]
async fn wrong_socks_credentials_are_a_clear_error_without_the_password() {
    const WRONG: &str = "wr0ng-Pass-7Qz";
    let up = Mock::start().await;
    let socks = Socks::start(Some(("u", "right-pass"))).await;
    let home = Home::new();
    home.write_config(&via_proxy(
        &up.url("/v1"),
        &socks.url("socks5", Some(("u", WRONG))),
    ));
    let serve = Serve::start(&home).await;
    let (message, body) = serve.cannot_reach_up().await;
    assert!(
        message.contains("`proxy` URL"),
        "says what to fix: {message}"
    );
    // "…: error connecting to socks proxy: SOCKS error: credentials not
    // accepted"
    let lower = message.to_lowercase();
    assert!(
        lower.contains("socks proxy") && lower.contains("credentials"),
        "the message names the SOCKS credentials: {message}"
    );
    assert!(!body.contains(WRONG), "the password leaked: {body}");
    assert!(!body.contains(KEY), "the key leaked: {body}");
    assert_eq!(socks.auths(), [("u".to_string(), WRONG.to_string())]);
    assert!(socks.connects().is_empty());
    assert!(up.seen().is_empty(), "nothing may reach the upstream");
    let log = serve.stop().await;
    assert!(log.contains(" 502 "), "the failure is logged: {log}");
    assert!(!log.contains(WRONG), "the password leaked: {log}");
    assert!(!log.contains(KEY), "the key leaked: {log}");
}

// ---- TLS with a private CA ----

/// One request through serve to a TLS front for `host`, trusted through
/// `ca_file`; the answer must come back. Returns the front's handshakes and
/// what the mock behind it saw.
async fn through_trusted_tls(host: &str, text: &str) -> (Vec<Handshake>, String, Recorded) {
    let up = Mock::start().await;
    let ca = TestCa::new(&["127.0.0.1", "localhost"]);
    let front = TlsFront::start(&ca, up.addr).await;
    let home = Home::new();
    let ca_file = ca.write_ca(home.path());
    home.write_config(&config(
        &front.url(host, "/v1"),
        &format!("ca_file = {}", toml_str(&ca_file.display().to_string())),
    ));
    let serve = Serve::start(&home).await;
    serve.answers(&up, text).await;
    serve.stop().await;
    (front.handshakes(), front.url(host, ""), up.last())
}

#[tokio::test]
async fn a_tls_upstream_signed_by_the_ca_file_is_trusted() {
    let (shakes, origin, seen) = through_trusted_tls("127.0.0.1", "over tls").await;
    assert!(
        matches!(shakes.as_slice(), [Handshake::Done { .. }]),
        "{shakes:?}"
    );
    // Over h2 (offered by the front) the mock sees the absolute URI.
    let path = seen.path.strip_prefix(&origin);
    assert_eq!(path.unwrap_or(&seen.path), "/v1/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn the_ca_file_also_verifies_a_host_name() {
    let (shakes, _, _) = through_trusted_tls("localhost", "hello localhost").await;
    assert!(
        matches!(shakes.as_slice(), [Handshake::Done { sni: Some(s), .. }] if s == "localhost"),
        "{shakes:?}"
    );
}

#[tokio::test]
async fn without_the_ca_file_the_certificate_is_refused() {
    let up = Mock::start().await;
    let ca = TestCa::new(&["127.0.0.1", "localhost"]);
    let front = TlsFront::start(&ca, up.addr).await;
    let home = Home::new();
    home.write_config(&config(&front.url("127.0.0.1", "/v1"), ""));
    let serve = Serve::start(&home).await;
    let (message, body) = serve.cannot_reach_up().await;
    assert!(message.contains("`ca_file`"), "says what to fix: {message}");
    assert!(
        message.to_lowercase().contains("certificate"),
        "the message names the certificate problem: {message}"
    );
    // "…: client error (Connect): invalid peer certificate: UnknownIssuer"
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(!body.contains(KEY), "the key leaked: {body}");
    assert!(up.seen().is_empty(), "nothing may reach the upstream");
    // The client side refused the certificate: the front got an alert
    // (recorded by the front's own task, which may run a moment later).
    let mut shakes = front.handshakes();
    for _ in 0..100 {
        if !shakes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        shakes = front.handshakes();
    }
    assert!(
        !shakes.is_empty()
            && shakes
                .iter()
                .all(|h| matches!(h, Handshake::Failed(e) if e.contains("UnknownCA"))),
        "{shakes:?}"
    );
    let log = serve.stop().await;
    assert!(log.contains(" 502 "), "the failure is logged: {log}");
    assert!(log.contains("UnknownIssuer"), "{log}");
}

//! Command keys with a TTL (`key = { command = "...", ttl = "2s" }`), as a
//! company key service or an SSO token gives them: the command runs again
//! when the TTL is up, before the request that finds it so, and at once on
//! a 401, against an upstream that takes only the current key. New keys
//! never reach the log.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::support::mock::{self, Mock, Reply};
use crate::support::proxy::mk_proxy_config;

/// A key command that prints a new key each run (`tok.rotating.N.…`, N
/// counting runs), or fails while `broken` exists.
fn key_command(dir: &Path) -> PathBuf {
    let script = dir.join("keycmd");
    let d = dir.display();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ -e {d}/broken ] && {{ echo 'key service down' >&2; exit 3; }}\n\
             n=$(cat {d}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/count\n\
             echo \"tok.rotating.$n.9f3a7c21e5\"\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

fn key(n: u32) -> String {
    format!("tok.rotating.{n}.9f3a7c21e5")
}

/// Answers with a message when the request carries `accepted`, else 401.
fn only(accepted: &Arc<Mutex<String>>) -> Reply {
    let accepted = accepted.clone();
    mock::computed(move |this, _| {
        if this.header("x-api-key") == Some(accepted.lock().unwrap().as_str()) {
            mock::json(
                200,
                &json!({"id": "m", "type": "message", "role": "assistant", "model": "m",
                        "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                        "usage": {"input_tokens": 1, "output_tokens": 1}})
                .to_string(),
            )
        } else {
            mock::json(
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid token"}}"#,
            )
        }
    })
}

#[tokio::test]
async fn a_command_key_is_fetched_again_when_its_ttl_is_up_and_on_a_401() {
    let up = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let script = key_command(dir.path());
    let src = format!(
        "[providers.a]\napi = \"anthropic\"\nbase_url = \"{}/anthropic\"\nauth = \"x-api-key\"\n\
         key = {{ command = \"{}\", ttl = \"2s\" }}\n\
         [profiles.p]\nprovider = \"a\"\nmain = \"m\"\n",
        up.url(""),
        script.display()
    );
    // The proxy's start runs the command once: key 1.
    let p = mk_proxy_config(&src, &[], |_| {}).await;
    let accepted = Arc::new(Mutex::new(key(1)));
    for _ in 0..8 {
        up.push(only(&accepted));
    }
    let ask = || async {
        p.post(
            "/v1/messages",
            &json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
        .status()
        .as_u16()
    };
    let sent = |from: usize| -> Vec<String> {
        up.seen()[from..]
            .iter()
            .map(|r| r.header("x-api-key").unwrap_or_default().to_string())
            .collect()
    };
    let runs = || std::fs::read_to_string(dir.path().join("count")).unwrap();

    assert_eq!(ask().await, 200);
    assert_eq!(sent(0), [key(1)]);

    // The key service moved on: the 401 fetches key 2 and the same request
    // goes again with it.
    *accepted.lock().unwrap() = key(2);
    assert_eq!(ask().await, 200);
    assert_eq!(sent(1), [key(1), key(2)]);
    // Within the TTL the command does not run again.
    assert_eq!(ask().await, 200);
    assert_eq!(sent(3), [key(2)]);
    assert_eq!(runs().trim(), "2");

    // Past the TTL, the key is fetched before the request goes: one try.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    *accepted.lock().unwrap() = key(3);
    assert_eq!(ask().await, 200);
    assert_eq!(sent(4), [key(3)]);

    // A command that fails keeps the old key; the 401 reaches the client as
    // the provider refusing the key, and the log says why.
    std::fs::write(dir.path().join("broken"), "").unwrap();
    *accepted.lock().unwrap() = key(4);
    assert_eq!(ask().await, 424);
    assert_eq!(sent(5), [key(3)]);
    let logs = p.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("a: fetching its key again failed") && logs.contains("key service down"),
        "{logs}"
    );
    assert!(!logs.contains("tok.rotating"), "a key in the log:\n{logs}");
}

#[test]
fn a_ttl_needs_a_command_and_a_duration() {
    for (key, want) in [
        (
            r#"{ env = "K", ttl = "5m" }"#,
            "has a `ttl` but no `command`",
        ),
        (r#"{ command = "k", ttl = "soon" }"#, "is not a duration"),
        (r#"{ command = "k", ttl = "0s" }"#, "is not a duration"),
    ] {
        let src = format!(
            "[providers.a]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = {key}\n"
        );
        let e = ccswitch::config::parse(
            Path::new("config.toml"),
            &src,
            &ccswitch::config::Presets::builtin(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(want) && e.contains("config.toml:4"),
            "{key}: {e}"
        );
    }
}

//! Keys in a real Secret Service: a private dbus-daemon with gnome-keyring,
//! driven through the real binary. Fails (never skips) when the daemons are
//! not installed, naming the package to install.

use serde_json::json;

use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;
use crate::support::{Home, SecretService};

#[test]
fn key_set_status_rm_against_a_real_secret_service() {
    let ss = SecretService::start();
    let env = ss.env();
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();

    let r = home.run_stdin(&["key", "set", "deepseek"], "sk-real-keyring-789\n", &env);
    r.ok();
    assert!(r.stdout.contains("keyring"), "{}", r.stdout);

    // Another process finds it: the key really persisted in the Secret
    // Service (a build that fell back to an in-memory store would not).
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    assert_eq!(status[0]["source"]["kind"], "keyring", "{status}");

    // Not in the config, not in any output.
    let all = format!("{}{}{}", home.read_config(), r.stdout, r.stderr);
    assert!(!all.contains("sk-real-keyring-789"));
    assert!(!home.path().join("credentials.toml").exists());

    // The env var wins when set, as documented.
    home.run(&["provider", "rm", "deepseek"]).ok();
    home.write_config(
        "[providers.deepseek]\npreset = \"deepseek\"\nkey = { env = \"DS\", keyring = true }\n",
    );
    let mut with_var = env.clone();
    with_var.push(("DS", "sk-env"));
    let status = home
        .run_env(&["key", "status", "--json"], &with_var)
        .ok()
        .json();
    assert_eq!(status[0]["source"]["kind"], "env");
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    assert_eq!(status[0]["source"]["kind"], "keyring");

    let r = home.run_env(&["key", "rm", "deepseek"], &env);
    r.ok();
    assert!(r.stdout.contains("keyring"), "{}", r.stdout);
    let status = home.run_env(&["key", "status", "--json"], &env).ok().json();
    assert_eq!(status[0]["found"], false);
    assert!(
        status[0]["error"]
            .as_str()
            .unwrap()
            .contains("ccswitch key set deepseek")
    );
}

#[test]
fn key_set_add_builds_a_pool_in_the_real_secret_service() {
    let ss = SecretService::start();
    let env = ss.env();
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();
    home.run_stdin(&["key", "set", "deepseek"], "sk-pool-one\n", &env)
        .ok();
    let r = home.run_stdin(&["key", "set", "deepseek", "--add"], "sk-pool-two\n", &env);
    r.ok();
    assert!(r.stdout.contains("label `2`): 2 keys"), "{}", r.stdout);
    let r = home.run_stdin(
        &["key", "set", "deepseek", "--add", "--label", "night"],
        "sk-pool-three\n",
        &env,
    );
    r.ok();
    let config = home.read_config();
    assert!(
        config.contains(r#"extra_keys = [{ keyring = "2" }, { keyring = "night" }]"#),
        "{config}"
    );
    assert!(!config.contains("sk-pool"), "{config}");
    // Every key is in the Secret Service under its own entry, as typed: a
    // client that is not ccswitch reads each one back.
    let stored = [
        ("deepseek", "sk-pool-one"),
        ("deepseek:2", "sk-pool-two"),
        ("deepseek:night", "sk-pool-three"),
    ];
    for (entry, key) in stored {
        assert_eq!(ss.lookup(entry).as_deref(), Some(key), "{entry}");
    }
    // A label in use is refused before a key is read.
    let r = home.run_stdin(
        &["key", "set", "deepseek", "--add", "--label", "night"],
        "sk-pool-four\n",
        &env,
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("already has a pool key labelled `night`"),
        "{}",
        r.stderr
    );
    for (entry, key) in stored {
        assert_eq!(ss.lookup(entry).as_deref(), Some(key), "{entry}");
    }
    assert_eq!(ss.lookup("deepseek:3"), None);
    // The file with its pool still loads.
    home.run_env(&["config", "check"], &env).ok();
}

/// The whole way: keys stored by `key set` (and `--add`) in the real Secret
/// Service, read from there by `ccswitch serve`, and sent upstream in turn
/// as the upstream limits each one.
#[tokio::test]
async fn serve_rotates_through_a_pool_read_from_the_real_secret_service() {
    let ss = SecretService::start();
    let env = ss.env();
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m\"\n",
        up.url("/v1")
    ));
    home.run_stdin(&["key", "set", "up"], "sk-pool-one\n", &env)
        .ok();
    home.run_stdin(&["key", "set", "up", "--add"], "sk-pool-two\n", &env)
        .ok();
    home.run_stdin(
        &["key", "set", "up", "--add", "--label", "night"],
        "sk-pool-three\n",
        &env,
    )
    .ok();
    let serve = Serve::start_env(&home, "p", &env);
    let limited =
        || mock::json(429, r#"{"error":{"message":"slow down"}}"#).with_header("retry-after", "30");
    let answer = || {
        let body = json!({"choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"content": "ok"}}],
                          "usage": {"prompt_tokens": 1, "completion_tokens": 1}});
        mock::json(200, &body.to_string())
    };
    // Key one is limited: the request goes again with key two. Then key
    // two is limited, key one still rests: key three.
    up.push(limited());
    up.push(answer());
    up.push(limited());
    up.push(answer());
    for _ in 0..2 {
        let (status, body) = serve.ask("m", false).await;
        assert_eq!(status, 200, "{body}");
    }
    let sent: Vec<String> = up
        .seen()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        sent,
        [
            "Bearer sk-pool-one",
            "Bearer sk-pool-two",
            "Bearer sk-pool-two",
            "Bearer sk-pool-three",
        ]
    );
}

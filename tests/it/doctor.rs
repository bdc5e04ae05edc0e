//! `ccswitch doctor` against a temp home: a working setup passes, and each
//! failure, planted once, turns exactly its check.

use serde_json::Value;

use crate::support::Home;
use crate::support::mock::{self, Mock};

struct Setup {
    home: Home,
    /// Claude's home (HOME) and the fake claude's folder.
    user: tempfile::TempDir,
    claude: std::path::PathBuf,
    up: Mock,
}

async fn setup() -> Setup {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "default = \"p\"\n[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m1\"\n\
         [search]\nbackend = \"searxng\"\nurl = \"http://127.0.0.1:9\"\n",
        up.url("/v1")
    ));
    let user = tempfile::tempdir().unwrap();
    let claude = crate::support::fake_claude(user.path(), "echo '2.1.332 (Claude Code)'");
    Setup {
        home,
        user,
        claude,
        up,
    }
}

impl Setup {
    /// `doctor --json` with the base environment plus `extra` (an empty
    /// value removes a variable).
    async fn doctor(&self, extra: &[(&str, &str)]) -> (i32, Vec<Value>) {
        let user = self.user.path().to_str().unwrap().to_string();
        let claude = self.claude.to_str().unwrap().to_string();
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), user),
            ("CCSWITCH_CLAUDE".into(), claude),
            ("UP_KEY".into(), "sk-doctor".into()),
            ("PATH".into(), "/usr/bin:/bin".into()),
        ];
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push(((*k).to_string(), (*v).to_string()));
        }
        let mut cmd = self.home.cmd(&["doctor", "--json"]);
        for k in [
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_API_KEY",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "CLAUDE_CONFIG_DIR",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in &env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let checks: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&out.stderr)));
        (
            out.status.code().unwrap_or(-1),
            checks.as_array().unwrap().clone(),
        )
    }
}

fn status<'a>(checks: &'a [Value], id: &str) -> Vec<&'a str> {
    checks
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

fn models() -> mock::Reply {
    mock::json(200, r#"{"object":"list","data":[{"id":"m1"},{"id":"m2"}]}"#)
}

/// The checks that are not `ok`, as `id=status`.
fn not_ok(checks: &[Value]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c["status"] != "ok")
        .map(|c| {
            format!(
                "{}={}",
                c["id"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .filter(|s| !s.starts_with("keyring=") && !s.starts_with("localhost="))
        .collect()
}

#[tokio::test]
async fn a_working_setup_passes_and_each_planted_failure_is_named() {
    let s = setup().await;
    s.up.push(models());
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(not_ok(&checks), Vec::<String>::new(), "{checks:#?}");
    assert_eq!(code, 0, "{checks:#?}");
    // The key never shows, only where it came from.
    let text = serde_json::to_string(&checks).unwrap();
    assert!(!text.contains("sk-doctor"), "{text}");
    assert!(text.contains("env UP_KEY"), "{text}");
    assert!(text.contains("2 models"), "{text}");
    // Where auto mode's checks go for the profile.
    let auto = checks.iter().find(|c| c["id"] == "auto_mode").unwrap();
    let detail = auto["detail"].as_str().unwrap();
    assert!(detail.contains("p (up/m1)"), "{detail}");
    // Asked with the key, through the provider's own client.
    assert_eq!(
        s.up.last().header("authorization"),
        Some("Bearer sk-doctor")
    );

    // The key's variable is not set.
    let (code, checks) = s.doctor(&[("UP_KEY", "")]).await;
    assert_eq!(status(&checks, "key"), ["fail"]);
    assert!(status(&checks, "reach").is_empty(), "nothing to ask with");
    assert_eq!(code, 1);

    // The provider refuses the key, and its message repeats it: doctor's
    // output, which people paste into reports, shows it masked.
    s.up.push(mock::json(
        401,
        r#"{"error":{"message":"invalid api key: sk-doctor"}}"#,
    ));
    let (_, checks) = s.doctor(&[]).await;
    assert_eq!(status(&checks, "reach"), ["fail"], "{checks:#?}");
    let shown = format!("{checks:?}");
    assert!(
        shown.contains("invalid api key") && !shown.contains("sk-doctor"),
        "{shown}"
    );

    // A provider that lists no models still answers.
    s.up.push(mock::json(404, r#"{"error":{"message":"no such route"}}"#));
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(status(&checks, "reach"), ["ok"], "{checks:#?}");
    assert_eq!(code, 0);

    // Stale variables in the shell, and in Claude Code's own settings.
    s.up.push(models());
    let (code, checks) = s
        .doctor(&[("ANTHROPIC_BASE_URL", "https://old.example/anthropic")])
        .await;
    assert_eq!(not_ok(&checks), ["shell_env=warn"]);
    assert_eq!(code, 0, "a warning does not fail");
    let settings = s.user.path().join(".claude");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(
        settings.join("settings.json"),
        r#"{"env":{"ANTHROPIC_AUTH_TOKEN":"x","ANTHROPIC_MODEL":"y","DISABLE_TELEMETRY":"1"}}"#,
    )
    .unwrap();
    s.up.push(models());
    let (_, checks) = s.doctor(&[]).await;
    assert_eq!(not_ok(&checks), ["claude_settings=warn"]);
    let detail = checks
        .iter()
        .find(|c| c["id"] == "claude_settings")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("ANTHROPIC_AUTH_TOKEN, ANTHROPIC_MODEL") && !detail.contains("TELEMETRY"),
        "{detail}"
    );
    std::fs::remove_file(settings.join("settings.json")).unwrap();

    // A proxy for everything, loopback not exempt (the mock is on
    // loopback, so the provider check does not go through it).
    s.up.push(models());
    let (_, checks) = s
        .doctor(&[
            ("HTTPS_PROXY", "http://127.0.0.1:1"),
            ("NO_PROXY", "example.com"),
        ])
        .await;
    assert!(
        not_ok(&checks).contains(&"no_proxy=warn".to_string()),
        "{checks:#?}"
    );

    // claude too old, then missing.
    let old = crate::support::fake_claude(s.user.path(), "echo '2.0.1 (Claude Code)'");
    s.up.push(models());
    let (code, checks) = s
        .doctor(&[("CCSWITCH_CLAUDE", old.to_str().unwrap())])
        .await;
    assert_eq!(status(&checks, "claude"), ["fail"]);
    assert_eq!(code, 1);
    // Pointed at nothing, the doctor does not take the stale fake in the
    // test's folders. Whether it then finds none depends on the machine
    // (the usual install places include /usr/local/bin); that it fails
    // when there is none is `checks::doctor::tests::a_missing_claude_fails…`.
    s.up.push(models());
    let (_, checks) = s
        .doctor(&[
            ("CCSWITCH_CLAUDE", "/nonexistent/claude"),
            ("HOME", "/nonexistent"),
        ])
        .await;
    let claude = checks.iter().find(|c| c["id"] == "claude").unwrap();
    let detail = claude["detail"].as_str().unwrap();
    assert!(
        !detail.contains("/nonexistent") && !detail.contains(s.user.path().to_str().unwrap()),
        "{claude}"
    );

    // Nothing listens at the provider's address.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    let cfg = s.home.read_config().replace(&s.up.url("/v1"), &dead_url);
    s.home.write_config(&cfg);
    let (_, checks) = s.doctor(&[]).await;
    assert_eq!(status(&checks, "reach"), ["fail"]);

    // A key in the keyring, and no keyring: now that fails.
    s.home
        .write_config(&cfg.replace("key = { env = \"UP_KEY\" }", "key = { keyring = true }"));
    let (_, checks) = s.doctor(&[]).await;
    assert_eq!(status(&checks, "keyring"), ["fail"]);
    assert_eq!(status(&checks, "key"), ["fail"]);

    // A config that does not parse: named, with its line.
    s.home.write_config("[providers.up\n");
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(status(&checks, "config"), ["fail"]);
    let detail = checks.iter().find(|c| c["id"] == "config").unwrap()["detail"].to_string();
    assert!(detail.contains("config.toml:1:"), "{detail}");
    assert_eq!(code, 1);
}

/// Profiles but no default (an import before it set one): every `run`
/// then needs a name, which doctor says, with the command that fixes it.
#[tokio::test]
async fn a_config_without_a_default_profile_is_named() {
    let s = setup().await;
    let without = s.home.read_config().replacen("default = \"p\"\n", "", 1);
    s.home.write_config(&without);
    s.up.push(models());
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(not_ok(&checks), ["default_profile=warn"], "{checks:#?}");
    assert_eq!(code, 0, "a warning does not fail");
    let check = checks
        .iter()
        .find(|c| c["id"] == "default_profile")
        .unwrap();
    let fix = check["fix"].as_str().unwrap();
    assert!(
        fix.contains("ccswitch profile default NAME") && fix.contains('p'),
        "{fix}"
    );
}

#[test]
fn the_human_output_marks_each_check_and_gives_the_fix() {
    let home = Home::new();
    home.write_config("[providers.up\n");
    let r = home.run(&["doctor"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("✗ config"), "{}", r.stdout);
    assert!(
        r.stdout.contains("fix: Correct the TOML syntax"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Some checks failed"), "{}", r.stdout);
}

/// The web search backend: none is worth knowing (WebSearch would say it
/// is not set up), one whose key is missing fails; no search is run.
#[tokio::test]
async fn the_search_backend_is_checked_without_searching() {
    let s = setup().await;
    let config = s.home.read_config();
    let without = config.split("[search]").next().unwrap().to_string();
    s.home.write_config(&without);
    s.up.push(models());
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(not_ok(&checks), ["search=warn"], "{checks:#?}");
    assert_eq!(code, 0);
    s.home.write_config(&format!(
        "{without}[search]\nbackend = \"brave\"\nkey = {{ env = \"BRAVE_KEY\" }}\n"
    ));
    s.up.push(models());
    let (code, checks) = s.doctor(&[]).await;
    assert_eq!(not_ok(&checks), ["search=fail"], "{checks:#?}");
    assert_eq!(code, 1);
    let text = serde_json::to_string(&checks).unwrap();
    assert!(text.contains("ccswitch search set brave"), "{text}");
    s.up.push(models());
    let (code, checks) = s.doctor(&[("BRAVE_KEY", "bk-secret")]).await;
    assert_eq!(status(&checks, "search"), ["ok"], "{checks:#?}");
    assert_eq!(code, 0);
    assert!(
        !serde_json::to_string(&checks)
            .unwrap()
            .contains("bk-secret")
    );
}

/// A SearXNG behind basic auth: its password is never printed, by the
/// doctor (text or JSON) or by `search show`.
#[tokio::test]
async fn the_search_backends_password_is_never_printed() {
    let s = setup().await;
    let config = s.home.read_config().replace(
        "url = \"http://127.0.0.1:9\"",
        "url = \"http://searx:pw-s3cret@127.0.0.1:9\"",
    );
    s.home.write_config(&config);
    s.up.push(models());
    let (_, checks) = s.doctor(&[]).await;
    let text = serde_json::to_string(&checks).unwrap();
    assert_eq!(status(&checks, "search"), ["ok"], "{checks:#?}");
    assert!(!text.contains("pw-s3cret"), "{text}");
    assert!(text.contains("http://searx:****@127.0.0.1:9"), "{text}");
    let mut outputs = Vec::new();
    for args in [
        &["doctor"][..],
        &["search", "show"],
        &["search", "show", "--json"],
    ] {
        s.up.push(models());
        let mut cmd = s.home.cmd(args);
        cmd.env("UP_KEY", "sk-doctor");
        let r = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        outputs.push(String::from_utf8_lossy(&r.stdout).into_owned());
    }
    for out in &outputs {
        assert!(!out.contains("pw-s3cret"), "{out}");
        assert!(out.contains("searx:****@127.0.0.1:9"), "{out}");
    }
}

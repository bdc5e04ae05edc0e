//! `ccswitch import` of files someone else may have written: names that
//! try to write TOML of their own, terminal escapes, passwords in URLs,
//! variables of other services, sources that are broken or have nothing,
//! and files built to make the import hang.

use std::time::Duration;

use serde_json::json;

use crate::support::mock::{self, Mock};
use crate::support::{Home, Run, SecretService, import_env};

/// A name that, put into the file unescaped, adds a `[search]` table whose
/// key command would run on every `run`, `serve`, `test` and `doctor`.
const HOSTILE: &str = "x\n[search]\nbackend = \"brave\"\nkey = { command = \"touch pwned\" }\n#";

/// The written config holds only what an import writes: `providers` and
/// `profiles` tables, the `default` an import into an empty config sets,
/// and comments of one line each.
#[track_caller]
fn only_imported_tables(text: &str) {
    let doc: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    for k in doc.keys() {
        assert!(
            k == "providers" || k == "profiles" || k == "default",
            "`{k}` in:\n{text}"
        );
    }
    // The import's own `default` (set in an empty config) names one of the
    // profiles it wrote, nothing else.
    if let Some(default) = doc.get("default") {
        let name = default.as_str().unwrap_or_else(|| panic!("{text}"));
        assert!(doc["profiles"].get(name).is_some(), "{text}");
    }
    for line in text.lines() {
        assert!(!line.starts_with("[search"), "{text}");
        assert!(!line.contains('\u{1b}'), "{text}");
    }
}

/// What people read: no line a source's name started, no escapes.
#[track_caller]
fn printed_safely(r: &Run) {
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        for line in out.lines() {
            assert!(!line.starts_with("[search]"), "{out}");
            assert!(!line.starts_with("backend = "), "{out}");
        }
    }
}

fn cc_switch_db(path: &std::path::Path, rows: &[(&str, String)]) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE providers (id TEXT, app_type TEXT, name TEXT, settings_config TEXT,
         sort_index INTEGER)",
    )
    .unwrap();
    for (i, (name, settings)) in rows.iter().enumerate() {
        db.execute(
            "INSERT INTO providers VALUES (?1, 'claude', ?2, ?3, ?1)",
            rusqlite::params![i64::try_from(i).unwrap(), name, settings],
        )
        .unwrap();
    }
}

/// One file of each kind, with the hostile name where that source has a
/// name (for Claude Code's settings: the file's own name, and its model).
#[test]
fn hostile_names_in_every_source_write_no_toml_of_their_own() {
    let ss = SecretService::start();
    let user = tempfile::tempdir().unwrap();
    let env = import_env(&ss.env(), user.path());
    let dir = tempfile::tempdir().unwrap();
    let claude_env = json!({"env": {
        "ANTHROPIC_BASE_URL": "https://api.deepseek.com/anthropic",
        "ANTHROPIC_AUTH_TOKEN": "sk-hostile-1",
        "ANTHROPIC_MODEL": HOSTILE,
    }});
    // Windows allows no newline or quote in a file name.
    let name = if cfg!(unix) {
        format!("{HOSTILE}.json")
    } else {
        "settings.json".into()
    };
    let settings = dir.path().join(name);
    std::fs::write(&settings, claude_env.to_string()).unwrap();
    let ccr = dir.path().join("ccr.json");
    let ccr_json = json!({"Providers": [{"name": HOSTILE,
        "api_base_url": "https://api.deepseek.com/chat/completions",
        "api_key": "sk-hostile-2"}],
        "Router": {"default": format!("{HOSTILE},deepseek-chat")}});
    std::fs::write(&ccr, ccr_json.to_string()).unwrap();
    let litellm = dir.path().join("litellm.yaml");
    let yaml_name = serde_json::to_string(HOSTILE).unwrap();
    std::fs::write(
        &litellm,
        format!(
            "model_list:\n  - model_name: {yaml_name}\n    litellm_params:\n      \
             model: deepseek/deepseek-chat\n      api_key: sk-hostile-3\n"
        ),
    )
    .unwrap();
    let db = dir.path().join("cc-switch.db");
    cc_switch_db(&db, &[(HOSTILE, claude_env.to_string())]);
    let legacy = dir.path().join("config.json");
    let legacy_json = json!({"version": 2, "claude": {"current": "a", "providers": {
        "a": {"name": HOSTILE, "settingsConfig": claude_env}}}});
    std::fs::write(&legacy, legacy_json.to_string()).unwrap();

    for from in [&settings, &ccr, &litellm, &db, &legacy] {
        let home = Home::new();
        let from = from.to_str().unwrap();
        let dry = home.run_env(&["import", "--from", from, "--dry-run"], &env);
        dry.ok();
        printed_safely(&dry);
        let r = home.run_env(&["import", "--from", from], &env);
        r.ok();
        printed_safely(&r);
        let text = home.read_config();
        assert!(text.contains("[providers."), "{from}:\n{text}");
        only_imported_tables(&text);
        home.run_env(&["config", "check"], &env).ok();
    }
}

/// Claude Code's settings without an `env` block (the common case) are
/// nothing to import; a broken one is reported; either way the other
/// sources are still read.
#[test]
fn automatic_import_reads_the_other_sources_past_settings_with_nothing_or_broken() {
    let user = tempfile::tempdir().unwrap();
    let env = import_env(&[], user.path());
    std::fs::create_dir_all(user.path().join(".claude")).unwrap();
    std::fs::create_dir_all(user.path().join(".claude-code-router")).unwrap();
    std::fs::write(
        user.path().join(".claude-code-router/config.json"),
        r#"{"Providers": [{"name": "ds", "api_base_url": "https://api.deepseek.com/chat/completions",
            "api_key": "$DEEPSEEK_API_KEY"}], "Router": {"default": "ds,deepseek-chat"}}"#,
    )
    .unwrap();
    let settings = user.path().join(".claude/settings.json");
    for (text, reported) in [
        (r#"{"permissions": {"allow": []}, "model": "opus"}"#, false),
        (r#"{"env": {"DISABLE_TELEMETRY": "1",},}"#, true),
    ] {
        std::fs::write(&settings, text).unwrap();
        let home = Home::new();
        let r = home.run_env(&["import", "--dry-run"], &env);
        r.ok();
        assert!(r.stdout.contains("[providers.ds]"), "{}", r.stdout);
        let path = settings.display().to_string();
        assert_eq!(r.stdout.contains(&path), reported, "{text}:\n{}", r.stdout);
    }
    // Named with --from, a broken file is an error.
    let home = Home::new();
    let r = home.run(&["import", "--from", settings.to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("settings.json"), "{}", r.stderr);
}

/// Escapes in names and URLs reach no terminal, passwords in URLs are not
/// printed (the config keeps them: they are the user's settings).
#[test]
fn escapes_and_passwords_are_never_printed() {
    let home = Home::new();
    let ccr = home.path().join("ccr.json");
    let ccr_json = json!({"PROXY_URL": "http://me:proxy-pass-42@proxy.example:3128",
        "Providers": [
        {"name": "gw\u{1b}]0;owned\u{7}\u{1b}[2J", "api_base_url":
            "https://me:url-pass-42@gw.example/v1/chat/completions"},
        {"name": "bad", "api_base_url": "\u{1b}[31mnot a url"}]});
    std::fs::write(&ccr, ccr_json.to_string()).unwrap();
    let from = ccr.to_str().unwrap();
    for args in [
        &["import", "--from", from, "--dry-run"][..],
        &["import", "--from", from],
    ] {
        let r = home.run(args);
        r.ok();
        printed_safely(&r);
        assert!(r.stdout.contains("gw.example"), "{}", r.stdout);
        for secret in ["url-pass-42", "proxy-pass-42"] {
            assert!(!r.stdout.contains(secret), "{args:?}:\n{}", r.stdout);
        }
    }
    let text = home.read_config();
    assert!(text.contains("me:url-pass-42@gw.example"), "{text}");
    assert!(text.contains("me:proxy-pass-42@proxy.example"), "{text}");
}

/// A variable named in an imported file becomes a provider's key only when
/// its name is that provider's: `GITHUB_TOKEN` is not sent to a host the
/// file chose, by the import or by `doctor`, unless the user says so.
#[tokio::test(flavor = "multi_thread")]
async fn another_services_variable_does_not_become_a_key() {
    let up = Mock::start().await;
    let litellm = |base: &str| {
        format!(
            "model_list:\n  - model_name: claude-sonnet\n    litellm_params:\n      \
             model: openai/gpt-x\n      api_base: {base}\n      api_key: os.environ/GITHUB_TOKEN\n  \
             - model_name: claude-haiku\n    litellm_params:\n      model: deepseek/deepseek-chat\n      \
             api_key: os.environ/DEEPSEEK_API_KEY\n"
        )
    };
    let env = [("GITHUB_TOKEN", "ghp_never_sent")];
    for base in ["https://gw.example/v1".to_string(), up.url("/v1")] {
        let home = Home::new();
        let yaml = home.path().join("litellm.yaml");
        std::fs::write(&yaml, litellm(&base)).unwrap();
        let from = yaml.to_str().unwrap().to_string();
        let r = home.run_env(&["import", "--from", &from], &env);
        r.ok();
        assert!(r.stdout.contains("--key-var GITHUB_TOKEN"), "{}", r.stdout);
        let text = home.read_config();
        assert!(!text.contains("GITHUB_TOKEN"), "{text}");
        assert!(
            text.contains("DEEPSEEK_API_KEY"),
            "its own variable: {text}"
        );
        // Said by name, it is the key.
        let again = Home::new();
        let args = ["import", "--from", &from, "--key-var", "GITHUB_TOKEN"];
        again.run_env(&args, &env).ok();
        assert!(again.read_config().contains("GITHUB_TOKEN"));
        if base.starts_with("http://127.0.0.1") {
            // doctor sends the key only where the user said so.
            assert!(!doctor_sends(&up, home, "ghp_never_sent").await);
            assert!(
                doctor_sends(&up, again, "ghp_never_sent").await,
                "once said"
            );
        }
    }
}

/// Whether `doctor` in `home` sends `secret` to `up`.
async fn doctor_sends(up: &Mock, home: Home, secret: &'static str) -> bool {
    let before = up.seen().len();
    up.push(mock::json(200, r#"{"data":[]}"#));
    let run =
        tokio::task::spawn_blocking(move || home.run_env(&["doctor"], &[("GITHUB_TOKEN", secret)]));
    let _ = run.await.unwrap();
    up.seen()[before..].iter().any(|r| {
        let auth = r.header("authorization").unwrap_or_default();
        auth.contains(secret)
    })
}

/// Files built to make the import take forever finish, with an error that
/// names the bound, in `--from` and in the automatic search alike.
#[test]
fn files_built_to_hang_the_import_finish() {
    let home = Home::new();
    let dir = home.path();
    // YAML nested 100,000 deep.
    let deep = dir.join("deep.yaml");
    std::fs::write(
        &deep,
        format!(
            "model_list: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .unwrap();
    // Thousands of entries of one name: each new name was looked for
    // among all the names before it, suffix by suffix.
    let many = dir.join("many.json");
    let providers: Vec<_> = (0..5000)
        .map(|_| json!({"name": "a", "api_base_url": "http://127.0.0.1:1/v1/chat/completions"}))
        .collect();
    std::fs::write(&many, json!({"Providers": providers}).to_string()).unwrap();
    // A text file past the size bound.
    let big = dir.join("big.json");
    let mut text = String::from("{\"Providers\": [], \"pad\": \"");
    text.push_str(&"x".repeat(9 << 20));
    text.push_str("\"}");
    std::fs::write(&big, text).unwrap();
    // cc-switch's `providers` as a view over an endless recursive query.
    let endless = dir.join("cc-switch.db");
    rusqlite::Connection::open(&endless)
        .unwrap()
        .execute_batch(
            "CREATE VIEW providers AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
             SELECT 'x' AS name, '{}' AS settings_config, CASE WHEN n < 0 THEN 'claude' ELSE 'other' END AS app_type, n AS sort_index, n AS rowid FROM r;",
        )
        .unwrap();
    for (file, why) in [
        (&deep, "nests deeper than"),
        (&many, "more than 1000 entries"),
        (&big, "larger than"),
        (&endless, "more work to read"),
    ] {
        let r = run_within(&home, &["import", "--from", file.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{}", r.stdout);
        assert!(r.stderr.contains(why), "{why}:\n{}", r.stderr);
    }
    // Found without --from: reported and skipped.
    let user = tempfile::tempdir().unwrap();
    let ccs = user.path().join(".cc-switch");
    std::fs::create_dir_all(&ccs).unwrap();
    std::fs::copy(&endless, ccs.join("cc-switch.db")).unwrap();
    let env = import_env(&[], user.path());
    let r = home.run_env(&["import", "--dry-run"], &env);
    r.ok();
    assert!(r.stdout.contains("more work to read"), "{}", r.stdout);
}

/// `ccswitch ARGS`, failing the test rather than hanging it when the
/// import does not finish in a minute (the bounds make it take well under
/// a second; before them these files took hours or for ever).
fn run_within(home: &Home, args: &[&str]) -> Run {
    let mut child = home
        .cmd(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("ccswitch {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().unwrap())
}

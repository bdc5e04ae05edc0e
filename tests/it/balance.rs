//! Provider balances: every response shape (and its failures) as a golden
//! fixture folder asked of a scripted mock, the status line's cache, and
//! the key pool resting a key its provider reports empty.
//!
//! A folder under `tests/fixtures/balance/` holds `case.json` (the balance
//! API's kind, the host it stands for, the replies in order), the reply
//! bodies, and `expected.json` (the parsed balance and how it reads, or
//! the error's id). `BLESS=1` writes `expected.json` from the result.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ccswitch::config::{self, Presets};
use ccswitch::proxy::Upstream;
use ccswitch::proxy::upstream::balance::{
    self, BalanceApi as Kind, BalanceEndpoint as Endpoint, Site,
};
use ccswitch::secrets::SecretString;
use serde_json::{Value, json};

use crate::support::mock::{self, Mock};

const KEY: &str = "sk-balance-test-key";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/balance")
}

/// A provider at `base` whose API takes the key as `auth`: the balance
/// request must still send it as Bearer.
fn upstream(base: &str, auth: &str, preset: Option<&str>) -> Upstream {
    let preset = preset.map_or(String::new(), |p| format!("preset = \"{p}\"\n"));
    let src = format!(
        "[providers.up]\n{preset}api = \"anthropic\"\nbase_url = \"{base}\"\nauth = \"{auth}\"\n\
         key = {{ env = \"K\" }}\n[profiles.p]\nprovider = \"up\"\nmain = \"m\"\n"
    );
    let cfg = config::parse(Path::new("t.toml"), &src, &Presets::builtin())
        .unwrap_or_else(|e| panic!("{e}"));
    let p = cfg.providers["up"].clone();
    Upstream::new(p, Some(SecretString::from(KEY.to_string()))).unwrap()
}

async fn run_case(dir: &Path) -> (Value, Vec<String>) {
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
    let kind: Kind = serde_json::from_value(case["kind"].clone()).unwrap();
    let up_mock = Mock::start().await;
    for r in case["replies"].as_array().unwrap() {
        let body = std::fs::read_to_string(dir.join(r["body"].as_str().unwrap())).unwrap();
        up_mock.push(mock::json(r["status"].as_u64().unwrap() as u16, &body));
    }
    let up = upstream(&up_mock.url("/anthropic"), "x-api-key", None);
    let ep = Endpoint {
        kind,
        origin: up_mock.url("/").parse().unwrap(),
        site: Site::of_host(case["host"].as_str().unwrap()),
    };
    let got = match balance::fetch_at(&up, &ep, 0, Duration::from_secs(5)).await {
        Ok(b) => json!({"balance": b, "shown": b.shown()}),
        Err(e) => json!({"error": e.code(), "message": e.to_string()}),
    };
    let bearer = format!("Bearer {KEY}");
    for r in up_mock.seen() {
        assert_eq!(r.method, "GET", "{}", dir.display());
        assert_eq!(r.header("authorization"), Some(bearer.as_str()));
        assert_eq!(r.header("x-api-key"), None, "the key went twice");
    }
    let paths = up_mock.seen().into_iter().map(|r| r.path).collect();
    (got, paths)
}

#[tokio::test]
async fn every_balance_shape_parses_as_its_golden_file_says() {
    ccswitch::i18n::set_lang(ccswitch::i18n::Lang::En);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "fixtures missing");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failed = Vec::new();
    for dir in &dirs {
        let (got, paths) = run_case(dir).await;
        let kind: Kind = serde_json::from_value(
            serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                .unwrap()["kind"]
                .clone(),
        )
        .unwrap();
        let asked: Vec<&str> = kind.paths().iter().take(paths.len()).copied().collect();
        assert_eq!(paths, asked, "{}", dir.display());
        let expected_file = dir.join("expected.json");
        if bless {
            let mut text = serde_json::to_string_pretty(&got).unwrap();
            text.push('\n');
            std::fs::write(&expected_file, text).unwrap();
            continue;
        }
        let want: Value = std::fs::read_to_string(&expected_file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if got != want {
            failed.push(format!(
                "{}:\n  want {want}\n  got  {got}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// A preset's balance URL is at its configured host's root, whatever the
/// API path; the currency follows the vendor's site.
#[tokio::test]
async fn the_balance_url_follows_the_configured_base_url() {
    let up = upstream(
        "https://api.deepseek.com/anthropic",
        "x-api-key",
        Some("deepseek"),
    );
    let ep = Endpoint::of(&up.provider).unwrap();
    assert_eq!(ep.kind, Kind::DeepSeek);
    let urls: Vec<String> = ep.urls().iter().map(ToString::to_string).collect();
    assert_eq!(urls, ["https://api.deepseek.com/user/balance"]);
    let up = upstream(
        "https://api.moonshot.cn/anthropic",
        "bearer",
        Some("moonshot"),
    );
    let ep = Endpoint::of(&up.provider).unwrap();
    assert_eq!(ep.site, Some(Site::China));
    assert_eq!(
        ep.urls()[0].as_str(),
        "https://api.moonshot.cn/v1/users/me/balance"
    );
    let up = upstream("https://openrouter.ai/api", "bearer", Some("openrouter"));
    let urls: Vec<String> = Endpoint::of(&up.provider)
        .unwrap()
        .urls()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        urls,
        [
            "https://openrouter.ai/api/v1/credits",
            "https://openrouter.ai/api/v1/key"
        ]
    );
    let up = upstream("https://api.siliconflow.com/v1", "bearer", None);
    let ep = Endpoint::of(&up.provider).unwrap();
    assert_eq!((ep.kind, ep.site), (Kind::SiliconFlow, Some(Site::Global)));
    // A mock standing in for DeepSeek: asked at its own address.
    let up = upstream(
        "http://127.0.0.1:9/anthropic",
        "x-api-key",
        Some("deepseek"),
    );
    assert_eq!(
        Endpoint::of(&up.provider).unwrap().urls()[0].as_str(),
        "http://127.0.0.1:9/user/balance"
    );
    // No preset and no vendor host: nothing published.
    let up = upstream("https://gateway.example.com/anthropic", "bearer", None);
    assert_eq!(Endpoint::of(&up.provider), None);
}

#[tokio::test]
async fn the_cache_asks_at_most_once_a_minute_and_keeps_the_last_balance() {
    let up_mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = balance::cache::path(dir.path());
    let up = upstream(&up_mock.url("/anthropic"), "x-api-key", Some("deepseek"));
    up_mock.push(mock::json(
        200,
        &std::fs::read_to_string(fixtures().join("deepseek-cny/reply1.json")).unwrap(),
    ));
    let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let limit = Duration::from_secs(5);
    let e = balance::cache::current(&path, &up, t0, limit).await;
    assert_eq!(e.balance.as_ref().unwrap().left[0].amount, 110.0);
    // Within the minute: from the file, nothing asked.
    let e = balance::cache::current(&path, &up, t0 + Duration::from_secs(59), limit).await;
    assert_eq!(e.balance.unwrap().left[0].currency, "CNY");
    assert_eq!(up_mock.seen().len(), 1);
    // A minute on, asked again; a failure keeps the last balance.
    up_mock.push(mock::json(500, "{}"));
    let later = t0 + Duration::from_secs(61);
    let e = balance::cache::current(&path, &up, later, limit).await;
    assert_eq!(up_mock.seen().len(), 2);
    assert!(e.error.is_some());
    assert_eq!(e.balance.unwrap().left[0].amount, 110.0);
    assert_eq!(e.at, 1_800_000_000);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(KEY), "a key reached the cache: {text}");
}

fn deepseek_home(base: &str) -> crate::support::Home {
    let home = crate::support::Home::new();
    home.write_config(&format!(
        "[providers.ds]\npreset = \"deepseek\"\nbase_url = \"{base}/anthropic\"\n\
         key = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n"
    ));
    home
}

fn deepseek_reply() -> mock::Reply {
    mock::json(
        200,
        &std::fs::read_to_string(fixtures().join("deepseek-cny/reply1.json")).unwrap(),
    )
}

/// The status line shows the main provider's balance, asks for it at most
/// once a minute (a new process each time: the cache is a file), and never
/// shows the key.
#[tokio::test]
async fn the_status_line_shows_the_balance_from_a_cache_of_a_minute() {
    let up = Mock::start().await;
    up.push(deepseek_reply());
    let home = deepseek_home(&up.url(""));
    let env = [("CCSWITCH_PROFILE", "p"), ("UP_KEY", KEY)];
    let run = |home: crate::support::Home| {
        tokio::task::spawn_blocking(move || {
            let r = home.run_stdin(&["statusline"], "{}", &env);
            (home, r)
        })
    };
    let (home, r) = run(home).await.unwrap();
    r.ok();
    assert_eq!(r.stdout.trim(), "ccswitch p · ¥110.00 left");
    let (home, r) = run(home).await.unwrap();
    assert_eq!(r.stdout.trim(), "ccswitch p · ¥110.00 left");
    assert_eq!(up.seen().len(), 1, "asked again within the minute");
    assert_eq!(up.seen()[0].path, "/user/balance");
    let cache = std::fs::read_to_string(home.path().join("balances.json")).unwrap();
    assert!(!cache.contains(KEY), "{cache}");
}

/// `ccswitch test` ends with the main provider's balance, even when a step
/// failed.
#[tokio::test]
async fn ccswitch_test_ends_with_the_balance() {
    let up = Mock::start().await;
    up.push(mock::json(
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"bad key"}}"#,
    ));
    up.push(deepseek_reply());
    let home = deepseek_home(&up.url(""));
    let r = tokio::task::spawn_blocking(move || home.run_env(&["test", "p"], &[("UP_KEY", KEY)]))
        .await
        .unwrap();
    let last = r
        .stdout
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert_eq!(last, "Balance of DeepSeek: ¥110.00 left", "{}", r.stdout);
    assert!(!r.stdout.contains(KEY));
}

/// `doctor` warns of a used-up balance, and of a key the balance API
/// refuses.
#[tokio::test]
async fn doctor_warns_when_the_balance_is_used_up_or_the_key_refused() {
    for (status, body, want) in [
        (
            200,
            r#"{"is_available": false, "balance_infos": [{"currency": "CNY", "total_balance": "0.00", "granted_balance": "0.00", "topped_up_balance": "0.00"}]}"#,
            "ds: balance low: used up (¥0.00)",
        ),
        (
            401,
            r#"{"error":{"message":"bad key"}}"#,
            "ds: The balance API refused the key (HTTP 401).",
        ),
    ] {
        let up = Mock::start().await;
        // The model list and the balance are asked at once: by path.
        for _ in 0..2 {
            up.push(mock::computed(move |req, _| {
                if req.path == "/user/balance" {
                    mock::json(status, body)
                } else {
                    mock::json(200, r#"{"data":[{"id":"deepseek-v4-pro"}]}"#)
                }
            }));
        }
        let home = deepseek_home(&up.url(""));
        let r = tokio::task::spawn_blocking(move || {
            home.run_env(&["doctor", "--json"], &[("UP_KEY", KEY)])
        })
        .await
        .unwrap();
        let checks = r.json();
        let balance: Vec<&Value> = checks
            .as_array()
            .map(|a| a.iter().filter(|c| c["id"] == "balance").collect())
            .unwrap_or_default();
        assert_eq!(balance.len(), 1, "{}", r.stdout);
        assert_eq!(balance[0]["status"], "warn");
        assert_eq!(balance[0]["detail"], want);
    }
}

/// `ccswitch test --json` ends with the balance too: a step `balance` with
/// the line the text prints and the amounts as data. It fails nothing by
/// itself: the exit code is the other steps'.
#[tokio::test]
async fn ccswitch_test_json_ends_with_the_balance_step() {
    let up = Mock::start().await;
    up.push(mock::json(
        401,
        r#"{"type":"error","error":{"type":"authentication_error","message":"bad key"}}"#,
    ));
    up.push(deepseek_reply());
    let home = deepseek_home(&up.url(""));
    let r = tokio::task::spawn_blocking(move || {
        home.run_env(&["test", "p", "--json"], &[("UP_KEY", KEY)])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 1, "the auth step failed: {}", r.stdout);
    let steps = r.json();
    let steps = steps.as_array().expect("an array of steps");
    assert!(steps.len() >= 2, "{steps:?}");
    assert_eq!(steps[0]["id"], "reach");
    let last = steps.last().unwrap();
    assert_eq!(last["id"], "balance", "{last}");
    assert_eq!(last["ok"], true, "{last}");
    assert_eq!(last["detail"], "Balance of DeepSeek: ¥110.00 left");
    assert_eq!(last["balance"]["left"][0]["currency"], "CNY", "{last}");
    assert_eq!(last["balance"]["left"][0]["amount"], 110.0, "{last}");
    assert_eq!(last["balance"]["empty"], false, "{last}");
    assert!(!r.stdout.contains(KEY));
}

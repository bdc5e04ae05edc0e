//! The team gateway's usage page (`GET /ui`): over HTTP, who gets what
//! (sign-in form, 403 for a member's key, 401 for a wrong token, a cookie
//! for the right one) and the seeded figures on the page; then in a real
//! headless Chromium (Debian's), signed in through the form as a person
//! does, with no console error, exception or refused resource.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ccswitch::usage::prices::{Price, Tokens};
use ccswitch::usage::{Attribution, ErrorClass, Ledger, Record};

use crate::gateway::{gateway_with, issue};
use crate::support::Home;
use crate::support::mock::Mock;
use crate::support::serve::Serve;

/// The awkward member: a name that is markup, which must show as text.
const MARKUP: &str = "<b>x</b>";

/// A gateway with teams `core` (ann, bob) and `ops` (`<b>x</b>`), ann's
/// key budgeted at $5 a day and $100 a month, and a ledger of requests
/// over the last days: ann $1.50 (web), bob $4.00 (api), `<b>x</b>`
/// $0.25 (web) and a 429, and the operator's own $0.10.
struct Seeded {
    _up: Mock,
    serve: Serve,
    _home: Home,
    ann_key: String,
    bob_key: String,
}

async fn seeded() -> Seeded {
    let (up, serve, home, keys) =
        gateway_with("hi", 0, &[&["--daily-usd", "5", "--monthly-usd", "100"]]).await;
    let ann_key = keys[0].clone();
    home.run(&["gateway", "team", "add", "ops"]).ok();
    home.run(&["gateway", "member", "add", "bob", "--team", "core"])
        .ok();
    home.run(&["gateway", "member", "add", MARKUP, "--team", "ops"])
        .ok();
    let bob_key = issue(&home, &["--member", "bob"]);
    let x_key = issue(&home, &["--member", MARKUP]);
    seed_ledger(&home.path().join("usage.db"), &ann_key, &bob_key, &x_key);
    Seeded {
        _up: up,
        serve,
        _home: home,
        ann_key,
        bob_key,
    }
}

/// Rows as the gateway's ledger writer keeps them, priced at $1 a million
/// input tokens and $2 a million output tokens.
fn seed_ledger(path: &Path, ann: &str, bob: &str, x: &str) {
    let conn = ccswitch::usage::db::open(path, 1).unwrap().conn;
    let price = Price {
        input: 1.0,
        output: 2.0,
        cache_read: None,
        cache_write: None,
        cache_write_1h: None,
    };
    let ledger = Ledger::start(conn, Box::new(move |_, _| Some(price)), Arc::new(|_| {}));
    let sink = ledger.sink().unwrap();
    let now = ccswitch::usage::unix_ms(SystemTime::now());
    let day = 86_400_000;
    let who = |member: &str, team: &str, key: &str, project: &str| Attribution {
        member: Some(member.into()),
        team: Some(team.into()),
        key_prefix: Some(key[..13].into()),
        project: Some(project.into()),
    };
    let rows = [
        (
            now,
            "m-main",
            1_000_000,
            0,
            200,
            who("ann", "core", ann, "web"),
        ),
        (
            now - 2 * day,
            "m-main",
            500_000,
            0,
            200,
            who("ann", "core", ann, "web"),
        ),
        (
            now - day,
            "m-big",
            2_000_000,
            1_000_000,
            200,
            who("bob", "core", bob, "api"),
        ),
        (
            now - 3 * day,
            "m-main",
            250_000,
            0,
            200,
            who(MARKUP, "ops", x, "web"),
        ),
        (now, "m-big", 0, 0, 429, who(MARKUP, "ops", x, "web")),
        (now, "m-main", 100_000, 0, 200, Attribution::default()),
    ];
    for (at_ms, model, input, output, status, who) in rows {
        sink.send(Record {
            at_ms,
            session: "seed".into(),
            cc_session: None,
            profile: "p".into(),
            slot: "main",
            provider: "oa".into(),
            requested: model.into(),
            model: model.into(),
            subagent: false,
            status,
            error: ErrorClass::of(status, false),
            ttft_ms: None,
            duration_ms: 10,
            tokens: Tokens {
                input,
                output,
                ..Tokens::default()
            },
            estimated: false,
            attempt: 0,
            who,
        });
    }
    ledger.close();
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The figures the seeded ledger must show, as HTML.
fn assert_figures(html: &str) {
    for want in [
        "<td>ann</td><td>core</td>",
        "$1.50",
        "$4.00",
        "$5.50",
        "<td>web</td>",
        "<td>api</td>",
        "<td>oa/m-big</td>",
        "&lt;b&gt;x&lt;/b&gt;",
        "rate_limited",
        "429",
        // ann's key spent $1 of its $5 today.
        "$4.00 left of $5",
        "<svg",
    ] {
        assert!(html.contains(want), "missing {want:?} in:\n{html}");
    }
    assert!(!html.contains(MARKUP), "a stored name ran as markup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_page_is_for_the_operator_and_shows_the_ledger() {
    let s = seeded().await;
    let base = &s.serve.base;
    let token = &s.serve.token;
    let c = client();

    // No credentials: the sign-in form, and no figures.
    let r = c.get(format!("{base}/ui")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let csp = header(&r, "content-security-policy");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let form = r.text().await.unwrap();
    assert!(form.contains("name=\"token\""), "{form}");
    for secret in ["<td>ann</td>", "$1.50", "core", "<table"] {
        assert!(!form.contains(secret), "{secret} before signing in");
    }

    // A member's key: 403, in Anthropic's shape.
    for key in [&s.ann_key, &s.bob_key] {
        let r = c
            .get(format!("{base}/ui"))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["type"], "permission_error", "{v}");
    }

    // A wrong token from the form: the form again, 401, no cookie.
    let r = c
        .post(format!("{base}/ui/login"))
        .form(&[("token", "ccsw-wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(header(&r, "set-cookie").is_empty());
    assert!(r.text().await.unwrap().contains("role=\"alert\""));

    // The right one: 303 to the page, and a cookie that is not the token.
    let r = c
        .post(format!("{base}/ui/login"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(header(&r, "location"), "/ui");
    let set = header(&r, "set-cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(
        !set.contains(token.as_str()) && !set.contains("Secure"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();

    let r = c
        .get(format!("{base}/ui"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_figures(&r.text().await.unwrap());

    // The token as a header works too (scripts, this test's own checks),
    // with the range asked for.
    let r = c
        .get(format!("{base}/ui?days=7"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_figures(&page);
    assert!(page.contains("<strong>7 days</strong>"), "{page}");

    // The cookie opens the page and nothing else; a forged one opens
    // nothing.
    let r = c
        .get(format!("{base}/v1/models"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(format!("{base}/ui"))
        .header("cookie", "ccswitch_ui=00")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("name=\"token\""));

    // Signing out clears the cookie.
    let r = c.post(format!("{base}/ui/logout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(header(&r, "set-cookie").contains("Max-Age=0"));
}

/// The venv's Python with `websocket-client`, or a failure saying how
/// scripts/test installs it.
fn python_with_websocket() -> PathBuf {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-peers/venv/bin/python");
    let found = std::process::Command::new(&py)
        .args(["-c", "import websocket"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{} with the `websocket-client` module is missing, so the headless Chromium test cannot \
         drive the browser. Run scripts/test: its install_peers makes the venv and pip-installs \
         the pinned websocket-client.",
        py.display()
    );
    py
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_page_loads_in_headless_chromium_without_console_errors() {
    crate::support::require_program("chromium", "chromium");
    let py = python_with_websocket();
    let s = seeded().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/cdp_page.py");
    let mut cmd = std::process::Command::new(py);
    cmd.arg(script).arg(&s.serve.base).arg(&s.serve.token);
    let run = crate::support::output_within(cmd, Duration::from_secs(60)).await;
    assert!(
        run.stdout.trim_start().starts_with('{'),
        "the browser script failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert!(v["error"].is_null(), "{v}");
    let login = &v["login"];
    assert_eq!(login["forms"], 1, "{v}");
    assert!(!login["text"].as_str().unwrap().contains("$1.50"), "{v}");

    let page = &v["page"];
    assert!(page["url"].as_str().unwrap().ends_with("/ui"), "{v}");
    assert_eq!(page["title"], "Team usage", "{v}");
    let text = page["text"].as_str().unwrap();
    for want in [
        "ann",
        "$1.50",
        "$4.00",
        "web",
        "api",
        MARKUP,
        "rate_limited",
    ] {
        assert!(text.contains(want), "{want:?} not on the page:\n{text}");
    }
    assert!(page["svgs"].as_u64().unwrap() >= 1, "{v}");
    assert!(page["bars"].as_u64().unwrap() >= 4, "{v}");
    assert_eq!(page["scripts"], 0, "{v}");

    // Nothing went wrong on the way: no console error or warning, no
    // exception, no failed load, no refused resource or CSP violation in
    // the browser log.
    let bad: Vec<&serde_json::Value> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let p = &e["params"];
            match e["method"].as_str().unwrap() {
                "Runtime.exceptionThrown" | "Network.loadingFailed" => true,
                "Runtime.consoleAPICalled" => {
                    matches!(p["type"].as_str(), Some("error" | "warning" | "assert"))
                }
                _ => matches!(p["entry"]["level"].as_str(), Some("error" | "warning")),
            }
        })
        .collect();
    assert!(bad.is_empty(), "the browser reported problems: {bad:#?}");
}

//! The team gateway's usage page (`GET /ui`): over HTTP, who gets what
//! (sign-in form, 403 for a member's key, 401 for a wrong token, a cookie
//! for the right one) and the figures of real requests through the
//! gateway, read from its store; then in a real headless Chromium
//! (Debian's), signed in through the form as a person does, with no
//! console error, exception or refused resource; and on PostgreSQL, where
//! a second replica's page shows the first one's requests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::gateway::{issue, mk_home_on, store_args};
use crate::support::Home;
use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;

/// The awkward member: a name that is markup, which must show as text.
const MARKUP: &str = "<b>x</b>";

/// A gateway with teams `core` (ann, bob; $50 a month) and `ops`
/// (`<b>x</b>`), ann's key budgeted at $5 a day and $100 a month, and
/// real requests through it, priced at $1 a million input tokens and $2
/// a million output tokens: ann $1.50 (web), bob $4.00 (api), `<b>x</b>`
/// $0.25 (web) and a 429.
struct Seeded {
    _up: Mock,
    serve: Serve,
    // Only the PostgreSQL run (Unix) starts a second replica in it.
    #[cfg_attr(not(unix), allow(dead_code))]
    home: Home,
    ann_key: String,
    bob_key: String,
}

fn priced_config(up: &Mock) -> String {
    format!(
        "{}models = {{ m-main = {{ input_price = 1.0, output_price = 2.0 }} }}\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\n",
        mock::openai_provider("oa", up)
    )
}

/// An OpenAI-kind answer that reports this usage.
fn answer(prompt_tokens: u64, completion_tokens: u64) -> mock::Reply {
    mock::json(
        200,
        &serde_json::json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "m-main",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}})
        .to_string(),
    )
}

/// `serve p --gateway [store]` in `home`.
async fn start(home: Home, store: Option<String>) -> (Serve, Home) {
    tokio::task::spawn_blocking(move || {
        let mut args = vec!["serve", "p", "--gateway"];
        args.extend(store.as_deref());
        let s = Serve::start_with(&home, &args, &[("UP_KEY", "sk-up")]);
        (s, home)
    })
    .await
    .unwrap()
}

/// The gateway on `store` (`None`: its default SQLite file), seeded.
async fn seeded(store: Option<String>) -> Seeded {
    let up = Mock::start().await;
    let home = mk_home_on(store.as_deref());
    home.write_config(&priced_config(&up));
    let on = store_args(store.as_deref());
    let run = |args: &[&str]| {
        home.run(&[args, &on[..]].concat()).ok();
    };
    run(&["gateway", "team", "add", "ops"]);
    run(&["gateway", "member", "add", "bob", "--team", "core"]);
    run(&["gateway", "member", "add", MARKUP, "--team", "ops"]);
    run(&["gateway", "team", "budget", "core", "--monthly-usd", "50"]);
    let key = |args: &[&str]| issue(&home, &[args, &on[..]].concat());
    let ann_key = key(&[
        "--member",
        "ann",
        "--daily-usd",
        "5",
        "--monthly-usd",
        "100",
    ]);
    let bob_key = key(&["--member", "bob"]);
    let x_key = key(&["--member", MARKUP]);
    let (serve, home) = start(home, store).await;
    let client = reqwest::Client::new();
    for (key, project, reply, want) in [
        (&ann_key, "web", answer(1_000_000, 0), 200),
        (&ann_key, "web", answer(500_000, 0), 200),
        (&bob_key, "api", answer(2_000_000, 1_000_000), 200),
        (&x_key, "web", answer(250_000, 0), 200),
        (
            &x_key,
            "web",
            mock::json(429, r#"{"error": "slow down"}"#),
            429,
        ),
    ] {
        up.push(reply);
        let r = client
            .post(format!("{}/v1/messages", serve.base))
            .header("x-api-key", key)
            .header("x-ccswitch-project", project)
            .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "{}", r.text().await.unwrap());
    }
    // A success's response ends once the store has it; a failure's is
    // written just after: wait for the last one.
    page_when(&serve.base, &serve.token, "rate_limited").await;
    Seeded {
        _up: up,
        serve,
        home,
        ann_key,
        bob_key,
    }
}

/// The page (read with the serve token) once it says `want`.
async fn page_when(base: &str, token: &str, want: &str) -> String {
    let t0 = Instant::now();
    loop {
        let r = reqwest::Client::new()
            .get(format!("{base}/ui"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        if page.contains(want) || t0.elapsed() > Duration::from_secs(10) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

/// The figures the seeded store must show, as HTML.
fn assert_figures(html: &str) {
    for want in [
        "<td>ann</td><td>core</td>",
        "$1.50",
        "$4.00",
        "$5.50",
        "$5.75",
        "<td>web</td>",
        "<td>api</td>",
        "<td>m-main</td>",
        "<td>oa/m-main</td>",
        "&lt;b&gt;x&lt;/b&gt;",
        "rate_limited",
        "429",
        // ann's key spent $1.50 of its $5 today; core $5.50 of its $50
        // this month.
        "$3.50 left of $5",
        "$44.50 left of $50",
        "Today (UTC)",
        "<svg",
    ] {
        assert!(html.contains(want), "missing {want:?} in:\n{html}");
    }
    assert!(!html.contains(MARKUP), "a stored name ran as markup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_page_is_for_the_operator_and_shows_the_stores_figures() {
    let s = seeded(None).await;
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
    let s = seeded(None).await;
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
    // Today's bar, one piece per team.
    assert!(page["bars"].as_u64().unwrap() >= 2, "{v}");
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

/// On PostgreSQL the page reads the shared store: a second replica, which
/// answered none of the requests, shows them all.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_every_replica_shows_every_replicas_requests() {
    let url = tokio::task::spawn_blocking(crate::support::postgres::fresh_db)
        .await
        .unwrap();
    let s = seeded(Some(url.clone())).await;
    assert_figures(&page_when(&s.serve.base, &s.serve.token, "rate_limited").await);
    let (two, _home) = start(s.home, Some(url)).await;
    assert_figures(&page_when(&two.base, &two.token, "rate_limited").await);
}

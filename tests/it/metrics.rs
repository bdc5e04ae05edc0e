//! `GET /metrics` on the real `ccswitch serve`: after requests with known
//! usage (one of them failing), the counters must match to the token, the
//! route must want the session token, `promtool check metrics` must accept
//! the text without a lint, and a real Prometheus must scrape it with the
//! token as its bearer credentials.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;
use crate::support::{Home, require_program};

/// A child process (Prometheus) killed when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn config(up: &Mock) -> String {
    format!(
        "{}models = {{ m-main = {{ input_price = 2.0, output_price = 8.0, cache_read_price = 0.5 }} }}\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\nfast = \"m-free\"\n",
        mock::openai_provider("oa", up)
    )
}

fn usage(prompt: u64, cached: u64, out: u64, reasoning: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": out,
           "prompt_tokens_details": {"cached_tokens": cached},
           "completion_tokens_details": {"reasoning_tokens": reasoning}})
}

fn answer(prompt: u64, out: u64) -> mock::Reply {
    let body = json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": "ok"}}],
                      "usage": usage(prompt, 0, out, 0)});
    mock::json(200, &body.to_string())
}

/// Sample values by their full name and labels, as written.
fn samples(text: &str) -> std::collections::HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_tokens_cost_and_latency_and_pass_promtool() {
    let promtool = require_program("promtool", "prometheus");
    let prometheus = require_program("prometheus", "prometheus");
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&config(&up));
    let serve = Serve::start(&home, "p", "sk-metrics-test");
    let (base, token) = (serve.base.clone(), serve.token.clone());
    let client = reqwest::Client::new();

    // m-main: a stream with cached and reasoning tokens, a JSON answer and
    // a rate-limit error; m-free (no price): one JSON answer.
    let text = json!({"choices": [{"index": 0, "delta": {"content": "hi"}}]}).to_string();
    let stop = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string();
    let tail = json!({"choices": [], "usage": usage(1000, 400, 50, 20)}).to_string();
    up.push(mock::sse(&[&text, &stop, &tail, "[DONE]"]));
    up.push(answer(300, 30));
    up.push(mock::json(429, r#"{"error": {"message": "slow down"}}"#));
    up.push(answer(10, 5));
    // How long each m-main request took as the client saw it, which is at
    // least what serve measured.
    let mut main_took = Vec::new();
    for (model, stream, status) in [
        ("m-main", true, 200),
        ("m-main", false, 200),
        ("m-main", false, 429),
        ("m-free", false, 200),
    ] {
        let t0 = Instant::now();
        let ask = json!({"model": model, "max_tokens": 100, "stream": stream,
                         "messages": [{"role": "user", "content": "hi"}]});
        let resp = serve.post(&client, &ask).await;
        assert_eq!(resp.status(), status, "{model}");
        // Read to the end: the request is recorded when its body ends.
        resp.bytes().await.unwrap();
        if model == "m-main" {
            main_took.push(t0.elapsed());
        }
    }
    assert_eq!(up.seen().len(), 4, "one upstream call per request");

    let url = format!("{base}/metrics");
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401, "no token, no metrics");
    let resp = client
        .get(&url)
        .header("x-api-key", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = serve.metrics(&client).await;
    let got = samples(&body);
    let main = r#"profile="p",provider="oa",model="m-main""#;
    let free = r#"profile="p",provider="oa",model="m-free""#;
    let value = |series: String| {
        *got.get(&series)
            .unwrap_or_else(|| panic!("no {series} in\n{body}"))
    };
    assert_eq!(value(format!("ccswitch_requests_total{{{main}}}")), 3.0);
    assert_eq!(value(format!("ccswitch_requests_total{{{free}}}")), 1.0);
    let errors = |labels: &str, class: &str| {
        value(format!(
            "ccswitch_errors_total{{{labels},class=\"{class}\"}}"
        ))
    };
    assert_eq!(errors(main, "rate_limited"), 1.0);
    assert_eq!(errors(main, "upstream"), 0.0);
    assert_eq!(errors(free, "rate_limited"), 0.0);
    let tokens = |labels: &str, kind: &str| {
        value(format!("ccswitch_tokens_total{{{labels},kind=\"{kind}\"}}"))
    };
    // Input is the uncached part: 1000 - 400 + 300.
    assert_eq!(tokens(main, "input"), 900.0);
    assert_eq!(tokens(main, "cache_read"), 400.0);
    assert_eq!(tokens(main, "output"), 80.0);
    assert_eq!(tokens(main, "reasoning"), 20.0);
    assert_eq!(tokens(free, "input"), 10.0);
    let cost = value(format!("ccswitch_cost_usd_total{{{main}}}"));
    let want = (900.0 * 2.0 + 80.0 * 8.0 + 400.0 * 0.5) / 1e6;
    assert!((cost - want).abs() < 1e-12, "{cost} != {want}");
    assert!(!body.contains(&format!("ccswitch_cost_usd_total{{{free}}}")));
    assert_eq!(
        value(format!("ccswitch_unpriced_requests_total{{{free}}}")),
        1.0
    );
    assert_eq!(
        value(format!("ccswitch_unpriced_requests_total{{{main}}}")),
        0.0
    );
    let duration = "ccswitch_request_duration_seconds";
    assert_eq!(value(format!("{duration}_count{{{main}}}")), 3.0);
    assert_eq!(
        value(format!("{duration}_bucket{{{main},le=\"+Inf\"}}")),
        3.0
    );
    // Seconds, not milliseconds: a local mock answers within a second, and
    // every request the client saw end within half of one (the rest is
    // slack for serve's own bookkeeping after the last byte) is in the
    // first second's bucket. On an idle machine that is all three.
    let quick = main_took
        .iter()
        .filter(|d| **d < Duration::from_millis(500))
        .count();
    let in_first_second = value(format!("{duration}_bucket{{{main},le=\"1\"}}"));
    assert!(
        in_first_second >= quick as f64,
        "{in_first_second} in le=1; the client saw {main_took:?}"
    );
    let ttft = "ccswitch_time_to_first_token_seconds";
    assert_eq!(value(format!("{ttft}_count{{{main}}}")), 1.0, "the stream");
    assert_eq!(value(format!("{ttft}_count{{{free}}}")), 0.0);

    promtool_accepts(&promtool, &body);
    let port = base.rsplit(':').next().unwrap();
    prometheus_scrapes(&prometheus, port, &token).await;
}

/// `promtool check metrics`: the format, and its lints (names, units,
/// `_total` on counters, help text). It exits 3 on a lint, 1 on an error.
pub(crate) fn promtool_accepts(promtool: &std::path::Path, body: &str) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {:?}\n{said}\n{body}",
        out.status
    );
}

/// A real Prometheus scraping `serve` every second with the token: the
/// target must be up and a series must arrive with its value.
async fn prometheus_scrapes(prometheus: &std::path::Path, serve_port: &str, token: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: ccswitch\n    authorization:\n      credentials: '{token}'\n    \
             static_configs:\n      - targets: ['127.0.0.1:{serve_port}']\n"
        ),
    )
    .unwrap();
    // A free port for its web API: bound, then released for Prometheus.
    let web = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let log = dir.path().join("prometheus.log");
    let mut prom = Killed(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let query = |q: &'static str| {
        let url = format!("http://{web}/api/v1/query");
        async move {
            let resp = reqwest::Client::new()
                .get(url)
                .query(&[("query", q)])
                .send()
                .await
                .ok()?;
            let v: Value = resp.json().await.ok()?;
            let value = v["data"]["result"][0]["value"][1].as_str()?;
            value.parse::<f64>().ok()
        }
    };
    // A hang guard, not a measurement: Prometheus starting its TSDB on a
    // loaded machine can take a while; the loop ends as soon as the
    // scraped values are there.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let up = query(r#"up{job="ccswitch"}"#).await;
        let requests = query(r#"ccswitch_requests_total{model="m-main",profile="p"}"#).await;
        if up == Some(1.0) && requests == Some(3.0) {
            break;
        }
        let exited = prom.0.try_wait().unwrap();
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "Prometheus did not scrape serve (up={up:?}, requests={requests:?}, exited={exited:?}):\n{log}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

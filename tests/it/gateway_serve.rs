//! A team gateway's serving: its worker threads (`serve --gateway
//! --workers`), and real Claude Code waiting out a key's rate limit.

use crate::gateway::{gateway_serving, issue, mk_home};
use crate::support::Home;

/// `--workers 2`: the gateway says it serves on two threads, and members'
/// requests sent all at once (each key checked against the store on the
/// blocking pool, counted by the limiter) all get their answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_two_workers_answers_requests_sent_together() {
    const N: usize = 24;
    let (up, serve, home, keys) = gateway_serving(
        "hello together",
        N,
        &[&["--rpm", "1000"], &[]],
        &["--workers", "2"],
    )
    .await;
    let client = reqwest::Client::new();
    let asks: Vec<_> = (0..N)
        .map(|i| {
            let (client, base) = (client.clone(), serve.base.clone());
            let key = keys[i % keys.len()].clone();
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/v1/messages"))
                    .header("x-api-key", key)
                    .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
                        "messages": [{"role": "user", "content": format!("hi {i}")}]}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                (status, r.json::<serde_json::Value>().await.unwrap())
            })
        })
        .collect();
    for ask in asks {
        let (status, body) = ask.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["content"][0]["text"], "hello together", "{body}");
    }
    assert_eq!(up.seen().len(), N);
    let log = std::fs::read_to_string(home.path().join("serve.log")).unwrap();
    assert!(log.contains("serving on 2 worker threads"), "{log}");
}

/// No threads at all is a usage error that says what `--workers` takes.
#[test]
fn serve_with_zero_workers_is_refused() {
    let home = Home::new();
    let r = home.run(&["serve", "p", "--gateway", "--workers", "0"]);
    assert!(
        r.fails(2).stderr.contains("--workers must be at least 1"),
        "{}",
        r.stderr
    );
}

/// Real Claude Code → a member's `ccswitch run` (`ccswitch-gateway`
/// preset) → `serve --gateway`, on a key allowed one request a minute: a
/// second session within the minute is refused with 429 and the
/// gateway's `retry-after`, and Claude Code waits that out (it shows as
/// its `api_retry` events) and then gets the provider's answer, without
/// telling the user to log in. The refused attempts never reach the
/// provider. A minute window makes this test wait most of a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_waits_out_a_keys_rate_limit_on_the_gateway() {
    use crate::support::claude::ccswitch_run_in;
    use crate::support::mock::{self, Mock};
    use crate::support::serve::Serve;
    let up = Mock::start().await;
    up.push(mock::openai_text_usage("First answer.", 40, 3));
    up.push(mock::openai_text_usage("Answered after the wait.", 40, 4));
    let admin = mk_home();
    admin.write_config(&mock::oa_config(&up));
    let key = issue(&admin, &["--member", "ann", "--rpm", "1"]);
    let (serve, _admin) = tokio::task::spawn_blocking(move || {
        let s = Serve::start_with(
            &admin,
            &["serve", "p", "--gateway"],
            &[("UP_KEY", "sk-provider-secret")],
        );
        (s, admin)
    })
    .await
    .unwrap();
    let member = Home::new();
    member.write_config(&format!(
        "[providers.team]\npreset = \"ccswitch-gateway\"\nbase_url = \"{}\"\nkey = {{ env = \"CCSWITCH_GATEWAY_KEY\" }}\n\
         [profiles.w]\nprovider = \"team\"\nmain = \"m-main\"\n",
        serve.base
    ));
    let chome = tempfile::tempdir().unwrap();
    let env = [("CCSWITCH_GATEWAY_KEY", key.as_str())];
    let session = |prompt: &'static str| {
        let (member, chome, env) = (&member, chome.path(), env);
        async move {
            let args = [
                "-p",
                prompt,
                "--output-format",
                "stream-json",
                "--verbose",
                "--no-session-persistence",
            ];
            ccswitch_run_in(member, "w", &args, chome, &env).await
        }
    };
    // The minute's one request.
    let first = session("say something").await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        events(&first.stdout, "result")[0]["result"],
        "First answer."
    );
    let second = session("say something else").await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let retries: Vec<_> = events(&second.stdout, "system")
        .into_iter()
        .filter(|e| e["subtype"] == "api_retry")
        .collect();
    assert!(!retries.is_empty(), "no retry\n{}", second.stdout);
    assert!(
        retries.iter().all(|r| r["error_status"] == 429),
        "{retries:?}"
    );
    // Its own backoff starts at half a second: a wait this long is the
    // gateway's `retry-after`, the rest of the minute.
    let longest = retries
        .iter()
        .filter_map(|r| r["retry_delay_ms"].as_u64())
        .max()
        .unwrap();
    assert!(longest >= 10_000, "{retries:?}");
    let result = &events(&second.stdout, "result")[0];
    assert_eq!(result["result"], "Answered after the wait.", "{result}");
    assert_eq!(result["is_error"], false, "{result}");
    for out in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
        assert!(!out.contains("/login"), "{out}");
    }
    assert_eq!(up.seen().len(), 2, "a refused attempt reached the provider");
}

/// The `--output-format stream-json` lines of `type`.
fn events(stdout: &str, kind: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == kind)
        .collect()
}

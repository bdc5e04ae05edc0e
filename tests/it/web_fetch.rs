//! WebFetch with real Claude Code where api.anthropic.com cannot be
//! reached (as in this sandbox): with the profile's `web_fetch_preflight =
//! false`, ccswitch writes `skipWebFetchPreflight` into the session's
//! settings and the page is fetched and summarised through the proxy.

use serde_json::json;

use crate::support::Home;
use crate::support::claude::ccswitch_run_in;
use crate::support::mock::{self, Mock};
use crate::support::tls::{TestCa, TlsFront};

#[tokio::test]
async fn web_fetch_works_without_anthropic_when_the_profile_skips_the_preflight() {
    let [up, fast, site] = Mock::start_n().await;
    let ca = TestCa::new(&["127.0.0.1", "localhost"]);
    let front = TlsFront::start(&ca, site.addr).await;
    for _ in 0..3 {
        site.push(
            mock::json(
                200,
                "<html><head><title>Mock page</title></head><body><p>The secret word is pineapple.</p></body></html>",
            )
            .with_header("content-type", "text/html; charset=utf-8"),
        );
    }
    // WebFetch refuses hostnames without a dot; an IP literal has them.
    let page = front.url("127.0.0.1", "/page");
    mock::push_deferred_call(
        &up,
        "WebFetch",
        "call_wf",
        &json!({"url": page, "prompt": "What is the secret word?"}),
    );
    up.push(mock::openai_text("The secret word is pineapple."));
    // The small-fast model summarises the page for WebFetch.
    for _ in 0..4 {
        fast.push(mock::openai_text(
            "The page says the secret word is pineapple.",
        ));
    }
    let home = Home::new();
    home.write_config(&mock::two_upstreams_config(
        &up,
        &fast,
        "web_fetch_preflight = false\n",
    ));
    let chome = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca(chome.path());
    let r = ccswitch_run_in(
        &home,
        "p",
        &[
            "-p",
            "what is the secret word on the page?",
            "--allowedTools",
            "ToolSearch,WebFetch",
            "--output-format",
            "stream-json",
            "--verbose",
            "--no-session-persistence",
        ],
        chome.path(),
        &[
            ("UP_KEY", "sk-webfetch"),
            ("NODE_EXTRA_CA_CERTS", ca_file.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        site.seen().iter().any(|s| s.path == "/page"),
        "the page was not fetched:\n{}",
        r.stdout
    );
    let seen = up.seen();
    assert_eq!(
        seen.len(),
        3,
        "{:#?}",
        seen.iter().map(|s| &s.body).collect::<Vec<_>>()
    );
    assert!(seen[2].body.contains("pineapple"), "{}", seen[2].body);
    assert!(!r.stdout.contains("Unable to verify"), "{}", r.stdout);
}

//! `ccswitch serve` over TLS: with `--tls-cert`/`--tls-key` it serves
//! HTTPS on any address without `--allow-remote`, refuses plain HTTP, and
//! serves a renewed certificate without a restart; a key that does not
//! load stops the start with the file named.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::Home;
use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;
use crate::support::tls::TestCa;

/// A client that trusts `ca` alone.
fn trusting(ca: &TestCa) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

async fn ask(client: &reqwest::Client, base: &str, token: &str) -> Result<u16, reqwest::Error> {
    let body = json!({"model": "m-main", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]});
    let r = client
        .post(format!("{base}/v1/messages"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    Ok(r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_tls_on_any_address_and_picks_up_a_renewed_certificate() {
    let up = Mock::start().await;
    for _ in 0..8 {
        up.push(mock::chat_completion(
            json!({"role": "assistant", "content": "ok"}),
            "stop",
        ));
    }
    let home = Home::new();
    home.write_config(&mock::oa_config(&up));
    let dir = tempfile::tempdir().unwrap();
    let first = TestCa::new(&["127.0.0.1", "localhost"]);
    let (cert, key) = first.write_server(dir.path());
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let (serve, _home) = tokio::task::spawn_blocking(move || {
        let args = [
            "serve",
            "p",
            "--host",
            "0.0.0.0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ];
        let s = Serve::start_with(&home, &args, &[("UP_KEY", "sk-up")]);
        (s, home)
    })
    .await
    .unwrap();
    assert!(serve.base.starts_with("https://0.0.0.0:"), "{}", serve.base);
    let base = serve.base.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(
        ask(&trusting(&first), &base, &serve.token).await.unwrap(),
        200
    );
    // Plain HTTP on the TLS port gets no answer.
    let plain = base.replace("https://", "http://");
    assert!(
        ask(&reqwest::Client::new(), &plain, &serve.token)
            .await
            .is_err()
    );

    // A renewal: new files from another CA, served within a few seconds.
    let renewed = TestCa::new(&["127.0.0.1", "localhost"]);
    renewed.write_server(dir.path());
    let t0 = Instant::now();
    while ask(&trusting(&renewed), &base, &serve.token).await.is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(8),
            "the renewed certificate was not served"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ask(&trusting(&first), &base, &serve.token).await.is_err());
}

#[test]
fn serve_names_a_certificate_or_key_it_cannot_use() {
    let home = Home::new();
    home.write_config("[providers.up]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n[profiles.p]\nprovider = \"up\"\nmain = \"m\"\n");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = TestCa::new(&["127.0.0.1"]).write_server(dir.path());
    std::fs::write(&key, "not a key").unwrap();
    let r = home.run(&[
        "serve",
        "p",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    r.fails(2);
    assert!(r.stderr.contains("server-key.pem"), "{}", r.stderr);
    let r = home.run(&["serve", "p", "--tls-cert", cert.to_str().unwrap()]);
    r.fails(2);
    assert!(r.stderr.contains("--tls-key"), "{}", r.stderr);
}

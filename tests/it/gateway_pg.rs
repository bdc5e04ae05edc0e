//! The team gateway on PostgreSQL (issue 24), through the real binary and
//! a real throwaway server (`support::postgres`): `ccswitch gateway
//! --store postgres://…` administers the store, and two `serve --gateway
//! postgres://…` replicas on one database act as one gateway.
#![cfg(unix)]

use std::time::{Duration, Instant};

use crate::gateway::{gateway_on, keys_of};
use crate::support::Home;
use crate::support::postgres::{self, PASSWORD};
use crate::support::tls::TestCa;

async fn ask(client: &reqwest::Client, base: &str, key: &str) -> (u16, serde_json::Value) {
    let r = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", key)
        .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// Keys issued and revoked with the CLI against PostgreSQL let members in
/// through either replica, and a revoked key is refused by both within
/// the key check's 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_database_act_as_one_gateway() {
    let url = tokio::task::spawn_blocking(postgres::fresh_db)
        .await
        .unwrap();
    let (_up, one, home, keys) =
        gateway_on(Some(url.clone()), "hello from pg", 8, &[&[]], &[]).await;
    let key = keys[0].clone();
    let (url2, home) = (url.clone(), home);
    let (two, home) = tokio::task::spawn_blocking(move || {
        let s = crate::support::serve::Serve::start_with(
            &home,
            &["serve", "p", "--gateway", &url2],
            &[("UP_KEY", "sk-up")],
        );
        (s, home)
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    for base in [&one.base, &two.base] {
        let (status, body) = ask(&client, base, &key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["content"][0]["text"], "hello from pg");
    }
    // What the CLI lists came from the database, not a file.
    let rows = keys_of(&home, &["--store", &url]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "active");
    assert!(!home.path().join("gateway.db").exists());

    home.run(&["gateway", "key", "revoke", &key[..13], "--store", &url])
        .ok();
    let t0 = Instant::now();
    for base in [&one.base, &two.base] {
        loop {
            let (status, body) = ask(&client, base, &key).await;
            if status == 401 {
                assert_eq!(body["error"]["type"], "authentication_error", "{body}");
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(6), "still let in");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A server that is not there: the command fails (exit 1) saying so, and
/// never shows the URL's password.
#[test]
fn gateway_commands_name_an_unreachable_postgres_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://gw:{PASSWORD}@127.0.0.1:{port}/gw");
    let home = Home::new();
    let r = home.run(&["gateway", "--store", &url, "team", "list"]);
    assert!(r.fails(1).stderr.contains("did not answer"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("gw:***@127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(PASSWORD), "{}", r.stderr);
    let r = home.run(&[
        "gateway",
        "--store",
        &format!("{url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"),
        "team",
        "list",
    ]);
    // A root certificate that cannot be read is said at once, by name,
    // before any server is asked.
    assert!(
        r.fails(2)
            .stderr
            .contains("sslrootcert=/nonexistent/ca.pem"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(PASSWORD), "{}", r.stderr);
}

/// `gateway` commands over TLS with the certificate verified (the CA's
/// file in `sslrootcert`, the host name checked), and a certificate from
/// another CA refused as a TLS failure, not as a server that is down.
#[test]
fn gateway_commands_reach_postgres_over_verified_tls() {
    let ca = TestCa::new(&["127.0.0.1"]);
    let (cert, key) = ca.server_pems();
    let server = postgres::PgServer::start_tls(cert, key);
    let url = server.fresh_db();
    let dir = tempfile::tempdir().unwrap();
    let with_root = |root: &std::path::Path| {
        format!("{url}?sslmode=verify-full&sslrootcert={}", root.display())
    };
    let good = with_root(&ca.write_ca(dir.path()));
    let home = Home::new();
    home.run(&["gateway", "--store", &good, "team", "add", "core"])
        .ok();
    let r = home.run(&["gateway", "--store", &good, "team", "list"]);
    assert!(r.ok().stdout.contains("core"), "{}", r.stdout);

    let other_dir = tempfile::tempdir().unwrap();
    let bad = with_root(&TestCa::new(&["127.0.0.1"]).write_ca(other_dir.path()));
    let r = home.run(&["gateway", "--store", &bad, "team", "list"]);
    let err = &r.fails(1).stderr;
    assert!(err.contains("TLS") && err.contains("sslrootcert"), "{err}");
    assert!(
        !err.contains("did not answer") && !err.contains(PASSWORD),
        "{err}"
    );
}

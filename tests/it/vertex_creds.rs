//! Where the proxy's Google credentials for Vertex come from (Application
//! Default Credentials through google-cloud-auth, each source against the
//! Vertex mock's token endpoint or metadata server), a short-lived token
//! refreshed without a restart, and the error that names the sources when
//! there are none (and a key put in place afterwards found without one).

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Home;
use crate::support::vertex::{HAIKU, VertexMock, provider, serve, write_json};

fn config(home: &Home, mock: &VertexMock) {
    home.write_config(&format!(
        "{}[profiles.v]\nprovider = \"gcp\"\nmain = \"{HAIKU}\"\n",
        provider("gcp", "global", mock, "")
    ));
}

/// The token each predict call carried (refused ones as `refused`).
async fn tokens(mock: &VertexMock) -> Vec<String> {
    mock.predicts()
        .await
        .iter()
        .map(|r| r["auth"].as_str().unwrap_or("refused").to_string())
        .collect()
}

async fn ok(s: &crate::support::serve::Serve) {
    let (status, body) = s.ask("claude-opus-5-5", false).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn gcloud_user_login_in_the_well_known_file() {
    let mock = VertexMock::start("global", &[]);
    let home = Home::new();
    config(&home, &mock);
    // What `gcloud auth application-default login` writes, under HOME.
    std::fs::create_dir_all(home.path().join(".config/gcloud")).unwrap();
    write_json(
        &home,
        ".config/gcloud/application_default_credentials.json",
        &json!({"type": "authorized_user", "client_id": "c.apps.googleusercontent.com",
                "client_secret": "s", "refresh_token": "mock-refresh-token",
                "token_uri": format!("{}/token", mock.url)}),
    );
    let s = serve(&home, "v", &[]);
    ok(&s).await;
    assert_eq!(tokens(&mock).await, ["ya29.mock-user-1"]);
}

#[tokio::test]
async fn workload_identity_from_a_file_sourced_subject_token() {
    let mock = VertexMock::start("global", &[]);
    let home = Home::new();
    config(&home, &mock);
    std::fs::write(home.path().join("subject.jwt"), "mock-subject-token").unwrap();
    let wif = write_json(
        &home,
        "wif.json",
        &json!({"type": "external_account",
                "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "token_url": format!("{}/token", mock.url),
                "credential_source": {"file": home.path().join("subject.jwt")}}),
    );
    let s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", wif.to_str().unwrap())],
    );
    ok(&s).await;
    assert_eq!(tokens(&mock).await, ["ya29.mock-sts-1"]);
}

#[tokio::test]
async fn metadata_server_tokens_are_refreshed_before_they_expire() {
    // 15-second tokens: google-cloud-auth fetches the next one 10 seconds
    // in, so the second request, 12 seconds later, carries a new one.
    let mock = VertexMock::start("global", &["--token-ttl", "15"]);
    let home = Home::new();
    config(&home, &mock);
    let s = serve(&home, "v", &[("GCE_METADATA_HOST", mock.host())]);
    ok(&s).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    ok(&s).await;
    let seen = tokens(&mock).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter().all(|t| t.starts_with("ya29.mock-mds-")),
        "{seen:?}"
    );
    assert_ne!(seen[0], seen[1], "refreshed without a restart");
    let all: Vec<Value> = mock.requests().await;
    assert!(
        all.iter().any(|r| r["metadata"] == true),
        "asked the metadata server: {all:?}"
    );
}

#[tokio::test]
async fn no_credentials_names_the_sources_tried() {
    let mock = VertexMock::start("global", &[]);
    let home = Home::new();
    config(&home, &mock);
    let missing = home.path().join("no-such-key.json");
    let s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", missing.to_str().unwrap())],
    );
    let (status, body) = s.ask("claude-opus-5-5", false).await;
    assert_ne!(status, 200, "{body}");
    assert_ne!(status, 401, "{body}");
    assert_ne!(status, 403, "{body}");
    for want in [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "application-default login",
        "metadata server",
        "no-such-key.json",
    ] {
        assert!(body.contains(want), "names {want}: {body}");
    }
    assert!(mock.predicts().await.is_empty());

    // The key put in place: the next request finds it, without a restart.
    let sa = crate::support::vertex::service_account_file(&home, &mock);
    std::fs::rename(sa, &missing).unwrap();
    mock.script(json!([{"kind": "text", "text": "found"}]))
        .await;
    ok(&s).await;
}

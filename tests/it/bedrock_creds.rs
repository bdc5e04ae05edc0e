//! Where the proxy's AWS credentials for Bedrock come from (the AWS SDK's
//! own chain, each source against the Bedrock mock, which checks the
//! signature each set makes), refreshed when short-lived ones expire, a
//! Bedrock API key instead of SigV4, and the error that names the sources
//! when there are none.

use serde_json::Value;

use crate::support::Home;
use crate::support::bedrock::{BedrockMock, HAIKU, provider, serve};

fn config(home: &Home, mock: &BedrockMock, more: &str) {
    home.write_config(&format!(
        "{}[profiles.b]\nprovider = \"aws\"\nmain = \"{HAIKU}\"\n",
        provider("aws", "us-east-1", mock, more)
    ));
}

/// Who signed each request the mock accepted, in order.
async fn signers(mock: &BedrockMock) -> Vec<String> {
    mock.requests()
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
async fn a_named_profile_in_the_shared_credentials_file() {
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDFILE:file-secret"]);
    let home = Home::new();
    config(&home, &mock, "aws_profile = \"team\"");
    std::fs::write(
        home.path().join("aws-credentials"),
        "[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = x\n\n\
         [team]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n",
    )
    .unwrap();
    let s = serve(&home, "b", &[]);
    ok(&s).await;
    assert_eq!(signers(&mock).await, ["AKIDFILE"]);
}

#[cfg(unix)]
#[tokio::test]
async fn a_profiles_credential_process_chosen_by_aws_profile() {
    use std::os::unix::fs::PermissionsExt;
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDPROC:proc-secret:proc-token"]);
    let home = Home::new();
    config(&home, &mock, "");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \
         \"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        home.path().join("aws-config"),
        format!(
            "[profile proc]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    let s = serve(&home, "b", &[("AWS_PROFILE", "proc")]);
    ok(&s).await;
    assert_eq!(
        signers(&mock).await,
        ["AKIDPROC"],
        "its session token checked too"
    );
}

#[tokio::test]
async fn container_credentials_are_cached_and_fetched_again_when_they_expire() {
    // The mock's /creds gives set k on its k-th call, expiring in 8 s.
    let mock = BedrockMock::start("us-east-1", &["--rotate", "3", "--creds-ttl", "8"]);
    let home = Home::new();
    config(&home, &mock, "");
    let uri = format!("{}/creds", mock.url);
    let s = serve(&home, "b", &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)]);
    ok(&s).await;
    ok(&s).await;
    assert_eq!(signers(&mock).await, ["ASIAMOCK1", "ASIAMOCK1"], "cached");
    // Past the last quarter of their life: the same proxy fetches new ones.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    ok(&s).await;
    assert_eq!(
        signers(&mock).await,
        ["ASIAMOCK1", "ASIAMOCK1", "ASIAMOCK2"],
        "new credentials, no restart"
    );
}

#[tokio::test]
async fn a_bedrock_api_key_is_sent_as_a_bearer_token() {
    let mock = BedrockMock::start("us-east-1", &["--bearer", "bedrock-api-key-1"]);
    let home = Home::new();
    config(&home, &mock, "");
    let s = serve(
        &home,
        "b",
        &[("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-1")],
    );
    ok(&s).await;
    drop(s);
    // The provider's own key (here from a variable of its choosing) too.
    config(&home, &mock, "key = { env = \"TEAM_BEDROCK\" }");
    let s = serve(&home, "b", &[("TEAM_BEDROCK", "bedrock-api-key-1")]);
    ok(&s).await;
    let seen = mock.requests().await;
    assert_eq!(signers(&mock).await, ["bearer", "bearer"]);
    assert_eq!(
        seen[0]["headers"]["authorization"],
        "Bearer bedrock-api-key-1"
    );
}

#[tokio::test]
async fn no_credentials_anywhere_names_the_sources_tried() {
    let mock = BedrockMock::start("us-east-1", &[]);
    let home = Home::new();
    config(&home, &mock, "");
    let s = serve(&home, "b", &[]);
    let (status, body) = s.ask("claude-opus-5-5", true).await;
    assert_eq!(status, 502, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    for source in [
        "No AWS credentials",
        "AWS_ACCESS_KEY_ID",
        "~/.aws/credentials",
        "credential_process",
        "web identity",
        "container metadata",
        "instance metadata",
        "AWS_BEARER_TOKEN_BEDROCK",
    ] {
        assert!(message.contains(source), "{source}: {message}");
    }
    assert!(
        mock.requests().await.is_empty(),
        "nothing unsigned went out"
    );
}

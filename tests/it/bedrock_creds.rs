//! Where the proxy's AWS credentials for Bedrock come from (the AWS SDK's
//! own chain, each source against the Bedrock mock, which checks the
//! signature each set makes, and plays STS, SSO and container metadata), refreshed when short-lived ones expire, a
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
async fn web_identity_credentials_from_sts() {
    let mock = BedrockMock::start("us-east-1", &[]);
    let home = Home::new();
    config(&home, &mock, "");
    let token = home.path().join("web-token");
    std::fs::write(&token, "web-identity-jwt").unwrap();
    let token = token.to_string_lossy().into_owned();
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/bedrock-user",
        ),
        ("AWS_ENDPOINT_URL_STS", mock.url.as_str()),
    ];
    let s = serve(&home, "b", &env);
    ok(&s).await;
    let seen = mock.requests().await;
    assert_eq!(
        seen[0]["body"]["RoleArn"],
        "arn:aws:iam::123456789012:role/bedrock-user"
    );
    assert_eq!(signers(&mock).await, ["web-identity", "ASIAWEB"]);
}

#[cfg(unix)]
#[tokio::test]
async fn an_sso_profile_with_the_login_cached() {
    let mock = BedrockMock::start("us-east-1", &[]);
    let home = Home::new();
    config(&home, &mock, "aws_profile = \"sso\"");
    let start_url = "https://example.awsapps.com/start";
    std::fs::write(
        home.path().join("aws-config"),
        format!(
            "[profile sso]\nsso_start_url = {start_url}\nsso_region = us-east-1\n\
             sso_account_id = 123456789012\nsso_role_name = BedrockUser\n"
        ),
    )
    .unwrap();
    // What `aws sso login` leaves in ~/.aws/sso/cache: the access token,
    // under the SHA-1 of the start URL.
    let cache = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let name = sha1_hex(start_url);
    std::fs::write(
        cache.join(format!("{name}.json")),
        format!(
            "{{\"startUrl\": \"{start_url}\", \"region\": \"us-east-1\", \
             \"accessToken\": \"sso-access-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}}"
        ),
    )
    .unwrap();
    let home_dir = home.path().to_string_lossy().into_owned();
    let env = [
        ("HOME", home_dir.as_str()),
        ("AWS_ENDPOINT_URL_SSO", mock.url.as_str()),
    ];
    let s = serve(&home, "b", &env);
    ok(&s).await;
    let seen = mock.requests().await;
    assert!(
        seen[0]["path"]
            .as_str()
            .unwrap()
            .contains("role_name=BedrockUser"),
        "{seen:?}"
    );
    assert_eq!(signers(&mock).await, ["sso", "ASIASSO"]);
}

/// SHA-1 as hex, with the system's `sha1sum` (no SHA-1 crate for one test).
#[cfg(unix)]
fn sha1_hex(text: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..40].to_string()
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

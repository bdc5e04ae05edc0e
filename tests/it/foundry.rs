//! Claude on Microsoft Foundry and on Bedrock's Mantle endpoint through the
//! proxy: the `foundry` preset's provider is passed through to the
//! resource's `/anthropic` Messages API with the resource key in Azure's
//! `api-key` header (or, with `auth = "bearer"`, an Entra ID token);
//! `bedrock-mantle`'s to Mantle's `/anthropic` with a Bedrock API key as
//! Bearer; and nothing else carries a key.

use crate::support::mock::{self, End, Mock};
use crate::support::proxy::*;

async fn through_foundry(auth: Option<&str>) -> crate::support::mock::Recorded {
    through("foundry", auth).await
}

async fn through(preset: &str, auth: Option<&str>) -> crate::support::mock::Recorded {
    let up = Mock::start().await;
    let auth = auth.map_or(String::new(), |a| format!("auth = \"{a}\"\n"));
    let provider =
        format!("[providers.up]\npreset = \"{preset}\"\nbase_url = \"MOCK/anthropic\"\n{auth}");
    let p = mk_proxy(&up, &provider).await;
    let sse = include_str!("../fixtures/claude-code/responses/stream-text.sse");
    up.push(mock::sse_raw(&[sse], End::Close));
    let resp = p.post("/v1/messages?beta=true", &ask(true)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), sse, "passed through untouched");
    up.last()
}

#[tokio::test]
async fn the_resource_key_goes_in_the_api_key_header_to_the_anthropic_path() {
    let seen = through_foundry(None).await;
    assert_eq!(seen.path, "/anthropic/v1/messages?beta=true");
    assert_eq!(seen.header("api-key"), Some(KEY));
    assert_eq!(seen.header("x-api-key"), None);
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.json()["model"], "up-main");
}

#[tokio::test]
async fn an_entra_id_token_goes_as_bearer() {
    let seen = through_foundry(Some("bearer")).await;
    let bearer = format!("Bearer {KEY}");
    assert_eq!(seen.header("authorization"), Some(bearer.as_str()));
    assert_eq!(seen.header("api-key"), None);
    assert_eq!(seen.header("x-api-key"), None);
}

#[tokio::test]
async fn mantle_takes_a_bedrock_api_key_as_bearer_on_its_anthropic_path() {
    let seen = through("bedrock-mantle", None).await;
    assert_eq!(seen.path, "/anthropic/v1/messages?beta=true");
    let bearer = format!("Bearer {KEY}");
    assert_eq!(seen.header("authorization"), Some(bearer.as_str()));
    assert_eq!(seen.header("x-api-key"), None);
    assert_eq!(seen.header("api-key"), None);
}

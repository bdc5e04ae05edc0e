//! Bedrock through the proxy, against the Bedrock mock (which checks every
//! signature with botocore): the body rules, whole and streamed replies,
//! refused, expired and wrong-region signatures, errors and a throttled
//! region's fallback, and what is refused before the proxy starts.

use serde_json::{Value, json};

use crate::support::Home;
use crate::support::bedrock::{BedrockMock, ENV_CREDS, HAIKU, aws_cmd, provider, serve};
use crate::support::serve::Serve;

fn config(home: &Home, mock: &BedrockMock, region: &str) {
    home.write_config(&format!(
        "{}[profiles.b]\nprovider = \"aws\"\nmain = \"{HAIKU}\"\n",
        provider("aws", region, mock, "")
    ));
}

/// A Messages request as Claude Code sends one, betas included.
async fn ask(s: &Serve, stream: bool) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", s.base))
        .bearer_auth(&s.token)
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "claude-code-20250219, interleaved-thinking-2025-05-14",
        )
        .json(
            &json!({"model": "claude-opus-5-5", "max_tokens": 100, "stream": stream,
                      "metadata": {"user_id": "u"},
                      "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn error_of(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    let e = &v["error"];
    (
        e["type"].as_str().unwrap().into(),
        e["message"].as_str().unwrap().into(),
    )
}

#[tokio::test]
async fn signed_requests_go_whole_and_streamed_with_bedrock_body_rules() {
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    let home = Home::new();
    config(&home, &mock, "us-east-1");
    mock.script(json!([{"kind": "text", "text": "whole hello"}, {"kind": "text", "text": "streamed hello"}]))
        .await;
    let mut s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, false).await;
    assert_eq!(status, 200, "{body}");
    let msg: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(msg["content"][0]["text"], "whole hello");
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("event: message_start\ndata: "), "{body}");
    assert!(body.contains("streamed hello"), "{body}");
    assert!(body.contains("event: message_stop"), "{body}");

    let seen = mock.requests().await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let enc = "us.anthropic.claude-haiku-4-5-20251001-v1%3A0";
    assert_eq!(seen[0]["path"], format!("/model/{enc}/invoke"));
    assert_eq!(
        seen[1]["path"],
        format!("/model/{enc}/invoke-with-response-stream")
    );
    for r in &seen {
        assert_eq!(r["auth"], "AKIDENV", "signed with the env credentials: {r}");
        let b = &r["body"];
        assert!(b.get("model").is_none() && b.get("stream").is_none(), "{b}");
        assert!(
            b.get("metadata").is_none(),
            "the passthrough's fixes apply: {b}"
        );
        assert_eq!(b["anthropic_version"], "bedrock-2023-05-31");
        assert_eq!(
            b["anthropic_beta"],
            json!(["claude-code-20250219", "interleaved-thinking-2025-05-14"])
        );
        assert!(r["headers"].get("anthropic-beta").is_none(), "{r}");
    }
    assert_eq!(
        seen[1]["headers"]["accept"],
        "application/vnd.amazon.eventstream"
    );

    // The ledger has both, under the cloud model id, with a cost.
    s.stop();
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let rows: Vec<(String, String, Option<f64>)> = db
        .prepare("SELECT provider, model, cost_usd FROM requests ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (p, m, cost) in rows {
        assert_eq!((p.as_str(), m.as_str()), ("aws", HAIKU));
        assert!(
            cost.is_some_and(|c| c > 0.0),
            "priced by its model: {cost:?}"
        );
    }
}

#[tokio::test]
async fn bad_expired_and_wrong_region_signatures_are_refused_and_explained() {
    let home = Home::new();
    // A wrong secret: botocore computes another signature.
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:another-secret"]);
    config(&home, &mock, "us-east-1");
    let s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, false).await;
    assert_eq!(
        status, 424,
        "not 403: Claude Code would send the user to /login: {body}"
    );
    let (kind, message) = error_of(&body);
    assert_eq!(kind, "permission_error");
    assert!(message.contains("InvalidSignatureException"), "{message}");
    assert!(message.contains("aws sts get-caller-identity"), "{message}");
    drop(s);

    // The mock's clock ten minutes ahead: the signature has expired.
    let mock = BedrockMock::start(
        "us-east-1",
        &["--creds", "AKIDENV:env-secret", "--clock-offset", "600"],
    );
    config(&home, &mock, "us-east-1");
    let s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 424, "{body}");
    let (_, message) = error_of(&body);
    assert!(message.contains("Signature expired"), "{message}");
    assert!(
        message.contains("clock is off"),
        "reported as clock skew: {message}"
    );
    drop(s);

    // Signed for us-west-2, sent to a us-east-1 endpoint.
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    config(&home, &mock, "us-west-2");
    let s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, false).await;
    assert_eq!(status, 424, "{body}");
    assert!(
        error_of(&body).1.contains("scoped to a valid region"),
        "{body}"
    );
    let seen = mock.requests().await;
    assert_eq!(seen[0]["refused"], "InvalidSignatureException");
}

#[tokio::test]
async fn bedrock_errors_get_the_statuses_claude_code_retries_right() {
    let mock = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    let home = Home::new();
    config(&home, &mock, "us-east-1");
    mock.script(json!([
        {"kind": "error", "status": 400, "type": "ValidationException", "message": "max_tokens: bad"},
        {"kind": "error", "status": 503, "type": "ServiceUnavailableException", "message": "busy"},
        {"kind": "error", "status": 429, "type": "ThrottlingException", "message": "Too many requests"},
        {"kind": "exception", "type": "throttlingException", "message": "slow down"}
    ]))
    .await;
    let s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, false).await;
    assert_eq!(
        (status, error_of(&body).0.as_str()),
        (400, "invalid_request_error"),
        "{body}"
    );
    let (status, body) = ask(&s, false).await;
    assert_eq!(
        (status, error_of(&body).0.as_str()),
        (529, "overloaded_error"),
        "{body}"
    );
    let (status, body) = ask(&s, true).await;
    assert_eq!(
        (status, error_of(&body).0.as_str()),
        (429, "rate_limit_error"),
        "{body}"
    );
    // An exception frame mid-stream: an Anthropic error event ends it.
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("event: message_start"), "{body}");
    let last = body.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error\ndata: "), "{body}");
    assert!(
        last.contains("rate_limit_error") && last.contains("slow down"),
        "{last}"
    );
}

#[tokio::test]
async fn a_throttled_region_moves_the_chain_on_to_the_next() {
    let east = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    let west = BedrockMock::start("us-west-2", &["--creds", "AKIDENV:env-secret"]);
    let home = Home::new();
    home.write_config(&format!(
        "{}{}[profiles.b]\nprovider = \"east\"\n\
         main = [{{ provider = \"east\", model = \"{HAIKU}\" }}, {{ provider = \"west\", model = \"{HAIKU}\" }}]\n",
        provider("east", "us-east-1", &east, ""),
        provider("west", "us-west-2", &west, "")
    ));
    // Throttled before the stream starts, then inside it (an exception
    // frame before any content).
    east.script(json!([
        {"kind": "error", "status": 429, "type": "ThrottlingException", "message": "Too many requests, please wait before trying again."},
        {"kind": "exception", "type": "throttlingException", "message": "Too many tokens"}
    ]))
    .await;
    west.script(
        json!([{"kind": "text", "text": "from the west"}, {"kind": "text", "text": "west again"}]),
    )
    .await;
    let mut s = serve(&home, "b", &ENV_CREDS);
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("from the west"), "{body}");
    assert_eq!(
        west.requests().await[0]["auth"],
        "AKIDENV",
        "signed for us-west-2"
    );
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("west again") && !body.contains("event: error"),
        "{body}"
    );
    s.stop();
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    let rows: Vec<(String, i64)> = db
        .prepare("SELECT provider, status FROM requests ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let providers: Vec<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(providers, ["east", "west", "east", "west"], "{rows:?}");
    assert_eq!(
        (rows[0].1, rows[1].1, rows[3].1),
        (429, 200, 200),
        "{rows:?}"
    );
    assert_ne!(
        rows[2].1, 200,
        "the throttled stream is a failed attempt: {rows:?}"
    );
}

#[test]
fn unknown_regions_and_models_are_refused_before_the_proxy_starts() {
    let home = Home::new();
    home.write_config(&format!(
        "[providers.aws]\npreset = \"bedrock\"\nregion = \"us-est-1\"\n[profiles.b]\nprovider = \"aws\"\nmain = \"{HAIKU}\"\n"
    ));
    let out = aws_cmd(&home, &["serve", "b"], &ENV_CREDS)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("us-est-1") && err.contains("us-east-1"),
        "names the fix: {err}"
    );
    home.write_config(
        "[providers.aws]\npreset = \"bedrock\"\nregion = \"us-east-1\"\n[profiles.b]\nprovider = \"aws\"\nmain = \"us.anthropic.claude-haiku-9\"\n",
    );
    let out = aws_cmd(&home, &["serve", "b"], &ENV_CREDS)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("us.anthropic.claude-haiku-9") && err.contains("input_price"),
        "{err}"
    );
}

//! Vertex through the proxy, against the Vertex mock (which verifies the
//! service account's JWT with the test key's public half and checks the
//! body rules): whole and streamed replies, errors with the statuses Claude
//! Code retries right, a throttled Vertex region moving the chain on (to
//! another region, and to Bedrock), and what is refused before the proxy
//! starts.

use serde_json::{Value, json};

use crate::support::Home;
use crate::support::serve::Serve;
use crate::support::vertex::{
    HAIKU, PROJECT, SA_EMAIL, VertexMock, google_cmd, provider, serve, service_account_file,
};

fn config(home: &Home, mock: &VertexMock, region: &str) {
    home.write_config(&format!(
        "{}[profiles.v]\nprovider = \"gcp\"\nmain = \"{HAIKU}\"\n",
        provider("gcp", region, mock, "")
    ));
}

/// A Messages request as Claude Code sends one, betas included.
async fn ask(s: &Serve, stream: bool) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", s.base))
        .bearer_auth(&s.token)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "claude-code-20250219")
        .json(
            &json!({"model": "claude-opus-5-5", "max_tokens": 100, "stream": stream,
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

fn ledger(home: &Home) -> Vec<(String, String, i64, Option<f64>)> {
    let db = rusqlite::Connection::open(home.path().join("usage.db")).unwrap();
    db.prepare("SELECT provider, model, status, cost_usd FROM requests ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn service_account_requests_go_whole_and_streamed_with_vertex_body_rules() {
    let mock = VertexMock::start("us-east5", &[]);
    let home = Home::new();
    config(&home, &mock, "us-east5");
    let sa = service_account_file(&home, &mock);
    mock.script(json!([{"kind": "text", "text": "whole hello"}, {"kind": "text", "text": "streamed hello"}]))
        .await;
    let mut s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", sa.to_str().unwrap())],
    );
    let (status, body) = ask(&s, false).await;
    assert_eq!(status, 200, "{body}");
    let msg: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(msg["content"][0]["text"], "whole hello");
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("event: message_start\ndata: "), "{body}");
    assert!(body.contains("streamed hello"), "{body}");
    assert!(body.contains("event: message_stop"), "{body}");

    let seen = mock.predicts().await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let base =
        format!("/v1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/{HAIKU}");
    assert_eq!(seen[0]["path"], format!("{base}:rawPredict"));
    assert_eq!(seen[1]["path"], format!("{base}:streamRawPredict"));
    for r in &seen {
        assert_eq!(r["auth"], format!("jwt:{SA_EMAIL}"), "a verified JWT: {r}");
        assert!(r["refused"].is_null(), "{r}");
        let b = &r["body"];
        assert!(b.get("model").is_none(), "{b}");
        assert_eq!(b["anthropic_version"], "vertex-2023-10-16");
        assert_eq!(r["headers"]["anthropic-beta"], "claude-code-20250219");
    }
    assert_eq!(seen[0]["body"]["stream"], false);
    assert_eq!(seen[1]["body"]["stream"], true);

    s.stop();
    let rows = ledger(&home);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (p, m, status, cost) in rows {
        assert_eq!((p.as_str(), m.as_str(), status), ("gcp", HAIKU, 200));
        assert!(cost.is_some_and(|c| c > 0.0), "priced: {cost:?}");
    }
}

#[tokio::test]
async fn google_errors_get_the_statuses_claude_code_retries_right() {
    let mock = VertexMock::start("global", &[]);
    let home = Home::new();
    config(&home, &mock, "global");
    let sa = service_account_file(&home, &mock);
    mock.script(json!([
        {"kind": "error", "status": 429, "type": "RESOURCE_EXHAUSTED", "message": "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model"},
        {"kind": "error", "status": 403, "type": "PERMISSION_DENIED", "message": "Permission 'aiplatform.endpoints.predict' denied"}
    ]))
    .await;
    let s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", sa.to_str().unwrap())],
    );
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 429, "{body}");
    let (kind, message) = error_of(&body);
    assert_eq!(kind, "rate_limit_error");
    assert!(message.contains("RESOURCE_EXHAUSTED"), "{message}");
    let (status, body) = ask(&s, false).await;
    assert_eq!(
        status, 424,
        "not 403: Claude Code would send the user to /login: {body}"
    );
    let (_, message) = error_of(&body);
    assert!(message.contains("PERMISSION_DENIED"), "{message}");
    assert!(
        message.contains("gcloud auth application-default"),
        "{message}"
    );
    assert!(
        mock.predicts().await[0]["path"]
            .as_str()
            .unwrap()
            .contains("/locations/global/"),
        "global has its own path"
    );
}

#[tokio::test]
async fn a_token_google_refuses_is_not_a_claude_login_problem() {
    let mock = VertexMock::start("global", &[]);
    let home = Home::new();
    config(&home, &mock, "global");
    // Another service account's email: its JWT does not verify.
    let sa = service_account_file(&home, &mock);
    let text = std::fs::read_to_string(&sa)
        .unwrap()
        .replace(SA_EMAIL, "someone-else@x.iam.gserviceaccount.com");
    std::fs::write(&sa, text).unwrap();
    let s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", sa.to_str().unwrap())],
    );
    let (status, body) = ask(&s, false).await;
    assert_eq!(status, 424, "{body}");
    let (kind, message) = error_of(&body);
    assert_eq!(kind, "authentication_error");
    assert!(message.contains("UNAUTHENTICATED"), "{message}");
    assert_eq!(mock.predicts().await[0]["refused"], "wrong issuer");
}

#[tokio::test]
async fn a_throttled_vertex_region_moves_the_chain_on_to_the_next() {
    let east = VertexMock::start("us-east5", &[]);
    let global = VertexMock::start("global", &[]);
    let home = Home::new();
    home.write_config(&format!(
        "{}{}[profiles.v]\nprovider = \"east\"\n\
         main = [{{ provider = \"east\", model = \"{HAIKU}\" }}, {{ provider = \"world\", model = \"{HAIKU}\" }}]\n",
        provider("east", "us-east5", &east, ""),
        provider("world", "global", &global, "")
    ));
    let sa = service_account_file(&home, &east);
    east.script(json!([{"kind": "error", "status": 429, "type": "RESOURCE_EXHAUSTED"}]))
        .await;
    global
        .script(json!([{"kind": "text", "text": "from global"}]))
        .await;
    let mut s = serve(
        &home,
        "v",
        &[("GOOGLE_APPLICATION_CREDENTIALS", sa.to_str().unwrap())],
    );
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("from global"), "{body}");
    s.stop();
    let rows: Vec<(String, i64)> = ledger(&home)
        .into_iter()
        .map(|(p, _, st, _)| (p, st))
        .collect();
    assert_eq!(
        rows,
        [("east".to_string(), 429), ("world".to_string(), 200)]
    );
}

#[tokio::test]
async fn a_chain_mixes_kinds_a_throttled_vertex_moves_on_to_bedrock() {
    use crate::support::bedrock::{self, BedrockMock, ENV_CREDS};
    let vertex = VertexMock::start("global", &[]);
    let aws = BedrockMock::start("us-east-1", &["--creds", "AKIDENV:env-secret"]);
    let home = Home::new();
    home.write_config(&format!(
        "{}{}[profiles.v]\nprovider = \"gcp\"\n\
         main = [{{ provider = \"gcp\", model = \"{HAIKU}\" }}, {{ provider = \"aws\", model = \"{}\" }}]\n",
        provider("gcp", "global", &vertex, ""),
        bedrock::provider("aws", "us-east-1", &aws, ""),
        bedrock::HAIKU
    ));
    let sa = service_account_file(&home, &vertex);
    vertex
        .script(json!([{"kind": "error", "status": 429, "type": "RESOURCE_EXHAUSTED"}]))
        .await;
    aws.script(json!([{"kind": "text", "text": "from bedrock"}]))
        .await;
    let mut cmd = google_cmd(&home, &["serve", "v"], &[]);
    bedrock::isolate(&mut cmd, &home);
    cmd.envs(ENV_CREDS)
        .env("GOOGLE_APPLICATION_CREDENTIALS", &sa)
        .stderr(std::process::Stdio::null());
    let mut s = Serve::spawn(cmd);
    let (status, body) = ask(&s, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("from bedrock"), "{body}");
    // Each target by its own rules: Google's token and Vertex's body for
    // the first, SigV4 and Bedrock's body for the second.
    let v = &vertex.predicts().await[0];
    assert_eq!(v["auth"], format!("jwt:{SA_EMAIL}"));
    assert_eq!(v["body"]["anthropic_version"], "vertex-2023-10-16");
    let b = &aws.requests().await[0];
    assert_eq!(b["auth"], "AKIDENV");
    assert_eq!(b["body"]["anthropic_version"], "bedrock-2023-05-31");
    s.stop();
    let rows: Vec<(String, String, i64)> = ledger(&home)
        .into_iter()
        .map(|(p, m, st, _)| (p, m, st))
        .collect();
    assert_eq!(
        rows,
        [
            ("gcp".to_string(), HAIKU.to_string(), 429),
            ("aws".to_string(), bedrock::HAIKU.to_string(), 200)
        ]
    );
}

#[test]
fn unknown_regions_and_missing_projects_are_refused_before_the_proxy_starts() {
    let home = Home::new();
    let refused = |config: &str, want: &[&str]| {
        home.write_config(config);
        let out = google_cmd(&home, &["serve", "v"], &[]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        for w in want {
            assert!(err.contains(w), "names {w}: {err}");
        }
    };
    refused(
        &format!(
            "[providers.gcp]\npreset = \"vertex\"\nregion = \"us-east-5\"\nproject = \"p\"\n[profiles.v]\nprovider = \"gcp\"\nmain = \"{HAIKU}\"\n"
        ),
        &["us-east-5", "us-east5", "global"],
    );
    refused(
        &format!(
            "[providers.gcp]\npreset = \"vertex\"\nregion = \"global\"\n[profiles.v]\nprovider = \"gcp\"\nmain = \"{HAIKU}\"\n"
        ),
        &["project = ", "ANTHROPIC_VERTEX_PROJECT_ID"],
    );
    refused(
        "[providers.gcp]\npreset = \"vertex\"\nregion = \"global\"\nproject = \"p\"\n[profiles.v]\nprovider = \"gcp\"\nmain = \"claude-haiku-9@1\"\n",
        &["claude-haiku-9@1", "input_price"],
    );
}

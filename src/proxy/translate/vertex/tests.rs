//! Vertex's body rules, paths and error bodies.
use serde_json::{Value, json};

use super::*;

fn mk_body(v: &Value) -> RawBody {
    serde_json::from_str(&v.to_string()).unwrap()
}

#[test]
fn body_loses_model_keeps_stream_and_gains_version() {
    let mut b = mk_body(&json!({"model": "m", "stream": true, "max_tokens": 5, "messages": []}));
    predict_body(&mut b);
    let v: Value = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"stream": true, "max_tokens": 5, "messages": [], "anthropic_version": "vertex-2023-10-16"})
    );
}

#[test]
fn paths_by_region_and_global() {
    assert_eq!(
        format!(
            "{}{}",
            host("us-east5"),
            predict_path("p-1", "us-east5", "claude-sonnet-4-5@20250929", false)
        ),
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
    );
    assert_eq!(
        format!(
            "{}{}",
            host("global"),
            predict_path("p", "global", "claude-haiku-4-5@20251001", true)
        ),
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/claude-haiku-4-5@20251001:streamRawPredict"
    );
    assert_eq!(
        predict_path("p/x", "global", "a:b", false),
        "/v1/projects/p%2Fx/locations/global/publishers/anthropic/models/a%3Ab:rawPredict"
    );
}

#[test]
fn error_bodies_google_and_anthropic() {
    let google =
        br#"{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}"#;
    assert_eq!(
        error_message(google).as_deref(),
        Some("RESOURCE_EXHAUSTED: Quota exceeded")
    );
    let list = br#"[{"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}]"#;
    assert_eq!(
        error_message(list).as_deref(),
        Some("PERMISSION_DENIED: denied")
    );
    let anthropic =
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert_eq!(error_message(anthropic).as_deref(), Some("Overloaded"));
    assert_eq!(error_message(b"<html>"), None);
}

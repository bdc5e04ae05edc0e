//! Golden tests for Vertex's body rules (see `golden.rs` for blessing).
//! Under `vertex/`: what Claude Code sent (`input.json`, its headers, the
//! model, project and region in `target.json`) and the URL, headers, body
//! and notes that go to Vertex (`expected.json`), after the Anthropic
//! passthrough's fixes with the vertex preset's quirks. Vertex's replies
//! are Anthropic's own shapes, so there is no stream case of its own.

use std::path::Path;

use ccswitch::config::{Api, RawQuirks};
use ccswitch::proxy::translate::passthrough::{
    RawBody, anthropic_headers, encode_request, rewrite_request,
};
use ccswitch::proxy::translate::provenance::Provenance;
use ccswitch::proxy::translate::vertex::{host, predict_body, predict_headers, predict_path};
use http::{HeaderMap, HeaderName, HeaderValue};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{check_json_cases, read_json};
use crate::translate_golden::case_quirks;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    model: String,
    project: String,
    region: String,
    max_output: Option<u64>,
    stream: bool,
    headers: IndexMap<String, String>,
}

fn run_case(case: &Path) -> Value {
    let t: Target = serde_json::from_value(read_json(&case.join("target.json"))).unwrap();
    let quirks = case_quirks(Some("vertex"), Api::Vertex, &RawQuirks::default(), None);
    let text = std::fs::read_to_string(case.join("input.json")).unwrap();
    let mut body: RawBody = serde_json::from_str(&text).unwrap();
    let to = Provenance::default();
    let mut notes = rewrite_request(&mut body, &t.model, &quirks, t.max_output, &to);
    let mut client = HeaderMap::new();
    for (k, v) in &t.headers {
        client.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let headers: IndexMap<String, String> = predict_headers(&anthropic_headers(&quirks, &client))
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    notes.extend(predict_body(&mut body));
    let sent: Value = serde_json::from_slice(&encode_request(&body, &to, 0)).unwrap();
    let url = format!(
        "{}{}",
        host(&t.region),
        predict_path(&t.project, &t.region, &t.model, t.stream)
    );
    json!({"url": url, "headers": headers, "body": sent, "notes": notes})
}

#[test]
fn vertex_request_cases() {
    check_json_cases("vertex", "vertex request", run_case);
}

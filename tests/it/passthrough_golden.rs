//! Golden tests for the Anthropic passthrough rewrite: what Claude Code sent
//! (`input.json`, and its headers in `target.json`), the upstream's preset,
//! quirks and limits (`target.json`), and the body, headers and notes that
//! go upstream (`expected.json`). See `golden.rs` for blessing.

use std::path::Path;

use ccswitch::config::{Api, RawQuirks};
use ccswitch::proxy::translate::passthrough::{RawBody, anthropic_headers, rewrite_request};
use http::{HeaderMap, HeaderName, HeaderValue};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{check_json_cases, name_of, read_json};
use crate::translate_golden::case_quirks;

/// `target.json` of a passthrough case; a field left out is as in
/// `Default`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CaseTarget {
    model: String,
    /// Preset whose Anthropic endpoint quirks to start from.
    preset: Option<String>,
    quirks: RawQuirks,
    /// The model's output limit.
    max_output: Option<u64>,
    /// The client's request headers.
    headers: IndexMap<String, String>,
}

impl Default for CaseTarget {
    fn default() -> Self {
        CaseTarget {
            model: "upstream-model".into(),
            preset: None,
            quirks: RawQuirks::default(),
            max_output: None,
            headers: IndexMap::new(),
        }
    }
}

/// A passthrough case's rewrite: body, forwarded headers and notes.
pub fn run_passthrough_case(case: &Path, flip: Option<&RawQuirks>) -> Value {
    let name = name_of(case);
    let t: CaseTarget = serde_json::from_value(read_json(&case.join("target.json")))
        .unwrap_or_else(|e| panic!("{name}/target.json: {e}"));
    let quirks = case_quirks(t.preset.as_deref(), Api::Anthropic, &t.quirks, flip);
    let text = std::fs::read_to_string(case.join("input.json")).expect("input.json");
    let mut body: RawBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}/input.json: {e}"));
    let notes = rewrite_request(&mut body, &t.model, &quirks, t.max_output);
    let mut client = HeaderMap::new();
    for (k, v) in &t.headers {
        client.insert(
            HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    let mut headers: Vec<(String, String)> = anthropic_headers(&quirks, &client)
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    headers.sort();
    let sent: Value = serde_json::from_str(&serde_json::to_string(&body).expect("serializable"))
        .expect("the rewrite keeps JSON valid");
    json!({ "body": sent, "headers": headers.into_iter().collect::<IndexMap<_, _>>(), "notes": notes })
}

#[test]
fn passthrough_cases() {
    check_json_cases("passthrough", "passthrough", |case| {
        run_passthrough_case(case, None)
    });
}

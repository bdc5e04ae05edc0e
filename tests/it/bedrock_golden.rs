//! Golden tests for Bedrock's body rules and event stream (see `golden.rs`
//! for blessing). Under `bedrock/`: what Claude Code sent (`input.json`, its
//! headers in `target.json`) and the path, body and notes that go to
//! Bedrock (`expected.json`), after the Anthropic passthrough's fixes with
//! the bedrock preset's quirks. Under `bedrock-stream/`: event-stream
//! frames (`frames.json`, encoded here with CRCs and pushed in pieces of
//! `pieces` bytes, 0 for whole) and the Anthropic SSE Claude Code gets
//! (`expected.sse`).

use std::path::Path;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue as EsValue, Message};
use ccswitch::config::{Api, RawQuirks};
use ccswitch::proxy::translate::bedrock::{EventStreamSse, invoke_body, invoke_path};
use ccswitch::proxy::translate::passthrough::{
    RawBody, anthropic_headers, encode_request, rewrite_request,
};
use ccswitch::proxy::translate::provenance::Provenance;
use http::{HeaderMap, HeaderName, HeaderValue};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{case_dirs, check_json_cases, check_text, finish, fixtures, read_json};
use crate::translate_golden::case_quirks;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    model: String,
    max_output: Option<u64>,
    stream: bool,
    headers: IndexMap<String, String>,
}

fn run_case(case: &Path) -> Value {
    let t: Target = serde_json::from_value(read_json(&case.join("target.json"))).unwrap();
    let quirks = case_quirks(Some("bedrock"), Api::Bedrock, &RawQuirks::default(), None);
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
    let forwarded = anthropic_headers(&quirks, &client);
    let betas = forwarded
        .get("anthropic-beta")
        .and_then(|v| v.to_str().ok());
    notes.extend(invoke_body(&mut body, betas));
    let sent: Value = serde_json::from_slice(&encode_request(&body, &to, 0)).unwrap();
    json!({"path": invoke_path(&t.model, t.stream), "body": sent, "notes": notes})
}

#[test]
fn bedrock_request_cases() {
    check_json_cases("bedrock", "bedrock request", run_case);
}

fn mk_frame(spec: &Value) -> Vec<u8> {
    let (headers, payload): (Vec<(&str, String)>, Vec<u8>) = if let Some(e) = spec.get("event") {
        let text = if spec["pretty"] == true {
            serde_json::to_string_pretty(e).unwrap()
        } else {
            e.to_string()
        };
        let b64 = aws_smithy_types::base64::encode(text);
        let h = vec![
            (":message-type", "event".to_string()),
            (":event-type", "chunk".to_string()),
            (":content-type", "application/json".to_string()),
        ];
        (h, json!({"bytes": b64}).to_string().into_bytes())
    } else if let Some(kind) = spec["exception"].as_str() {
        let h = vec![
            (":message-type", "exception".to_string()),
            (":exception-type", kind.to_string()),
        ];
        (
            h,
            json!({"message": spec["message"]}).to_string().into_bytes(),
        )
    } else {
        let h = spec["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_string()))
            .collect();
        (h, spec["payload"].as_str().unwrap().as_bytes().to_vec())
    };
    let mut m = Message::new(payload);
    for (k, v) in headers {
        m = m.add_header(Header::new(k.to_string(), EsValue::String(v.into())));
    }
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

#[test]
fn bedrock_stream_cases() {
    let cases = case_dirs(&fixtures().join("bedrock-stream"));
    let mut failures = Vec::new();
    for case in &cases {
        let spec = read_json(&case.join("frames.json"));
        let wire: Vec<u8> = spec["frames"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(mk_frame)
            .collect();
        let pieces = spec["pieces"].as_u64().unwrap_or(0) as usize;
        let mut d = EventStreamSse::new();
        let mut out = Vec::new();
        for piece in wire.chunks(if pieces == 0 { wire.len() } else { pieces }) {
            d.push(piece, &mut out);
        }
        d.finish(&mut out);
        let sse = String::from_utf8(out).unwrap();
        if let Err(e) = check_text(&case.join("expected.sse"), &sse) {
            failures.push(e);
        }
    }
    finish(&failures, "bedrock stream", cases.len());
}

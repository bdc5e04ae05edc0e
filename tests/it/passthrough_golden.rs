//! Golden tests for the Anthropic passthrough rewrite: what Claude Code sent
//! (`input.json`, and its headers in `target.json`), the upstream's preset,
//! quirks and limits (`target.json`), and the body, headers and notes that
//! go upstream (`expected.json`). Under `passthrough-reply/`, what an
//! Anthropic-kind upstream replied (`upstream.json` or `upstream.sse`) and
//! what Claude Code gets (`expected.json` or `expected.sse`). See
//! `golden.rs` for blessing.

use std::path::Path;

use ccswitch::config::{Api, RawQuirks};
use ccswitch::proxy::translate::passthrough::{
    RawBody, SseTagger, anthropic_headers, encode_request, rewrite_request, tag_message,
};
use ccswitch::proxy::translate::provenance::Provenance;
use http::{HeaderMap, HeaderName, HeaderValue};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{
    case_dirs, check_json, check_json_cases, check_text, finish, fixtures, name_of, read_json,
};
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
    /// The config name of the provider the request goes to (history
    /// repair: whose thinking it keeps).
    provider: String,
    /// The proxy's profile spans providers.
    spans_providers: bool,
}

impl Default for CaseTarget {
    fn default() -> Self {
        CaseTarget {
            model: "upstream-model".into(),
            preset: None,
            quirks: RawQuirks::default(),
            max_output: None,
            headers: IndexMap::new(),
            provider: String::new(),
            spans_providers: false,
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
    let to = Provenance {
        provider: &t.provider,
        spans_providers: t.spans_providers,
    };
    let notes = rewrite_request(&mut body, &t.model, &quirks, t.max_output, &to);
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
    let sent: Value = serde_json::from_slice(&encode_request(&body, &to, 0))
        .expect("the rewrite keeps JSON valid");
    json!({ "body": sent, "headers": headers.into_iter().collect::<IndexMap<_, _>>(), "notes": notes })
}

/// What every body sent upstream keeps, whatever history it came with:
/// tool-call ids in Anthropic's alphabet, each result answering a call of
/// the assistant turn just before it, no empty turn, roles alternating.
fn invariants(body: &Value) -> Result<(), String> {
    let valid = |id: &str| {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let messages = body["messages"].as_array().ok_or("no messages")?;
    let mut calls: Vec<&str> = Vec::new();
    let mut prev_role = "";
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or_default();
        if role == prev_role {
            return Err(format!("message {i}: two {role} turns in a row"));
        }
        prev_role = role;
        let blocks = m["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if m["content"].is_array() && blocks.is_empty() {
            return Err(format!("message {i}: empty content"));
        }
        let of = |kind: &str, key: &str| -> Vec<&str> {
            blocks
                .iter()
                .filter(|b| b["type"] == kind)
                .filter_map(|b| b[key].as_str())
                .collect()
        };
        for id in of("tool_use", "id")
            .into_iter()
            .chain(of("tool_result", "tool_use_id"))
        {
            if !valid(id) {
                return Err(format!(
                    "message {i}: tool id {id} outside Anthropic's alphabet"
                ));
            }
        }
        for id in of("tool_result", "tool_use_id") {
            if !calls.contains(&id) {
                return Err(format!(
                    "message {i}: result {id} answers no call just before it"
                ));
            }
        }
        calls = of("tool_use", "id");
    }
    Ok(())
}

#[test]
fn passthrough_cases() {
    check_json_cases("passthrough", "passthrough", |case| {
        let out = run_passthrough_case(case, None);
        if let Err(e) = invariants(&out["body"]) {
            panic!("{}: {e}", name_of(case));
        }
        out
    });
}

/// `target.json` of a reply case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyTarget {
    /// The config name of the provider that replied.
    provider: String,
    /// The proxy's profile spans providers (else nothing is tagged).
    spans_providers: bool,
}

/// A streamed reply through the tagger in `size`-byte pieces.
fn tagged_stream(tagger: &mut Option<SseTagger>, sse: &[u8], size: usize) -> String {
    let mut out = Vec::new();
    for piece in sse.chunks(size) {
        match tagger {
            Some(t) => out.extend_from_slice(&t.push(piece)),
            None => out.extend_from_slice(piece),
        }
    }
    out.extend(tagger.as_mut().map(SseTagger::finish).unwrap_or_default());
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn passthrough_reply_cases() {
    let cases = case_dirs(&fixtures().join("passthrough-reply"));
    let mut failures = Vec::new();
    for case in &cases {
        let name = name_of(case);
        let t: ReplyTarget = serde_json::from_value(read_json(&case.join("target.json")))
            .unwrap_or_else(|e| panic!("{name}/target.json: {e}"));
        let to = Provenance {
            provider: &t.provider,
            spans_providers: t.spans_providers,
        };
        if let Ok(body) = std::fs::read(case.join("upstream.json")) {
            let out = to
                .tag()
                .and_then(|maker| tag_message(&body, maker))
                .unwrap_or(body);
            let out: Value = serde_json::from_slice(&out).expect("the tagging keeps JSON valid");
            failures.extend(check_json(&case.join("expected.json"), &out).err());
        }
        if let Ok(sse) = std::fs::read(case.join("upstream.sse")) {
            let whole = tagged_stream(&mut to.tag().map(SseTagger::new), &sse, sse.len());
            for size in [1, 5, 64] {
                let cut = tagged_stream(&mut to.tag().map(SseTagger::new), &sse, size);
                if cut != whole {
                    failures.push(format!("{name}: {size}-byte pieces differ"));
                }
            }
            if to.tag().is_none() && whole.as_bytes() != sse {
                failures.push(format!("{name}: a single-provider reply changed"));
            }
            failures.extend(check_text(&case.join("expected.sse"), &whole).err());
        }
    }
    finish(&failures, "passthrough reply", cases.len());
}

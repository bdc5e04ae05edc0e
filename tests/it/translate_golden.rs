//! Golden tests for the pure translators: Anthropic request → OpenAI request
//! and whole OpenAI response → Anthropic message (see `golden.rs` for
//! blessing).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ccswitch::config::{Api, Presets, Quirks, RawQuirks};
use ccswitch::proxy::translate::anthropic::MessagesRequest;
use ccswitch::proxy::translate::openai::ChatResponse;
use ccswitch::proxy::translate::provenance::Provenance;
use ccswitch::proxy::translate::request::{UpstreamModel, to_openai};
use ccswitch::proxy::translate::response::{ResponseCtx, from_openai};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{
    case_dirs, check_json, check_json_cases, finish, fixtures, name_of, read_json,
};

const STANDARD_MAX_OUTPUT: u64 = 8192;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

pub fn preset_quirks(preset: &str, api: Api) -> RawQuirks {
    let presets = Presets::builtin();
    let p = presets
        .get(preset)
        .unwrap_or_else(|| panic!("no preset {preset}"));
    let e = p
        .endpoint(api)
        .unwrap_or_else(|| panic!("preset {preset} has no {api} endpoint"));
    e.quirks.clone()
}

fn translated(req: &MessagesRequest, target: &UpstreamModel) -> Value {
    let t = to_openai(req, target);
    let mut out = json!({ "request": t.request, "notes": t.notes });
    if !t.renamed_tools.is_empty() {
        out["renamed_tools"] = json!(t.renamed_tools);
    }
    if let Some(query) = &t.web_search {
        out["web_search"] = json!(query);
    }
    out
}

// ------------------------------------------------------------- invariants

/// Structural rules every translated request must keep, whatever the input.
fn invariants(out: &Value, max_tokens: Option<u64>) -> Result<(), String> {
    let req = &out["request"];
    let messages = req["messages"].as_array().ok_or("no messages array")?;
    let mut open: HashSet<String> = HashSet::new();
    let mut prev_role = "";
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or_default();
        match role {
            "assistant" => {
                open = m["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect();
                if m.get("content").is_none() && open.is_empty() {
                    return Err(format!(
                        "message {i}: assistant with neither content nor tool_calls"
                    ));
                }
            }
            "tool" => {
                let id = m["tool_call_id"].as_str().unwrap_or_default();
                if !matches!(prev_role, "assistant" | "tool") || !open.remove(id) {
                    return Err(format!(
                        "message {i}: tool message {id} does not follow its call"
                    ));
                }
            }
            "system" if i > 0 => {
                return Err(format!("message {i}: system message after the first"));
            }
            _ => {
                if !open.is_empty() {
                    return Err(format!(
                        "message {i}: tool calls {open:?} left without results"
                    ));
                }
            }
        }
        prev_role = role;
    }
    for key in [
        "metadata",
        "context_management",
        "safeguards",
        "output_config",
        "top_k",
    ] {
        if req.get(key).is_some() {
            return Err(format!("top-level {key} forwarded"));
        }
    }
    for key in ["cache_control", "$schema", "defer_loading"] {
        if has_key(req, key) {
            return Err(format!("{key} found in the output"));
        }
    }
    let cap = req
        .get("max_tokens")
        .or(req.get("max_completion_tokens"))
        .and_then(Value::as_u64);
    if let (Some(cap), Some(limit)) = (cap, max_tokens)
        && cap > limit
    {
        return Err(format!("max tokens {cap} > {limit}"));
    }
    Ok(())
}

fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|v| has_key(v, key)),
        Value::Array(a) => a.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

// ------------------------------------------------- captured Claude Code requests

#[test]
fn captured_claude_code_requests() {
    let root = fixtures().join("claude-code");
    let out_root = fixtures().join("translate/claude-code");
    let quirks = preset_quirks("deepseek", Api::Openai).resolve();
    let mut files = Vec::new();
    json_files(&root, &mut files);
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files {
        let capture = read_json(&file);
        let method = capture.get("method").and_then(Value::as_str);
        let path = capture.get("path").and_then(Value::as_str);
        if method != Some("POST")
            || !matches!(path, Some("/v1/messages" | "/v1/messages/count_tokens"))
        {
            continue;
        }
        count += 1;
        let rel = file
            .strip_prefix(&root)
            .expect("under root")
            .with_extension("");
        let expected = out_root.join(format!("{}.openai.json", rel.display()));
        let req: MessagesRequest = match serde_json::from_value(capture["body"].clone()) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: body does not parse: {e}", file.display()));
                continue;
            }
        };
        let target = UpstreamModel {
            model: "upstream-model",
            quirks: &quirks,
            max_output: Some(STANDARD_MAX_OUTPUT),
            stream: req.stream.unwrap_or(false),
            provenance: Provenance::default(),
        };
        let out = translated(&req, &target);
        if let Err(e) = invariants(&out, Some(STANDARD_MAX_OUTPUT)) {
            failures.push(format!("{}: invariant: {e}", file.display()));
        }
        if let Err(e) = check_json(&expected, &out) {
            failures.push(e);
        }
    }
    finish(&failures, "captured request", count);
}

/// Same captures through every built-in OpenAI-kind endpoint: no golden
/// files, only the invariants, so a quirk combination cannot break pairing.
#[test]
fn captured_requests_keep_invariants_for_every_preset() {
    let mut files = Vec::new();
    json_files(&fixtures().join("claude-code"), &mut files);
    let mut bodies = Vec::new();
    for file in &files {
        let capture = read_json(file);
        if let Ok(req) = serde_json::from_value::<MessagesRequest>(capture["body"].clone()) {
            bodies.push((file.clone(), req));
        }
    }
    let mut failures = Vec::new();
    let mut count = 0;
    for preset in Presets::builtin().iter() {
        let Some(endpoint) = preset.endpoint(Api::Openai) else {
            continue;
        };
        for (file, req) in &bodies {
            for stream in [false, true] {
                count += 1;
                let quirks = endpoint.quirks.resolve();
                let target = UpstreamModel {
                    model: "m",
                    quirks: &quirks,
                    max_output: Some(1000),
                    stream,
                    provenance: Provenance::default(),
                };
                if let Err(e) = invariants(&translated(req, &target), Some(1000)) {
                    failures.push(format!("{} via {}: {e}", file.display(), preset.id));
                }
            }
        }
    }
    finish(&failures, "preset x capture", count);
}

// ------------------------------------------------------- hand-written cases

/// `target.json` of a request case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseTarget {
    #[serde(default = "default_model")]
    model: String,
    /// Preset whose endpoint quirks to start from (none: no quirks).
    #[serde(default)]
    preset: Option<String>,
    #[serde(default = "default_api")]
    api: Api,
    /// Overrides on top of the preset's quirks.
    #[serde(default)]
    quirks: RawQuirks,
    #[serde(default)]
    max_output: Option<u64>,
    #[serde(default)]
    stream: bool,
    /// The config name of the provider the request goes to (history
    /// repair: which thinking it gets back).
    #[serde(default)]
    provider: String,
    /// The proxy's profile spans providers.
    #[serde(default)]
    spans_providers: bool,
}

fn default_model() -> String {
    "upstream-model".into()
}

fn default_api() -> Api {
    Api::Openai
}

/// A preset's raw quirks for an API, merged with a case's overrides and a
/// flipped flag (the quirk coverage test), then resolved as config does.
pub fn case_quirks(
    preset: Option<&str>,
    api: Api,
    overrides: &RawQuirks,
    flip: Option<&RawQuirks>,
) -> Quirks {
    let base = preset.map(|p| preset_quirks(p, api)).unwrap_or_default();
    let merged = base.merged(overrides);
    flip.map_or(merged.clone(), |f| merged.merged(f)).resolve()
}

/// A request case's translation, and the output limit its invariants hold
/// it to.
pub fn run_request_case(case: &Path, flip: Option<&RawQuirks>) -> (Value, Option<u64>) {
    let name = name_of(case);
    let t: CaseTarget = serde_json::from_value(read_json(&case.join("target.json")))
        .unwrap_or_else(|e| panic!("{name}/target.json: {e}"));
    let quirks = case_quirks(t.preset.as_deref(), t.api, &t.quirks, flip);
    let req: MessagesRequest = serde_json::from_value(read_json(&case.join("input.json")))
        .unwrap_or_else(|e| panic!("{name}/input.json: {e}"));
    let target = UpstreamModel {
        model: &t.model,
        quirks: &quirks,
        max_output: t.max_output,
        stream: t.stream,
        provenance: Provenance {
            provider: &t.provider,
            spans_providers: t.spans_providers,
        },
    };
    let limit = [t.max_output, quirks.max_output_tokens]
        .into_iter()
        .flatten()
        .min();
    (translated(&req, &target), limit)
}

#[test]
fn request_cases() {
    let dir = fixtures().join("translate/cases");
    let mut failures = Vec::new();
    let cases = case_dirs(&dir);
    for case in &cases {
        let name = name_of(case);
        let (out, limit) = run_request_case(case, None);
        if let Err(e) = invariants(&out, limit) {
            failures.push(format!("{name}: invariant: {e}"));
        }
        if let Err(e) = check_json(&case.join("expected.json"), &out) {
            failures.push(e);
        }
    }
    finish(&failures, "request", cases.len());
}

// ------------------------------------------------------------ response cases

/// Optional `ctx.json` of a response case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseCtx {
    #[serde(default = "default_message_id")]
    message_id: String,
    #[serde(default = "default_reported_model")]
    model: String,
    /// Preset whose OpenAI endpoint quirks to start from.
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    quirks: RawQuirks,
    /// (sent, original) tool names, as the request translation returned them.
    #[serde(default)]
    renamed_tools: Vec<(String, String)>,
    /// The query, when the request had the upstream search for it.
    #[serde(default)]
    web_search: Option<String>,
    /// The request's stop sequences.
    #[serde(default)]
    stop_sequences: Vec<String>,
    /// The provider named in thinking signatures (a profile spanning
    /// providers).
    #[serde(default)]
    thinking_maker: Option<String>,
}

fn default_message_id() -> String {
    "msg_golden0001".into()
}

fn default_reported_model() -> String {
    "claude-sonnet-4-5".into()
}

/// A response case's translation.
pub fn run_response_case(case: &Path, flip: Option<&RawQuirks>) -> Value {
    let name = name_of(case);
    let ctx_path = case.join("ctx.json");
    let ctx: CaseCtx = if ctx_path.exists() {
        serde_json::from_value(read_json(&ctx_path))
            .unwrap_or_else(|e| panic!("{name}/ctx.json: {e}"))
    } else {
        serde_json::from_value(json!({})).expect("defaults")
    };
    let quirks = case_quirks(ctx.preset.as_deref(), Api::Openai, &ctx.quirks, flip);
    let resp: ChatResponse = serde_json::from_value(read_json(&case.join("upstream.json")))
        .unwrap_or_else(|e| panic!("{name}/upstream.json: {e}"));
    let rctx = ResponseCtx {
        message_id: &ctx.message_id,
        model: &ctx.model,
        quirks: &quirks,
        renamed_tools: &ctx.renamed_tools,
        web_search: ctx.web_search.as_deref(),
        stop_sequences: &ctx.stop_sequences,
        thinking_maker: ctx.thinking_maker.as_deref(),
    };
    serde_json::to_value(from_openai(&resp, &rctx)).expect("serializable")
}

#[test]
fn response_cases() {
    check_json_cases("response", "response", |case| run_response_case(case, None));
}

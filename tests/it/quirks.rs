//! Every quirk is read: each flag a preset or config can set has a golden
//! case whose output changes when the flag flips. A flag no code reads
//! cannot pass, and a new flag without a case fails to compile here.

use std::path::PathBuf;

use ccswitch::config::RawQuirks;
use ccswitch::config::quirks::{
    MaxTokensField, NativeSearch, ReasoningField, SchemaDialect, ThinkingParam, ToolIdFormat,
};
use serde_json::Value;

use crate::golden::fixtures;
use crate::passthrough_golden::run_passthrough_case;
use crate::stream_golden::run_stream_case;
use crate::translate_golden::{run_request_case, run_response_case};
use crate::web_search_golden::run_web_search_case;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Request,
    Response,
    Stream,
    Passthrough,
    WebSearch,
}

/// Quirk, the golden case that shows it, and the setting that must change
/// that case's output.
const COVERAGE: &[(&str, Kind, &str, &str)] = &[
    (
        "safeguards",
        Kind::Passthrough,
        "safeguards",
        r#"{"safeguards": true}"#,
    ),
    (
        "billing_header",
        Kind::Passthrough,
        "tool-search",
        r#"{"billing_header": true}"#,
    ),
    (
        "stop_sequences",
        Kind::Request,
        "sampling-stop-topk",
        r#"{"stop_sequences": 2}"#,
    ),
    (
        "web_search",
        Kind::WebSearch,
        "anthropic-kind-upstream",
        r#"{"web_search": true}"#,
    ),
    (
        "native_search",
        Kind::Request,
        "native-search-glm",
        r#"{"native_search": "off"}"#,
    ),
    (
        "tool_search",
        Kind::Passthrough,
        "tool-search",
        r#"{"tool_search": true}"#,
    ),
    (
        "max_output_tokens",
        Kind::Request,
        "max-tokens-quirk-cap",
        r#"{"max_output_tokens": 6000}"#,
    ),
    (
        "max_output_tokens",
        Kind::Passthrough,
        "drop-fields-and-cap",
        r#"{"max_output_tokens": 20000}"#,
    ),
    (
        "prompt_caching",
        Kind::Passthrough,
        "deepseek",
        r#"{"prompt_caching": true}"#,
    ),
    (
        "images",
        Kind::Request,
        "images-disabled",
        r#"{"images": true}"#,
    ),
    (
        "images",
        Kind::Passthrough,
        "minimax",
        r#"{"images": true}"#,
    ),
    (
        "drop_betas",
        Kind::Passthrough,
        "defaults",
        r#"{"drop_betas": true}"#,
    ),
    (
        "drop_fields",
        Kind::Passthrough,
        "drop-fields-and-cap",
        r#"{"drop_fields": []}"#,
    ),
    (
        "max_tokens_field",
        Kind::Request,
        "max-tokens-openai",
        r#"{"max_tokens_field": "max_tokens"}"#,
    ),
    (
        "reasoning_field",
        Kind::Request,
        "thinking-history-echo-openrouter",
        r#"{"reasoning_field": "reasoning_content"}"#,
    ),
    (
        "reasoning_field",
        Kind::Response,
        "reasoning-details-openrouter",
        r#"{"reasoning_field": "reasoning"}"#,
    ),
    (
        "reasoning_field",
        Kind::Stream,
        "reasoning-details-openrouter",
        r#"{"reasoning_field": "reasoning"}"#,
    ),
    (
        "reasoning_echo",
        Kind::Request,
        "thinking-history-echo-deepseek",
        r#"{"reasoning_echo": false}"#,
    ),
    (
        "think_tags",
        Kind::Response,
        "think-tags",
        r#"{"think_tags": false}"#,
    ),
    (
        "think_tags",
        Kind::Stream,
        "think-tags",
        r#"{"think_tags": false}"#,
    ),
    (
        "think_tags",
        Kind::Request,
        "thinking-history-echo-minimax",
        r#"{"think_tags": false}"#,
    ),
    (
        "thinking_param",
        Kind::Request,
        "thinking-object-deepseek",
        r#"{"thinking_param": "enable_thinking"}"#,
    ),
    (
        "include_usage",
        Kind::Request,
        "gemini-schema",
        r#"{"include_usage": false}"#,
    ),
    (
        "parallel_tool_calls",
        Kind::Request,
        "tool-choice-auto-parallel-unsupported",
        r#"{"parallel_tool_calls": true}"#,
    ),
    (
        "schema_strip",
        Kind::Request,
        "schema-strip-mistral",
        r#"{"schema_strip": []}"#,
    ),
    (
        "schema_dialect",
        Kind::Request,
        "gemini-schema",
        r#"{"schema_dialect": "standard"}"#,
    ),
    (
        "tool_call_id",
        Kind::Request,
        "mistral-alnum9-ids",
        r#"{"tool_call_id": "any"}"#,
    ),
    (
        "thought_signatures",
        Kind::Request,
        "gemini-schema",
        r#"{"thought_signatures": false}"#,
    ),
];

fn case_dir(kind: Kind, case: &str) -> PathBuf {
    let sub = match kind {
        Kind::Request => "translate/cases",
        Kind::Response => "response",
        Kind::Stream => "stream",
        Kind::Passthrough => "passthrough",
        Kind::WebSearch => "web_search",
    };
    fixtures().join(sub).join(case)
}

fn run(kind: Kind, case: &str, flip: Option<&RawQuirks>) -> Value {
    let dir = case_dir(kind, case);
    match kind {
        Kind::Request => run_request_case(&dir, flip).0,
        Kind::Response => run_response_case(&dir, flip),
        Kind::Stream => Value::String(run_stream_case(&dir, flip)),
        Kind::Passthrough => run_passthrough_case(&dir, flip),
        Kind::WebSearch => {
            let (calls, sse) = run_web_search_case(&dir, flip);
            serde_json::json!({"calls": calls, "sse": sse})
        }
    }
}

/// Every field of the raw table, set: the struct literal names them all,
/// so adding a quirk without listing it here does not compile.
fn every_quirk() -> Vec<String> {
    let all = RawQuirks {
        max_output_tokens: Some(1),
        prompt_caching: Some(true),
        images: Some(true),
        drop_betas: Some(true),
        drop_fields: Some(Vec::new()),
        max_tokens_field: Some(MaxTokensField::MaxTokens),
        reasoning_field: Some(ReasoningField::Reasoning),
        reasoning_echo: Some(true),
        think_tags: Some(true),
        thinking_param: Some(ThinkingParam::None),
        include_usage: Some(true),
        parallel_tool_calls: Some(true),
        schema_strip: Some(Vec::new()),
        schema_dialect: Some(SchemaDialect::Standard),
        tool_call_id: Some(ToolIdFormat::Any),
        thought_signatures: Some(true),
        web_search: Some(true),
        native_search: Some(NativeSearch::Off),
        tool_search: Some(true),
        safeguards: Some(true),
        stop_sequences: Some(1),
        billing_header: Some(true),
    };
    let Value::Object(fields) = serde_json::to_value(all).expect("serializable") else {
        panic!("quirks serialize as a table")
    };
    fields.keys().cloned().collect()
}

#[test]
fn every_quirk_has_a_case_and_changes_it_when_flipped() {
    let mut problems = Vec::new();
    for quirk in every_quirk() {
        if !COVERAGE.iter().any(|(q, ..)| *q == quirk) {
            problems.push(format!("{quirk}: no golden case shows what it does"));
        }
    }
    for (quirk, kind, case, flip) in COVERAGE {
        let flip: RawQuirks = serde_json::from_str(flip).expect("a raw quirks table");
        let set = serde_json::to_value(&flip).expect("serializable");
        if set
            .as_object()
            .is_none_or(|o| o.len() != 1 || !o.contains_key(*quirk))
        {
            problems.push(format!("{quirk}: its flip must set exactly that quirk"));
            continue;
        }
        if !case_dir(*kind, case).is_dir() {
            problems.push(format!("{quirk}: {kind:?} case {case} does not exist"));
            continue;
        }
        if run(*kind, case, None) == run(*kind, case, Some(&flip)) {
            problems.push(format!(
                "{quirk}: flipping it leaves {kind:?} case {case} unchanged (is it read?)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same guard for what presets actually set: a key a preset writes is
/// one the table above covers (a TOML key unknown to the raw table would
/// already fail to load).
#[test]
fn every_quirk_a_preset_sets_is_covered() {
    let covered: Vec<&str> = COVERAGE.iter().map(|(q, ..)| *q).collect();
    for preset in ccswitch::config::Presets::builtin().iter() {
        for endpoint in preset.endpoints.values() {
            let set = serde_json::to_value(&endpoint.quirks).expect("serializable");
            for key in set.as_object().into_iter().flat_map(|o| o.keys()) {
                assert!(
                    covered.contains(&key.as_str()),
                    "preset {} sets quirk {key}, which no golden case covers",
                    preset.id
                );
            }
        }
    }
}

/// A model the config marks `vision = false` (DeepSeek's, whose OpenAI
/// endpoint takes image parts for nothing) gets a notice in an image's
/// place on either path, not the image: before, the OpenAI path sent it
/// as `image_url` whenever the provider's endpoint accepted images.
#[tokio::test]
async fn a_text_only_model_gets_a_notice_for_an_image_on_either_path() {
    use crate::support::mock::Mock;
    use crate::support::proxy::mk_proxy_config;
    for (api, path, notice) in [
        ("openai", "/v1", "cannot receive images"),
        ("anthropic", "/anthropic", "omitted"),
    ] {
        let up = Mock::start().await;
        let src = format!(
            "[providers.ds]\npreset = \"deepseek\"\napi = \"{api}\"\nbase_url = \"{}\"\n\
             key = {{ keyring = true }}\n\
             [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n",
            up.url(path)
        );
        let p = mk_proxy_config(&src, &[("ds", "sk-x")], |_| {}).await;
        let body = serde_json::json!({"model": "deepseek-v4-pro", "max_tokens": 10, "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg"}}
        ]}]});
        let _ = p.post("/v1/messages", &body).await;
        let sent = up.last().body;
        assert!(
            !sent.contains("iVBORw0KGgo"),
            "{api}: the image went: {sent}"
        );
        assert!(sent.contains(notice), "{api}: no notice: {sent}");
    }
}

//! Auto mode's classifier on every preset: its captured stage-1 request
//! (tests/fixtures/claude-code/auto-mode-classifier.json) translated for
//! each preset's endpoints, and a verdict in each preset's own reply style
//! translated back, must leave Claude Code a verdict it can read: the stop
//! sequence within the provider's limit (or applied by the proxy), a
//! `max_tokens` the model allows, and no reasoning in the answer's text.

use ccswitch::config::quirks::ReasoningField;
use ccswitch::config::{Api, Presets};
use ccswitch::proxy::translate::anthropic::{MessagesRequest, OutBlock, StopReason};
use ccswitch::proxy::translate::openai::ChatResponse;
use ccswitch::proxy::translate::passthrough::{RawBody, rewrite_request};
use ccswitch::proxy::translate::provenance::Provenance;
use ccswitch::proxy::translate::request::{UpstreamModel, to_openai};
use ccswitch::proxy::translate::response::{ResponseCtx, from_openai};
use serde_json::{Value, json};

use crate::golden::fixtures;

const PROMPT_HEAD: &str = "You are a security monitor for autonomous AI coding agents.";
/// Reasoning that names both verdicts: in the text, Claude Code would find
/// no single verdict and ask again (ten times, then refuse the action).
const MUSING: &str = "Deleting a folder: <block>yes or <block>no? The user asked for it.";

fn body() -> Value {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("claude-code/auto-mode-classifier.json")).unwrap(),
    )
    .unwrap();
    v["body"].clone()
}

/// The preset's verdict "allow" as its upstream would send it: reasoning
/// where it sends reasoning, then the verdict, past the stop sequence when
/// the upstream was not given it.
fn reply(field: ReasoningField, think_tags: bool, stopped: bool) -> ChatResponse {
    let verdict = if stopped {
        "<block>no"
    } else {
        "<block>no</block><reason>the user asked</reason>"
    };
    let mut message = json!({"role": "assistant"});
    if think_tags {
        message["content"] = json!(format!("<think>{MUSING}</think>{verdict}"));
    } else {
        message["content"] = json!(verdict);
        match field {
            ReasoningField::ReasoningContent => message["reasoning_content"] = json!(MUSING),
            ReasoningField::Reasoning => message["reasoning"] = json!(MUSING),
            ReasoningField::ReasoningDetails => {
                message["reasoning_details"] = json!([{"type": "reasoning.text", "text": MUSING}]);
            }
        }
    }
    serde_json::from_value(json!({"id": "c", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 35000, "completion_tokens": 12}}))
    .unwrap()
}

#[test]
fn every_preset_keeps_the_verdict_readable() {
    let presets = Presets::builtin();
    let body = body();
    let req: MessagesRequest = serde_json::from_value(body.clone()).unwrap();
    let asked = req.max_tokens.unwrap();
    let mut checked = Vec::new();
    for p in presets.iter() {
        let model = p
            .suggested
            .main
            .clone()
            .unwrap_or_else(|| "some-model".to_string());
        let max_output = p.models.get(&model).and_then(|m| m.max_output);
        for (api, e) in &p.endpoints {
            let q = e.quirks.resolve();
            let cap = [max_output, q.max_output_tokens]
                .into_iter()
                .flatten()
                .min();
            let want_tokens = cap.map_or(asked, |c| c.min(asked));
            let who = format!("{} ({api})", p.id);
            match api {
                Api::Openai => {
                    let target = UpstreamModel {
                        model: &model,
                        quirks: &q,
                        max_output,
                        stream: false,
                        provenance: Provenance::default(),
                    };
                    let out = serde_json::to_value(to_openai(&req, &target).request).unwrap();
                    let sent = q.stop_sequences > 0;
                    let stop = out.get("stop").cloned().unwrap_or(Value::Null);
                    assert_eq!(
                        stop,
                        if sent {
                            json!(["</block>"])
                        } else {
                            Value::Null
                        },
                        "{who}"
                    );
                    let tokens = out["max_tokens"]
                        .as_u64()
                        .or(out["max_completion_tokens"].as_u64());
                    assert_eq!(tokens, Some(want_tokens), "{who}");
                    let system = out["messages"][0]["content"].as_str().unwrap_or_default();
                    assert!(system.starts_with(PROMPT_HEAD), "{who}: {system:.80}");
                    let stops = ["</block>".to_string()];
                    let ctx = ResponseCtx {
                        message_id: "msg_cl",
                        model: "classifier",
                        quirks: &q,
                        renamed_tools: &[],
                        web_search: None,
                        stop_sequences: &stops,
                        thinking_maker: None,
                    };
                    let msg = from_openai(&reply(q.reasoning_field, q.think_tags, sent), &ctx);
                    let text: String = msg
                        .content
                        .iter()
                        .filter_map(|b| match b {
                            OutBlock::Text { text } => Some(text.as_str()),
                            _ => None,
                        })
                        .collect();
                    assert_eq!(text, "<block>no", "{who}: {msg:?}");
                    // Without the stop, the proxy stopped there itself.
                    if !sent {
                        assert_eq!(msg.stop_reason, Some(StopReason::StopSequence), "{who}");
                        assert_eq!(msg.stop_sequence.as_deref(), Some("</block>"), "{who}");
                    }
                }
                Api::Anthropic => {
                    let mut raw: RawBody = serde_json::from_value(body.clone()).unwrap();
                    rewrite_request(&mut raw, &model, &q, max_output, &Provenance::default());
                    let out: Value =
                        serde_json::from_str(&serde_json::to_string(&raw).unwrap()).unwrap();
                    assert_eq!(out["stop_sequences"], json!(["</block>"]), "{who}");
                    assert_eq!(out["max_tokens"].as_u64(), Some(want_tokens), "{who}");
                    let first = out["system"][0]["text"].as_str().unwrap_or_default();
                    if q.billing_header {
                        assert!(first.starts_with("x-anthropic-billing-header"), "{who}");
                    } else {
                        assert!(first.starts_with(PROMPT_HEAD), "{who}: {first:.80}");
                    }
                }
                _ => continue,
            }
            checked.push(who);
        }
    }
    assert!(checked.len() > 30, "{checked:?}");
}

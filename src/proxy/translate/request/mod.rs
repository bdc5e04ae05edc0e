//! Anthropic Messages request → OpenAI Chat Completions request.
//!
//! Pure: no I/O, no clock, no randomness. Anything that cannot be carried
//! over is dropped or replaced and reported in `notes` (never prompt text).

mod echo;
mod messages;

pub(crate) use messages::BILLING_NOTE;

use serde_json::{Value, json};

use self::messages::Conv;
use super::anthropic::MessagesRequest;
use super::notes::Notes;
use super::openai::{ChatRequest, StreamOptions};
use super::provenance::Provenance;
use super::schema::{functions, loaded_tools, tool_choice};
use crate::config::Quirks;
use crate::config::quirks::{MaxTokensField, ThinkingParam};

/// The model a request is translated for, with what its provider accepts.
pub struct UpstreamModel<'a> {
    /// Upstream model id to send.
    pub model: &'a str,
    pub quirks: &'a Quirks,
    /// The model's output-token limit, if known.
    pub max_output: Option<u64>,
    pub stream: bool,
    /// The provider the request goes to: which of the history's thinking
    /// it gets back as its reasoning.
    pub provenance: Provenance<'a>,
}

pub struct Translated {
    pub request: ChatRequest,
    /// What was dropped or changed, one line each, for the server log.
    /// Never contains prompt text.
    pub notes: Vec<String>,
    /// Tool names sent in a short form, as (sent, original): responses
    /// map them back.
    pub renamed_tools: Vec<(String, String)>,
    /// The query, when the upstream's own search runs the request's web
    /// search tool (`native_search`): the response reports its sources.
    pub web_search: Option<String>,
}

pub fn to_openai(req: &MessagesRequest, target: &UpstreamModel) -> Translated {
    let q = target.quirks;
    let mut notes = Notes::default();
    let loaded = loaded_tools(req);
    let tools = functions(
        req.tools.as_deref().unwrap_or_default(),
        &loaded,
        q,
        &mut notes,
    );
    let (choice, parallel) = tool_choice(req.tool_choice.as_ref(), &tools, q, &mut notes);
    let mut out = ChatRequest {
        model: target.model.to_string(),
        messages: Conv::new(q, target.provenance, &mut notes).run(req),
        temperature: req.temperature,
        top_p: req.top_p,
        stream: Some(target.stream),
        tool_choice: choice,
        parallel_tool_calls: parallel,
        tools: (!tools.is_empty()).then_some(tools),
        ..ChatRequest::default()
    };
    if target.stream && q.include_usage {
        out.stream_options = Some(StreamOptions {
            include_usage: true,
        });
    }
    let max_tokens = max_tokens(req.max_tokens, target, &mut notes);
    match q.max_tokens_field {
        MaxTokensField::MaxCompletionTokens => out.max_completion_tokens = max_tokens,
        MaxTokensField::MaxTokens => out.max_tokens = max_tokens,
    }
    if req.top_k.is_some() {
        notes.add("dropped top_k: OpenAI Chat Completions has no top_k");
    }
    if let Some(stops) = req.stop_sequences.as_ref().filter(|s| !s.is_empty()) {
        // Past the upstream's limit the proxy cuts whole replies itself
        // (`response::cut_at_stop`): auto mode's classifier needs its
        // `</block>` stop on models that reject `stop` altogether.
        let max = usize::try_from(q.stop_sequences).unwrap_or(usize::MAX);
        if stops.len() > max {
            let n = stops.len();
            notes.add(format!(
                "sent {} of {n} stop sequences (the upstream's limit); the proxy applies the rest to whole replies",
                n.min(max)
            ));
        }
        if max > 0 {
            out.stop = Some(stops.iter().take(max).cloned().collect());
        }
    }
    thinking(req, q, &mut out);
    // Only a whole reply carries the sources; the web search loop, which
    // sends these requests, never streams them.
    let web_search = if target.stream {
        None
    } else {
        super::native_search::switch_on(req, q.native_search, &mut out)
    };
    if web_search.is_some() {
        notes.add("sent the web_search server tool as the upstream's own web search");
    }
    let renamed_tools = super::tool_names::shorten(&mut out);
    for (sent, original) in &renamed_tools {
        notes.add(format!(
            "sent tool {original} as {sent} (OpenAI-kind names: 64 of a-z A-Z 0-9 _ -)"
        ));
    }
    Translated {
        request: out,
        notes: notes.into_vec(),
        renamed_tools,
        web_search,
    }
}

fn max_tokens(requested: Option<u64>, target: &UpstreamModel, notes: &mut Notes) -> Option<u64> {
    let requested = requested?;
    // A zero limit is a configuration slip, not a real cap.
    let limits = [target.max_output, target.quirks.max_output_tokens];
    match limits.into_iter().flatten().filter(|&c| c > 0).min() {
        Some(cap) if requested > cap => {
            notes.add(format!("clamped max_tokens {requested} to {cap}"));
            Some(cap)
        }
        _ => Some(requested),
    }
}

/// Requested reasoning: absent, explicitly off, or on at an effort level.
enum Reasoning {
    Absent,
    Off,
    On(&'static str),
}

fn reasoning(req: &MessagesRequest) -> Reasoning {
    let Some(t) = &req.thinking else {
        return Reasoning::Absent;
    };
    if t.kind == "disabled" {
        return Reasoning::Off;
    }
    // An explicit effort is the more direct knob, so it beats a budget.
    let effort = req.output_config.as_ref().and_then(|o| o.effort.as_deref());
    Reasoning::On(match (effort, t.budget_tokens) {
        (Some("low"), _) => "low",
        (Some("medium"), _) => "medium",
        (Some("high" | "xhigh" | "max"), _) => "high",
        (_, Some(b)) if b <= 4096 => "low",
        (_, Some(b)) if b <= 16384 => "medium",
        (_, Some(_)) => "high",
        // Adaptive without an effort: "medium" is OpenAI's own default.
        (_, None) => "medium",
    })
}

/// Without `thinking` in the request no switch is sent and the provider's
/// default applies: some models cannot turn reasoning off and would reject
/// an explicit "disabled" that Claude Code never asked for.
fn thinking(req: &MessagesRequest, q: &Quirks, out: &mut ChatRequest) {
    let want = reasoning(req);
    let on = !matches!(want, Reasoning::Off);
    match (q.thinking_param, want) {
        (_, Reasoning::Absent) | (ThinkingParam::None, _) => {}
        (ThinkingParam::ReasoningEffort, Reasoning::On(level)) => {
            out.reasoning_effort = Some(level.into());
        }
        // No portable "off" level: OpenAI wants "minimal" or "none" by model.
        (ThinkingParam::ReasoningEffort, Reasoning::Off) => {}
        (ThinkingParam::ThinkingObject, _) => {
            let kind = if on { "enabled" } else { "disabled" };
            out.extra.insert("thinking".into(), json!({ "type": kind }));
        }
        (ThinkingParam::EnableThinking, _) => {
            out.extra.insert("enable_thinking".into(), Value::Bool(on));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effort(thinking: Value, effort: Option<&str>) -> String {
        let req = json!({"model": "m", "messages": [], "thinking": thinking, "output_config": {"effort": effort}});
        let req: MessagesRequest = serde_json::from_value(req).unwrap_or_else(|e| panic!("{e}"));
        match reasoning(&req) {
            Reasoning::On(level) => level.into(),
            Reasoning::Off => "off".into(),
            Reasoning::Absent => "absent".into(),
        }
    }

    #[test]
    fn budget_and_effort_map_to_levels() {
        let budget = |b: u64| effort(json!({"type": "enabled", "budget_tokens": b}), None);
        assert_eq!(
            [budget(1024), budget(4096), budget(4097)],
            ["low", "low", "medium"]
        );
        assert_eq!(
            [budget(16384), budget(16385), budget(31999)],
            ["medium", "high", "high"]
        );
        let adaptive = json!({"type": "adaptive"});
        assert_eq!(effort(adaptive.clone(), None), "medium");
        assert_eq!(effort(adaptive.clone(), Some("max")), "high");
        assert_eq!(
            effort(
                json!({"type": "enabled", "budget_tokens": 31999}),
                Some("low")
            ),
            "low"
        );
        assert_eq!(effort(json!({"type": "disabled"}), Some("high")), "off");
        assert_eq!(effort(Value::Null, Some("high")), "absent");
    }
}

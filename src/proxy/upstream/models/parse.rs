//! Model-list bodies as model ids and, where the provider says, each
//! model's context window and output cap. Pure: no I/O.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

/// One model of a provider's list, with what the list says about its size.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ListedModel {
    pub id: String,
    /// Context window in tokens, when the list gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<u64>,
    /// Output tokens per request, when the list gives a cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
}

/// A model known by id alone (tests, typed ids).
impl From<&str> for ListedModel {
    fn from(id: &str) -> ListedModel {
        ListedModel {
            id: id.to_string(),
            ..ListedModel::default()
        }
    }
}

/// Where lists put a model's context window, most specific first. What the
/// serving endpoint allows (OpenRouter's `top_provider`, vLLM's
/// `max_model_len`, LM Studio's loaded length) comes before what the model
/// was trained for, since it is what a request has to fit.
const CONTEXT_KEYS: &[&str] = &[
    "/top_provider/context_length", // OpenRouter: the endpoint it routes to
    "/loaded_context_length",       // LM Studio (/api/v0/models), when loaded
    "/max_model_len",               // vLLM
    "/context_length",              // OpenRouter, Together, Fireworks, Moonshot
    "/context_window",              // Groq
    "/max_context_length",          // Mistral, LM Studio
    "/max_input_tokens",            // LiteLLM's model info
];

const OUTPUT_KEYS: &[&str] = &[
    "/top_provider/max_completion_tokens", // OpenRouter
    "/max_completion_tokens",              // Groq
    "/max_output_tokens",                  // LiteLLM's model info
];

/// Parse one model-list body into model ids, deduplicated and sorted.
///
/// Accepts OpenAI/Anthropic `{"data":[{"id":..}]}`, Ollama-native
/// `{"models":[{"name"|"model":..}]}` and a bare array of `{"id":..}`
/// objects (plain strings are taken as ids too). A leading `models/` is
/// stripped (Gemini's OpenAI layer says `models/gemini-2.5-pro`, but wants
/// `gemini-2.5-pro` in requests). `None` when the body is not JSON or holds
/// no list; an empty list is `Some(vec![])`.
///
/// Order: providers return their lists in undocumented and differing
/// orders (Anthropic newest first, OpenAI arbitrary, Ollama by modification
/// time, OpenRouter by its own ranking), so the result is sorted: the same
/// provider gives the same output run after run, it diffs and greps well,
/// and families (`deepseek-…`, `qwen3-…`) sit together in long lists. The
/// sort ignores case, so `MiniMax-M3` or `Qwen/…` do not all go before the
/// lowercase ids, and is stable, so ids differing only in case keep the
/// provider's order. Duplicates (a model listed twice, or overlapping
/// pages) are dropped first, keeping the first.
pub fn parse_models(body: &[u8]) -> Option<Vec<String>> {
    parse_listing(body).map(ids)
}

/// [`parse_models`] with each model's context window and output cap, where
/// the list has them (see [`CONTEXT_KEYS`]).
pub fn parse_listing(body: &[u8]) -> Option<Vec<ListedModel>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    raw_listing(&v).map(tidy)
}

/// The ids alone, for callers that show or check names.
pub fn ids(listed: Vec<ListedModel>) -> Vec<String> {
    listed.into_iter().map(|m| m.id).collect()
}

/// The models in one parsed body, in the provider's order.
pub(super) fn raw_listing(v: &Value) -> Option<Vec<ListedModel>> {
    let (list, keys): (&Vec<Value>, &[&str]) = match v {
        Value::Array(a) => (a, &["id"]),
        Value::Object(o) => match (o.get("data"), o.get("models")) {
            (Some(Value::Array(a)), _) => (a, &["id"]),
            (None, Some(Value::Array(a))) => (a, &["name", "model"]),
            _ => return None,
        },
        _ => return None,
    };
    let models: Vec<ListedModel> = list
        .iter()
        .filter_map(|e| {
            let id = match e {
                Value::String(s) => s.as_str(),
                Value::Object(o) => keys.iter().find_map(|k| o.get(*k)?.as_str())?,
                _ => return None,
            };
            let id = id.strip_prefix("models/").unwrap_or(id);
            (!id.is_empty()).then(|| ListedModel {
                id: id.to_string(),
                context: tokens(e, CONTEXT_KEYS),
                max_output: tokens(e, OUTPUT_KEYS),
            })
        })
        .collect();
    // A non-empty array with no id anywhere is something else.
    if models.is_empty() && !list.is_empty() {
        return None;
    }
    Some(models)
}

/// The first usable token count under `keys`. Zero or a fraction is no
/// answer (some lists say `0` or `null` for "unknown"); some servers send
/// whole numbers as floats (`131072.0`).
fn tokens(entry: &Value, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| {
        let v = entry.pointer(k)?;
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f > 0.0 && *f < 1e15)
                .map(|f| f as u64)
        })?;
        (n > 0).then_some(n)
    })
}

/// Deduplicate (first wins), then sort by id ignoring case, stably.
pub(super) fn tidy(models: Vec<ListedModel>) -> Vec<ListedModel> {
    let mut seen = HashSet::new();
    let mut out: Vec<ListedModel> = models
        .into_iter()
        .filter(|m| seen.insert(m.id.clone()))
        .collect();
    out.sort_by_cached_key(|m| m.id.to_lowercase());
    out
}

//! Ollama's context windows. Its OpenAI-compatible `/v1/models` gives
//! none, so each listed model is asked with Ollama's own
//! `POST /api/show`, several at once and all within [`SHOW_LIMIT`]: a
//! model that is not answered for in time (or at all) stays without one,
//! as it was before.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::super::client::Upstream;
use super::super::reply::Reply;
use super::parse::ListedModel;

/// Every `/api/show` of one listing ends by then. Ollama reads the answer
/// from the model file's header on this machine: milliseconds, unless the
/// server is busy loading a model.
const SHOW_LIMIT: Duration = Duration::from_secs(3);
/// Asked at once: a local server with dozens of models is not flooded.
const AT_ONCE: usize = 8;
/// An answer holds the model's template, licence and tokenizer facts:
/// tens of KB, sometimes a few MB with the vocabulary.
const MAX_SHOW_BODY: usize = 16 * 1024 * 1024;

/// Whether the provider is an Ollama server (its preset's).
pub(super) fn is_ollama(up: &Upstream) -> bool {
    up.provider.preset.as_deref() == Some("ollama")
}

/// Fill in the window of each model the list gave none for.
pub(super) async fn fill(up: &Upstream, models: &mut [ListedModel]) {
    let Some(url) = show_url(up) else {
        return;
    };
    let deadline = Instant::now() + SHOW_LIMIT;
    let asks = models
        .iter()
        .enumerate()
        .filter(|(_, m)| m.context.is_none())
        .map(|(i, m)| {
            let (url, id) = (url.as_str(), m.id.as_str());
            async move {
                let found = tokio::time::timeout_at(deadline, context(up, url, id)).await;
                (i, found.ok().flatten())
            }
        });
    let found: Vec<(usize, Option<u64>)> =
        stream::iter(asks).buffer_unordered(AT_ONCE).collect().await;
    for (i, context) in found {
        if let (Some(m), Some(n)) = (models.get_mut(i), context) {
            m.context = Some(n);
        }
    }
}

/// `/api/show` at Ollama's root: the base URL without the `/v1` of its
/// OpenAI endpoint (its Anthropic endpoint is the root already).
pub(super) fn show_url(up: &Upstream) -> Option<String> {
    let base = up.provider.base_url.as_ref()?;
    let base = base.as_str().trim_end_matches('/');
    Some(format!(
        "{}/api/show",
        base.strip_suffix("/v1").unwrap_or(base)
    ))
}

/// One model's window, or `None` for any failure.
async fn context(up: &Upstream, url: &str, id: &str) -> Option<u64> {
    let resp = up.post(url).json(&json!({"model": id})).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let body = Reply::from(resp)
        .read_capped(MAX_SHOW_BODY, SHOW_LIMIT)
        .await
        .ok()?;
    show_context(&serde_json::from_slice(&body).ok()?)
}

/// The window in an `/api/show` answer: `num_ctx` in its `parameters`
/// (what Ollama runs the model with, which is what a request has to fit)
/// before `<arch>.context_length` in its `model_info` (what the model was
/// trained for).
pub(super) fn show_context(v: &Value) -> Option<u64> {
    let num_ctx = v
        .get("parameters")
        .and_then(Value::as_str)
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next()? == "num_ctx").then(|| words.next())?
            })
        })
        .and_then(|n| n.trim_matches('"').parse::<u64>().ok());
    let trained = || {
        let info = v.get("model_info")?.as_object()?;
        let arch = info.get("general.architecture").and_then(Value::as_str);
        arch.and_then(|a| info.get(&format!("{a}.context_length")))
            .or_else(|| {
                info.iter()
                    .find(|(k, _)| k.ends_with(".context_length"))
                    .map(|(_, v)| v)
            })?
            .as_u64()
    };
    num_ctx
        .filter(|n| *n > 0)
        .or_else(|| trained().filter(|n| *n > 0))
}

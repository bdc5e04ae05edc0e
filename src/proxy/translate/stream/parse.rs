//! Upstream `data:` payloads for the streaming translator: parsing them into
//! chunks (tolerating shapes real providers send), and mapping upstream
//! errors and malformed data to Anthropic errors.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;

use crate::proxy::translate::anthropic::ErrorBody;
use crate::proxy::translate::openai::ChatChunk;

/// How much of a malformed payload an error message quotes.
const QUOTE_CHARS: usize = 60;

pub(super) fn api_error(message: &str) -> ErrorBody {
    ErrorBody {
        kind: "api_error".into(),
        message: message.into(),
    }
}

/// A data payload as a chunk, or the error event it amounts to.
pub(super) fn parse_chunk(data: &str) -> Result<ChatChunk, ErrorBody> {
    // Fast path: a well-formed chunk parses straight into the wire type; the
    // generic Value detour below is only for errors and odd shapes.
    if let Ok(chunk) = serde_json::from_str::<ChatChunk>(data)
        && chunk.error.as_ref().is_none_or(Value::is_null)
    {
        return Ok(chunk);
    }
    let mut value: Value = serde_json::from_str(data).map_err(|_| {
        api_error(&format!(
            "the upstream sent malformed stream data (not JSON): {}",
            quote(data)
        ))
    })?;
    if let Some(error) = value
        .get("error")
        .filter(|e| e.is_object() || e.is_string())
    {
        return Err(upstream_error(error));
    }
    normalize(&mut value);
    serde_json::from_value(value).map_err(|e| {
        api_error(&format!(
            "the upstream sent a stream chunk of an unexpected shape ({e}): {}",
            quote(data)
        ))
    })
}

/// Shapes real providers send that the wire types would reject: `arguments`
/// as a JSON object instead of a string, `null` for `delta` or `function`.
fn normalize(chunk: &mut Value) {
    let choices = chunk.get_mut("choices").and_then(Value::as_array_mut);
    for choice in choices
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        choice.retain(|k, v| k != "delta" || !v.is_null());
        let calls = choice
            .get_mut("delta")
            .and_then(|d| d.get_mut("tool_calls"));
        for call in calls.and_then(Value::as_array_mut).into_iter().flatten() {
            let Some(call) = call.as_object_mut() else {
                continue;
            };
            call.retain(|k, v| k != "function" || !v.is_null());
            let args = call
                .get_mut("function")
                .and_then(|f| f.get_mut("arguments"));
            if let Some(args) = args.filter(|a| a.is_object() || a.is_array()) {
                *args = Value::String(args.to_string());
            }
        }
    }
}

/// Words in an upstream error's `code`, `type` or `status` that pick the
/// Anthropic error type, which steers Claude Code's retries.
const RATE_LIMITED: &[&str] = &[
    "429",
    "rate_limit",
    "ratelimit",
    "rate limit",
    "too_many_requests",
    "resource_exhausted",
];
const OVERLOADED: &[&str] = &["529", "503", "overload", "unavailable"];

/// `{"error": ...}` in the stream → an Anthropic error.
fn upstream_error(error: &Value) -> ErrorBody {
    let field = |k: &str| {
        let v = error.get(k).filter(|v| !v.is_null())?;
        Some(v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    let tags = ["code", "type", "status"].map(field).into_iter().flatten();
    let tags = tags.collect::<Vec<_>>().join(" ");
    let lower = tags.to_ascii_lowercase();
    let kind = if RATE_LIMITED.iter().any(|w| lower.contains(w)) {
        "rate_limit_error"
    } else if OVERLOADED.iter().any(|w| lower.contains(w)) {
        "overloaded_error"
    } else {
        "api_error"
    };
    let message = error
        .as_str()
        .map(str::to_string)
        .or_else(|| field("message"));
    let message = match message.as_deref().map_or("", str::trim) {
        "" if tags.is_empty() => "the upstream reported an error".to_string(),
        "" => format!("the upstream reported an error ({tags})"),
        m => m.to_string(),
    };
    ErrorBody {
        kind: kind.into(),
        message,
    }
}

/// A short, char-safe prefix of a payload for error messages.
fn quote(data: &str) -> String {
    match data.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => format!("{}…", &data[..at]),
        None => data.to_string(),
    }
}

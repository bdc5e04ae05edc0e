//! Google Vertex AI's Anthropic models: the Messages body as `rawPredict`
//! and `streamRawPredict` take it, the endpoint path by region (or
//! `global`), and Google's error bodies read for their message. Replies
//! and streams are Anthropic's own shapes, so nothing else is translated.
//!
//! Pure: no I/O, no clock, no randomness.

use super::passthrough::RawBody;

/// The `anthropic_version` Vertex's Messages API wants in the body.
pub const ANTHROPIC_VERSION: &str = "vertex-2023-10-16";

/// The Messages body as Vertex takes it: the model goes in the URL, so it
/// leaves the body; the version is Vertex's; `stream` stays (Vertex reads
/// it, with the endpoint, to decide whether to stream). Returns notes for
/// the log.
pub fn predict_body(body: &mut RawBody) -> Vec<String> {
    body.shift_remove("model");
    body.insert(
        "anthropic_version".into(),
        serde_json::value::to_raw_value(ANTHROPIC_VERSION).expect("a string serializes"),
    );
    Vec::new()
}

/// The headers that go to Vertex of those the Anthropic passthrough would
/// forward: only the betas (Vertex reads `anthropic-beta` as Anthropic's
/// API does); the version is in the body and Google's token replaces the
/// key headers.
pub fn predict_headers(forwarded: &http::HeaderMap) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    if let Some(b) = forwarded.get("anthropic-beta") {
        out.insert("anthropic-beta", b.clone());
    }
    out
}

/// The host for `region`: regional endpoints carry the region in the host
/// name, `global` has none.
pub fn host(region: &str) -> String {
    if region == "global" {
        "https://aiplatform.googleapis.com".to_string()
    } else {
        format!("https://{region}-aiplatform.googleapis.com")
    }
}

/// `/v1/projects/{project}/locations/{region}/publishers/anthropic/models/
/// {model}:rawPredict` (or `:streamRawPredict`), each piece
/// percent-encoded so a stray `/` or `:` cannot change the path.
pub fn predict_path(project: &str, region: &str, model: &str, stream: bool) -> String {
    let verb = if stream {
        "streamRawPredict"
    } else {
        "rawPredict"
    };
    format!(
        "/v1/projects/{}/locations/{}/publishers/anthropic/models/{}:{verb}",
        encode(project),
        encode(region),
        encode(model)
    )
}

/// Percent-encode all but unreserved characters and `@` (Vertex's model
/// versions, `claude-sonnet-4-5@20250929`, are sent as they are written).
fn encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// The message of an error body: Google's (`{"error": {"message",
/// "status"}}`, or a list of them) or Anthropic's (`{"type": "error",
/// "error": {"message"}}`), with Google's status name in front.
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let v = match v {
        serde_json::Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
        v => v,
    };
    let e = v.get("error")?;
    let message = e.get("message")?.as_str()?.trim();
    Some(match e.get("status").and_then(|s| s.as_str()) {
        Some(s) if !s.is_empty() => format!("{s}: {message}"),
        _ => message.to_string(),
    })
}

#[cfg(test)]
mod tests;

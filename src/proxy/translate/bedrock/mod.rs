//! Amazon Bedrock's Anthropic models: the Messages body as `InvokeModel`
//! takes it, the endpoint path, Bedrock's error names as the statuses
//! Claude Code retries correctly, and its binary event stream as Anthropic
//! SSE (see `stream`).
//!
//! Pure: no I/O, no clock, no randomness.

mod errors;
mod stream;

pub use errors::{error_message, error_status, error_type, is_clock_skew, stream_error_kind};
pub use stream::EventStreamSse;

use super::passthrough::RawBody;

/// The `anthropic_version` Bedrock's Messages API wants in the body.
pub const ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

pub use crate::config::bedrock_base_model as base_model;

/// The Messages body as `InvokeModel` takes it: the model goes in the URL
/// and streaming is the endpoint's choice, so both leave the body; the
/// version is Bedrock's; the betas Claude Code sends as a header travel in
/// the body (Bedrock reads no `anthropic-beta` header). Returns notes for
/// the log.
pub fn invoke_body(body: &mut RawBody, betas: Option<&str>) -> Vec<String> {
    body.shift_remove("model");
    body.shift_remove("stream");
    body.insert("anthropic_version".into(), raw(ANTHROPIC_VERSION));
    let betas: Vec<&str> = betas
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .collect();
    if !betas.is_empty() {
        body.insert("anthropic_beta".into(), raw(&betas));
    }
    Vec::new()
}

/// `/model/{id}/invoke` or `/invoke-with-response-stream`, the id
/// percent-encoded (`…-v1:0`, and an ARN's `/`, must not end the segment).
pub fn invoke_path(model: &str, stream: bool) -> String {
    let mut out = String::with_capacity(model.len() * 3 + 40);
    out.push_str("/model/");
    for b in model.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out.push_str(if stream {
        "/invoke-with-response-stream"
    } else {
        "/invoke"
    });
    out
}

fn raw(v: impl serde::Serialize) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(&v).expect("plain JSON values serialize")
}

#[cfg(test)]
mod tests;

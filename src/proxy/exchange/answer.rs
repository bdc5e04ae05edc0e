//! What one exchange with a target gave back, typed: handlers turn it into
//! an HTTP response, the web search loop reads a whole one.

use bytes::Bytes;
use http::{Response, StatusCode};

use crate::proxy::body::{Body, json_response, sse_response};

/// A target's reply, already in Anthropic's shape and recorded (or
/// recording, as it streams).
pub enum Answer {
    /// A whole JSON message. (Its usage is already in the ledger row the
    /// attempt wrote; the web search loop reads the message itself.)
    Whole { status: StatusCode, bytes: Bytes },
    /// Server-sent events, finishing their record when they end.
    Stream(Body),
}

impl Answer {
    pub fn into_response(self) -> Response<Body> {
        match self {
            Answer::Whole { status, bytes } => json_response(status, bytes),
            Answer::Stream(body) => sse_response(body),
        }
    }
}

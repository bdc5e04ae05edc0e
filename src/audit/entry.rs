//! What the proxy hands the audit writer: a finished request, or a search
//! it sent to the `[search]` backend.

use std::sync::Arc;

use bytes::Bytes;

use crate::usage::record::Record;

/// What is kept of one request besides its record.
pub struct AuditEntry {
    pub record: Record,
    pub request_id: String,
    /// The request body as Claude Code sent it.
    pub request: Bytes,
    /// What Claude Code received (SSE text or JSON), up to the capture cap;
    /// only kept at the `full` level.
    pub response: Option<Vec<u8>>,
    pub response_bytes: u64,
}

/// One search the proxy sent to the `[search]` backend.
pub struct AuditSearch {
    pub at_ms: i64,
    pub request_id: String,
    pub session: Arc<str>,
    pub cc_session: Option<String>,
    pub profile: Arc<str>,
    /// `searxng`, `brave`, `tavily`.
    pub backend: &'static str,
    /// The user's words: only a `full` audit keeps them.
    pub query: String,
    /// How many results came back (none: it failed).
    pub results: Option<usize>,
    /// The failure's code, as the result block gives it.
    pub error: Option<&'static str>,
    pub duration_ms: u64,
}

//! The request body as the passthrough holds it: top-level fields as raw
//! JSON text.
//!
//! Pure: no I/O, no clock, no randomness.

use indexmap::IndexMap;
use serde_json::value::RawValue;

/// A request body with its top-level fields kept as raw JSON text. A long
/// Claude Code conversation is hundreds of kilobytes; parsing all of it into
/// a tree and printing it again would cost milliseconds per request, while
/// the passthrough changes a few top-level fields. Nested fields are parsed
/// only when a quirk must change something inside them.
pub type RawBody = IndexMap<String, Box<RawValue>>;

/// A value as raw JSON text.
pub(super) fn raw(v: impl serde::Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(&v).expect("plain JSON values serialize")
}

//! Translation between the Anthropic Messages API and upstream APIs.
//!
//! Pure: no I/O, no clock, no randomness. Ids are passed in, so the same
//! input always gives the same output (golden tests rely on it).

pub mod anthropic;
pub mod bedrock;
pub mod common;
pub mod grammar;
pub mod native_search;
pub mod notes;
pub mod openai;
pub mod passthrough;
pub mod provenance;
pub mod recall;
pub mod replay;
pub mod request;
pub mod response;
pub mod schema;
pub mod sse;
pub mod stream;
pub mod text;
pub mod think;
pub mod tool_ids;
pub mod tool_names;
pub mod vertex;
pub mod web_search;

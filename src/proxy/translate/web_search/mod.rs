//! Anthropic's `web_search` server tool for upstreams that cannot run it.
//!
//! The model is offered an ordinary function in its place. When it calls
//! that function, the caller runs the search and this loop continues the
//! conversation upstream; the client receives what Anthropic's API sends:
//! `server_tool_use` and `web_search_tool_result` blocks, then the answer,
//! in one message with usage summed over the inner calls.
//!
//! Pure: the caller does the upstream calls and the searches and passes
//! ids in. The loop is bounded by `max_uses`: one call past it gets the
//! `max_uses_exceeded` error, and a call after that ends the message.

mod domains;
mod emit;
mod history;
mod machine;
mod spec;

pub use domains::conflict;
pub use emit::{drained_events, end_events, runs_natively, searches_itself, start_events};
pub use history::unfold_history;
pub use machine::{Failure, Loop, LoopStep};
pub use spec::{DEFAULT_MAX_USES, Spec, TOOL_NAME, find, is_web_search, model_text, result_blocks};

#[cfg(test)]
mod tests;

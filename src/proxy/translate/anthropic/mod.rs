//! Anthropic Messages API wire types, as Claude Code sends and expects them.
//!
//! Tolerant by design: unknown fields are ignored and unknown block types
//! parse as `Unknown`, because rejecting what we do not know costs Claude
//! Code a six-request downgrade cascade. (These types only feed the
//! translation to other APIs; the Anthropic passthrough keeps the client's
//! fields as they came.)
//!
//! On the request side there is no `#[serde(flatten)]`, and string-or-array
//! fields are told apart by their JSON type (`TextOrBlocks`): a flatten or
//! an untagged enum makes serde copy the value into a temporary tree and
//! parse it again, and a flattened catch-all on the request was the largest
//! single cost of the translated path. (Blocks are still tagged by `type`,
//! which serde buffers per block.)

mod block;
mod request;
mod response;

pub use block::*;
pub use request::*;
pub use response::*;

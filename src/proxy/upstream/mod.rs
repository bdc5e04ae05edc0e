//! The upstream side: the client for each provider (connection setup and
//! the hot-path POST), one exchange with error mapping, the reply as both
//! clients give it, how long a rate-limited upstream asks to wait, a
//! provider's live model list, command keys that expire, and cloud
//! upstreams with their own signing (Bedrock).

pub mod balance;
mod client;
pub mod cloud;
pub mod models;
pub mod ratelimit;
pub mod refresh;
pub mod reply;
pub mod send;

pub use client::{ClientError, Upstream};

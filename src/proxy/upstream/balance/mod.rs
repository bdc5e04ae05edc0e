//! A provider's remaining balance or quota, for the providers that publish
//! one (DeepSeek, Moonshot, OpenRouter, SiliconFlow): which endpoint to ask
//! (derived from the configured base URL's host, so a relay or a test's
//! mock is asked, not the vendor), the parsed result, and how it reads.
//!
//! Money keeps the currency the provider gave and is never converted; a
//! shape that is not recognised gives no balance rather than a wrong one.

pub mod cache;
mod fetch;
mod model;
pub mod parse;
pub mod watch;

pub use fetch::{BalanceError, TIMEOUT, fetch, fetch_at, fetch_blocking};
pub use model::{Balance, BalanceApi, BalanceEndpoint, FRESH, Money, Site};

#[cfg(test)]
mod tests;

//! The routes: `messages`, `count_tokens` and `models`, each a function of
//! the shared state and the request, returning `Result<_, ProxyError>`.

mod chain;
pub mod count_tokens;
mod forward;
pub mod messages;
pub mod models;
mod request;
mod web_search;

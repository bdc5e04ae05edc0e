//! The routes: `messages`, `count_tokens` and `models`, each a function of
//! the shared state and the request, returning `Result<_, ProxyError>`.

pub mod count_tokens;
pub mod me;
pub mod messages;
pub mod models;
pub(crate) mod request;
mod web_search;

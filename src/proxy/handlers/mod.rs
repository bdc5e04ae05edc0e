//! The routes: `messages`, `count_tokens` and `models`, each a function of
//! the shared state and the request, returning `Result<_, ProxyError>`; and
//! a gateway's usage page (`ui`), which checks its own credentials.

pub mod count_tokens;
pub mod me;
pub mod messages;
pub mod models;
pub(crate) mod request;
pub mod ui;
mod web_search;

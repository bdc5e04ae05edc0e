//! The team usage page (`GET /ui` on `serve --gateway`): spend and tokens
//! per team, member, project and model, spend per day, budgets left per
//! key and the latest failures, for the gateway's operator.
//!
//! Everything here is plain: [`data`] reads the gateway store's ledger,
//! spend sums and lists (shared by every replica) into a
//! [`data::Snapshot`], [`render`] turns one into HTML with no script and
//! nothing fetched from anywhere, and [`session`] holds the sign-in
//! cookie's rules.
//! The proxy's handler does the HTTP around them.

mod chart;
pub mod data;
pub mod html;
pub mod render;
pub mod session;

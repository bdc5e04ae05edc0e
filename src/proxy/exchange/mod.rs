//! The exchange seam: a routed Messages request sent along its fallback
//! chain (one attempt per target: budget, then the upstream) and what came
//! back, typed. Handlers turn an [`Answer`] into an HTTP response; the web
//! search loop takes a whole one and reads it once.

mod admit;
mod answer;
mod attempt;
mod chain;
mod cloud;
mod forward;

pub use answer::Answer;
pub use chain::dispatch;

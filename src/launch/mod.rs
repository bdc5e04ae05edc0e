//! Starting Claude Code against a profile: the environment and settings
//! it gets (pure), the proxied session behind it, and running it.

pub mod child;
pub mod env;
pub mod error;
pub mod project;
pub mod proxied;
pub mod run;
pub mod session;
pub mod shell;
pub mod summary;

//! Starting Claude Code against a profile: the environment it needs.

pub mod env;
pub mod shell;

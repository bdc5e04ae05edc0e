//! Starting Claude Code against a profile: the environment it needs
//! (pure), finding the binary, and running it through the proxy.

pub mod env;
pub mod error;
pub mod find;
pub mod probe;
pub mod run;
pub mod shell;
pub mod summary;

//! Starting Claude Code against a profile: the environment it needs
//! (pure), finding the binary, and running it through the proxy.

pub mod env;
pub mod find;
pub mod history;
pub mod probe;
pub mod run;
pub mod shell;
pub mod summary;

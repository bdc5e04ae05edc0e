//! Starting Claude Code against a profile: the environment it needs
//! (pure), finding the binary, and running it through the proxy.

pub mod child;
pub mod doctor;
pub mod env;
pub mod error;
pub mod find;
pub mod import;
pub mod probe;
pub mod proxied;
pub mod resume;
pub mod run;
pub mod session;
pub mod sessions;
pub mod shell;
pub mod status_line;
pub mod summary;
pub mod targets;

//! Facts about the user's Claude Code install: where the binary is, where
//! it keeps its settings and transcripts, the sessions it can resume, and
//! whether the user has a status line of their own. Low enough for the
//! launcher, the checks and the TUI to share.

pub mod find;
pub mod resume;
pub mod sessions;
pub mod status_line;

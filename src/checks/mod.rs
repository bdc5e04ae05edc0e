//! Checks that tell the user what works: `ccswitch doctor` (the machine
//! and the config) and the connection test (`ccswitch test`, the TUI's
//! `t`), which talks to each target through the same proxy a session uses.

pub mod balance;
pub mod doctor;
pub mod probe;
pub mod targets;

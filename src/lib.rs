//! ccswitch: run Claude Code on any model provider.

pub mod audit;
pub mod checks;
pub mod circuits;
pub mod claude;
pub mod cli;
pub mod config;
pub mod ctx;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod hit;
pub mod i18n;
pub mod import;
pub mod launch;
pub mod paths;
pub mod proxy;
pub mod random;
pub mod search;
pub mod secrets;
pub mod tui;
pub mod usage;

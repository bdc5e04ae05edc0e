//! Changes to the stored configuration that both front-ends make, written
//! once: the command line and the TUI call these.

use super::error::ConfigError;
use super::{edit, state, store};
use crate::paths::Paths;

/// Remove a profile, and forget when it was last used: a new profile by
/// that name starts as never used.
pub fn remove_profile(paths: &Paths, name: &str) -> Result<(), ConfigError> {
    store::change(paths, |doc, cfg, _| edit::remove_profile(doc, cfg, name))?;
    // "Last used" is a convenience; failing to forget it is not the removal's failure.
    let _ = state::forget(paths, name);
    Ok(())
}

/// Make a profile the one `ccswitch run` uses without a name.
pub fn set_default(paths: &Paths, name: &str) -> Result<(), ConfigError> {
    store::change(paths, |doc, cfg, _| edit::set_default(doc, cfg, name))
}

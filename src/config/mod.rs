//! Providers, profiles and presets: loading (two stages: raw file, then
//! validated [`Config`]) and comment-preserving, atomic, locked writes.

pub mod audit;
pub mod breaker;
pub mod budget;
pub mod edit;
pub mod error;
pub mod export;
pub mod import;
pub mod keyspec;
pub mod menu;
pub mod model;
pub mod ops;
pub mod preset;
pub mod presets;
pub mod quirks;
pub mod raw;
pub mod redact;
pub mod resolve;
pub mod search;
pub mod state;
pub mod store;
pub mod text;

use std::path::Path;

pub use audit::{Audit, AuditLevel};
pub use breaker::Breaker;
pub use budget::Budget;
pub use error::{ConfigError, Location};
pub use menu::{MenuEntry, MenuItem};
pub use model::{Config, ExtraKey, KeySpec, Profile, Provider, Slot, Target, Timeouts};
pub use preset::{Api, AuthStyle, ModelInfo, Preset, api_choices, bedrock_base_model};
pub use presets::Presets;
pub use quirks::{Quirks, RawQuirks};
pub use search::{Search, SearchKind};

use crate::paths::Paths;

/// Stage one: parse the file text into the raw (all-optional) form.
pub fn parse_raw(file: &Path, src: &str) -> Result<raw::RawConfig, ConfigError> {
    toml::from_str(src).map_err(|e| ConfigError::from_toml(file, src, &e))
}

/// Both stages over a file's text, with no home known: `~` in its paths
/// stays as written. For checking a text (its errors are the same either
/// way); a config to use comes from [`load`], or [`parse_at`] with a home.
pub fn parse(file: &Path, src: &str, presets: &Presets) -> Result<Config, ConfigError> {
    parse_at(file, src, presets, None)
}

/// Both stages, `~` in paths standing for `home` (`Paths::home`).
pub fn parse_at(
    file: &Path,
    src: &str,
    presets: &Presets,
    home: Option<&Path>,
) -> Result<Config, ConfigError> {
    resolve::resolve(parse_raw(file, src)?, presets, file, src, home)
}

/// Read `config.toml` (absent means empty) and the presets.
pub fn load(paths: &Paths) -> Result<(Config, Presets), ConfigError> {
    let presets = Presets::load(&paths.presets_file)?;
    let src = read_optional(&paths.config_file)?.unwrap_or_default();
    let config = parse_at(&paths.config_file, &src, &presets, paths.home.as_deref())?;
    Ok((config, presets))
}

/// A file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::io(path, e)),
    }
}

/// The commented example shipped in `assets/`.
pub const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

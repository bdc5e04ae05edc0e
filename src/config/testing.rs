//! Test helpers for every layer's tests: a [`Config`] from a string.

use std::path::Path;

use super::{Config, Presets, parse};
use crate::i18n::{Lang, set_lang};

/// The config `src` describes, over the built-in presets, with messages in
/// English; a config that does not parse fails the test with its error.
pub(crate) fn mk_config(src: &str) -> Config {
    set_lang(Lang::En);
    parse(Path::new("c.toml"), src, &Presets::builtin()).unwrap_or_else(|e| panic!("{e}"))
}

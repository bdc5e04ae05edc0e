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

/// Profile `t` on provider `p`, from its table's lines, with `others` as
/// more providers (all OpenAI-kind, on local addresses).
pub(crate) fn parse_profile(table: &str, others: &[&str]) -> super::Profile {
    use std::fmt::Write as _;
    let mut src = String::new();
    for name in std::iter::once(&"p").chain(others) {
        let _ = write!(
            src,
            "[providers.{name}]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n"
        );
    }
    let _ = write!(src, "[profiles.t]\nprovider = \"p\"\n{table}\n");
    mk_config(&src).profiles["t"].clone()
}

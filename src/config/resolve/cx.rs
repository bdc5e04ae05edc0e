//! What every check needs: where an error points, and the shared pieces
//! of its message.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::config::budget::Budget;
use crate::config::error::{ConfigError, Location};
use crate::t;

pub(super) struct Ctx<'a> {
    pub(super) file: &'a Path,
    pub(super) src: &'a str,
    /// What `~` stands for in the file's paths (see [`expand_home`]).
    pub(super) home: Option<&'a Path>,
}

impl Ctx<'_> {
    pub(super) fn invalid(&self, span: Range<usize>, message: String, hint: String) -> ConfigError {
        ConfigError::Invalid {
            loc: Location::from_span(self.file, self.src, Some(span)),
            message,
            hint,
        }
    }
}

/// A budget with every limit usable, or the line of the one that is not.
pub(super) fn budget(
    cx: &Ctx<'_>,
    raw: Option<Spanned<Budget>>,
) -> Result<Option<Budget>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let span = raw.span();
    let b = raw.into_inner();
    match b.bad_field() {
        Some(field) => Err(cx.invalid(
            span,
            t!("config.bad_budget", field = field),
            t!("config.hint_budget"),
        )),
        None => Ok(Some(b).filter(|b| !b.is_empty())),
    }
}

pub(super) fn hint_names<'a>(key: &'static str, names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = names.map(String::as_str).collect();
    let list = if list.is_empty() {
        "-".to_string()
    } else {
        list.join(", ")
    };
    crate::i18n::fill(crate::i18n::text(key), &[("names", &list)])
}

/// `~/x` → `home/x` (`~\x` too), so paths in the file can be portable.
/// `home` is the caller's (`Paths::home`: `$HOME`, else `%USERPROFILE%`);
/// without one the path stays as written.
pub fn expand_home(p: &str, home: Option<&Path>) -> PathBuf {
    let rest = p.strip_prefix("~/").or_else(|| p.strip_prefix("~\\"));
    match (rest, home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(p),
    }
}

//! Configuration errors: each names the file, the line and column where the
//! problem is, what is wrong and how to fix it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::t;

/// A place in a file, 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// Turn a byte span into a line/column in `src`.
    pub fn from_span(file: &Path, src: &str, span: Option<Range<usize>>) -> Location {
        let offset = span.map_or(0, |s| s.start.min(src.len()));
        let before = &src[..floor_char_boundary(src, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location {
            file: file.to_path_buf(),
            line,
            col,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// Errors at the configuration boundary (reading, validating, writing).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{}", t!("config.io", path = path.display(), error = source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema (unknown key,
    /// wrong type). Such a file is never written over.
    #[error("{loc}: {message}\n  {}", t!("config.fix", hint = hint))]
    Parse {
        loc: Location,
        message: String,
        hint: String,
    },
    /// The file parses but says something impossible.
    #[error("{loc}: {message}\n  {}", t!("config.fix", hint = hint))]
    Invalid {
        loc: Location,
        message: String,
        hint: String,
    },
    /// [`Invalid`](ConfigError::Invalid) or [`Parse`](ConfigError::Parse)
    /// met in a change not written yet (a form, a command's edit): the
    /// file has no such line, so no place is named; the message names the
    /// provider or profile, which is what was typed.
    #[error("{message}\n  {}", t!("config.fix", hint = hint))]
    InChange { message: String, hint: String },
    /// A named profile/provider/preset does not exist.
    #[error("{}", not_found(kind, name, available))]
    NotFound {
        kind: &'static str,
        name: String,
        available: Vec<String>,
    },
    /// A change that cannot be made as asked (already exists, still in use).
    #[error("{0}")]
    Refused(String),
}

fn not_found(kind: &str, name: &str, available: &[String]) -> String {
    let kind = crate::i18n::text(match kind {
        "profile" => "kind.profile",
        "provider" => "kind.provider",
        _ => "kind.preset",
    });
    if available.is_empty() {
        return t!("config.not_found_none", kind = kind, name = name);
    }
    let mut out = t!(
        "config.not_found",
        kind = kind,
        name = name,
        available = available.join(", ")
    );
    // `ccswitch run deepsek`: the name meant, when one is that close.
    if let Some(guess) = closest(name, available.iter().map(String::as_str)) {
        out.push(' ');
        out.push_str(&t!("config.hint_did_you_mean", guess = guess));
    }
    out
}

/// The closest allowed name to a mistyped one, if one is close.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(wrong, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// From serde's "unknown field `mian`, expected one of `main`, ...", the
/// allowed key closest to the typo.
fn did_you_mean(message: &str) -> Option<String> {
    let mut quoted = message.split('`').skip(1).step_by(2);
    let wrong = quoted.next()?;
    closest(wrong, quoted).map(str::to_string)
}

impl ConfigError {
    /// The same error, met while about to write: its fix says the file was
    /// left alone (a command that only reads has nothing to leave alone).
    pub fn before_writing(self) -> ConfigError {
        match self {
            ConfigError::Parse { loc, message, hint } => ConfigError::Parse {
                loc,
                message,
                hint: format!("{hint} {}", t!("config.not_written")),
            },
            ConfigError::Invalid { loc, message, hint } => ConfigError::Invalid {
                loc,
                message,
                hint: format!("{hint} {}", t!("config.not_written")),
            },
            other => other,
        }
    }

    /// The same error, found in an edited document rather than the file:
    /// its line and column are in text that was never written.
    pub fn in_change(self) -> ConfigError {
        match self {
            ConfigError::Parse { message, hint, .. }
            | ConfigError::Invalid { message, hint, .. } => ConfigError::InChange { message, hint },
            other => other,
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> ConfigError {
        ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A TOML/serde error from `toml`, located in `src`.
    pub fn from_toml(file: &Path, src: &str, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().to_string();
        let hint = if message.starts_with("unknown field") {
            match did_you_mean(&message) {
                Some(guess) => t!("config.hint_did_you_mean", guess = guess),
                None => t!("config.hint_unknown_key"),
            }
        } else if message.starts_with("invalid type") {
            t!("config.hint_invalid_type")
        } else if message.starts_with("missing field") {
            t!("config.hint_missing_field")
        } else if message.contains("unknown variant") {
            t!("config.hint_unknown_variant")
        } else {
            t!("config.hint_syntax")
        };
        ConfigError::Parse {
            loc: Location::from_span(file, src, err.span()),
            message,
            hint,
        }
    }

    /// Exit code for the CLI: 2 for configuration and usage problems.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConfigError::Io { .. } => 1,
            _ => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_key() {
        let m = "unknown field `mian`, expected one of `provider`, `main`, `fast`";
        assert_eq!(did_you_mean(m).as_deref(), Some("main"));
        let m = "unknown field `zzzzzz`, expected one of `provider`, `main`";
        assert_eq!(did_you_mean(m), None);
        assert_eq!(closest("deepsek", ["deepseek", "ollama"]), Some("deepseek"));
    }

    #[test]
    fn span_to_line_and_column() {
        let src = "a = 1\nb = 2\n  cé = 3\n";
        let at = |o| Location::from_span(Path::new("f"), src, Some(o..o + 1));
        assert_eq!((at(0).line, at(0).col), (1, 1));
        assert_eq!((at(6).line, at(6).col), (2, 1));
        assert_eq!((at(14).line, at(14).col), (3, 3));
        // After a multi-byte character, columns count characters.
        let loc = at(src.find(" = 3").unwrap());
        assert_eq!((loc.line, loc.col), (3, 5));
    }
}

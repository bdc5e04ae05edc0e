//! A source file's text as a [`Found`]: which reader it is for, and the
//! bounds every file is read within. A file built to make the import hang
//! (nested a hundred thousand deep, thousands of entries, megabytes) is
//! refused with a reason instead; a person's setup is nowhere near them.

use serde_json::Value;

use super::{Found, MAX_ENTRIES, ccr, ccswitch, claude_env, litellm, too_many};
use crate::config::presets::Presets;
use crate::t;

/// The largest source text read, in bytes.
pub const MAX_BYTES: u64 = 4 << 20;

/// The deepest nesting of a YAML file's flow collections (`[`, `{`) and
/// the widest indentation of its block ones. The YAML parser's work grows
/// with the square of the nesting.
pub const MAX_DEPTH: usize = 64;
const MAX_INDENT: usize = 256;

/// What a file is, as far as its name and place tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A LiteLLM config (by its `.yaml` name).
    Yaml,
    /// JSON that says itself what it is: cc-switch's `config.json`, a
    /// claude-code-router config, or Claude Code settings.
    Json,
    /// Claude Code's own `settings.json`: without an `env` block, it has
    /// nothing to import (which is not an error).
    ClaudeSettings,
}

/// `text` read as `kind`; `label` names it in messages.
pub fn read(text: &str, kind: Kind, label: &str, presets: &Presets) -> Result<Found, String> {
    let found = match kind {
        Kind::Yaml => {
            if too_deep(text) {
                return Err(t!("import.too_deep", path = label, max = MAX_DEPTH));
            }
            litellm::read(text, label, presets)?
        }
        Kind::ClaudeSettings => {
            let json: Value = serde_json::from_str(text).map_err(|e| format!("{label}: {e}"))?;
            match json.get("env").and_then(Value::as_object) {
                Some(env) => settings_env(env, label, presets),
                None => Found::default(),
            }
        }
        Kind::Json => json(text, label, presets)?,
    };
    // Each entry gives at most a few lines; more is a file built for it.
    let lines = found.providers.len() + found.profiles.len() + found.skipped.len();
    if lines > 4 * MAX_ENTRIES {
        return Err(too_many(label));
    }
    Ok(found)
}

fn json(text: &str, label: &str, presets: &Presets) -> Result<Found, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{label}: {e}. {}",
            t!("import.unknown_source", path = label)
        )
    })?;
    if let Some(entries) = ccswitch::legacy_entries(&json) {
        return ccswitch::read(&entries, label, presets);
    }
    if json.get("Providers").is_some() || json.get("Router").is_some() {
        return ccr::read(text, label, presets);
    }
    if let Some(env) = json.get("env").and_then(Value::as_object) {
        return Ok(settings_env(env, label, presets));
    }
    Err(t!("import.unknown_source", path = label))
}

/// Claude Code's variables in a settings file; a key written there is
/// copied to the keyring.
fn settings_env(env: &serde_json::Map<String, Value>, label: &str, presets: &Presets) -> Found {
    let get = |k: &str| env.get(k).and_then(Value::as_str).map(str::to_string);
    claude_env::read(label, &get, false, presets)
}

/// Whether YAML text nests deeper than [`MAX_DEPTH`] flow collections or
/// indents past [`MAX_INDENT`] columns. Counts a `[` or `{` only where a
/// node starts (not inside `gpt[4`), and skips quoted scalars and comments.
pub fn too_deep(text: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    // The last character that was not a space: a node starts after these.
    let mut prev = '\n';
    let mut column = 0usize;
    let mut indent = true;
    let mut after_space = true;
    while let Some(c) = chars.next() {
        if c == '\n' {
            (prev, column, indent, after_space) = ('\n', 0, true, true);
            continue;
        }
        column += 1;
        if indent && matches!(c, ' ' | '-' | '?' | ':') {
            if column > MAX_INDENT {
                return true;
            }
        } else {
            indent = false;
        }
        let node_start = matches!(prev, '\n' | '[' | '{' | ',' | ':' | '-' | '?');
        let spaced = std::mem::replace(&mut after_space, matches!(c, ' ' | '\t'));
        match c {
            ' ' | '\t' => continue,
            '#' if spaced => {
                while chars.next_if(|&n| n != '\n').is_some() {}
                continue;
            }
            '[' | '{' if node_start => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            ']' | '}' if depth > 0 => depth -= 1,
            '"' | '\'' if node_start => {
                // To the closing quote (`\"` and `''` stay inside).
                while let Some(q) = chars.next() {
                    if q == '\\' && c == '"' {
                        chars.next();
                    } else if q == c {
                        if c == '\'' && chars.next_if_eq(&'\'').is_some() {
                            continue;
                        }
                        break;
                    }
                }
            }
            _ => {}
        }
        prev = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_where_collections_start() {
        assert!(!too_deep(
            "model_list:\n  - model_name: gpt[4\n    x: [[1], {a: [2]}]\n"
        ));
        assert!(!too_deep(&format!(
            "a: \"{}\"\nb: '{}'\n",
            "[".repeat(500),
            "{".repeat(500)
        )));
        assert!(!too_deep(&format!("a: 1 # {}\n", "[".repeat(500))));
        assert!(too_deep(&format!("a: {}", "[".repeat(MAX_DEPTH + 1))));
        assert!(too_deep(&format!("a: {}", "{a: ".repeat(MAX_DEPTH + 1))));
        assert!(too_deep(&"- ".repeat(MAX_INDENT)));
        let block: Vec<String> = (0..300)
            .map(|i| format!("{}k{i}:", " ".repeat(i)))
            .collect();
        let block = block.join("\n");
        assert!(too_deep(&block));
    }
}

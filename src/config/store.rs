//! Writing `config.toml`: under an exclusive lock, re-read, edited with
//! `toml_edit` (comments and order survive), validated, backed up to
//! `config.toml.bak`, then replaced atomically (temp file, fsync, rename).

use std::path::Path;

use toml_edit::DocumentMut;

use super::error::ConfigError;
use super::model::Config;
use super::presets::Presets;
use super::{parse_at, parse_raw, read_optional};
use crate::fsutil::{create_private_dir, lock_exclusive, write_atomic};
use crate::paths::Paths;
use crate::t;

/// Apply `edit` to the current config file and save the result.
///
/// The file is re-read under the lock, so two processes saving at once each
/// see the other's change. A file that does not parse is never written over,
/// and an edit whose result would not validate is not saved.
pub fn update<T, E: From<ConfigError>>(
    paths: &Paths,
    edit: impl FnOnce(&mut DocumentMut, &Presets) -> Result<T, E>,
) -> Result<T, E> {
    let file = &paths.config_file;
    let dir = file.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|e| ConfigError::io(dir, e))?;
    let lock_path = dir.join(".config.toml.lock");
    let lock = lock_exclusive(&lock_path).map_err(|e| ConfigError::io(&lock_path, e))?;

    let (old, mut doc) = read_doc(file)?;
    let presets = Presets::load(&paths.presets_file)?;
    let out = edit(&mut doc, &presets)?;
    let new_src = match &old {
        Some(_) => doc.to_string(),
        None => format!("{NEW_FILE_HEADER}\n{doc}"),
    };
    if old.as_deref() == Some(new_src.as_str()) {
        return Ok(out);
    }
    parse_at(file, &new_src, &presets, paths.home.as_deref())
        .map_err(|e| ConfigError::Refused(t!("config.edit_would_break", error = e.in_change())))?;
    if let Some(old) = &old {
        let bak = file.with_extension("toml.bak");
        write_atomic(&bak, old.as_bytes()).map_err(|e| ConfigError::io(&bak, e))?;
    }
    write_atomic(file, new_src.as_bytes()).map_err(|e| ConfigError::io(file, e))?;
    drop(lock);
    Ok(out)
}

/// `update`, with the edit also given the document's validated config.
pub fn change<T, E: From<ConfigError>>(
    paths: &Paths,
    edit: impl FnOnce(&mut DocumentMut, &Config, &Presets) -> Result<T, E>,
) -> Result<T, E> {
    update(paths, |doc, presets| {
        let cfg = validated(paths, doc, presets)?;
        edit(doc, &cfg, presets)
    })
}

/// The validated config of a document being edited: each step of a
/// multi-step edit is checked against what the steps before it made.
pub fn validated(
    paths: &Paths,
    doc: &DocumentMut,
    presets: &Presets,
) -> Result<Config, ConfigError> {
    parse_at(
        &paths.config_file,
        &doc.to_string(),
        presets,
        paths.home.as_deref(),
    )
    .map_err(ConfigError::in_change)
}

/// The current file's text (absent: `None`) and its editable document.
fn read_doc(file: &Path) -> Result<(Option<String>, DocumentMut), ConfigError> {
    let old = read_optional(file)?;
    let old_src = old.as_deref().unwrap_or("");
    // Stage one must pass before we touch anything: never overwrite a file
    // that did not parse.
    parse_raw(file, old_src).map_err(ConfigError::before_writing)?;
    let doc = if old.is_some() {
        old_src.parse().map_err(|e: toml_edit::TomlError| {
            ConfigError::Parse {
                loc: super::Location::from_span(file, old_src, e.span()),
                message: e.message().to_string(),
                hint: t!("config.hint_syntax"),
            }
            .before_writing()
        })?
    } else {
        DocumentMut::new()
    };
    Ok((old, doc))
}

/// What the config would be after `edit`, without writing anything (the
/// TUI tests an unsaved form with it).
pub fn preview<E: From<ConfigError>>(
    paths: &Paths,
    edit: impl FnOnce(&mut DocumentMut, &Presets) -> Result<(), E>,
) -> Result<Config, E> {
    let file = &paths.config_file;
    let (old, mut doc) = read_doc(file)?;
    let presets = Presets::load(&paths.presets_file)?;
    edit(&mut doc, &presets)?;
    let text = doc.to_string();
    Ok(
        parse_at(file, &text, &presets, paths.home.as_deref()).map_err(|e| {
            if old.as_deref() == Some(text.as_str()) {
                e
            } else {
                e.in_change()
            }
        })?,
    )
}

const NEW_FILE_HEADER: &str = "\
# ccswitch configuration: providers (where and how to connect) and profiles
# (what Claude Code runs with). Keys are never stored in this file.
# Reference: the Configuration section of ccswitch's README.
";

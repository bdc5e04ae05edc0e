//! What a provider's config says about one of its models:
//! `[providers.NAME.models."ID"] context = N, max_output = N`.

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value, value};

use super::table::section;
use crate::config::error::ConfigError;
use crate::config::model::Config;
use crate::t;

/// A model's size, as a model list or the user gives it; `None` leaves a
/// field as the file has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSize {
    pub model: String,
    pub context: Option<u64>,
    pub max_output: Option<u64>,
}

/// Write a model's context window and output cap under its provider,
/// where launches (`CLAUDE_CODE_MAX_CONTEXT_TOKENS`) and routes (long
/// context) find them for every profile on that provider. Only values
/// that differ from what the config already knows are written, so a
/// preset's numbers are not copied into the file.
pub fn set_model_size(
    doc: &mut DocumentMut,
    config: &Config,
    provider: &str,
    size: &ModelSize,
) -> Result<(), ConfigError> {
    let known = config.provider(provider)?.model(&size.model);
    let fields = [
        (
            "context",
            size.context.filter(|n| known.context != Some(*n)),
        ),
        (
            "max_output",
            size.max_output.filter(|n| known.max_output != Some(*n)),
        ),
    ];
    if fields.iter().all(|(_, v)| v.is_none()) {
        return Ok(());
    }
    let item = section(doc, "providers")?
        .get_mut(provider)
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = provider)))?;
    // New headers go right after the provider's own, not at the file's end.
    let at = item.as_table().and_then(Table::position);
    let inline = item.is_inline_table();
    let table = item
        .as_table_like_mut()
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = provider)))?;
    let (models, inline) = child(table, inline, "models", None)?;
    let (model, _) = child(models, inline, &size.model, Some(at))?;
    for (k, v) in fields {
        if let Some(n) = v {
            // TOML integers are i64; no window comes near the limit.
            model.insert(k, value(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }
    Ok(())
}

/// `parent.key` as a table to write into (and whether it is an inline
/// one), made when missing: inline inside an inline table, else a header
/// table (`header` gives its position), or an implicit one that shows no
/// header of its own.
fn child<'a>(
    parent: &'a mut dyn TableLike,
    parent_inline: bool,
    key: &str,
    header: Option<Option<isize>>,
) -> Result<(&'a mut dyn TableLike, bool), ConfigError> {
    if !parent.contains_key(key) {
        let item = if parent_inline {
            Item::Value(Value::InlineTable(InlineTable::new()))
        } else {
            let mut t = Table::new();
            match header {
                Some(at) => t.set_position(at),
                None => t.set_implicit(true),
            }
            Item::Table(t)
        };
        parent.insert(key, item);
    }
    let bad = || ConfigError::Refused(t!("edit.not_a_table", name = key));
    let item = parent.get_mut(key).ok_or_else(bad)?;
    let inline = item.is_inline_table();
    let table = item.as_table_like_mut().ok_or_else(bad)?;
    Ok((table, inline))
}

//! The tables every edit starts from: a `[profiles]` or `[providers]`
//! section, one named entry in it, and the check a new name must pass.

use toml_edit::{DocumentMut, Item, Table};

use crate::config::error::ConfigError;
use crate::config::resolve::valid_name;
use crate::t;

/// The `[profiles]` or `[providers]` table, created implicit so the file
/// shows `[profiles.x]` headers without an empty `[profiles]`.
pub(crate) fn section<'a>(
    doc: &'a mut DocumentMut,
    name: &str,
) -> Result<&'a mut Table, ConfigError> {
    let item = doc.entry(name).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    item.as_table_mut()
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = name)))
}

/// `[profiles.NAME]` or `[providers.NAME]`, as a table to edit.
pub(super) fn entry<'a>(
    doc: &'a mut DocumentMut,
    sect: &str,
    name: &str,
) -> Result<&'a mut dyn toml_edit::TableLike, ConfigError> {
    section(doc, sect)?
        .get_mut(name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| ConfigError::Refused(t!("edit.not_a_table", name = name)))
}

pub(super) fn check_name(name: &str) -> Result<(), ConfigError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ConfigError::Refused(format!(
            "{} {}",
            t!("config.bad_name", name = name),
            t!("config.hint_name")
        )))
    }
}

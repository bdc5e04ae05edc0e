//! `[search]`, written whole: the table is small and every field of it is
//! set by one `ccswitch search set`.

use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use crate::config::SearchKind;

/// What `ccswitch search set` writes.
#[derive(Clone, Debug, Default)]
pub struct SearchChange {
    pub kind: Option<SearchKind>,
    pub url: Option<String>,
    pub key_env: Option<String>,
    pub key_command: Option<String>,
    pub max_results: Option<u32>,
}

pub fn set_search(doc: &mut DocumentMut, change: &SearchChange) {
    let Some(kind) = change.kind else { return };
    let mut t = Table::new();
    t.insert("backend", value(kind.name()));
    if let Some(url) = &change.url {
        t.insert("url", value(url.as_str()));
    }
    let mut key = InlineTable::new();
    if let Some(env) = &change.key_env {
        key.insert("env", env.as_str().into());
    }
    if let Some(cmd) = &change.key_command {
        key.insert("command", cmd.as_str().into());
    }
    if !key.is_empty() {
        t.insert("key", value(key));
    }
    if let Some(n) = change.max_results {
        t.insert("max_results", value(i64::from(n)));
    }
    doc.insert("search", Item::Table(t));
}

/// Removes `[search]`; whether there was one.
pub fn remove_search(doc: &mut DocumentMut) -> bool {
    doc.remove("search").is_some()
}

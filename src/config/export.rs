//! `ccswitch profile export NAME`: a profile and the providers it uses, as
//! TOML to hand to a colleague. Nothing secret or personal goes along:
//! where keys come from (`key`, `extra_keys`), header values and the
//! profile's `env` values (often tokens; their names stay, as notes),
//! passwords in URLs, budgets, and comments (which hold old keys as often
//! as anything). Every field has a rule ([`provider_rule`],
//! [`profile_rule`]); a field without one is not copied. Pure: the
//! config's text in, text out.

use std::fmt::Write as _;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value, value};

use super::error::ConfigError;
use super::model::Config;
use super::redact::without_password;
use crate::t;

/// What export does with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Copied, without its comments.
    Copy,
    /// A URL: copied without its password.
    Url,
    /// A table whose names are noted and whose values stay behind.
    Names,
    /// Left out.
    Drop,
}

/// Each `[providers.X]` field (see `raw::RawProvider`).
fn provider_rule(field: &str) -> Rule {
    match field {
        "preset" | "api" | "auth" | "ca_file" | "region" | "project" | "aws_profile" | "direct"
        | "models" | "quirks" | "timeouts" => Rule::Copy,
        "base_url" | "proxy" => Rule::Url,
        "headers" => Rule::Names,
        // `key`, `extra_keys`, `budget`, and anything without a rule yet.
        _ => Rule::Drop,
    }
}

/// Each `[profiles.X]` field (see `raw::RawProfile`).
fn profile_rule(field: &str) -> Rule {
    match field {
        "provider"
        | "description"
        | "main"
        | "fast"
        | "opus"
        | "sonnet"
        | "haiku"
        | "subagent"
        | "vision"
        | "long_context"
        | "classifier"
        | "max_output_tokens"
        | "context_window"
        | "api_timeout_ms"
        | "nonessential_traffic"
        | "tool_search"
        | "web_fetch_preflight"
        | "direct"
        | "claude_path"
        | "project"
        | "menu"
        | "subagents_follow_menu" => Rule::Copy,
        "env" => Rule::Names,
        // `budget`, and anything without a rule yet.
        _ => Rule::Drop,
    }
}

pub fn profile(text: &str, cfg: &Config, name: &str) -> Result<String, ConfigError> {
    let profile = cfg.profile(name)?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e| ConfigError::Refused(format!("{e}")))?;
    let mut out = DocumentMut::new();
    out.decor_mut()
        .set_prefix(format!("# {}\n", t!("profile.export_header", name = name)));
    let mut providers = Table::new();
    providers.set_implicit(true);
    for p in profile.providers() {
        let Some(table) = doc
            .get("providers")
            .and_then(|t| t.get(p))
            .and_then(Item::as_table_like)
        else {
            continue;
        };
        let mut notes = vec![t!("profile.export_key", provider = p)];
        let mut clean = copy(table, provider_rule, &mut |field, names| {
            if field == "headers" {
                notes.push(t!("profile.export_headers", names = names));
            }
        });
        clean.decor_mut().set_prefix(lines(&notes));
        providers.insert(p, Item::Table(clean));
    }
    out.insert("providers", Item::Table(providers));
    let mut profiles = Table::new();
    profiles.set_implicit(true);
    if let Some(table) = doc
        .get("profiles")
        .and_then(|t| t.get(name))
        .and_then(Item::as_table_like)
    {
        let mut notes = Vec::new();
        let mut clean = copy(table, profile_rule, &mut |field, names| {
            if field == "env" {
                notes.push(t!("profile.export_env", names = names));
            }
        });
        clean.decor_mut().set_prefix(lines(&notes));
        profiles.insert(name, Item::Table(clean));
    }
    out.insert("profiles", Item::Table(profiles));
    Ok(out.to_string())
}

/// `# note` lines, after a blank one.
fn lines(notes: &[String]) -> String {
    let mut prefix = String::from("\n");
    for n in notes {
        let _ = writeln!(prefix, "# {n}");
    }
    prefix
}

/// A table's fields by `rule`; `named` gets each `Names` field's names.
fn copy(
    table: &dyn toml_edit::TableLike,
    rule: fn(&str) -> Rule,
    named: &mut dyn FnMut(&str, &str),
) -> Table {
    let mut clean = Table::new();
    for (k, v) in table.iter() {
        match rule(k) {
            Rule::Copy => {
                if let Some(v) = plain_item(v) {
                    clean.insert(k, v);
                }
            }
            Rule::Url => {
                if let Some(u) = v.as_str() {
                    clean.insert(k, value(without_password(u)));
                }
            }
            Rule::Names => {
                let names: Vec<&str> = v
                    .as_table_like()
                    .map(|t| t.iter().map(|(n, _)| n).collect())
                    .unwrap_or_default();
                if !names.is_empty() {
                    named(k, &names.join(", "));
                }
            }
            Rule::Drop => {}
        }
    }
    clean
}

/// The item rebuilt from its data: none of the file's comments or spacing
/// comes along, however deep in an array or table they sat.
fn plain_item(item: &Item) -> Option<Item> {
    match item {
        Item::Value(v) => Some(Item::Value(plain(v))),
        Item::Table(t) => {
            let mut out = Table::new();
            for (k, v) in t {
                if let Some(v) = plain_item(v) {
                    out.insert(k, v);
                }
            }
            Some(Item::Table(out))
        }
        Item::ArrayOfTables(a) => {
            let mut out = toml_edit::ArrayOfTables::new();
            for t in a {
                if let Some(Item::Table(t)) = plain_item(&Item::Table(t.clone())) {
                    out.push(t);
                }
            }
            Some(Item::ArrayOfTables(out))
        }
        Item::None => None,
    }
}

fn plain(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::from(s.value().as_str()),
        Value::Integer(i) => Value::from(*i.value()),
        Value::Float(f) => Value::from(*f.value()),
        Value::Boolean(b) => Value::from(*b.value()),
        Value::Datetime(d) => Value::from(*d.value()),
        Value::Array(a) => Value::Array(a.iter().map(plain).collect::<Array>()),
        Value::InlineTable(t) => {
            let mut out = InlineTable::new();
            for (k, v) in t {
                out.insert(k, plain(v));
            }
            Value::InlineTable(out)
        }
    }
}

#[cfg(test)]
mod tests;

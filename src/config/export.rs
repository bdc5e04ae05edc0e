//! `ccswitch profile export NAME`: a profile and the providers it uses, as
//! TOML to hand to a colleague. What is personal stays out: where the key
//! comes from (`key`, `extra_keys`), header values (often a token), a
//! proxy's password, and budgets. Pure: the config's text in, text out.

use std::fmt::Write as _;

use toml_edit::{DocumentMut, Item, Table, value};

use super::error::ConfigError;
use super::model::Config;
use crate::t;

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
        let mut clean = Table::new();
        let mut notes = vec![t!("profile.export_key", provider = p)];
        for (k, v) in table.iter() {
            match k {
                "key" | "extra_keys" | "budget" => {}
                "headers" => {
                    // The names say what to set; the values may be tokens.
                    let names: Vec<String> = v
                        .as_table_like()
                        .map(|h| h.iter().map(|(n, _)| n.to_string()).collect())
                        .unwrap_or_default();
                    if !names.is_empty() {
                        notes.push(t!("profile.export_headers", names = names.join(", ")));
                    }
                }
                "proxy" => {
                    if let Some(u) = v.as_str() {
                        clean.insert(k, value(without_password(u)));
                    }
                }
                _ => {
                    clean.insert(k, v.clone());
                }
            }
        }
        let mut prefix = String::from("\n");
        for n in &notes {
            let _ = writeln!(prefix, "# {n}");
        }
        clean.decor_mut().set_prefix(prefix);
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
        let mut clean = Table::new();
        for (k, v) in table.iter().filter(|(k, _)| *k != "budget") {
            clean.insert(k, v.clone());
        }
        profiles.insert(name, Item::Table(clean));
    }
    out.insert("profiles", Item::Table(profiles));
    Ok(out.to_string())
}

/// `http://user:secret@host:3128` → `http://user@host:3128`.
fn without_password(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(None);
            let s = url.to_string();
            // `Url` adds a `/` to a bare origin; keep the file's form.
            if u.ends_with('/') {
                s
            } else {
                s.trim_end_matches('/').to_string()
            }
        }
        _ => u.to_string(),
    }
}

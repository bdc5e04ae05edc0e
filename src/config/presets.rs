//! The preset registry: built-in presets compiled from `assets/presets/`,
//! plus the user's `presets.toml`, which may add presets or override fields of
//! built-in ones (`[presets.deepseek.endpoints.anthropic] base_url = ...`).

use std::path::Path;

use indexmap::IndexMap;

use super::error::{ConfigError, Location};
use super::preset::Preset;
use crate::t;

include!(concat!(env!("OUT_DIR"), "/presets_gen.rs"));

#[derive(Clone, Debug, Default)]
pub struct Presets {
    by_id: IndexMap<String, Preset>,
}

impl Presets {
    /// Only the presets compiled into the binary.
    pub fn builtin() -> Presets {
        let mut by_id = IndexMap::new();
        for (id, src) in BUILTIN {
            let preset = parse_builtin(id, src).unwrap_or_else(|e| panic!("{e}"));
            by_id.insert((*id).to_string(), preset);
        }
        Presets { by_id }
    }

    /// Built-ins plus the user's file, if it exists.
    pub fn load(user_file: &Path) -> Result<Presets, ConfigError> {
        let mut presets = Presets::builtin();
        match std::fs::read_to_string(user_file) {
            Ok(src) => presets.apply_user(user_file, &src)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ConfigError::io(user_file, e)),
        }
        Ok(presets)
    }

    /// Merge a user presets file (`[presets.<id>]` tables) over the registry.
    pub fn apply_user(&mut self, file: &Path, src: &str) -> Result<(), ConfigError> {
        let parsed: UserPresets =
            toml::from_str(src).map_err(|e| ConfigError::from_toml(file, src, &e))?;
        for (id, table) in parsed.presets {
            let loc = Location::from_span(file, src, Some(table.span()));
            let table = table.into_inner();
            let merged = match self.by_id.get(&id) {
                Some(base) => {
                    let mut base_value =
                        toml::Table::try_from(base).expect("a preset serializes to TOML");
                    merge_tables(&mut base_value, &table);
                    base_value
                }
                None => table,
            };
            let mut preset =
                Preset::deserialize_table(merged).map_err(|error| ConfigError::Parse {
                    loc: loc.clone(),
                    message: t!("presets.invalid", id = id, error = error),
                    hint: t!("presets.hint_schema"),
                })?;
            preset.id.clone_from(&id);
            check_preset(&preset).map_err(|error| ConfigError::Invalid {
                loc,
                message: t!("presets.invalid", id = id, error = error),
                hint: t!("presets.hint_schema"),
            })?;
            self.by_id.insert(id, preset);
        }
        Ok(())
    }

    /// Find by id or alias.
    pub fn get(&self, id: &str) -> Option<&Preset> {
        self.by_id
            .get(id)
            .or_else(|| self.by_id.values().find(|p| p.matches(id)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Preset> {
        self.by_id.values()
    }

    pub fn ids(&self) -> Vec<String> {
        self.by_id.keys().cloned().collect()
    }
}

/// The user's presets file: only `[presets.<id>]` tables.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPresets {
    #[serde(default)]
    presets: IndexMap<String, toml::Spanned<toml::Table>>,
}

impl Preset {
    fn deserialize_table(table: toml::Table) -> Result<Preset, String> {
        // Round-trip through text so serde's messages (unknown field ...)
        // are the same as for a file.
        let text = toml::to_string(&table).map_err(|e| e.to_string())?;
        toml::from_str(&text).map_err(|e| e.message().trim().to_string())
    }
}

/// Recursive table merge: values in `over` win, tables merge key by key.
fn merge_tables(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn parse_builtin(id: &str, src: &str) -> Result<Preset, String> {
    let mut preset: Preset =
        toml::from_str(src).map_err(|e| format!("built-in preset {id}: {e}"))?;
    preset.id = id.to_string();
    check_preset(&preset).map_err(|e| format!("built-in preset {id}: {e}"))?;
    Ok(preset)
}

/// Rules a preset must satisfy beyond its schema.
fn check_preset(p: &Preset) -> Result<(), String> {
    if p.endpoint(p.api).is_none() {
        return Err(t!("presets.default_api_missing", api = p.api));
    }
    for (api, ep) in &p.endpoints {
        for url in ep.base_url.iter().chain(&ep.alternates) {
            let parsed = url::Url::parse(url)
                .map_err(|e| t!("presets.bad_url", api = api, url = url, error = e))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(t!(
                    "presets.bad_url",
                    api = api,
                    url = url,
                    error = "http(s)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

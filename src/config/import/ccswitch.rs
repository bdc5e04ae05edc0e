//! cc-switch's stored Claude Code providers. cc-switch keeps, per
//! provider, the `settings.json` it writes into `~/.claude` when the user
//! switches to it; its `env` block is Claude Code's own variables, so each
//! entry is read like the shell's (`claude_env`) and named after the entry
//! the user knows it by.
//!
//! cc-switch 3.8 and later keep them in SQLite (`cc-switch.db`, table
//! `providers`, `app_type = 'claude'`, JSON text in `settings_config`);
//! older releases in `config.json` (`{"claude": {"providers": {id:
//! {"name", "settingsConfig"}}}}`, or the v1 layout with `providers` at the
//! top). Reading the database is I/O and lives with the other file access
//! (`crate::import`); this module only turns entries into a [`Found`].

use serde_json::Value;

use super::{Found, MAX_ENTRIES, Skipped, claude_env};
use crate::config::presets::Presets;
use crate::t;

/// One stored provider: its name in cc-switch and its settings as JSON
/// text (as the database holds them).
#[derive(Clone, Debug)]
pub struct StoredProvider {
    pub name: String,
    pub settings: String,
}

/// `label` names the store (its path) in key sources and skipped lines.
pub fn read(entries: &[StoredProvider], label: &str, presets: &Presets) -> Result<Found, String> {
    if entries.len() > MAX_ENTRIES {
        return Err(super::too_many(label));
    }
    let mut found = Found::default();
    for e in entries {
        let what = if e.name.trim().is_empty() {
            t!("import.ccswitch_unnamed")
        } else {
            e.name.trim().to_string()
        };
        let settings: Value = match serde_json::from_str(&e.settings) {
            Ok(v) => v,
            Err(err) => {
                found.skip(what, t!("import.ccswitch_bad_settings", error = err));
                continue;
            }
        };
        let env = settings.get("env").and_then(Value::as_object);
        // The settings' own `model` is what Claude Code runs when the
        // variable is not set.
        let model = settings.get("model").and_then(Value::as_str);
        let get = |k: &str| {
            let v = env.and_then(|env| env.get(k)).and_then(Value::as_str);
            match (k, v) {
                ("ANTHROPIC_MODEL", None) => model.map(str::to_string),
                (_, v) => v.map(str::to_string),
            }
        };
        let source = format!("{what} ({label})");
        let one = claude_env::read(&source, &get, false, presets);
        if one.is_empty() {
            // cc-switch's "Claude Official" entry: Claude's own sign-in,
            // nothing to route.
            found.skip(what, t!("import.ccswitch_official"));
            continue;
        }
        // claude_env names the provider by its host; here it has a name.
        found
            .skipped
            .extend(one.skipped.into_iter().map(|s| Skipped {
                what: t!("import.profile_for", provider = what),
                why: s.why,
            }));
        for mut p in one.providers {
            p.name.clone_from(&what);
            found.providers.push(p);
        }
        for mut p in one.profiles {
            p.name.clone_from(&what);
            p.provider.clone_from(&what);
            found.profiles.push(p);
        }
    }
    Ok(found)
}

/// The entries of an older cc-switch's `config.json`, or `None` when the
/// JSON is not one.
pub fn legacy_entries(json: &Value) -> Option<Vec<StoredProvider>> {
    let v1 = json.get("current").is_some_and(Value::is_string);
    let providers = json
        .get("claude")
        .and_then(|c| c.get("providers"))
        .or_else(|| json.get("providers").filter(|_| v1))?
        .as_object()?;
    Some(
        providers
            .iter()
            .map(|(id, p)| StoredProvider {
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(id)
                    .to_string(),
                settings: p
                    .get("settingsConfig")
                    .map_or_else(String::new, Value::to_string),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::import::Key;
    use crate::config::preset::Api;
    use crate::i18n::{Lang, set_lang};

    fn entry(name: &str, settings: &str) -> StoredProvider {
        StoredProvider {
            name: name.into(),
            settings: settings.into(),
        }
    }

    #[test]
    fn each_entry_is_a_provider_and_profile_by_its_own_name() {
        set_lang(Lang::En);
        let presets = Presets::builtin();
        let entries = [
            entry("Claude Official", r#"{"env": {}}"#),
            entry(
                "DeepSeek",
                r#"{"env": {"ANTHROPIC_BASE_URL": "https://api.deepseek.com/anthropic",
                    "ANTHROPIC_AUTH_TOKEN": "sk-ds", "ANTHROPIC_MODEL": "deepseek-v4-pro"}}"#,
            ),
            entry(
                "Kimi work",
                r#"{"env": {"ANTHROPIC_BASE_URL": "https://api.moonshot.cn/anthropic",
                    "ANTHROPIC_AUTH_TOKEN": "sk-kimi"}, "model": "kimi-k2.6"}"#,
            ),
            entry("Broken", "{not json"),
        ];
        let f = read(&entries, "cc-switch.db", &presets).unwrap();
        let names: Vec<&str> = f.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["DeepSeek", "Kimi work"]);
        assert_eq!(f.providers[0].preset.as_deref(), Some("deepseek"));
        assert_eq!(f.providers[0].api, Api::Anthropic);
        assert!(matches!(&f.providers[1].key,
            Key::Secret { from, .. } if from == "ANTHROPIC_AUTH_TOKEN in Kimi work (cc-switch.db)"));
        assert_eq!(f.profiles[1].provider, "Kimi work");
        assert_eq!(
            f.profiles[1].slots[0],
            ("main", None, "kimi-k2.6".into()),
            "the settings' model when the variable is not set"
        );
        let skipped: Vec<&str> = f.skipped.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(skipped, ["Claude Official", "Broken"]);
    }

    #[test]
    fn old_config_json_layouts() {
        let v2 = serde_json::json!({"version": 2, "claude": {"current": "a",
            "providers": {"a": {"id": "a", "name": "GLM", "settingsConfig": {"env": {}}}}},
            "codex": {"providers": {}}});
        let e = legacy_entries(&v2).unwrap();
        assert_eq!(
            (e[0].name.as_str(), e[0].settings.as_str()),
            ("GLM", r#"{"env":{}}"#)
        );
        let v1 = serde_json::json!({"current": "x", "providers": {"x": {"settingsConfig": {}}}});
        assert_eq!(legacy_entries(&v1).unwrap()[0].name, "x");
        assert!(legacy_entries(&serde_json::json!({"providers": {}})).is_none());
    }
}

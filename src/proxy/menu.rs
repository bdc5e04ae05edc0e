//! A profile's model menu as a running proxy serves it: each model under
//! the id Claude Code's `/model` lists it by, whole providers expanded to
//! the models they listed when the proxy started.

use std::collections::HashMap;

use crate::config::menu::{DISCOVERY_PREFIX, MenuItem, menu_id};
use crate::config::{Profile, Slot};

/// One model of the menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuModel {
    /// What discovery lists and Claude Code sends back.
    pub id: String,
    pub label: Option<String>,
    pub slot: Slot,
}

/// The menu, in the profile's order.
#[derive(Clone, Debug, Default)]
pub struct Menu {
    entries: Vec<MenuModel>,
    by_id: HashMap<String, usize>,
}

impl Menu {
    /// The profile's menu. `listed` holds the models of each provider the
    /// menu takes whole (a provider missing there adds nothing: its list
    /// could not be had). The same model twice is listed once, first
    /// mention winning.
    pub fn build(profile: &Profile, listed: &HashMap<String, Vec<String>>) -> Menu {
        let mut wanted: Vec<(Slot, Option<String>)> = Vec::new();
        for item in &profile.menu {
            match item {
                MenuItem::One(e) => wanted.push((e.slot.clone(), e.label.clone())),
                MenuItem::All { provider } => {
                    for model in listed.get(provider).into_iter().flatten() {
                        wanted.push((Slot::single(provider, model), None));
                    }
                }
            }
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        wanted.retain(|(s, _)| {
            let key = (s.provider.clone(), s.model.clone());
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        // A Claude model keeps its own id only when nothing else of the
        // profile answers to it: a slot, or the same id on another provider.
        let slot_models: Vec<&str> = profile
            .slots()
            .iter()
            .map(|(_, s)| s.model.as_str())
            .collect();
        let taken = |model: &str| {
            slot_models.contains(&model)
                || wanted.iter().filter(|(s, _)| s.model == model).count() > 1
        };
        let entries: Vec<MenuModel> = wanted
            .iter()
            .map(|(slot, label)| MenuModel {
                id: menu_id(&slot.provider, &slot.model, taken(&slot.model)),
                label: label.clone(),
                slot: slot.clone(),
            })
            .collect();
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Menu { entries, by_id }
    }

    pub fn entries(&self) -> &[MenuModel] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The model Claude Code asked for by its menu id.
    pub fn get(&self, id: &str) -> Option<&MenuModel> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// The menu model a person means: its id, its label, `provider/model`,
    /// or a model id only one provider of the menu has (case-insensitive
    /// for labels). For `ccswitch run --model`.
    pub fn find(&self, wanted: &str) -> Option<&MenuModel> {
        if let Some(e) = self.get(wanted) {
            return Some(e);
        }
        let by = |f: &dyn Fn(&MenuModel) -> bool| {
            let mut hits = self.entries.iter().filter(|e| f(e));
            match (hits.next(), hits.next()) {
                (Some(e), None) => Some(e),
                _ => None,
            }
        };
        by(&|e| {
            e.label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(wanted))
        })
        .or_else(|| by(&|e| format!("{}/{}", e.slot.provider, e.slot.model) == wanted))
        .or_else(|| by(&|e| e.slot.model == wanted))
    }

    /// The menu as far as it can be known without asking any provider for
    /// its list: its single models, and the one model `name` names of a
    /// provider the menu takes whole (`PROVIDER/MODEL`, or its id
    /// `claude-ccswitch-PROVIDER/MODEL`). For `run --model` and the status
    /// line, which name one model and must not wait on a list.
    pub fn naming(profile: &Profile, name: &str) -> Menu {
        let mut lists = HashMap::new();
        let bare = name.strip_prefix(DISCOVERY_PREFIX).unwrap_or(name);
        if let Some((provider, model)) = bare.split_once('/')
            && Menu::whole_providers(profile).contains(&provider)
        {
            lists.insert(provider.to_string(), vec![model.to_string()]);
        }
        Menu::build(profile, &lists)
    }

    /// The providers whose whole list the menu takes.
    pub fn whole_providers(profile: &Profile) -> Vec<&str> {
        profile
            .menu
            .iter()
            .filter_map(|i| match i {
                MenuItem::All { provider } => Some(provider.as_str()),
                MenuItem::One(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::parse_profile;

    #[test]
    fn ids_names_and_whole_providers() {
        let profile = parse_profile(
            r#"main = "deepseek-v4-pro"
menu = ["deepseek-v4-flash", { provider = "kimi", model = "kimi-k3", label = "Kimi K3" },
        { provider = "claude", model = "claude-sonnet-4-5" }, { provider = "or", models = "all" }]"#,
            &["kimi", "claude", "or"],
        );
        let listed = HashMap::from([(
            "or".to_string(),
            vec![
                "kimi-k3".to_string(),
                "anthropic/claude-sonnet-4.5".to_string(),
            ],
        )]);
        let menu = Menu::build(&profile, &listed);
        let ids: Vec<&str> = menu.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "claude-ccswitch-p/deepseek-v4-flash",
                "claude-ccswitch-kimi/kimi-k3",
                "claude-sonnet-4-5",
                "claude-ccswitch-or/kimi-k3",
                "anthropic/claude-sonnet-4.5",
            ]
        );
        assert_eq!(menu.find("kimi k3").unwrap().slot.provider, "kimi");
        assert_eq!(menu.find("or/kimi-k3").unwrap().slot.provider, "or");
        // Two providers have kimi-k3: the bare model id is not enough.
        assert!(menu.find("kimi-k3").is_none());
        assert_eq!(menu.find("deepseek-v4-flash").unwrap().slot.provider, "p");
        assert_eq!(
            menu.get("claude-sonnet-4-5").unwrap().slot.provider,
            "claude"
        );
        // Without its list, a whole provider adds nothing, but for the one
        // model a name or id names.
        assert_eq!(Menu::build(&profile, &HashMap::new()).entries().len(), 3);
        for name in ["or/qwen/qwen3", "claude-ccswitch-or/qwen/qwen3"] {
            let named = Menu::naming(&profile, name);
            assert_eq!(
                named.find(name).unwrap().id,
                "claude-ccswitch-or/qwen/qwen3"
            );
        }
    }

    #[test]
    fn a_claude_id_a_slot_answers_to_is_named_by_provider() {
        let profile = parse_profile(
            r#"main = "claude-sonnet-4-5"
menu = [{ provider = "or", model = "claude-sonnet-4-5" }]"#,
            &["or"],
        );
        let menu = Menu::build(&profile, &HashMap::new());
        assert_eq!(menu.entries()[0].id, "claude-ccswitch-or/claude-sonnet-4-5");
    }
}

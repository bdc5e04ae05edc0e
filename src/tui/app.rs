//! The TUI's state and its one place of change: `App::update(msg) -> Cmd`.
//! Rendering only reads this state; side effects (saving, launching, key
//! checks) are commands the run loop performs, whose results come back as
//! messages.

use crate::config::{Api, Config, KeySpec};

/// What the key column says about a provider's key (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Not known yet (the check runs in the background).
    Checking,
    NotNeeded,
    /// Found, and where.
    Found(String),
    /// Configured sources, none of which has a key now.
    Missing(String),
}

/// One profile as the home screen shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub description: Option<String>,
    pub provider: String,
    pub provider_name: String,
    pub api: Api,
    pub url: String,
    /// (slot, model, provider when not the profile's own).
    pub slots: Vec<(&'static str, String, Option<String>)>,
    pub key_sources: KeySpec,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    ConfirmDelete(String),
}

/// Everything that can happen.
#[derive(Clone, Debug)]
pub enum Msg {
    Up,
    Down,
    Home,
    End,
    /// Enter.
    Activate,
    SetDefault,
    Delete,
    Filter,
    Help,
    Quit,
    Cancel,
    Char(char),
    Backspace,
    /// Keys the form screens will use; for now they explain where to go.
    /// Holds the message-catalog key naming the feature.
    NotYet(&'static str),
    /// The config was (re)loaded.
    Loaded(Box<Config>),
    /// A change was saved: the new config, and what to tell the user.
    Saved(Box<Config>, String),
    /// A config change failed; the message says why.
    Failed(String),
    /// A background key check finished for a provider.
    KeyChecked(String, KeyState),
}

/// Side effects for the run loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    Launch(String),
    SetDefault(String),
    Delete(String),
    /// Check the keys of these providers in the background.
    CheckKeys(Vec<String>),
}

#[derive(Debug, Default)]
pub struct App {
    pub rows: Vec<Row>,
    pub default: Option<String>,
    /// Index into `visible()`.
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub overlay: Option<Overlay>,
    /// One line for the user (result of the last action, or an error).
    pub status: Option<String>,
    pub keys: Vec<(String, KeyState)>,
}

fn rows(cfg: &Config) -> Vec<Row> {
    cfg.profiles
        .values()
        .map(|p| {
            let provider = &cfg.providers[&p.provider];
            let url = match (&provider.base_url, &provider.region) {
                (Some(u), _) => u.to_string(),
                (None, Some(r)) => format!("region {r}"),
                (None, None) => String::new(),
            };
            Row {
                name: p.name.clone(),
                description: p.description.clone(),
                provider: p.provider.clone(),
                provider_name: provider.display_name.clone(),
                api: provider.api,
                url,
                slots: p
                    .slots()
                    .into_iter()
                    .map(|(n, s)| {
                        (
                            n,
                            s.model.clone(),
                            (s.provider != p.provider).then(|| s.provider.clone()),
                        )
                    })
                    .collect(),
                key_sources: provider.key.clone(),
            }
        })
        .collect()
}

impl App {
    pub fn new(cfg: &Config) -> (App, Option<Cmd>) {
        let mut app = App::default();
        let cmd = app.update(Msg::Loaded(Box::new(cfg.clone())));
        (app, cmd)
    }

    /// Rows matching the filter (name, provider or model, any case).
    pub fn visible(&self) -> Vec<&Row> {
        let f = self.filter.to_lowercase();
        self.rows
            .iter()
            .filter(|r| {
                f.is_empty()
                    || r.name.to_lowercase().contains(&f)
                    || r.provider.to_lowercase().contains(&f)
                    || r.slots
                        .iter()
                        .any(|(_, m, _)| m.to_lowercase().contains(&f))
            })
            .collect()
    }

    pub fn current(&self) -> Option<&Row> {
        self.visible().get(self.selected).copied()
    }

    pub fn key_state(&self, provider: &str) -> KeyState {
        self.keys
            .iter()
            .find(|(p, _)| p == provider)
            .map_or(KeyState::Checking, |(_, k)| k.clone())
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    pub fn update(&mut self, msg: Msg) -> Option<Cmd> {
        if let Some(overlay) = self.overlay.clone() {
            return self.update_overlay(overlay, msg);
        }
        if self.filtering {
            match msg {
                Msg::Char(c) => {
                    self.filter.push(c);
                    self.selected = 0;
                    return None;
                }
                Msg::Backspace => {
                    self.filter.pop();
                    self.clamp();
                    return None;
                }
                Msg::Cancel => {
                    self.filtering = false;
                    self.filter.clear();
                    self.clamp();
                    return None;
                }
                Msg::Activate => {
                    self.filtering = false;
                    return None;
                }
                _ => {}
            }
        }
        match msg {
            Msg::Up => self.selected = self.selected.saturating_sub(1),
            Msg::Down => {
                self.selected += 1;
                self.clamp();
            }
            Msg::Home => self.selected = 0,
            Msg::End => {
                self.selected = usize::MAX;
                self.clamp();
            }
            Msg::Activate => return self.current().map(|r| Cmd::Launch(r.name.clone())),
            Msg::SetDefault => return self.current().map(|r| Cmd::SetDefault(r.name.clone())),
            Msg::Delete => {
                if let Some(r) = self.current() {
                    self.overlay = Some(Overlay::ConfirmDelete(r.name.clone()));
                }
            }
            Msg::Filter => {
                self.filtering = true;
                self.status = None;
            }
            Msg::Help => self.overlay = Some(Overlay::Help),
            Msg::Quit => return Some(Cmd::Quit),
            Msg::Cancel if !self.filter.is_empty() => {
                self.filter.clear();
                self.clamp();
            }
            Msg::Cancel => return Some(Cmd::Quit),
            Msg::NotYet(what) => {
                self.status = Some(crate::t!("tui.not_yet", what = crate::i18n::text(what)));
            }
            Msg::Loaded(cfg) => {
                let before = self.current().map(|r| r.name.clone());
                self.rows = rows(&cfg);
                self.default = cfg.default.clone();
                if let Some(name) = before
                    && let Some(i) = self.visible().iter().position(|r| r.name == name)
                {
                    self.selected = i;
                }
                self.clamp();
                let mut providers: Vec<String> = Vec::new();
                for r in &self.rows {
                    if !providers.contains(&r.provider) {
                        providers.push(r.provider.clone());
                    }
                }
                return (!providers.is_empty()).then_some(Cmd::CheckKeys(providers));
            }
            Msg::Saved(cfg, done) => {
                let cmd = self.update(Msg::Loaded(cfg));
                self.status = Some(done);
                return cmd;
            }
            Msg::Failed(e) => self.status = Some(e),
            Msg::KeyChecked(p, k) => match self.keys.iter_mut().find(|(n, _)| *n == p) {
                Some(slot) => slot.1 = k,
                None => self.keys.push((p, k)),
            },
            Msg::Char(_) | Msg::Backspace => {}
        }
        None
    }

    fn update_overlay(&mut self, overlay: Overlay, msg: Msg) -> Option<Cmd> {
        match (overlay, msg) {
            // Results of background work still land while an overlay is up.
            (_, m @ (Msg::Loaded(_) | Msg::Saved(..) | Msg::KeyChecked(..) | Msg::Failed(_))) => {
                let saved = self.overlay.take();
                let cmd = self.update(m);
                self.overlay = saved;
                cmd
            }
            (Overlay::ConfirmDelete(name), Msg::Char('y') | Msg::Activate) => {
                self.overlay = None;
                Some(Cmd::Delete(name))
            }
            (Overlay::ConfirmDelete(_), _) => {
                self.overlay = None;
                None
            }
            (Overlay::Help, Msg::Quit) => Some(Cmd::Quit),
            (Overlay::Help, _) => {
                self.overlay = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;

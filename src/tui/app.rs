//! The TUI's state and its one place of change: `App::update(msg) -> Cmd`.
//! Rendering only reads this state; side effects (saving, launching, key
//! checks) are commands the run loop performs, whose results come back as
//! messages.

use std::collections::HashMap;
use std::time::SystemTime;

use super::form::Form;
use super::picker::Picker;
use crate::config::{Api, Config, KeySpec, Presets};
use crate::launch::probe::Step;

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
    /// Esc on a form with changes: discard them?
    ConfirmDiscard,
}

/// The connection test screen.
#[derive(Clone, Debug)]
pub struct TestView {
    pub profile: String,
    pub provider: String,
    pub model: String,
    /// Which request the results must belong to.
    pub seq: u64,
    /// `None` while running; `Err` when the test could not start.
    pub result: Option<Result<Vec<Step>, String>>,
    /// Runs the same test again.
    pub again: Cmd,
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub presets: Presets,
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
    pub last_used: HashMap<String, SystemTime>,
    /// The clock as of the last tick, for "2 h ago" (rendering reads no clock).
    pub now: Option<SystemTime>,
    pub form: Option<Box<Form>>,
    pub picker: Option<Picker>,
    pub test: Option<TestView>,
    /// Ticks so far: the spinner's frame, and when to re-read last-used.
    pub tick: u64,
    /// Numbers background requests, so late answers to old ones are dropped.
    pub seq: u64,
    /// A save is in flight: a second Ctrl-S must not save twice.
    pub saving: bool,
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
    pub fn new(cfg: &Config, presets: &Presets) -> (App, Option<Cmd>) {
        let mut app = App {
            config: cfg.clone(),
            presets: presets.clone(),
            rows: Vec::new(),
            default: None,
            selected: 0,
            filter: String::new(),
            filtering: false,
            overlay: None,
            status: None,
            keys: Vec::new(),
            last_used: HashMap::new(),
            now: None,
            form: None,
            picker: None,
            test: None,
            tick: 0,
            seq: 0,
            saving: false,
        };
        let cmd = app.update(Msg::Loaded(
            Box::new(cfg.clone()),
            Box::new(presets.clone()),
        ));
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

    /// Whether letters typed now are text rather than commands.
    pub fn typing(&self) -> bool {
        self.filtering || self.overlay.is_some() || self.form.is_some()
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn update(&mut self, msg: Msg) -> Option<Cmd> {
        // Results of background work land whatever is on screen.
        match msg {
            Msg::Loaded(cfg, presets) => return self.loaded(*cfg, *presets),
            Msg::LastUsed(map, now) => {
                self.last_used = map;
                self.now = Some(now);
                return None;
            }
            Msg::Saved(cfg, done) => {
                self.saving = false;
                let presets = self.presets.clone();
                let cmd = self.loaded(*cfg, presets);
                self.form = None;
                self.picker = None;
                self.status = Some(done);
                return cmd;
            }
            Msg::Failed(e) => {
                self.saving = false;
                self.status = Some(e);
                return None;
            }
            Msg::KeyChecked(p, k) => {
                match self.keys.iter_mut().find(|(n, _)| *n == p) {
                    Some(slot) => slot.1 = k,
                    None => self.keys.push((p, k)),
                }
                return None;
            }
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                // A minute of ticks.
                return self.tick.is_multiple_of(600).then_some(Cmd::ReadLastUsed);
            }
            Msg::Models(seq, result) => {
                self.models_arrived(seq, result);
                return None;
            }
            Msg::Tested(seq, result) => {
                if let Some(t) = self.test.as_mut().filter(|t| t.seq == seq) {
                    t.result = Some(result);
                }
                return None;
            }
            _ => {}
        }
        if let Some(overlay) = self.overlay.clone() {
            return self.update_overlay(overlay, msg);
        }
        if self.test.is_some() {
            return self.update_test(msg);
        }
        if self.picker.is_some() {
            return self.update_picker(msg);
        }
        if self.form.is_some() {
            return self.update_form(msg);
        }
        self.update_home(msg)
    }

    fn loaded(&mut self, cfg: Config, presets: Presets) -> Option<Cmd> {
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
        self.config = cfg;
        self.presets = presets;
        (!providers.is_empty()).then_some(Cmd::CheckKeys(providers))
    }

    fn update_home(&mut self, msg: Msg) -> Option<Cmd> {
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
            Msg::Activate if self.rows.is_empty() => self.open_form(None, false),
            Msg::Activate => return self.current().map(|r| Cmd::Launch(r.name.clone())),
            Msg::SetDefault => return self.current().map(|r| Cmd::SetDefault(r.name.clone())),
            Msg::Delete => {
                if let Some(r) = self.current() {
                    self.overlay = Some(Overlay::ConfirmDelete(r.name.clone()));
                }
            }
            Msg::New => self.open_form(None, false),
            Msg::Edit | Msg::Duplicate => {
                let name = self.current().map(|r| r.name.clone());
                if name.is_some() {
                    self.open_form(name, matches!(msg, Msg::Duplicate));
                }
            }
            Msg::Test => {
                if let Some(name) = self.current().map(|r| r.name.clone()) {
                    return self.start_test_profile(name);
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
            _ => {}
        }
        None
    }

    fn update_overlay(&mut self, overlay: Overlay, msg: Msg) -> Option<Cmd> {
        match (overlay, msg) {
            (Overlay::ConfirmDelete(name), Msg::Char('y') | Msg::Activate) => {
                self.overlay = None;
                Some(Cmd::Delete(name))
            }
            (Overlay::ConfirmDiscard, Msg::Char('y') | Msg::Activate) => {
                self.overlay = None;
                self.form = None;
                self.picker = None;
                self.status = None;
                None
            }
            (Overlay::ConfirmDelete(_) | Overlay::ConfirmDiscard, _) => {
                self.overlay = None;
                None
            }
            (Overlay::Help, Msg::Quit) if self.form.is_none() => Some(Cmd::Quit),
            (Overlay::Help, _) => {
                self.overlay = None;
                None
            }
        }
    }
}

mod flow;
mod msg;

pub use msg::{Cmd, Msg};
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod tests;

//! The TUI's state and its one place of change: `App::update(msg) -> Cmd`.
//! Rendering only reads this state; side effects (saving, launching, key
//! checks) are commands the run loop performs, whose results come back as
//! messages.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use crate::circuits::{self, Circuit};
use crate::config::{Config, Presets};
use crate::proxy::upstream::balance;
use crate::t;
use crate::usage::query::Sums;

mod balance_refresh;
mod chain;
mod editor;
mod flow;
mod menu;
mod msg;
mod pick;
mod resume;
mod row;
mod screen;
mod usage;

pub use msg::{Cmd, Msg};
pub use resume::{ResumeView, SessionList, SessionRow};
pub use row::{KeyState, Row};
pub use screen::{Overlay, Screen, TestView};
pub use usage::{Metric, SpentSoFar, UsageData, UsageQuery, UsageView, all_tokens};

#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub presets: Presets,
    pub rows: Vec<Row>,
    pub default: Option<String>,
    /// Index into `visible()`.
    pub selected: usize,
    pub filter: String,
    pub screen: Screen,
    /// One line for the user (result of the last action, or an error).
    pub status: Option<String>,
    pub keys: Vec<(String, KeyState)>,
    pub last_used: HashMap<String, SystemTime>,
    /// Targets whose breaker a running session opened lately (the list
    /// marks profiles whose main target is one).
    pub circuits: Vec<Circuit>,
    /// Each provider's last balance, as `balances.json` holds it (the
    /// status line, `ccswitch test`, `doctor` and `t` fill it).
    pub balances: BTreeMap<String, balance::cache::Entry>,
    /// When this screen asked for which balance (at most once a minute).
    balance_asks: balance_refresh::BalanceAsks,
    /// With no profiles yet: an existing setup found to import, as lines.
    pub import_offer: Option<Vec<String>>,
    /// Each profile's last 7 days (today included); `None` until read.
    pub week: Option<Result<HashMap<String, Sums>, String>>,
    /// The clock as of the last tick, for "2 h ago" (rendering reads no clock).
    pub now: Option<SystemTime>,
    /// Ticks so far: the spinner's frame, and when to re-read last-used.
    pub tick: u64,
    /// Numbers background requests, so late answers to old ones are dropped.
    pub seq: u64,
    /// A save is in flight: a second Ctrl-S must not save twice.
    pub saving: bool,
}

impl App {
    pub fn new(cfg: &Config, presets: &Presets) -> (App, Option<Cmd>) {
        App::at(cfg, presets, None)
    }

    /// The list with the cursor on profile `at` (the one just launched,
    /// back from claude), else on the default.
    pub fn at(cfg: &Config, presets: &Presets, at: Option<String>) -> (App, Option<Cmd>) {
        let mut app = App {
            config: cfg.clone(),
            presets: presets.clone(),
            rows: Vec::new(),
            default: None,
            selected: 0,
            filter: String::new(),
            screen: Screen::default(),
            status: None,
            keys: Vec::new(),
            last_used: HashMap::new(),
            circuits: Vec::new(),
            balances: BTreeMap::new(),
            balance_asks: balance_refresh::BalanceAsks::default(),
            import_offer: None,
            week: None,
            now: None,
            tick: 0,
            seq: 0,
            saving: false,
        };
        let cmd = app.loaded(cfg.clone(), presets.clone(), at);
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

    /// The open breakers among a profile's targets: its main target's
    /// first (the list's mark), then any other.
    pub fn failing(&self, row: &Row) -> Vec<&Circuit> {
        let Some(p) = self.config.profiles.get(&row.name) else {
            return Vec::new();
        };
        let mut out: Vec<&Circuit> = Vec::new();
        let slots = p.slots().into_iter().chain(p.route_slots());
        for (_, slot) in slots {
            for (provider, model) in slot.targets() {
                if let Some(c) = circuits::find(&self.circuits, provider, model)
                    && !out.contains(&c)
                {
                    out.push(c);
                }
            }
        }
        out
    }

    pub fn key_state(&self, provider: &str) -> KeyState {
        self.keys
            .iter()
            .find(|(p, _)| p == provider)
            .map_or(KeyState::Checking, |(_, k)| k.clone())
    }

    /// Put the cursor on a profile (a gone one leaves it where it is). A
    /// filter that hides it is cleared: Enter must launch what the cursor
    /// is on, and the list must show it.
    fn select(&mut self, name: &str) {
        if !self.rows.iter().any(|r| r.name == name) {
            return;
        }
        if !self.visible().iter().any(|r| r.name == name) {
            self.filter.clear();
        }
        if let Some(i) = self.visible().iter().position(|r| r.name == name) {
            self.selected = i;
        }
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    #[must_use = "the run loop must carry out the command"]
    pub fn update(&mut self, msg: Msg) -> Option<Cmd> {
        // Results of background work land whatever is on screen.
        match msg {
            Msg::Loaded(cfg, presets) => return self.loaded(*cfg, *presets, None),
            Msg::LastUsed(map, now) => {
                self.last_used = map;
                self.now = Some(now);
                return self.balances_due(now);
            }
            Msg::Saved {
                config,
                done,
                select,
            } => {
                self.saving = false;
                let presets = self.presets.clone();
                let cmd = self.loaded(*config, presets, select);
                self.screen = std::mem::take(&mut self.screen).without_form();
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
            Msg::Week(week) => {
                self.week = Some(week);
                return None;
            }
            Msg::Circuits(open) => {
                self.circuits = open;
                return None;
            }
            Msg::Balances(all) => {
                self.balances = all;
                return None;
            }
            Msg::ImportFound(offer) => {
                self.import_offer = offer.filter(|_| self.rows.is_empty());
                return None;
            }
            Msg::UsageLoaded(seq, result) => {
                self.usage_arrived(seq, *result);
                return None;
            }
            Msg::Sessions(seq, result) => {
                self.sessions_arrived(seq, *result);
                return None;
            }
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                // A minute of ticks.
                return self.tick.is_multiple_of(600).then(|| self.refresh());
            }
            Msg::Models(seq, result) => {
                self.models_arrived(seq, result);
                return None;
            }
            Msg::Tested(seq, result) => {
                if let Some(t) = self.screen.test_mut().filter(|t| t.seq == seq) {
                    t.result = Some(result);
                }
                return None;
            }
            _ => {}
        }
        // Each screen takes the message and says what is on screen next.
        let (screen, cmd) = match std::mem::take(&mut self.screen) {
            Screen::Home { filtering } => self.update_home(filtering, msg),
            Screen::Form { form, picker: None } => self.update_form(form, msg),
            Screen::Form {
                form,
                picker: Some(picker),
            } => self.update_picker(form, picker, msg),
            Screen::Test { test, back } => self.update_test(test, back, msg),
            Screen::Overlay { overlay, under } => self.update_overlay(overlay, *under, msg),
            Screen::Usage(view) => self.update_usage(view, msg),
            Screen::Resume(view) => self.update_resume(view, msg),
        };
        self.screen = screen;
        cmd
    }

    /// The config as it now is. The cursor follows a profile, not a row
    /// (rows move when profiles are added, renamed or removed): `select`,
    /// else the profile it was on, else (at start) the default.
    fn loaded(&mut self, cfg: Config, presets: Presets, select: Option<String>) -> Option<Cmd> {
        let name = select
            .or_else(|| self.current().map(|r| r.name.clone()))
            .or_else(|| cfg.default.clone());
        self.rows = row::rows(&cfg);
        self.default = cfg.default.clone();
        if let Some(name) = name {
            self.select(&name);
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
        if self.rows.is_empty() {
            // A first run: maybe there is a setup to bring in.
            return Some(Cmd::FindImport);
        }
        self.import_offer = None;
        (!providers.is_empty()).then_some(Cmd::CheckKeys(providers))
    }

    fn update_home(&mut self, filtering: bool, msg: Msg) -> (Screen, Option<Cmd>) {
        if filtering {
            match msg {
                Msg::Char(c) => {
                    self.filter.push(c);
                    self.selected = 0;
                    return (Screen::Home { filtering }, None);
                }
                Msg::Backspace => {
                    self.filter.pop();
                    self.clamp();
                    return (Screen::Home { filtering }, None);
                }
                Msg::Cancel => {
                    self.filter.clear();
                    self.clamp();
                    return (Screen::default(), None);
                }
                Msg::Activate => return (Screen::default(), None),
                _ => {}
            }
        }
        let home = Screen::Home { filtering };
        let name = self.current().map(|r| r.name.clone());
        let cmd = match msg {
            Msg::Up => {
                self.selected = self.selected.saturating_sub(1);
                None
            }
            Msg::Down => {
                self.selected += 1;
                self.clamp();
                None
            }
            Msg::Home => {
                self.selected = 0;
                None
            }
            Msg::End => {
                self.selected = usize::MAX;
                self.clamp();
                None
            }
            Msg::Char('i') if self.rows.is_empty() => {
                let Some(lines) = self.import_offer.clone() else {
                    return (home, None);
                };
                return (Overlay::ConfirmImport(lines).over(home), None);
            }
            Msg::Activate if self.rows.is_empty() => return (self.open_form(None, false), None),
            Msg::Activate => name.map(|n| Cmd::Launch(n, Vec::new())),
            Msg::SetDefault => name.map(Cmd::SetDefault),
            Msg::Delete => {
                let Some(name) = name else {
                    return (home, None);
                };
                return (Overlay::ConfirmDelete(name).over(home), None);
            }
            Msg::New => return (self.open_form(None, false), None),
            Msg::Edit | Msg::Duplicate if name.is_some() => {
                return (self.open_form(name, matches!(msg, Msg::Duplicate)), None);
            }
            Msg::Test => {
                let Some(name) = name else {
                    return (home, None);
                };
                return self.start_test_profile(name, home);
            }
            Msg::Filter => {
                self.status = None;
                return (Screen::Home { filtering: true }, None);
            }
            Msg::Help => return (Overlay::Help.over(home), None),
            Msg::Usage => return self.open_usage(),
            Msg::Resume => {
                let Some(name) = name else {
                    return (home, None);
                };
                return self.open_resume(name);
            }
            Msg::Quit => Some(Cmd::Quit),
            Msg::Cancel if !self.filter.is_empty() => {
                self.filter.clear();
                self.clamp();
                None
            }
            Msg::Cancel => Some(Cmd::Quit),
            _ => None,
        };
        (home, cmd)
    }

    fn update_overlay(
        &mut self,
        overlay: Overlay,
        under: Screen,
        msg: Msg,
    ) -> (Screen, Option<Cmd>) {
        match (overlay, msg) {
            (Overlay::ConfirmDelete(name), Msg::Char('y') | Msg::Activate) => {
                (under, Some(Cmd::Delete(name)))
            }
            (Overlay::ConfirmDiscard, Msg::Char('y') | Msg::Activate) => {
                self.status = None;
                (under.without_form(), None)
            }
            (Overlay::ConfirmImport(_), Msg::Char('y') | Msg::Activate) => {
                self.status = Some(t!("tui.importing"));
                (under, Some(Cmd::Import))
            }
            (
                Overlay::ConfirmDelete(_) | Overlay::ConfirmDiscard | Overlay::ConfirmImport(_),
                _,
            ) => (under, None),
            (Overlay::Help, Msg::Quit) if under.form().is_none() => {
                (Overlay::Help.over(under), Some(Cmd::Quit))
            }
            (Overlay::Help, _) => (under, None),
        }
    }
}

#[cfg(test)]
mod balance_tests;
#[cfg(test)]
mod chain_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod menu_tests;
#[cfg(test)]
mod provider_tests;
#[cfg(test)]
mod resume_tests;
#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod size_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod usage_tests;
